"""The common call forms take a fast path; it must answer exactly as the general path.

Each example runs one sequence of calls on two namespaces with the same data: one as
a user builds it, one whose calls all go the general way (an injected-failure set
with no rules makes every call skip the fast paths, and changes nothing else). The
results, the errors, the call logs and the stored state must be the same.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from testing_support import ManualClock

from pytest_kv import KVNamespace
from pytest_kv.kv.faults import Faults

KEYS = ["user:1", "user:2", "meta:1", "ttl:1", "no"]
SEEDED = [
    {"key": "user:1", "value": '{"name": "ada", "roles": ["admin"], "n": 3}'},
    {"key": "user:2", "value": "plain text"},
    {"key": "meta:1", "value": "v", "metadata": {"owner": "ada", "tags": ["a"]}},
    {"key": "ttl:1", "value": "[1, 2]", "expiration": 2_000},
]

keys = st.one_of(
    st.sampled_from(KEYS),
    st.text(max_size=6),
    # A lone surrogate, and a pair that key_of joins into one character.
    st.sampled_from(["\ud800x!", "\ud83d\ude00ab", "k" * 513, 42, None, 1.5, True, b"user:1"]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**54), max_value=2**54),
    st.sampled_from([60, 30, 0, -1, 1.0, 1.5, float("nan")]),
    st.text(max_size=4),
    st.sampled_from(["text", "json", "arrayBuffer", "stream", "jsn", "\udc00"]),
)
# Where the fast paths draw their lines: int32, the 60-second minimum, "now".
boundaries = st.sampled_from([2**31, 2**31 - 1, -(2**31), -(2**31) - 1, 59, 60, 1_060, 2_000_000])
json_like = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["a", "b", "1", "", "é", "\ud800", "9z"]), inner, max_size=3
        ),
    ),
    max_leaves=6,
)
numbers = st.one_of(boundaries, boundaries, st.integers(-100, 3_000_000), scalars)


def _options(known: dict[str, Any], misspelt: str) -> st.SearchStrategy[dict[str, Any]]:
    """Options as calls send them: mostly names the binding knows, now and then one
    it does not (which must fail the same way on both paths)."""
    valid = st.fixed_dictionaries({}, optional=known)
    return st.one_of(valid, valid, valid, st.builds(lambda o: {**o, misspelt: 1}, valid))


get_options = st.one_of(
    st.sampled_from(["text", "json", "arrayBuffer", "nope"]),
    _options({"type": scalars, "cacheTtl": numbers}, "cachettl"),
)
put_options = _options(
    {"expiration": numbers, "expirationTtl": numbers, "metadata": json_like}, "expiration_ttl"
)
list_options = _options(
    {
        # The list's own lines: 1 to 1,000 keys, a prefix of at most 512 bytes.
        "limit": st.one_of(numbers, st.sampled_from([0, 1, 1_000, 1_001])),
        "prefix": st.one_of(scalars, st.sampled_from(["user:", "meta", "", "p" * 512, "é" * 257])),
        "cursor": scalars,
    },
    "limt",
)


values = st.one_of(st.text(max_size=5), st.binary(max_size=4), scalars)


def _call(method: str, options: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A call in one of its forms: no options, one positional, or keywords."""
    return st.tuples(
        st.just(method),
        keys,
        st.one_of(
            st.just(((), {})),
            options.map(lambda o: ((o,), {})),
            options.filter(lambda o: isinstance(o, dict)).map(lambda o: ((), o)),
        ),
    )


calls = st.lists(
    st.one_of(
        _call("get", get_options),
        _call("getWithMetadata", get_options),
        st.tuples(
            st.sampled_from(["get", "getWithMetadata"]),
            # Bulk reads: stored keys mostly, and now and then any key at all (none,
            # more than 100, digits, lone surrogates, too long, not a str).
            st.one_of(
                st.lists(st.sampled_from(KEYS), min_size=1, max_size=3),
                st.lists(
                    st.one_of(keys, st.sampled_from(["7", "9", "01", "", ".", ".."])), max_size=4
                ),
                st.just([f"k{i}" for i in range(101)]),
            ),
            st.one_of(
                st.just(((), {})),
                get_options.map(lambda o: ((o,), {})),
                get_options.filter(lambda o: isinstance(o, dict)).map(lambda o: ((), o)),
            ),
        ),
        st.tuples(
            st.just("put"),
            keys,
            st.tuples(
                st.one_of(scalars, st.binary(max_size=4)),
                # The options as one dict, or as keywords.
                st.one_of(
                    put_options.map(lambda o: ((o,), {})), put_options.map(lambda o: ((), o))
                ),
            ),
        ),
        _call("delete", st.nothing()),
        st.tuples(
            st.just("list"),
            st.none(),
            st.one_of(list_options.map(lambda o: ((), o)), list_options.map(lambda o: ((o,), {}))),
        ),
        st.just(("advance", None, None)),
    ),
    min_size=3,
    max_size=16,
)


def _namespace(clock: ManualClock, eventual: bool, general: bool) -> KVNamespace:
    options: dict[str, Any] = (
        {"consistency": "eventual", "locations": ["lhr", "syd"]} if eventual else {}
    )
    ns = KVNamespace(clock=clock, **options)
    ns.seed(SEEDED)
    if general:
        ns._shared.faults = Faults()
    return ns


