"""The race explorer's engine: run invocations under a schedule the explorer chooses,
and enumerate the schedules that can differ.

One *execution* starts every invocation, in the order given, on a fresh copy of the
namespace, and runs each until it awaits its first KV call. At every *step* the
explorer picks a choice: an invocation whose pending call completes now (the call does
its work, and the invocation runs on to its next KV call or to its end), or a move of
the clock. Coroutines are stepped by hand, so no event loop runs and no real time
passes; an execution is a pure function of its choices.

Exploration is a depth-first search over choices by re-execution, with sleep sets
(Godefroid's partial-order reduction): after the subtree of choice ``t`` at a node has
been explored, ``t`` sleeps in its later siblings' subtrees for as long as only calls
independent of ``t`` are taken, since taking ``t`` there could only reorder it with
those calls. Two choices are independent when neither is a clock move and their calls
(with any call the invocation then makes without suspending, such as ``ns.sync``)

- touch no key in common (``list()`` touches every key under its prefix), or
- only read, at different locations when the namespace is eventual (a read fills its
  location's cache, so two reads there are not interchangeable),

and the namespace has no injected failures (their countdowns make every call
depend on every other), and, in eventual mode under a propagation model whose delays
depend on a write's number among all writes (``RandomDelay``, or a model of the
user's own), they are not both writes. Every distinct final state is still reached: no two
schedules explored differ only in the order of independent calls.
"""

from __future__ import annotations

import contextvars
import copy
import inspect
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final

from pytest_kv.binding.instruments import god_key
from pytest_kv.binding.namespace import KVNamespace
from pytest_kv.errors import shown
from pytest_kv.kv.faults import Faults
from pytest_kv.kv.keys import name_of
from pytest_kv.kv.namespace import Namespace
from pytest_kv.kv.propagation import per_write
from pytest_kv.kv.store import Entry
from pytest_kv.suspension import DRIVER, Pending, stepping

from .arguments import seconds_text

# An execution that makes more KV calls than this probably loops forever.
MAX_STEPS: Final = 10_000


class _Exploring:
    """The ``DRIVER`` of an invocation the explorer steps: KV calls yield ``Pending``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "EXPLORING"


EXPLORING: Final = _Exploring()


class UsageError(RuntimeError):
    """An invocation did what the explorer cannot drive (real I/O, another namespace)."""


@dataclass(frozen=True, slots=True)
class Move:
    """A move of the clock: ``seconds``, or as far as ``settle()`` would go (None)."""

    seconds: float | None

    def __str__(self) -> str:
        return "settle" if self.seconds is None else f"+{seconds_text(self.seconds)}s"


Choice = int | Move


@dataclass(frozen=True, slots=True)
class Footprint:
    """What a step touches: exact keys, key prefixes (``""`` is every key), or all."""

    keys: frozenset[str] = frozenset()
    prefixes: frozenset[str] = frozenset()
    writes: bool = False
    location: str = ""
    everything: bool = False

    def __or__(self, other: Footprint) -> Footprint:
        if self.everything or other.everything:
            return EVERYTHING
        return Footprint(
            self.keys | other.keys,
            self.prefixes | other.prefixes,
            self.writes or other.writes,
            self.location if self.location == other.location else "*",
        )


EVERYTHING: Final = Footprint(everything=True)


def _overlap(a: Footprint, b: Footprint) -> bool:
    if a.keys & b.keys:
        return True
    for prefix in a.prefixes:
        if any(key.startswith(prefix) for key in b.keys):
            return True
        if any(other.startswith(prefix) or prefix.startswith(other) for other in b.prefixes):
            return True
    return any(key.startswith(prefix) for prefix in b.prefixes for key in a.keys)


def dependent(a: Footprint, b: Footprint, eventual: bool, numbered: bool) -> bool:
    """Whether the order of two steps can matter (the module docstring's rule).
    ``numbered``: propagation delays depend on a write's number among all writes."""
    if a.everything or b.everything:
        return True
    if numbered and a.writes and b.writes:
        return True
    if not _overlap(a, b):
        return False
    if a.writes or b.writes:
        return True
    return eventual and (a.location == b.location or "*" in (a.location, b.location))


_READS: Final = frozenset({"get", "getWithMetadata", "list"})
_WRITES: Final = frozenset({"put", "delete"})


def footprint_of(method: str, key: object, options: object, location: str) -> Footprint:
    """The footprint of one binding call, from the call as made (keys not yet checked:
    anything but text is taken to touch every key)."""
    if method == "list":
        prefix = options.get("prefix") if isinstance(options, dict) else None
        if prefix is not None and not isinstance(prefix, str):
            return EVERYTHING
        return Footprint(prefixes=frozenset({prefix or ""}), location=location)
    if method not in _READS and method not in _WRITES:
        return EVERYTHING
    if isinstance(key, str):
        keys = frozenset({key})
    elif isinstance(key, list) and key and all(isinstance(item, str) for item in key):
        keys = frozenset(key)
    else:
        return EVERYTHING
    return Footprint(keys=keys, writes=method in _WRITES, location=location)


def options_of(pending: Pending) -> object:
    return pending.args[0] if pending.args else (pending.kwargs or None)


class VirtualClock:
    """The clock of one execution: it moves only when the explorer moves it."""

    __slots__ = ("_now",)

    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float | timedelta) -> float:
        self._now += seconds.total_seconds() if isinstance(seconds, timedelta) else seconds
        return self._now


