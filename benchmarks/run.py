"""pytest-kv's performance, next to its peers, measured in one run.

    pip install -e ".[bench]"
    python -m benchmarks.run            # add --quick for a smaller, faster run

Every figure is the median of several rounds; ratios compare figures taken in the
same run, interleaved round by round (see ``harness``). Targets come from issues 7
and 11 (a 2-core machine); a row that misses its target says ``MISSED``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from pytest_kv import KVNamespace
from pytest_kv.plugin.clock import FreezegunDriver, KVClock

from . import calls
from .fixtures import fixtures
from .harness import Interleaved, Run, loop, median_us, row, table, verdict


def per_operation(ops: int, rounds: int) -> None:
    import fakeredis

    def frozen() -> float:
        """A frozen clock, as under kv_clock: tests do not let wall time run between calls."""
        return 1_000_000.0

    strong = KVNamespace(clock=frozen)
    strong.sync.put("key", "value")
    eventual = KVNamespace(
        clock=frozen, consistency="eventual", locations=[f"loc{i}" for i in range(8)]
    )
    eventual.sync.put("key", "value")
    redis = fakeredis.FakeRedis()
    redis.set("key", "value")
    plain: dict[str, str] = {"key": "value"}

    def async_loop(call: Callable[[], Any]) -> Callable[[int], float]:
        async def body(ops: int) -> float:
            start = time.perf_counter()
            for _ in range(ops):
                await call()
            return time.perf_counter() - start

        return lambda ops: asyncio.run(body(ops))

    # Many keys at every location, time moving on: eventual reads that miss the
    # cache, next to strong reads of the same keys.
    keys = [f"user:{i:05}" for i in range(1000)]
    spread_time = [1_000_000.0]
    spread_strong = KVNamespace(clock=lambda: spread_time[0])
    spread_eventual = KVNamespace(
        clock=lambda: spread_time[0],
        consistency="eventual",
        locations=[f"loc{i}" for i in range(8)],
    )
    for ns in (spread_strong, spread_eventual):
        ns.seed(dict.fromkeys(keys, "x" * 100))

    def spread(ns: KVNamespace) -> Callable[[int], float]:
        views = [ns.at(location) for location in ns.locations]
        gets = [view.sync.get for view in views] * (8 // len(views))

        def run(ops: int) -> float:
            start = time.perf_counter()
            for i in range(ops):
                gets[i % 8](keys[i % 1000])
                if i % 200 == 0:
                    spread_time[0] += 5
            return time.perf_counter() - start

        return run

    figures = {
        "get": {
            "pytest-kv strong, ns.sync": loop(lambda: strong.sync.get("key")),
            "pytest-kv strong, async": async_loop(lambda: strong.get("key")),
            "pytest-kv eventual, 8 locations": loop(lambda: eventual.sync.get("key")),
            "pytest-kv strong, 1,000 keys": spread(spread_strong),
            "pytest-kv eventual, 8 locations, 1,000 keys, misses": spread(spread_eventual),
            "fakeredis get": loop(lambda: redis.get("key")),
            "dict": loop(lambda: plain.get("key")),
        },
        "put": {
            "pytest-kv strong, ns.sync": loop(lambda: strong.sync.put("key", "value")),
            "pytest-kv strong, async": async_loop(lambda: strong.put("key", "value")),
            "pytest-kv eventual, 8 locations": loop(lambda: eventual.sync.put("key", "value")),
            "fakeredis set": loop(lambda: redis.set("key", "value")),
            "dict": loop(lambda: plain.__setitem__("key", "value")),
        },
    }
    for op, runs in figures.items():
        print(f"{op} per operation (µs):")
        measured = Interleaved(runs, ops, rounds)
        for name in runs:
            row(f"{op}: {name}", f"{measured.median(name):.2f} µs")
        base = "pytest-kv strong, ns.sync"
        sync = measured.median(base)
        row(f"{op}: strong ns.sync <= 2 µs", f"{sync:.2f} µs", verdict(sync <= 2))
        ratio = measured.ratio("fakeredis get" if op == "get" else "fakeredis set", base)
        row(f"{op}: fakeredis / strong >= 15x", f"{ratio:.1f}x", verdict(ratio >= 15))
        # The async call also yields to the event loop once, at its suspension point:
        # suspension() measures what that costs against the loop's own yield.
        ratio = measured.ratio("pytest-kv strong, async", base)
        row(f"{op}: async / sync (with one event-loop yield)", f"{ratio:.2f}x")
        ratio = measured.ratio("pytest-kv eventual, 8 locations", base)
        if op == "put":
            row(f"{op}: eventual 8 locations / strong (no target)", f"{ratio:.2f}x")
            continue
        row(f"{op}: eventual 8 locations / strong <= 2x", f"{ratio:.2f}x", verdict(ratio <= 2))
        ratio = measured.ratio(
            "pytest-kv eventual, 8 locations, 1,000 keys, misses", "pytest-kv strong, 1,000 keys"
        )
        row(f"{op}: eventual / strong, 1,000 keys, misses", f"{ratio:.2f}x", verdict(ratio <= 2))


def rest(ops: int, rounds: int) -> None:
    """The REST API through the official cloudflare SDK, served in-process, per call."""
    from cloudflare import Cloudflare

    from pytest_kv import KVApi

    def frozen() -> float:
        return 1_000_000.0

    api = KVApi(clock=frozen)
    ns = api.factory("FLAGS")
    ns.sync.put("key", "value")
    with api:  # serves the SDK's own httpx client, as the kv_api fixture does
        values = Cloudflare(api_token="t").kv.namespaces.values
        where = {"account_id": api.account_id, "namespace_id": ns.id}
        path = f"/client/v4/accounts/{api.account_id}/storage/kv/namespaces/{ns.id}/values/key"
        headers = {"authorization": "Bearer t"}
        form = {**headers, "content-type": "multipart/form-data; boundary=b"}
        body = (
            b'--b\r\nContent-Disposition: form-data; name="value"; filename="upload"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\nvalue\r\n--b--\r\n"
        )
        calls = max(ops // 50, 200)
        figures = {
            "SDK values.get": loop(lambda: values.get("key", **where).read()),
            "SDK values.update": loop(lambda: values.update("key", value=b"value", **where)),
            "the fake alone, GET (no client)": loop(lambda: api.app.request("GET", path, headers)),
            "the fake alone, multipart PUT (no client)": loop(
                lambda: api.app.request("PUT", path, form, body)
            ),
            "binding get, ns.sync": loop(lambda: ns.sync.get("key")),
            "binding put, ns.sync": loop(lambda: ns.sync.put("key", "value")),
        }
        print("REST API per call (µs):")
        measured = Interleaved(figures, calls, rounds)
    for name in figures:
        row(f"rest: {name}", f"{measured.median(name):.1f} µs")
    ratio = measured.ratio("SDK values.get", "binding get, ns.sync")
    row("rest: SDK values.get / binding get", f"{ratio:.0f}x")


def seeded(count: int) -> KVNamespace:
    ns = KVNamespace()
    half = count // 2
    ns.seed({f"user:{i:07d}": "v" for i in range(half)})
    ns.seed({f"zone:{i:07d}": "v" for i in range(count - half)})
    return ns


def _pages(ns: KVNamespace, prefix: str | None) -> Run:
    return loop(lambda: ns.sync.list(prefix=prefix, limit=1000))


# The prefixes a page is listed under, and how the rows name them.
_LISTED: dict[str | None, str] = {None: "no prefix", "zone:": "prefix 'zone:'"}


def listing(sizes: list[int], rounds: int) -> None:
    """One page of 1,000 keys at each store size, the sizes interleaved round by round
    (measured one after the other, a change in machine load read as a change in cost)."""
    print("one list() page of 1,000 keys (ms):")
    variants: dict[str, Run] = {}
    for size in sizes:
        ns = seeded(size)
        for prefix in _LISTED:
            variants[f"{size} {prefix}"] = _pages(ns, prefix)
    measured = Interleaved(variants, 20, rounds)
    for size in sizes:
        for prefix, shown in _LISTED.items():
            cost = measured.median(f"{size} {prefix}") / 1000
            row(f"list at {size:,} keys, {shown}", f"{cost:.3f} ms")
    largest, smallest = max(sizes), min(sizes)
    worst = max(measured.median(f"{largest} {prefix}") for prefix in _LISTED) / 1000
    row(f"list at {largest:,} keys <= 2 ms", f"{worst:.3f} ms", verdict(worst <= 2))
    ratio = max(measured.ratio(f"{largest} {prefix}", f"{smallest} {prefix}") for prefix in _LISTED)
    row(f"list at {largest:,} / at {smallest:,} <= 1.5x", f"{ratio:.2f}x", verdict(ratio <= 1.5))
    del variants, measured
    gc.collect()


def advancing(sizes: list[int], rounds: int) -> None:
    """``kv_clock.advance(1 s)`` with keys expiring over 5,000 s, the sizes interleaved
    round by round. Each round of each size runs a fresh clock (freezegun's freezes
    stack, so two clocks at once would slow each other), which that size's namespace
    reads through ``current``."""
    print("kv_clock.advance() with keys expiring at different times (µs):")
    current: dict[int, KVClock] = {}
    kept = []
    variants: dict[str, Run] = {}
    for size in sizes:
        current[size] = _started_clock()
        try:
            ns = KVNamespace(clock=lambda size=size: current[size].now())
            ns.seed(
                [
                    {"key": f"k{i:07d}", "value": "v", "expiration_ttl": 1 + i % 5000}
                    for i in range(size)
                ]
            )
        finally:
            current[size].stop()
        kept.append(ns)
        variants[f"{size}"] = _advances(current, size)
    measured = Interleaved(variants, 200, rounds)
    for size in sizes:
        row(f"advance(1 s) with {size:,} expiring keys", f"{measured.median(f'{size}'):.2f} µs")
    ratio = measured.ratio(f"{max(sizes)}", f"{min(sizes)}")
    row("advance at the most keys / at the fewest ~ 1x", f"{ratio:.2f}x", verdict(ratio <= 1.5))
    del kept, variants
    gc.collect()


def _started_clock() -> KVClock:
    clock = KVClock(FreezegunDriver(1_000_000.0))
    clock.start()
    return clock


def _advances(current: dict[int, KVClock], size: int) -> Run:
    second = timedelta(seconds=1)

    def run(ops: int) -> float:
        clock = current[size] = _started_clock()
        try:
            start = time.perf_counter()
            for _ in range(ops):
                clock.advance(second)
            return time.perf_counter() - start
        finally:
            clock.stop()

    return run


def bulk(ops: int, rounds: int) -> None:
    ns = seeded(10_000)
    keys = [f"user:{i:07d}" for i in range(100)]
    value = median_us(loop(lambda: ns.sync.get(keys)), max(ops // 100, 50), rounds)
    print("bulk get:")
    row("get([100 keys])", f"{value:.1f} µs")


def memory(count: int) -> None:
    print("memory:")
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    ns = KVNamespace()
    raw = 0
    for i in range(count):
        key, value = f"user:{i:09d}", f"value-{i:09d}"
        raw += len(key) + len(value)
        ns.sync.put(key, value)
    ns._shared.log.clear()  # the call log is not storage
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    overhead = (used - raw) / count
    row(
        f"bytes per key above key + value, at {count:,} keys",
        f"{overhead:.0f} B",
        verdict(overhead <= 250),
    )


def clock_cost(ops: int, rounds: int) -> None:
    """What an active kv_clock adds to a get. The clock is started and stopped around
    each of its rounds (outside the timing), so the rows with and without it take
    turns and a change in machine load cannot flip the verdict."""
    ns = KVNamespace()  # like the fixtures' namespaces: reads the active kv_clock
    from pytest_kv.plugin.fixtures import _TestClock

    ns._shared.now = _TestClock(None).now  # type: ignore[arg-type]
    ns.sync.put("key", "value")
    get = loop(lambda: ns.sync.get("key"))
    measured = Interleaved(
        {
            "without": get,
            "with": _under_kv_clock(get),
            # Looked up on each call: freezegun patches the module attribute.
            "patched": _under_kv_clock(loop(lambda: time.time())),
        },
        ops,
        rounds,
    )
    print("with kv_clock active (freezegun):")
    row("get, no kv_clock", f"{measured.median('without'):.2f} µs")
    row("get, kv_clock active", f"{measured.median('with'):.2f} µs")
    row("freezegun's patched time.time() alone", f"{measured.median('patched'):.2f} µs")
    added = measured.difference("with", "without")
    row("added per operation <= 0.5 µs", f"{added:+.2f} µs", verdict(added <= 0.5))


def _under_kv_clock(run: Run) -> Run:
    """``run`` with a kv_clock (freezegun) active for it, started and stopped untimed."""

    def measured(count: int) -> float:
        clock = _started_clock()
        try:
            return run(count)
        finally:
            clock.stop()

    return measured


def suspension(ops: int, rounds: int) -> None:
    """What the suspension point of an async call costs, next to the event loop's
    own cheapest yield (``asyncio.sleep(0)``, ``trio.lowlevel.checkpoint()``). The
    three loops take turns in every round and are timed in CPU time of this process,
    so that a busy machine slows them alike and other processes do not count."""
    ns = KVNamespace(clock=lambda: 1_000_000.0)
    ns.sync.put("key", "value")

    def timed(run_loop: Callable[[Any], float], call: Callable[[], Any]) -> Callable[[int], float]:
        async def body(count: int) -> float:
            start = time.process_time()
            for _ in range(count):
                await call()
            return time.process_time() - start

        return lambda count: run_loop(lambda: body(count))

    def sync_get(count: int) -> float:
        start = time.process_time()
        for _ in range(count):
            ns.sync.get("key")
        return time.process_time() - start

    runners: dict[str, tuple[Callable[[Any], float], Callable[[], Any]]] = {
        "asyncio": (lambda main: asyncio.run(main()), lambda: asyncio.sleep(0)),
    }
    try:
        import trio
    except ImportError:
        print("  (trio is not installed: no trio rows)")
    else:
        runners["trio"] = (trio.run, trio.lowlevel.checkpoint)
    print("suspension per async call (µs of CPU time):")
    for name, (run_loop, floor) in runners.items():
        async_get, own_yield = timed(run_loop, lambda: ns.get("key")), timed(run_loop, floor)
        samples: list[tuple[float, float, float]] = []
        for _ in range(rounds):
            gc.collect()
            samples.append(tuple(run(ops) / ops * 1e6 for run in (sync_get, async_get, own_yield)))  # type: ignore[arg-type]
        sync, asynchronous, yielding = (statistics.median(s[i] for s in samples) for i in range(3))
        added = statistics.median(s[1] - s[0] for s in samples)
        beyond = statistics.median(s[1] - s[0] - s[2] for s in samples)
        row(f"get under {name}: async / ns.sync", f"{asynchronous:.2f} / {sync:.2f} µs")
        row(f"suspension under {name} (async - sync)", f"{added:.2f} µs")
        # No target: a fraction of a microsecond, which a busy machine's noise exceeds
        # (callgrind counts it in instructions: see the README).
        row(f"beyond {name}'s own yield ({yielding:.2f} µs)", f"{beyond:+.2f} µs")
    race_cost(rounds)


def race_cost(rounds: int) -> None:
    """One schedule of the race explorer, the README's lost counter update."""
    from pytest_kv import explore_races

    async def increment(kv: KVNamespace) -> None:
        count = int(await kv.get("counter") or 0)
        await kv.put("counter", str(count + 1))

    ns = KVNamespace(clock=lambda: 1_000_000.0)
    per_schedule = []
    for _ in range(rounds):
        start = time.perf_counter()
        found = explore_races(increment, increment, increment, ns=ns)
        per_schedule.append((time.perf_counter() - start) / found.schedules * 1e6)
    row(
        f"race explorer: one schedule of 3 increments ({found.schedules} schedules)",
        f"{statistics.median(per_schedule):.0f} µs",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer keys and rounds")
    args = parser.parse_args()
    ops, rounds = (20_000, 5) if args.quick else (100_000, 7)
    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    print(f"pytest-kv benchmarks (Python {sys.version.split()[0]}; medians of {rounds} rounds)")
    per_operation(ops, rounds)
    clock_cost(ops, rounds)
    suspension(ops, rounds)
    listing(sizes, rounds)
    advancing([1_000, sizes[-1]], rounds)
    bulk(ops, rounds)
    rest(ops, rounds)
    memory(sizes[-1])
    calls.forms(ops // 10, rounds)
    calls.workload(ops // 5, rounds)
    calls.eventual_writes(ops // 10, rounds)
    calls.eventual_memory(ops // 10)
    calls.settling(rounds)
    calls.hot_key(rounds)
    fixtures(3 if args.quick else rounds)
    print()
    print(table())


if __name__ == "__main__":
    main()
