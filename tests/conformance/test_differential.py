"""Differential test: random sequences of KV operations on pytest-kv and Miniflare.

A Hypothesis state machine (fakeredis-style) draws sequences of ``put``, ``get``,
``getWithMetadata`` (single and bulk), ``delete``, ``list`` (following cursors) and
clock moves, and runs every step on both sides through the ``both`` machinery of
``conftest.py``, at the same fake time. After every step the two normalized results
must be equal: values, Map order, list pages, result shapes, error class and exact
message. Cursor texts differ by design, so a cursor is only ever followed
(``FOLLOW``: each side uses its own), never compared.

The generator keeps keys in a small alphabet so operations collide (prefixes of each
other, unicode, URL-special characters, numbers), and mixes in invalid input of every
kind the catalogue knows: bad keys, bad types, bad ``cacheTtl``/``expiration``/
``expirationTtl``/``limit`` values, oversized metadata, too many bulk keys.

It does not generate the documented intentional divergences:

- ``list`` at the exact millisecond a stored key expires (Miniflare still lists the
  key then, pytest-kv does not): the ``list`` rules are disabled in that state, while
  ``get`` at that instant is still exercised;
- options given as a list, unknown option names, keyword options next to a
  positional options argument, keys that are neither strings nor numbers;
- Python ints beyond 2**53 - 1 in metadata: pytest-kv passes them on as Pyodide
  does, as BigInts (which ``JSON.stringify`` refuses), and the oracle's JSON
  protocol cannot send a BigInt;
- values or bulk reads over 1 KiB: the oracle's clock-controlled namespace runs in
  Miniflare's test mode (1 KiB limits); the 25 MiB limits are covered by the catalogue.

On failure Hypothesis prints the shrunk steps (``state.put(...)``), each preceded by
the ``both.run(...)`` / ``both.set_time(...)`` calls it made, with every relative time
resolved and Miniflare's result as a comment: those lines replay the sequence in a
test that uses the ``both`` fixture (with ``ABSENT``, ``FOLLOW``, ``Payload`` and
``VALID_KEYS`` imported). Clocks start at t = 1000 s on both sides, and the oracle
and a fresh pair of pytest-kv namespaces are reset for every sequence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

# The directory is not a package: pytest imports its conftest.py as the module
# ``conftest`` just before collecting this file (the catalogue imports it only for
# type checking; this module needs its objects at run time).
from conftest import ABSENT, CURSOR_TEXT, FOLLOW, START_TIME, Both, Oracle, Outcome, Payload
from hypothesis import HealthCheck, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

pytestmark = pytest.mark.conformance

# -- volume ------------------------------------------------------------------------
#
# Nominal: MAX_EXAMPLES sequences of one ``populate`` step (1-6 puts) and up to STEPS
# rule steps: 100 x (3.5 + 50) = some 5,300 steps. Eight of the nine rules run one KV
# operation on both sides, one moves the clock. Hypothesis draws rules uniformly among
# those enabled, but uses swarm testing (each sequence enables a random subset of the
# rules) and ends a share of its sequences early (its first, small examples and some
# mutations), so a run executes fewer: measured 3,600-3,900 KV operations and 650-900
# clock moves in about 105 sequences, run after run. The floor of 2,000 KV operations
# a run would need a loss of more than 60 % of the nominal steps to clocks and early
# stops; the measured margin is almost 2x. The count is printed in pytest's terminal
# summary (the line ``pytest-kv vs Miniflare differential: N operations ...``).
# Cost: one oracle round trip per step, about 5-7 ms, so some 20-40 s a run.
MAX_EXAMPLES = 100
STEPS = 50

SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# -- values with a readable repr ------------------------------------------------------


@dataclass(frozen=True)
class Rel:
    """A time ``offset`` seconds after the current whole second, resolved when run.

    ``text=True`` passes it as a numeric string (``"1100"``).
    """

    offset: float
    text: bool = False

    def at(self, now_seconds: int) -> Any:
        value = now_seconds + self.offset
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value) if self.text else value

    def __repr__(self) -> str:
        sign = "+" if self.offset >= 0 else "-"
        inner = f"now {sign} {abs(self.offset)}"
        return f"str({inner})" if self.text else f"({inner})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))  # Hypothesis prints steps with this


@dataclass(frozen=True)
class Big:
    """``char * count + tail``: long keys, prefixes and metadata, shown briefly."""

    char: str
    count: int
    tail: str = ""

    def value(self) -> str:
        return self.char * self.count + self.tail

    def __repr__(self) -> str:
        text = f"{self.char!r} * {self.count}"
        return f"{text} + {self.tail!r}" if self.tail else text

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))  # Hypothesis prints steps with this


@dataclass(frozen=True)
class Many:
    """A bulk read of ``count`` keys: ``f"k{i}"``, or the key alphabet repeated."""

    count: int
    distinct: bool

    def value(self) -> list[Any]:
        if self.distinct:
            return [f"k{i}" for i in range(self.count)]
        return [VALID_KEYS[i % len(VALID_KEYS)] for i in range(self.count)]

    def __repr__(self) -> str:
        if self.distinct:
            return f"[f'k{{i}}' for i in range({self.count})]"
        return f"[VALID_KEYS[i % {len(VALID_KEYS)}] for i in range({self.count})]"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))  # Hypothesis prints steps with this


def resolve_time(item: Any, now_seconds: int) -> Any:
    """``item`` with every :class:`Rel` replaced by its value at ``now_seconds``."""
    if isinstance(item, Rel):
        return item.at(now_seconds)
    if isinstance(item, dict):
        return {name: resolve_time(value, now_seconds) for name, value in item.items()}
    if isinstance(item, list):
        return [resolve_time(value, now_seconds) for value in item]
    return item


def concrete(item: Any) -> Any:
    """``item`` with every :class:`Big` and :class:`Many` expanded."""
    if isinstance(item, (Big, Many)):
        return item.value()
    if isinstance(item, dict):
        return {name: concrete(value) for name, value in item.items()}
    if isinstance(item, list):
        return [concrete(value) for value in item]
    return item


def replay(op: str, key: Any, value: Any, options: Any, keywords: bool) -> str:
    """The ``both.run(...)`` call that repeats one step."""
    parts = [repr(op)]
    if op != "list":
        parts.append(repr(key))
    if value is not ABSENT:
        parts.append(repr(value))
    if options is not ABSENT:
        parts.append(f"options={options!r}")
    if keywords:
        parts.append("keywords=True")
    return f"both.run({', '.join(parts)})"


# -- the alphabet ----------------------------------------------------------------------


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of ``choices``, drawn with the given weights; shrinks towards the first.

    (``st.one_of`` merges equal branches and picks among the rest uniformly.)
    """
    indexes = [index for index, (weight, _) in enumerate(choices) for _ in range(weight)]
    return st.sampled_from(indexes).flatmap(lambda index: choices[index][1])


