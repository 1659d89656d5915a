"""Every promise under bad input and threads: a rejected call changes nothing, garbage
gets a clear error, and shared state stays right when several threads use it."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from testing_support import ManualClock, MovableClock, Snapshot

from pytest_kv import AfterReads, KVError, KVNamespace, KVTypeError

# -- a rejected call changes nothing -------------------------------------------------


def _eventual(clock: MovableClock, **options: object) -> KVNamespace:
    return KVNamespace(clock=clock, consistency="eventual", locations=["lhr", "syd"], **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("keys", "options", "message"),
    [
        (["a", "k" * 513], None, "414 UTF-8 encoded length of 513"),
        (["a", "text"], "json", "corresponds to a non-json value"),
        (["a", ""], None, "Key names must not be empty"),
        (["a", "b"], {"cacheTtl": 10}, "Invalid cache_ttl of 10"),
    ],
)
def test_a_rejected_bulk_read_caches_nothing(
    edge_clock: MovableClock, keys: list[str], options: object, message: str
) -> None:
    ns = _eventual(edge_clock)
    ns.seed({"text": "not json"})
    syd = ns.at("syd")
    with pytest.raises(KVError, match=message):
        syd.sync.get(keys, options) if options is not None else syd.sync.get(keys)
    assert ns.history("a") == []  # no read was recorded, nothing was cached
    ns.sync.put("a", "1")  # written at lhr: syd would serve a cached miss for 60 s
    edge_clock.advance(60)
    assert syd.sync.get("a") == "1"


def test_a_rejected_bulk_read_is_no_replica_read(edge_clock: MovableClock) -> None:
    ns = _eventual(edge_clock, propagation=AfterReads(1), cache_ttl=0)
    ns.sync.put("a", "1")
    syd = ns.at("syd")
    with pytest.raises(KVError, match="414"):
        syd.sync.get(["a", "k" * 513])
    assert syd.sync.get("a") is None  # the first replica read still misses
    assert syd.sync.get("a") == "1"


def test_a_read_of_an_unknown_type_reaches_the_service_first(edge_clock: MovableClock) -> None:
    # Production: workerd checks the type only once the service has answered, and
    # the location has served (and cached) the read by then. Kept, and documented.
    ns = _eventual(edge_clock)
    ns.seed({"k": "old"})
    syd = ns.at("syd")
    with pytest.raises(KVTypeError, match="Unknown response type"):
        syd.sync.get("k", "banana")
    ns.sync.put("k", "new")
    edge_clock.advance(30)
    assert syd.sync.get("k") == "old"  # the rejected read's cached copy, for 60 s
    assert next(event.cache for event in ns.history("k") if event.action == "read") == "MISS"


def test_a_put_rejected_for_size_leaves_the_rate_limit_slot(clock: ManualClock) -> None:
    ns = KVNamespace(clock=clock, rate_limits=True)
    with pytest.raises(KVError, match="413"):
        ns.sync.put("k", "x" * (25 * 1024 * 1024 + 1))
    ns.sync.put("k", "fits")  # no 429: the rejected put never wrote
    with pytest.raises(KVError, match="429 Too Many Requests"):
        ns.sync.put("k", "again")


def test_exactly_one_of_many_threads_writes_a_key_in_one_second() -> None:
    for _ in range(50):
        ns = KVNamespace(clock=lambda: 1_000.0, rate_limits=True)
        outcomes: list[str] = []
        start = threading.Barrier(16)

        def put(
            ns: KVNamespace = ns,
            outcomes: list[str] = outcomes,
            start: threading.Barrier = start,
        ) -> None:
            start.wait()
            try:
                ns.sync.put("hot", "v")
                outcomes.append("ok")
            except KVError as error:
                outcomes.append(str(error.status))

        threads = [threading.Thread(target=put) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["429"] * 15 + ["ok"]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda ns: ns.plant_stale("k", "v", seconds=float("nan")), ValueError, "seconds"),
        (lambda ns: ns.plant_stale("k", "v", seconds=float("inf")), ValueError, "seconds"),
        (lambda ns: ns.plant_stale("k", "v", seconds=0), ValueError, "more than 0"),
        (lambda ns: ns.plant_stale("k", "v", seconds="60"), TypeError, "number"),
        (lambda ns: ns.plant_stale("k", "v", expiration=1.5), ValueError, "expiration"),
        (lambda ns: ns.plant_stale("k", "v", expiration=2**40), ValueError, "expiration"),
        (lambda ns: ns.plant_stale("k", "x" * (25 * 2**20 + 1)), ValueError, "413 Value"),
        (lambda ns: ns.plant_stale("k", "v", metadata="x" * 1100), ValueError, "413 Meta"),
        (lambda ns: ns.plant_stale("k", "v", metadata=print), TypeError, "must be JSON"),
        (lambda ns: ns.plant_stale("k" * 513, "v"), ValueError, "414"),
        (lambda ns: ns.plant_stale(1, "v"), TypeError, "a key must be a str"),
        (lambda ns: ns.plant_miss("", seconds=5), ValueError, "cannot be empty"),
    ],
)
def test_planting_checks_everything_up_front(
    edge_clock: MovableClock, call: object, error: type[Exception], message: str
) -> None:
    ns = _eventual(edge_clock)
    ns.seed({"k": "truth"})
    with pytest.raises(error, match=message):
        call(ns.at("syd"))  # type: ignore[operator]
    assert ns.at("syd").sync.get("k") == "truth"
    assert ns.settle() == 0


def test_a_propagation_callable_with_a_bad_delay_writes_nothing(edge_clock: MovableClock) -> None:
    ns = _eventual(edge_clock, propagation=lambda key, origin, destination: -5)
    with pytest.raises(ValueError, match="propagation callable"):
        ns.sync.put("k", "v")
    assert ns.keys() == []
    assert ns.calls[-1].method == "put"
    assert not ns.calls[-1].ok


def test_a_propagation_callable_may_look_at_its_namespace(edge_clock: MovableClock) -> None:
    seen: list[list[str]] = []
    holder: list[KVNamespace] = []

    def delay(key: str, origin: str, destination: str) -> float:
        seen.append(holder[0].keys())  # user code: never called under the lock
        return 5

    ns = _eventual(edge_clock, propagation=delay)
    holder.append(ns)
    ns.sync.put("k", "v")
    assert seen
    assert all(keys in ([], ["k"]) for keys in seen)


# -- garbage in, a clear error out -----------------------------------------------------


def test_an_eventual_read_survives_a_clock_that_turns_nan_later() -> None:
    # The clock is checked once, when the namespace is made; a NaN reading later must
    # not break a read at a location (its cached copy simply never runs out).
    readings = iter([0.0, 0.0])
    ns = KVNamespace(
        clock=lambda: next(readings, float("nan")), consistency="eventual", locations=["lhr"]
    )
    ns.seed({"k1": "v"})
    assert ns.sync.get("k1", cacheTtl=60) == "v"
    assert ns.sync.get("k2") is None


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda ns: ns.fail(1), TypeError, "method must be a str naming a method, got int 1"),
        (lambda ns: ns.fail_next("gett"), ValueError, "unknown method 'gett'; did you mean"),
        (lambda ns: ns.fail("get", key=0), TypeError, "glob pattern"),
        (lambda ns: ns.fail("get", error=0), TypeError, "exception instance"),
        (lambda ns: ns.fail("get", status=None), ValueError, "HTTP error status"),
        (lambda ns: ns.fail("get", status=200), ValueError, "HTTP error status"),
        (lambda ns: ns.peek(1), TypeError, "a key must be a str"),
        (lambda ns: ns.peek(None), TypeError, "a key must be a str"),
        (lambda ns: ns.keys(1), TypeError, "prefix must be a str"),
        (lambda ns: ns.keys(b"a"), TypeError, "prefix must be a str"),
        (lambda ns: ns.keys(0), TypeError, "prefix must be a str"),
        (lambda ns: ns.history(b"k"), TypeError, "a key must be a str"),
        (lambda ns: ns.seed({"k": "v"}, metadata=print), TypeError, "metadata must be JSON"),
        (lambda ns: ns.seed({"k": "v"}, expirationTtl=float("nan")), TypeError, "finite"),
        (lambda ns: ns.seed(5), TypeError, "seed\\(\\) takes a mapping"),
        (lambda ns: ns.seed("k"), TypeError, "seed\\(\\) takes a mapping"),
        (lambda ns: ns.seed_file(1), TypeError, "a seed file is a path"),
        (lambda ns: ns.invocation(Decimal(5)).__enter__(), ValueError, "limit"),
        (lambda ns: KVNamespace(read_only="maybe"), ValueError, "read_only must be"),
        (lambda ns: KVNamespace(rate_limits=1), TypeError, "rate_limits must be a bool"),
    ],
)
def test_garbage_gets_a_clear_error(
    ns: KVNamespace, state: Snapshot, call: object, error: type[Exception], message: str
) -> None:
    ns.sync.put("k", "v")
    before = state(ns)
    with pytest.raises(error, match=message):
        call(ns)  # type: ignore[operator]
    assert state(ns) == before
    assert ns.sync.get("k") == "v"  # no rule was left behind to break later reads


def test_yes_and_no_options_read_text_as_ini_files_do(clock: ManualClock) -> None:
    assert KVNamespace(clock=clock, read_only="false").sync.put("k", "v") is None
    with pytest.raises(KVError, match="405"):
        KVNamespace(clock=clock, read_only="yes").sync.put("k", "v")


async def _chunks() -> AsyncIterator[bytes]:
    yield b"x"


def test_a_list_prefix_or_cursor_must_be_text(ns: KVNamespace) -> None:
    ns.sync.put("107,101,121", "v")
    with pytest.raises(KVTypeError, match="prefix must be a str or None, got bytes"):
        ns.sync.list(prefix=b"k")
    with pytest.raises(KVTypeError, match="cursor must be a str or None"):
        ns.sync.list(cursor=["a"])
    assert ns.sync.list(prefix=107)["keys"] == [{"name": "107,101,121"}]  # JS String(107)


def test_cycles_and_deep_values_never_reach_recursion_error(ns: KVNamespace) -> None:
    cyclic: list[object] = []
    cyclic.append(cyclic)
    with pytest.raises(KVTypeError, match="refers to itself"):
        ns.sync.put("k", "v", metadata=cyclic)
    with pytest.raises(KVTypeError, match="refers to itself"):
        ns.sync.get(cyclic)  # type: ignore[arg-type]
    deep: list[object] = []
    inner = deep
    for _ in range(100_000):
        inner.append([])
        inner = inner[0]  # type: ignore[assignment]
    with pytest.raises(KVError, match="413 Metadata length of 200002"):
        ns.sync.put("k", "v", metadata=deep)
    with pytest.raises(KVTypeError, match="a key must be a str"):
        ns.sync.get(deep)  # type: ignore[arg-type]
    assert ns.keys() == []


def test_deep_valid_metadata_is_stored(ns: KVNamespace) -> None:
    metadata: list[object] = []
    inner = metadata
    for _ in range(500):  # 1,000 bytes of JSON: under production's 1,024
        inner.append([])
        inner = inner[0]  # type: ignore[assignment]
    ns.sync.put("k", "v", metadata=metadata)
    assert ns.sync.getWithMetadata("k")["metadata"] == metadata
    assert ns.peek("k") is not None
    assert ns.peek("k").metadata == metadata


# -- failures on purpose ----------------------------------------------------------------


def test_a_rule_for_get_covers_every_read_form(ns: KVNamespace) -> None:
    ns.sync.put("k", "v")
    ns.fail("get", times=3)
    for read in (
        lambda: ns.sync.get("k"),
        lambda: ns.sync.getWithMetadata("k"),
        lambda: ns.sync.get(["k"]),
    ):
        with pytest.raises(KVError, match="500 Internal Server Error"):
            read()
    assert ns.sync.get("k") == "v"
    ns.fail_next("getWithMetadata")  # one form only, if that is what the test means
    assert ns.sync.get("k") == "v"
    with pytest.raises(KVError):
        ns.sync.getWithMetadata("k")


def test_an_injected_error_is_logged_and_raised_fresh_each_time(ns: KVNamespace) -> None:
    error = TimeoutError("slow")
    ns.fail("get", times=3, error=error)
    raised = []
    for _ in range(3):
        with pytest.raises(TimeoutError) as info:
            ns.sync.get("k")
        raised.append(info.value)
    assert all(type(one) is TimeoutError and str(one) == "slow" for one in raised)
    assert error.__traceback__ is None  # the instance the test gave is never raised
    assert len({id(one) for one in raised}) == 3
    assert [call.outcome for call in ns.calls] == ["TimeoutError: slow"] * 3
    assert ns.calls[0].error is raised[0]


@pytest.mark.anyio
async def test_a_failing_stream_is_logged(ns: KVNamespace) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"part"
        raise ConnectionResetError("upload dropped")

    with pytest.raises(ConnectionResetError):
        await ns.put("k", broken())
    assert ns.calls[-1].outcome == "ConnectionResetError: upload dropped"
    assert ns.keys() == []


def test_invocation_counts_only_sent_calls_and_every_thread(ns: KVNamespace) -> None:
    with ns.invocation(limit=3) as counted:
        with pytest.raises(KVTypeError):
            ns.sync.get("")  # workerd refuses it before sending: not an operation
        thread = threading.Thread(target=lambda: ns.sync.put("a", "1"))
        thread.start()
        thread.join()
        ns.sync.get("a")
        assert counted.count == 2
        ns.sync.get("a")
        with pytest.raises(KVError, match="Too many API requests by single Worker invocation"):
            ns.sync.get("a")


# -- threads -----------------------------------------------------------------------------


def test_page_shape_blocks_from_two_threads_leave_nothing_behind(ns: KVNamespace) -> None:
    ns.seed({f"k{i}": "v" for i in range(3)})
    entered, leave = threading.Event(), threading.Event()

    def other() -> None:
        with ns.page_shape(page_size=1):
            entered.set()
            leave.wait()

    thread = threading.Thread(target=other)
    with ns.page_shape(page_size=2):
        thread.start()
        entered.wait()
    leave.set()  # this block ended first; the other thread's ends now
    thread.join()
    assert len(ns.sync.list()["keys"]) == 3


@pytest.mark.anyio
@pytest.mark.parametrize("consistency", ["strong", "eventual"])
async def test_a_streamed_put_is_written_when_its_body_completes(consistency: str) -> None:
    clock = MovableClock()
    ns = KVNamespace(clock=clock, consistency=consistency)

    async def slow_body() -> AsyncIterator[bytes]:
        yield b"streamed"
        clock.advance(5)  # the upload takes 5 s; another request writes meanwhile
        ns.sync.put("k", "quick")
        yield b"!"

    await ns.put("k", slow_body())
    assert await ns.get("k") == "streamed!"  # the last to complete wins, in both modes
    assert ns.calls[-1].time == 1005.0
