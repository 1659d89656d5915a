"""One execution of the race explorer: the invocations run on a fresh copy of the
namespace, one step at a time, under the choices the explorer makes.

An execution starts every invocation, in the order given, and runs each until it
awaits its first KV call (its suspension point yields a ``Pending`` to the explorer,
whose driver is set in the invocation's own context). At every *step* the explorer
picks a *choice*: an invocation whose pending call completes now (the call does its
work and the invocation runs on to its next KV call or to its end), or a move of the
clock. Coroutines are stepped by hand, so no event loop runs and no real time passes:
an execution is a function of its choices alone, which is what lets the explorer
replay a prefix of choices to reach any point again.
"""

from __future__ import annotations

import contextvars
import copy
import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final, NoReturn

from pytest_kv.binding.namespace import KVNamespace
from pytest_kv.errors import shown
from pytest_kv.kv.faults import Faults
from pytest_kv.kv.namespace import Namespace
from pytest_kv.kv.propagation import per_write
from pytest_kv.kv.store import Entry
from pytest_kv.suspension import DRIVER, Pending, stepping

from .arguments import seconds_text
from .footprints import EVERYTHING, Footprint, footprint_of, of_pending
from .observations import Observer, Step

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
        # Entries are shared: the service replaces an entry, it never changes one.
        with shared.store.lock:
            for key, entry in self.truth:
                shared.store.put(key, entry)
                if shared.edge is not None:
                    shared.edge.seed(key, entry, now)
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


class Invocation:
    """One invocation within one execution."""

    __slots__ = (
        "context",
        "coroutine",
        "done",
        "error",
        "footprint",
        "index",
        "pending",
        "result",
        "view",
    )

    def __init__(self, index: int, view: KVNamespace, context: contextvars.Context) -> None:
        self.index, self.view, self.context = index, view, context
        self.coroutine: Any = None
        self.pending: Pending | None = None
        self.footprint: Footprint = EVERYTHING
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None


@dataclass
class Ending:
    """How one complete execution ended."""

    choices: tuple[Choice, ...]
    steps: tuple[Step, ...]  # empty unless the execution was observed
    # The final truth: (key, value, metadata, expiration), keys as stored bytes.
    truth: tuple[tuple[bytes, bytes, str | None, int | None], ...]
    results: tuple[Any, ...]
    error: BaseException | None = None
    failed_invocation: int | None = None  # None with an error: the invariant failed
    moved: bool = False


class Execution:
    """One run of the program, step by step, under the choices it is given.
    ``observe`` records what each step saw, for a timeline (it costs a little)."""

    def __init__(self, program: Program, observe: bool = False) -> None:
        self.program = program
        self.observe = observe
        self.clock = VirtualClock(program.start)
        self.ns = program.fresh(self.clock)
        self.shared = self.ns._shared
        self.faulty = program.faulty
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

    def waiting(self) -> list[Invocation]:
        return [invocation for invocation in self.invocations if not invocation.done]

    def enabled(self) -> list[Choice]:
        """The choices now: every waiting invocation, in order, then the clock moves
        (never two in a row, and only while an invocation waits)."""
        choices: list[Choice] = [inv.index for inv in self.invocations if not inv.done]
        if not choices or self.last_was_move or not self.program.moves:
            return choices
        return choices + [
            move for move in self.program.moves if move.seconds or self._settle_seconds() > 0
        ]

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

    # -- taking a step ---------------------------------------------------------------------

    def take(self, choice: Choice) -> Footprint:
        """Take one step; return what it touched (for the reduction)."""
        if len(self.choices) >= MAX_STEPS:
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
        touched = invocation.footprint
        log = self.shared.log
        last = log[-1] if log else None
        observer = (
            Observer(invocation.view, pending, self.program.start, self.program.eventual)
            if self.observe
            else None
        )
        self._resume(invocation)
        records = _since(log, last)
        if len(records) > 1 or observer is not None:
            own = next((r for r in records if r[2] == pending.method), None)
            for record in records:  # calls made without suspending, such as ns.sync
                if record is not own:
                    touched = touched.joined(
                        footprint_of(record[2], record[3], record[4], record[1])
                    )
            if observer is not None:
                self.steps.append(observer.step(len(self.choices), choice, own))
        return EVERYTHING if self.faulty else touched

    def _move(self, move: Move) -> Footprint:
        self.last_was_move = True
        seconds = self._settle_seconds() if move.seconds is None else move.seconds
        self.clock.advance(seconds)
        done = Move(seconds)
        self.choices[-1] = done  # the schedule says how far the clock moved
        if self.observe:
            how = "(settle)" if move.seconds is None else ""
            time = self.clock.now() - self.program.start
            self.steps.append(Step(len(self.choices), None, f"clock {done}", "", how, time))
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
        if type(yielded) is not Pending:
            self._not_a_call(invocation, yielded)
        subject = yielded.subject
        if not isinstance(subject, KVNamespace) or subject._shared is not self.shared:
            self._not_this_namespace(invocation, yielded)
        invocation.pending = yielded
        invocation.footprint = of_pending(yielded, subject.location)

    def _name(self, invocation: Invocation) -> str:
        return f"[{invocation.index}] {self.program.names[invocation.index]}"

    def _not_a_call(self, invocation: Invocation, yielded: object) -> NoReturn:
        what = "a bare yield (asyncio.sleep(0)?)" if yielded is None else shown(yielded)
        raise UsageError(
            f"invocation {self._name(invocation)} awaited {what}, which is not a KV call. "
            "The race explorer runs the invocations itself, without an event loop, and "
            "can suspend them only at calls of the namespace they are given: replace "
            "real I/O with a fake that does not await, drop asyncio.sleep() and "
            "trio.sleep(), and make each concurrent task its own invocation instead "
            "of gathering tasks inside one"
        )

    def _not_this_namespace(self, invocation: Invocation, pending: Pending) -> NoReturn:
        subject = pending.subject
        what = "the REST API" if subject == "rest" else shown(subject)
        raise UsageError(
            f"invocation {self._name(invocation)} called {pending.method}() on {what}, "
            "not on the namespace it was given. Every schedule runs on a fresh copy of "
            "ns, passed to each invocation as its argument: make every KV call through "
            "that argument (a namespace captured from the test would carry one "
            "schedule's writes into the next)"
        )

    # -- the end -----------------------------------------------------------------------------

    def finish(self) -> Ending:
        """The ending of a complete execution: the truth, the results, and whether an
        invocation raised or the invariant failed."""
        truth = tuple(
            (key, entry.value, entry.metadata, entry.expiration) for key, entry in snapshot(self.ns)
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


def _since(log: Sequence[tuple[Any, ...]], last: tuple[Any, ...] | None) -> list[tuple[Any, ...]]:
    """The call records appended after ``last``, oldest first. Found from the end by
    identity (every record is a new tuple), so a log that keeps only its newest
    records (a bounded deque) works as well as a list."""
    new: list[tuple[Any, ...]] = []
    for record in reversed(log):
        if record is last:
            break
        new.append(record)
    new.reverse()
    return new


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