# Keys collide on purpose: a few common ones that are prefixes of each other, then
# case, unicode (2-, 3- and 4-byte UTF-8), characters special in URLs and SQL LIKE,
# array-index-like names (which workerd, and pytest-kv, drop from bulk reads) and
# numbers (coerced to their decimal text).
COMMON_KEYS: tuple[Any, ...] = ("a", "a:", "a:1", "ab", "b", "é")
RARE_KEYS: tuple[Any, ...] = (
    "A",
    "éa",
    "日本",
    "😀",
    "a b",
    "a/b",
    "a%2Fb",
    "?x#y",
    "_%\\",
    "a\x00",
    "42",
    "-1",
    "01",
)
VALID_KEYS: tuple[Any, ...] = COMMON_KEYS + RARE_KEYS
NUMBER_KEYS: tuple[Any, ...] = (0, 42, -1, 7)
LONGEST_KEY = Big("é", 256)  # 512 bytes of UTF-8: the longest key allowed
INVALID_KEYS: tuple[Any, ...] = (
    "",
    ".",
    "..",
    Big("x", 513),
    Big("é", 256, "a"),  # 513 bytes
    "\ud800",  # lone surrogates
    "a\udfff",
)

common_keys = st.sampled_from(COMMON_KEYS)
valid_keys = weighted(
    (6, common_keys),
    (3, st.sampled_from(RARE_KEYS)),
    (1, st.sampled_from((*NUMBER_KEYS, LONGEST_KEY))),
)
keys = weighted((11, valid_keys), (1, st.sampled_from(INVALID_KEYS)))

# JSON with numbers JavaScript prints as Python reads them (no floats so large that
# JavaScript prints them as integers), and only safe integers: pytest-kv passes a
# Python int beyond 2**53 - 1 on as Pyodide does, as a BigInt (which JSON.stringify
# refuses), while the oracle can only receive a JSON number.
SAFE_INTEGER = 2**53 - 1
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-SAFE_INTEGER, max_value=SAFE_INTEGER),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
    st.text(max_size=6),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)