def _shown(value: Any) -> Any:
    """A result as the test compares it: its types and contents."""
    if isinstance(value, dict):
        return (type(value).__name__, [(k, _shown(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ["list", *map(_shown, value)]
    if isinstance(value, memoryview):
        return ("memoryview", value.tobytes())
    if isinstance(value, float) and value != value:
        return "NaN"
    if hasattr(value, "_data"):  # a KVStream
        return ("stream", value._data)
    return (type(value).__name__, value)


def _invoke(view: Any, method: str, key: Any, arguments: Any) -> Any:
    if method == "put":
        value, (args, kwargs) = arguments
        return view.put(key, value, *args, **kwargs)
    args, kwargs = arguments
    if method == "list":
        return view.list(*args, **kwargs)
    return getattr(view, method)(key, *args, **kwargs)


def _run(ns: KVNamespace, clock: ManualClock, sequence: list[Any], location: str) -> list[Any]:
    view = ns.at(location).sync if ns.consistency == "eventual" else ns.sync
    answers = []
    for method, key, arguments in sequence:
        if method == "advance":
            clock.advance(45)
            continue
        try:
            answers.append(_shown(_invoke(view, method, key, arguments)))
        except Exception as error:
            answers.append(("error", type(error).__name__, str(error)))
    return answers


def _state(ns: KVNamespace) -> Any:
    entries = [ns.peek(key) for key in ns.keys()]
    log = [
        (c.time, c.location, c.method, _shown(c.key), _shown(c.options), c.outcome, c.cache)
        for c in ns.calls
    ]
    return entries, log


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequence=calls, eventual=st.booleans())
def test_the_fast_paths_answer_as_the_general_path(sequence: list[Any], eventual: bool) -> None:
    _same_on_both_paths(sequence, eventual)


def _same_on_both_paths(sequence: list[Any], eventual: bool) -> None:
    fast_clock, general_clock = ManualClock(), ManualClock()
    fast = _namespace(fast_clock, eventual, general=False)
    general = _namespace(general_clock, eventual, general=True)
    location = "syd" if eventual else ""
    assert _run(fast, fast_clock, sequence, location) == _run(
        general, general_clock, sequence, location
    )
    assert _state(fast) == _state(general)


def test_an_empty_failure_set_takes_the_general_path(monkeypatch: Any) -> None:
    """The comparison above means something only if the second namespace really goes
    the general way: its calls must reach the general argument conversion."""
    from pytest_kv.binding import operations

    seen: list[str] = []
    for name in ("parse_get", "parse_put", "parse_list"):
        original = getattr(operations, name)

        def spy(*args: Any, _original: Any = original, _name: str = name) -> Any:
            seen.append(_name)
            return _original(*args)

        monkeypatch.setattr(operations, name, spy)
    clock = ManualClock()
    fast, general = _namespace(clock, False, False), _namespace(clock, False, True)
    for ns in (fast, general):
        ns.sync.get("user:1", "json")
        ns.sync.put("user:3", "x", expirationTtl=60)
        ns.sync.list(prefix="user:", limit=2)
        if ns is fast:
            assert seen == []
    assert seen == ["parse_get", "parse_put", "parse_list"]


@settings(max_examples=1000, deadline=None)
@given(call=calls.filter(bool).map(lambda sequence: sequence[:1]), eventual=st.booleans())
def test_each_call_form_answers_as_the_general_path(call: list[Any], eventual: bool) -> None:
    """One call on fresh namespaces: many more forms and values than the sequences
    above reach, where the fast paths draw their lines (int32, 60 seconds, now)."""
    _same_on_both_paths(call, eventual)


@pytest.mark.parametrize("eventual", [False, True])
@pytest.mark.parametrize(
    "options",
    [
        {"expirationTtl": 59},
        {"expirationTtl": 60},
        {"expirationTtl": 0},
        {"expiration": 1_000},
        {"expiration": 1_059},
        {"expiration": 1_060},
        {"expiration": 1_059, "expirationTtl": 60},  # the TTL wins, even over a bad one
        {"expiration": 5_000, "expirationTtl": 59},
    ],
)
def test_expirations_at_the_minimum_answer_as_the_general_path(
    options: dict[str, int], eventual: bool
) -> None:
    """The fast put resolves a valid TTL or expiration itself: at a fractional instant
    (1000.75, whose whole second the service uses), one second either side of the
    60-second minimum must give the general path's expiration or its error."""
    answers, stored = [], []
    for general in (False, True):
        clock = ManualClock(1_000.75)
        ns = _namespace(clock, eventual, general)
        view = ns.at("syd").sync if eventual else ns.sync
        try:
            view.put("ttl:new", "v", **options)
        except Exception as error:
            answers.append((type(error).__name__, str(error)))
        else:
            answers.append(("ok", ns.peek("ttl:new")))
        stored.append(_state(ns))
    assert answers[0] == answers[1]
    assert stored[0] == stored[1]
    valid = options.get("expirationTtl", 60) >= 60 and (
        "expirationTtl" in options or options["expiration"] >= 1_060
    )
    assert (answers[0][0] == "ok") is valid