@dataclass(frozen=True)
class Program:
    """What every execution starts from: the invocations, where each runs, the
    namespace's truth and settings at the start, and what the explorer may do."""

    invocations: tuple[Callable[..., Any], ...]
    names: tuple[str, ...]
    locations: tuple[str, ...]
    source: KVNamespace
    truth: tuple[tuple[bytes, Entry], ...]
    start: float
    invariant: Callable[..., Any] | None
    with_results: bool
    moves: tuple[Move, ...]
    context: contextvars.Context

    @property
    def eventual(self) -> bool:
        return self.source._shared.edge is not None

    @property
    def numbered(self) -> bool:
        """Whether a write's propagation delay may depend on how many writes came
        before it, on any key (``RandomDelay``, and models of the user's own)."""
        propagation = self.source._shared.settings.propagation
        return self.eventual and propagation is not None and per_write(propagation)

    @property
    def faulty(self) -> bool:
        faults = self.source._shared.faults
        return faults is not None and bool(faults.rules)

    def fresh(self, clock: VirtualClock) -> KVNamespace:
        """A copy of the source namespace as it was when exploration began: its truth
        (seen the same at every location), settings, page shape and failures."""
        source = self.source._shared
        shared = Namespace(
            source.name, clock, source.settings, source.shape, _copied(source.faults), source.id
        )
        now = clock.now()
        with shared.store.lock:
            for key, entry in self.truth:
                fresh = Entry(entry.value, entry.expiration, entry.metadata)
                shared.store.put(key, fresh)
                if shared.edge is not None:
                    shared.edge.seed(key, fresh, now)
        return KVNamespace.bound_to(shared)


def _copied(faults: Faults | None) -> Faults | None:
    if faults is None:
        return None
    # Each execution uses up its own countdowns (``times``) from the same start.
    rules = [copy.copy(rule) for rule in faults.rules]
    return Faults(rules, faults.read_only, faults.rate_limit, dict(faults.last_write))


def snapshot(ns: KVNamespace) -> tuple[tuple[bytes, Entry], ...]:
    """The live truth of ``ns`` now."""
    shared = ns._shared
    now = ns._now()
    with shared.store.lock:
        return tuple(shared.store.live(b"", now))