# Values stay well under the test-mode 1 KiB value limit, and five of them under the
# test-mode 1 KiB bulk-read total (UTF-16 code units): at most 200 each.
TEXT_VALUES = (
    "v",
    "",
    "value",
    '{"a": 1}',
    '{"example": "ex"}',
    "[1, 2, 3]",
    "0",
    "-1.5e3",
    "false",
    "true",
    "null",
    '"s"',
    " 1 ",
    "{bad",
    "undefined",
    "NaN",
    "{'a': 1}",
    "[1, 2,]",
    "é😀日本",
    "a\ud800b",  # a lone surrogate: stored as WTF-8, read back as U+FFFD
    Big("x", 200),
)
BYTE_VALUES = (b"\x00\x01\xff", b"", b"\xff\x41", b'{"b": 2}', b"\xc3\xa9", b"null")
REPRESENTATIONS = ("uint8array", "arrayBuffer", "stream", "blobStream", "string")

binaries = st.one_of(st.sampled_from(BYTE_VALUES), st.binary(max_size=16))
json_texts = json_values.map(json.dumps).filter(lambda text: len(text.encode("utf-8")) <= 200)
values = weighted(
    (6, st.sampled_from(TEXT_VALUES)),
    (2, st.text(max_size=12)),
    (2, json_texts),
    (1, binaries),  # bytes: a Uint8Array
    (2, st.builds(Payload, binaries, st.sampled_from(REPRESENTATIONS))),
    (1, st.sampled_from((42, 1.5, None, True))),  # primitives, coerced to strings
)

# -- put options -------------------------------------------------------------------------

INT32_OVER = 2**31  # the int32 conversion's TypeError
INT32_UNDER = -(2**31) - 1
valid_expirations = st.sampled_from(
    (
        Rel(60),
        Rel(61),
        Rel(100),
        Rel(200),
        Rel(60.9),  # truncated to now + 60
        Rel(60, text=True),
        Rel(150, text=True),
    )
)
invalid_expirations = st.sampled_from(
    (
        Rel(59),
        Rel(59.9),
        Rel(30),
        Rel(1),
        Rel(0),
        Rel(-1),
        0,
        -5,
        1500,  # fixed: valid early on, too soon or past later
        "nan",
        "abc",
        None,
        1.5,
        True,
        INT32_OVER,
        INT32_UNDER,
    )
)
expirations = weighted((1, valid_expirations), (1, invalid_expirations))
valid_ttls = st.sampled_from((60, 61, 90, 120, 200, 60.9, "60", "90"))
invalid_ttls = st.sampled_from(
    (59, 59.9, 30, 1, 0, -1, -60, 0.5, "nan", "abc", "", None, True, INT32_OVER, INT32_UNDER)
)
expiration_ttls = weighted((1, valid_ttls), (1, invalid_ttls))


def sized_metadata(size: int, char: str = "x") -> dict[str, Any]:
    """An object whose JSON (``{"k":"..."}``, 8 bytes around the string) has ``size``
    bytes of UTF-8, with ``char`` (1 or 2 bytes) repeated inside."""
    width = len(char.encode("utf-8"))
    count, rest = divmod(size - 8, width)
    return {"k": Big(char, count, "y" * rest)}


METADATA = (
    {"a": 1},
    {"testing": True},
    "str",
    123,
    0,  # falsy metadata is kept
    False,
    "",
    None,  # no metadata
    [1, "x"],
    1.5,
    {},
    [],
    {"nested": {"k": [1, 2, {"z": None}]}},
    "é😀",
)
SIZED_METADATA = (
    sized_metadata(1024),
    sized_metadata(1025),
    sized_metadata(1024, "é"),
    sized_metadata(1025, "é"),
)
metadatas = weighted(
    (4, st.sampled_from(METADATA)), (1, st.sampled_from(SIZED_METADATA)), (2, json_values)
)
put_option_dicts = st.fixed_dictionaries(
    {},
    optional={"expiration": expirations, "expirationTtl": expiration_ttls, "metadata": metadatas},
)
put_options = weighted((2, st.just(ABSENT)), (1, st.none()), (6, put_option_dicts))
# For ``put_valid``: options that store the value (expiring often, so the clock matters).
valid_put_options = weighted(
    (3, st.just(ABSENT)),
    (
        4,
        st.fixed_dictionaries(
            {},
            optional={
                "expiration": valid_expirations,
                "expirationTtl": valid_ttls,
                "metadata": st.sampled_from(METADATA),
            },
        ),
    ),
)

# -- read options ------------------------------------------------------------------------

GET_TYPES = ("text", "json", "arrayBuffer", "stream", "banana", "", "TEXT")
get_types = weighted(
    (4, st.sampled_from(GET_TYPES[:4])), (1, st.sampled_from(GET_TYPES[4:])), (1, st.none())
)
cache_ttls = weighted(
    (2, st.sampled_from((30, 60, 30.9, 3600, 2**31 - 1, "45"))),
    (1, st.sampled_from((29, 10, 0, -1, 29.9, "abc", None, INT32_OVER))),
)
read_option_dicts = st.fixed_dictionaries({}, optional={"type": get_types, "cacheTtl": cache_ttls})
read_options = weighted(
    (2, st.just(ABSENT)),
    (1, st.none()),
    (3, st.sampled_from(GET_TYPES)),
    (4, read_option_dicts),
)

BULK_TYPES = ("text", "json", "arrayBuffer", "stream", "banana", "")
bulk_types = weighted((4, st.sampled_from(BULK_TYPES[:2])), (1, st.sampled_from(BULK_TYPES[2:])))
bulk_option_dicts = st.fixed_dictionaries(
    {}, optional={"type": weighted((6, bulk_types), (1, st.none())), "cacheTtl": cache_ttls}
)
bulk_options = weighted(
    (2, st.just(ABSENT)), (1, st.none()), (3, bulk_types), (4, bulk_option_dicts)
)
bulk_keys = weighted(
    (8, st.lists(valid_keys, min_size=1, max_size=5)),
    (2, st.lists(keys, max_size=5)),
    # Miniflare sums the sizes of duplicate keys too: 100 repeats of the alphabet could
    # pass the test-mode 1 KiB total, so the 100-key read uses distinct keys.
    (1, st.sampled_from((Many(101, distinct=True), Many(101, distinct=False), Many(100, True)))),
)

# -- list options --------------------------------------------------------------------

prefixes = weighted(
    (6, st.sampled_from((None, "", "a", "a:"))),
    (3, st.sampled_from(("ab", "A", "é", "😀", "z", "4", "\x00"))),
    (1, st.sampled_from((LONGEST_KEY, Big("x", 513)))),
)
limits = weighted(
    (6, st.sampled_from((1, 2, 3))),
    (2, st.sampled_from((5, 10, 1000, 2.5, 1.9, "2"))),
    (1, st.sampled_from((0, -1, 0.5, 1001, "abc", None, INT32_OVER))),
)
CURSORS = (
    None,
    "",
    "YQ==",  # base64 of "a": cursors pytest-kv did not issue read as Miniflare reads them
    "w6k=",  # base64 of "é"
    "!!!",
)
list_option_dicts = st.fixed_dictionaries(
    {}, optional={"prefix": prefixes, "limit": limits, "cursor": st.sampled_from(CURSORS)}
)
list_options = weighted((1, st.just(ABSENT)), (1, st.none()), (6, list_option_dicts))
follow_options = st.fixed_dictionaries(
    {"cursor": st.just(FOLLOW)}, optional={"prefix": prefixes, "limit": limits}
)

# -- the clock -------------------------------------------------------------------------


@dataclass(frozen=True)
class ToExpiration:
    """Move the clock to a stored key's expiration (the ``which``-th still ahead),
    or ``nudge`` ms (-1 or 1) away from it; no move if none is ahead."""

    which: int
    nudge: int

    def __repr__(self) -> str:
        return f"ToExpiration(which={self.which}, nudge={self.nudge})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))  # Hypothesis prints steps with this


moves = weighted(
    (3, st.integers(min_value=0, max_value=200).map(lambda seconds: seconds * 1000)),
    (1, st.integers(min_value=0, max_value=200_000)),  # milliseconds
    (
        2,
        st.builds(
            ToExpiration,
            st.integers(min_value=0, max_value=7),
            st.sampled_from((0, 0, -1, 1)),
        ),
    ),
)


# -- the machine --------------------------------------------------------------------------


@dataclass
class Tally:
    """What the run did, for the terminal summary."""

    sequences: int = 0
    operations: int = 0
    clock_moves: int = 0
    by_op: dict[str, int] = field(default_factory=dict)

    def count(self, op: str) -> None:
        self.operations += 1
        self.by_op[op] = self.by_op.get(op, 0) + 1