@dataclass
class Invocation:
    """One invocation within one execution."""

    index: int
    view: KVNamespace
    context: contextvars.Context
    coroutine: Any = None
    pending: Pending | None = None
    footprint: Footprint = EVERYTHING
    done: bool = False
    result: Any = None
    error: BaseException | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One step of an execution, as the report shows it."""

    number: int
    invocation: int | None  # None: a clock move
    call: str
    location: str
    result: str
    time: float
    key: str | None = None  # the one key a single-key call touched
    wrote: bytes | None = None
    deleted: bool = False
    read: tuple[bytes | None, ...] = ()  # a single-key read's value
    stale: str = ""


@dataclass
class Ending:
    """How one complete execution ended."""

    choices: tuple[Choice, ...]
    steps: tuple[Step, ...]
    truth: tuple[tuple[str, bytes, str | None, int | None], ...]
    results: tuple[Any, ...]
    error: BaseException | None = None
    failed_invocation: int | None = None  # None with an error: the invariant failed
    moved: bool = False

    @property
    def failed(self) -> bool:
        return self.error is not None


class Execution:
    """One run of the program, step by step, under the choices it is given."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.clock = VirtualClock(program.start)
        self.ns = program.fresh(self.clock)
        self.shared = self.ns._shared
        self.choices: list[Choice] = []
        self.steps: list[Step] = []
        self.last_was_move = False
        self.invocations: list[Invocation] = []
        try:
            for index, (fn, location) in enumerate(
                zip(program.invocations, program.locations, strict=True)
            ):
                context = program.context.copy()
                context.run(DRIVER.set, EXPLORING)
                invocation = Invocation(index, self.ns.at(location), context)
                self.invocations.append(invocation)
                coroutine = context.run(fn, invocation.view)
                if not inspect.iscoroutine(coroutine):
                    _close(coroutine)
                    raise TypeError(
                        f"invocation [{index}] {program.names[index]} returned "
                        f"{shown(coroutine)}, not a coroutine: an invocation is an async "
                        "function taking the namespace, such as `async def increment(kv): ...`"
                    )
                invocation.coroutine = coroutine
                self._resume(invocation)
        except BaseException:
            self.abandon()
            raise

    # -- what may happen next ------------------------------------------------------------

    def pending(self) -> list[Invocation]:
        return [invocation for invocation in self.invocations if not invocation.done]

    def enabled(self) -> list[Choice]:
        waiting: list[Choice] = [inv.index for inv in self.invocations if not inv.done]
        if not waiting or self.last_was_move:
            return waiting
        return waiting + [move for move in self.program.moves if self._moves_time(move)]

    def _moves_time(self, move: Move) -> bool:
        if move.seconds is not None:
            return True
        return self._settle_seconds() > 0

    def _settle_seconds(self) -> float:
        edge = self.shared.edge
        if edge is None:
            return 0.0
        now = self.clock.now()
        try:
            with self.shared.store.lock:
                target = edge.settle_time(now)
        except RuntimeError:  # AfterReads: no amount of time settles it
            return 0.0
        return target - now if math.isfinite(target) else 0.0

    def footprint(self, choice: Choice) -> Footprint:
        if isinstance(choice, Move) or self.program.faulty:
            return EVERYTHING
        return self.invocations[choice].footprint

    # -- taking a step ---------------------------------------------------------------------

    def take(self, choice: Choice) -> Footprint:
        """Take one step; return what it touched (for the reduction)."""
        if len(self.steps) >= MAX_STEPS:
            raise UsageError(
                f"an execution made more than {MAX_STEPS:,} KV calls: an invocation "
                "probably loops for ever (a retry loop that never succeeds?)"
            )
        self.choices.append(choice)
        if isinstance(choice, Move):
            return self._move(choice)
        self.last_was_move = False
        invocation = self.invocations[choice]
        pending = invocation.pending
        assert pending is not None
        declared = invocation.footprint
        before = _Before(self, invocation.view, pending)
        logged = len(self.shared.log)
        self._resume(invocation)
        records = self.shared.log[logged:]
        own = next((r for r in records if r[2] == pending.method), None)
        extra = [r for r in records if r is not own]
        self.steps.append(before.step(len(self.steps) + 1, choice, own, self.clock.now()))
        touched = declared
        for record in extra:  # calls made without suspending, such as ns.sync
            touched = touched | footprint_of(record[2], record[3], record[4], record[1])
        return EVERYTHING if self.program.faulty else touched

    def _move(self, move: Move) -> Footprint:
        self.last_was_move = True
        seconds = self._settle_seconds() if move.seconds is None else move.seconds
        self.clock.advance(seconds)
        done = Move(seconds)
        self.choices[-1] = done
        self.steps.append(
            Step(
                len(self.steps) + 1,
                None,
                f"clock {done}",
                "",
                "(settle)" if move.seconds is None else "",
                self.clock.now() - self.program.start,
            )
        )
        return EVERYTHING

    def _resume(self, invocation: Invocation) -> None:
        invocation.pending = None
        try:
            yielded = invocation.context.run(invocation.coroutine.send, None)
        except StopIteration as finished:
            invocation.done, invocation.result = True, finished.value
            return
        except Exception as error:
            invocation.done, invocation.error = True, error
            return
        name = f"[{invocation.index}] {self.program.names[invocation.index]}"
        if type(yielded) is not Pending:
            what = "a bare yield (asyncio.sleep(0)?)" if yielded is None else shown(yielded)
            raise UsageError(
                f"invocation {name} awaited {what}, which is not a KV call. The "
                "race explorer runs the invocations itself, without an event loop, and "
                "can suspend them only at calls of the namespace they are given: replace "
                "real I/O with a fake that does not await, drop asyncio.sleep() and "
                "trio.sleep(), and make each concurrent task its own invocation instead "
                "of gathering tasks inside one"
            )
        subject = yielded.subject
        if not isinstance(subject, KVNamespace) or subject._shared is not self.shared:
            what = "the REST API" if subject == "rest" else f"{shown(subject)}"
            raise UsageError(
                f"invocation {name} called {yielded.method}() on {what}, not on the "
                "namespace it was given. Every schedule runs on a fresh copy of ns, "
                "passed to each invocation as its argument: make every KV call through "
                "that argument (a namespace captured from the test would carry one "
                "schedule's writes into the next)"
            )
        invocation.pending = yielded
        invocation.footprint = footprint_of(
            yielded.method, yielded.key, options_of(yielded), subject.location
        )

    # -- the end -----------------------------------------------------------------------------

    def finish(self) -> Ending:
        truth = tuple(
            (name_of(key), entry.value, entry.metadata, entry.expiration)
            for key, entry in snapshot(self.ns)
        )
        results = tuple(invocation.result for invocation in self.invocations)
        moved = any(isinstance(choice, Move) for choice in self.choices)
        ending = Ending(tuple(self.choices), tuple(self.steps), truth, results, moved=moved)
        for invocation in self.invocations:
            if invocation.error is not None:
                ending.error, ending.failed_invocation = invocation.error, invocation.index
                return ending
        invariant = self.program.invariant
        if invariant is not None:
            try:
                view = self.ns.at(self.program.source.location)
                verdict = _run_to_the_end(
                    invariant(view, results) if self.program.with_results else invariant(view)
                )
            except Exception as error:
                ending.error = error
                return ending
            if verdict is False:
                ending.error = AssertionError("the invariant returned False")
        return ending

    def abandon(self) -> None:
        """Close the coroutines still suspended (a schedule the reduction cut short,
        or one that went wrong)."""
        for invocation in self.invocations:
            if not invocation.done and invocation.coroutine is not None:
                invocation.done = True
                try:
                    with stepping():
                        invocation.context.run(invocation.coroutine.close)
                except Exception:  # awaiting in a finally block: nothing more to do
                    pass