class DifferentialMachine(RuleBasedStateMachine):
    """pytest-kv and Miniflare side by side, one fresh pair of namespaces per sequence."""

    def __init__(self, oracle: Oracle, tally: Tally) -> None:
        super().__init__()
        self.both = Both(oracle)  # empties the oracle, fresh pytest-kv, t = 1000 s
        self.now_ms = round(START_TIME * 1000)
        self.tally = tally
        tally.sequences += 1
        # The expiration (whole seconds) of every key's current row, if it has one:
        # enough to keep ``list`` off the instant a stored key expires.
        self.expirations: dict[str, int] = {}
        self.cursor_ready = False
        note(f"# replay with the `both` fixture (clocks start at t = {START_TIME} s):")

    # -- helpers ------------------------------------------------------------------

    @property
    def now_seconds(self) -> int:
        return self.now_ms // 1000

    def at_expiry_instant(self) -> bool:
        """Whether some stored key expires at exactly this millisecond.

        Intentional divergence: Miniflare still lists such a key (its list keeps rows
        with ``expiration >= now``), pytest-kv does not (``now >= expiration`` is
        expired everywhere). ``get`` agrees (both return ``null``).
        """
        return any(expiration * 1000 == self.now_ms for expiration in self.expirations.values())

    def can_list(self) -> bool:
        return not self.at_expiry_instant()

    def can_follow(self) -> bool:
        return self.cursor_ready and not self.at_expiry_instant()

    def future_expirations(self) -> list[int]:
        return sorted({e for e in self.expirations.values() if e * 1000 > self.now_ms})

    def run(
        self,
        op: str,
        key: Any = ABSENT,
        value: Any = ABSENT,
        options: Any = ABSENT,
        keywords: bool = False,
    ) -> Outcome:
        """One step on both sides: note it, compare, count it; Miniflare's outcome."""
        options = resolve_time(options, self.now_seconds)
        keywords = keywords and isinstance(options, dict)
        call = replay(op, key, value, options, keywords)
        fake, real = self.both.run(
            op, concrete(key), concrete(value), concrete(options), keywords=keywords
        )
        self.tally.count(op)
        note(f"{call}  # -> {real!r}")
        assert fake == real, (
            f"pytest-kv diverges from Miniflare at t = {self.now_ms / 1000} s:\n"
            f"  {call}\n  pytest-kv: {fake!r}\n  Miniflare: {real!r}"
        )
        return real

    def set_time(self, ms: int) -> None:
        self.now_ms = ms
        self.both.set_time(ms / 1000)  # exact: both sides see the same millisecond
        self.tally.clock_moves += 1
        note(f"both.set_time({ms / 1000})")

    # -- rules: writes ------------------------------------------------------------------

    @initialize(
        entries=st.lists(
            st.tuples(common_keys, st.sampled_from(TEXT_VALUES), valid_put_options),
            min_size=1,
            max_size=6,
        )
    )
    def populate(self, entries: list[tuple[Any, Any, Any]]) -> None:
        """A few puts first, so reads and lists have something to find (Hypothesis
        disables a random subset of the rules in each sequence, sometimes ``put``)."""
        for key, value, options in entries:
            self.write(key, value, options, False)

    @rule(key=keys, value=values, options=put_options, keywords=st.booleans())
    def put(self, key: Any, value: Any, options: Any, keywords: bool) -> None:
        self.write(key, value, options, keywords)

    @rule(
        key=common_keys,
        value=st.sampled_from(TEXT_VALUES),
        options=valid_put_options,
        keywords=st.booleans(),
    )
    def put_valid(self, key: Any, value: Any, options: Any, keywords: bool) -> None:
        """A put that succeeds, on a common key: keeps the namespaces populated."""
        self.write(key, value, options, keywords)

    def write(self, key: Any, value: Any, options: Any, keywords: bool) -> None:
        if self.run("put", key, value, options, keywords).kind != "undefined":
            return
        name = str(concrete(key))  # numbers become their decimal text, as in JavaScript
        entry = self.both.fake.peek(name)
        if entry is None or entry.expiration is None:
            self.expirations.pop(name, None)
        else:
            self.expirations[name] = entry.expiration

    @rule(key=keys)
    def delete(self, key: Any) -> None:
        if self.run("delete", key).kind == "undefined":
            self.expirations.pop(str(concrete(key)), None)

    # -- rules: reads ----------------------------------------------------------------

    @rule(
        op=st.sampled_from(("get", "getWithMetadata")),
        key=keys,
        options=read_options,
        keywords=st.booleans(),
    )
    def read(self, op: str, key: Any, options: Any, keywords: bool) -> None:
        self.run(op, key, ABSENT, options, keywords)

    @rule(
        op=st.sampled_from(("get", "getWithMetadata")),
        key=common_keys,
        options=weighted((1, st.just(ABSENT)), (2, st.sampled_from(GET_TYPES[:4]))),
    )
    def read_common(self, op: str, key: Any, options: Any) -> None:
        """A read of a common key, as text, JSON, bytes or a stream: mostly hits."""
        self.run(op, key, ABSENT, options)

    @rule(
        op=st.sampled_from(("get", "getWithMetadata")),
        names=bulk_keys,
        options=bulk_options,
        keywords=st.booleans(),
    )
    def bulk_read(self, op: str, names: Any, options: Any, keywords: bool) -> None:
        self.run(op, names, ABSENT, options, keywords)

    @precondition(can_list)
    @rule(options=list_options, keywords=st.booleans())
    def list_keys(self, options: Any, keywords: bool) -> None:
        self.after_list(self.run("list", ABSENT, ABSENT, options, keywords))

    @precondition(can_follow)
    @rule(options=follow_options, keywords=st.booleans())
    def list_next_page(self, options: Any, keywords: bool) -> None:
        self.after_list(self.run("list", ABSENT, ABSENT, options, keywords))

    def after_list(self, result: Outcome) -> None:
        # Both sides returned the same (checked), so each has a cursor of its own.
        self.cursor_ready = (
            result.kind == "json"
            and isinstance(result.value, dict)
            and result.value.get("cursor") == CURSOR_TEXT
        )

    # -- rules: the clock ----------------------------------------------------------------

    @rule(move=moves)
    def advance(self, move: int | ToExpiration) -> None:
        if isinstance(move, int):
            self.set_time(self.now_ms + move)
            return
        future = self.future_expirations()
        if future:
            target = future[move.which % len(future)] * 1000 + move.nudge
            self.set_time(max(target, self.now_ms))


# -- the test --------------------------------------------------------------------------


class _Summary:
    """A pytest plugin that reports the tally at the end of the session."""

    def __init__(self) -> None:
        self.tally = Tally()

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        tally = self.tally
        if not tally.sequences:
            return
        ops = ", ".join(f"{op} {n}" for op, n in sorted(tally.by_op.items()))
        terminalreporter.write_line(
            f"pytest-kv vs Miniflare differential: {tally.operations} operations ({ops}) "
            f"and {tally.clock_moves} clock moves in {tally.sequences} sequences"
        )


@pytest.fixture(scope="module")
def tally(request: pytest.FixtureRequest) -> Tally:
    manager = request.config.pluginmanager
    name = "pytest-kv-differential-summary"
    summary = manager.get_plugin(name)
    if summary is None:
        summary = _Summary()
        manager.register(summary, name)
    return summary.tally


def test_pytest_kv_matches_miniflare_on_random_sequences(oracle: Oracle, tally: Tally) -> None:
    # The oracle fixture is session-scoped and each sequence builds its own ``Both``
    # (oracle reset, fresh pytest-kv namespaces), so no function-scoped fixture is
    # shared between Hypothesis examples.
    run_state_machine_as_test(lambda: DifferentialMachine(oracle, tally), settings=SETTINGS)


def test_generator_reprs_replay() -> None:
    """The readable reprs used in failure reports are Python that rebuilds the value."""
    assert eval(repr(Big("é", 2, "a"))) == "ééa"
    assert repr(Rel(60)) == "(now + 60)"
    assert Rel(60.9).at(1000) == 1060.9
    assert Rel(60, text=True).at(1000) == "1060"
    assert Rel(-1).at(1000) == 999
    assert len(Many(101, distinct=False).value()) == 101
    assert resolve_time({"expiration": Rel(61)}, 1000) == {"expiration": 1061}
    assert concrete(sized_metadata(1025)) == {"k": "x" * 1017}
    for size in (1024, 1025):
        for char in ("x", "é"):
            metadata = concrete(sized_metadata(size, char))
            text = json.dumps(metadata, separators=(",", ":"), ensure_ascii=False)
            assert len(text.encode("utf-8")) == size