def _close(value: object) -> None:
    close = getattr(value, "close", None)
    if inspect.isawaitable(value) and callable(close):
        close()


def _run_to_the_end(value: Any) -> Any:
    """The invariant's verdict; an async invariant is stepped to its end by hand."""
    if not inspect.iscoroutine(value):
        return value
    with stepping():
        try:
            yielded = value.send(None)
        except StopIteration as done:
            return done.value
        value.close()
    raise UsageError(f"the invariant awaited {shown(yielded)}; it may await only the namespace")


class _Before:
    """What a call is about to see, taken just before it completes (without side
    effects), so the timeline can say what each read returned."""

    def __init__(self, execution: Execution, view: KVNamespace, pending: Pending) -> None:
        self.view = view
        self.pending = pending
        self.start = execution.program.start
        self.eventual = execution.program.eventual
        now = view._now()
        self.keys: list[str] = []
        self.seen: list[bytes | None] = []
        self.truth: list[bytes | None] = []
        key = pending.key
        if pending.method in ("get", "getWithMetadata"):
            names = [key] if isinstance(key, str) else key if isinstance(key, list) else []
            for name in names:
                if isinstance(name, str):
                    self.keys.append(name)
                    self.seen.append(_value(view._backend.probe(god_key(name), now, 0)[0]))
                    self.truth.append(_value(view._shared.store.peek(god_key(name), now)))

    def step(self, number: int, index: int, record: tuple[Any, ...] | None, now: float) -> Step:
        pending, view = self.pending, self.view
        call = describe(pending)
        time = now - self.start
        outcome = "ok" if record is None else record[5]
        key = pending.key if isinstance(pending.key, str) else None
        if outcome not in ("ok", "miss"):
            return Step(number, index, call, view.location, f"failed: {outcome}", time, key)
        if pending.method == "put":
            entry = view._backend.probe(god_key(key), now, 0)[0] if key is not None else None
            wrote = _value(entry)
            return Step(
                number, index, call, view.location, f"wrote {_text(wrote)}", time, key, wrote
            )
        if pending.method == "delete":
            return Step(number, index, call, view.location, "deleted", time, key, deleted=True)
        if pending.method == "list":
            return Step(number, index, call, view.location, "listed", time)
        if isinstance(pending.key, list):
            shown_values = ", ".join(
                f"{name!r}: {_text(value)}"
                for name, value in zip(self.keys, self.seen, strict=True)
            )
            return Step(number, index, call, view.location, "{" + shown_values + "}", time)
        seen = self.seen[0] if self.seen else None
        stale = ""
        if self.eventual and self.truth and self.truth[0] != seen:
            stale = f"stale: the truth was {_text(self.truth[0])}"
        return Step(
            number, index, call, view.location, _text(seen), time, key, read=(seen,), stale=stale
        )


def _value(entry: Entry | None) -> bytes | None:
    return None if entry is None else entry.value


def _text(value: bytes | None) -> str:
    if value is None:
        return "(missing)"
    return shown(value.decode("utf-8", "replace"), 40)


def describe(pending: Pending) -> str:
    """A call as the timeline shows it: ``get('counter', 'json')``."""
    parts = [] if pending.method == "list" else [shown(pending.key, 40)]
    parts.extend(shown(argument, 40) for argument in pending.args)
    parts.extend(f"{name}={shown(value, 30)}" for name, value in (pending.kwargs or {}).items())
    return f"{pending.method}({', '.join(parts)})"


# -- enumerating schedules ---------------------------------------------------------------------


@dataclass
class _Node:
    """A point of the search: the choices there, and what the reduction knows."""

    enabled: list[Choice]
    sleep: dict[Choice, Footprint]
    done: dict[Choice, Footprint] = field(default_factory=dict)
    chosen: Choice = 0
    touched: Footprint = EVERYTHING

    def remaining(self) -> list[Choice]:
        return [c for c in self.enabled if c not in self.sleep and c not in self.done]


@dataclass
class Exploration:
    """Everything the search ran."""

    endings: list[Ending] = field(default_factory=list)
    exhaustive: bool = False
    pruned: int = 0  # executions cut short: every choice left was asleep
    random: int = 0


def explore(program: Program, max_schedules: int, random_schedules: int, seed: int) -> Exploration:
    """Every schedule that can differ, depth first, up to ``max_schedules``; then, if
    there are more, ``random_schedules`` random ones drawn from ``seed``."""
    found = Exploration()
    stack: list[_Node] = []
    while True:
        execution = Execution(program)
        try:
            for node in stack:
                if node.chosen not in execution.enabled():
                    raise UsageError(
                        "the invocations did not repeat themselves: the same schedule "
                        "reached a different state. The explorer re-runs them from the "
                        "start for every schedule, so they must decide only by what they "
                        "read from the namespace (no random numbers, no real time, no "
                        "state kept between runs)"
                    )
                node.touched = execution.take(node.chosen)
            complete = _extend(program, execution, stack)
            if complete:
                found.endings.append(execution.finish())
            else:
                found.pruned += 1
        finally:
            execution.abandon()
        while stack:
            node = stack[-1]
            node.done[node.chosen] = node.touched
            remaining = node.remaining()
            if remaining:
                node.chosen = remaining[0]
                break
            stack.pop()
        if not stack:
            found.exhaustive = True
            return found
        if len(found.endings) >= max_schedules:
            break
    draw = random.Random(seed)
    for _ in range(random_schedules):
        execution = Execution(program)
        try:
            while enabled := execution.enabled():
                execution.take(draw.choice(enabled))
            found.endings.append(execution.finish())
            found.random += 1
        finally:
            execution.abandon()
    return found


def _extend(program: Program, execution: Execution, stack: list[_Node]) -> bool:
    """Take the first choice awake at each new node until the execution ends; False
    if it stops because every choice left is asleep."""
    eventual, numbered = program.eventual, program.numbered
    while enabled := execution.enabled():
        if stack:
            parent = stack[-1]
            asleep = {**parent.sleep, **parent.done}
            sleep = {
                choice: touched
                for choice, touched in asleep.items()
                if choice != parent.chosen
                and choice in enabled
                and not dependent(touched, parent.touched, eventual, numbered)
            }
        else:
            sleep = {}
        node = _Node(enabled, sleep)
        awake = node.remaining()
        if not awake:
            return False
        node.chosen = awake[0]
        stack.append(node)
        node.touched = execution.take(node.chosen)
    return True


def replay(program: Program, choices: Sequence[Choice], shown_schedule: str) -> Ending:
    """One execution under exactly ``choices``; ValueError if they do not fit."""
    execution = Execution(program)
    try:
        for number, choice in enumerate(choices, 1):
            if isinstance(choice, int):
                if not 0 <= choice < len(execution.invocations):
                    raise ValueError(
                        f"schedule {shown_schedule!r}, step {number}: there is no invocation "
                        f"[{choice}]; the invocations are numbered 0 to "
                        f"{len(execution.invocations) - 1}, in the order given"
                    )
                if execution.invocations[choice].done:
                    raise ValueError(
                        f"schedule {shown_schedule!r}, step {number}: invocation [{choice}] "
                        f"{program.names[choice]} has already finished; "
                        f"{_waiting(execution)}"
                    )
            elif not execution.pending():
                raise ValueError(
                    f"schedule {shown_schedule!r}, step {number}: every invocation has "
                    "finished, so the clock has nothing to move for"
                )
            execution.take(choice)
        if execution.pending():
            raise ValueError(
                f"schedule {shown_schedule!r} ends after {len(choices)} steps, but "
                f"{_waiting(execution)}. A schedule names every step: copy the whole "
                "schedule= value from the report"
            )
        return execution.finish()
    finally:
        execution.abandon()


def _waiting(execution: Execution) -> str:
    waiting = [
        f"[{inv.index}] {execution.program.names[inv.index]} waits on {describe(inv.pending)}"
        for inv in execution.invocations
        if not inv.done and inv.pending is not None
    ]
    return "; ".join(waiting) if waiting else "every invocation has finished"
