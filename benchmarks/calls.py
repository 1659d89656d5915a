"""Every call form next to the plain call, a handler's workload next to a dict fake and
fakeredis, and what eventual consistency costs with a moving clock and many keys.

Each group is measured interleaved (see ``harness``), so its ratios hold under load.
"""

from __future__ import annotations

import gc
import json
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from pytest_kv import KVNamespace

from .harness import Interleaved, Run, loop, row, verdict

LOCATIONS = [f"loc{i}" for i in range(8)]
KEYS = [f"user:{i:05}" for i in range(1000)]
SESSION = '{"user": "ada", "roles": ["admin"], "visits": 3}'


class Clock:
    """A test clock that a benchmark moves on, as a suite's time travel does (and that
    ``settle()`` can move)."""

    def __init__(self) -> None:
        self.t = 1_000_000.0

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> float:
        self.t += seconds
        return self.t


def filled(clock: Clock, **options: Any) -> KVNamespace:
    ns = KVNamespace(clock=clock, **options)
    ns.seed(dict.fromkeys(KEYS, SESSION))
    ns.seed([{"key": f"meta:{i:03}", "value": "v", "metadata": {"n": i}} for i in range(100)])
    ns.seed({f"plain:{i:03}": "v" for i in range(100)})
    return ns


def forms(ops: int, rounds: int) -> None:
    """Each call form / the plain call of its kind, strong, a frozen clock."""
    ns = filled(Clock())
    kv = ns.sync
    bulk = KEYS[:10]
    gets: dict[str, Callable[[], Any]] = {
        "get(key)": lambda: kv.get("user:00001"),
        'get(key, "json")': lambda: kv.get("user:00001", "json"),
        'get(key, type="json")': lambda: kv.get("user:00001", type="json"),
        'get(key, {"type": "json", "cacheTtl": 60})': lambda: kv.get(
            "user:00001", {"type": "json", "cacheTtl": 60}
        ),
        "get(key, cacheTtl=60)": lambda: kv.get("user:00001", cacheTtl=60),
        'get(key, "arrayBuffer")': lambda: kv.get("user:00001", "arrayBuffer"),
        "getWithMetadata(key)": lambda: kv.getWithMetadata("meta:001"),
        'getWithMetadata(key, "json")': lambda: kv.getWithMetadata("user:00001", "json"),
        "get([10 keys]), per key": lambda: kv.get(bulk),
        'get([10 keys], "json"), per key': lambda: kv.get(bulk, "json"),
    }
    puts: dict[str, Callable[[], Any]] = {
        "put(key, value)": lambda: kv.put("new:1", SESSION),
        "put(key, value, expirationTtl=3600)": lambda: kv.put("new:1", SESSION, expirationTtl=3600),
        "put(key, value, expiration=...)": lambda: kv.put("new:1", SESSION, expiration=2_000_000),
        "put(key, value, metadata={...})": lambda: kv.put(
            "new:1", SESSION, metadata={"owner": "ada", "v": 2}
        ),
        "put(key, value, {expirationTtl, metadata})": lambda: kv.put(
            "new:1", SESSION, {"expirationTtl": 3600, "metadata": {"owner": "ada", "v": 2}}
        ),
        "delete(key)": lambda: kv.delete("new:1"),
    }
    lists: dict[str, Callable[[], Any]] = {
        "list(limit=10)": lambda: kv.list(prefix="plain:", limit=10),
        "list(limit=10), keys with metadata": lambda: kv.list(prefix="meta:", limit=10),
        "list(prefix, limit=10, cursor)": lambda: kv.list(prefix="plain:", limit=10, cursor=cursor),
    }
    cursor = kv.list(prefix="plain:", limit=10)["cursor"]
    # Per key for bulk reads: one call reads ten keys.
    per_key = {"get([10 keys]), per key": 10, 'get([10 keys], "json"), per key': 10}
    print("call forms (µs per call; ratio to the plain call, interleaved):")
    for group, base, target in (
        (gets, "get(key)", 2.0),
        (puts, "put(key, value)", 2.0),
        (lists, "list(limit=10)", 2.0),
    ):
        measured = Interleaved({name: loop(call) for name, call in group.items()}, ops, rounds)
        for name in group:
            share = per_key.get(name, 1)
            figure = measured.median(name) / share
            if name == base:
                row(f"{name}", f"{figure:.2f} µs")
                continue
            ratio = measured.ratio(name, base) / share
            row(
                f"{name} / {base}",
                f"{figure:.2f} µs = {ratio:.2f}x",
                verdict(ratio <= target, f"<= {target:g}x"),
            )


# A request handler's KV traffic: 20 operations of the forms real Workers use.
def handler(kv: Any, n: int) -> None:
    user = f"user:{n % 1000:05}"
    session = kv.get(user, "json")  # the session
    kv.get("config:flags", "json")
    kv.get(f"plain:{n % 100:03}")
    kv.get("missing:key")
    meta = kv.getWithMetadata(f"meta:{n % 100:03}")
    kv.get(user, cacheTtl=60)
    kv.put(user, json.dumps(session), expirationTtl=3600)
    kv.put(f"visit:{n % 500}", "1", expirationTtl=86400, metadata={"user": user})
    kv.put(f"seen:{n % 500}", "1")
    kv.get(f"visit:{n % 500}")
    kv.getWithMetadata(f"visit:{n % 500}")
    kv.list(prefix="meta:", limit=10)
    kv.get([user, "config:flags"], "json")
    kv.put("counter", str(n))
    kv.get("counter")
    kv.delete(f"seen:{(n + 250) % 500}")
    kv.get(f"plain:{(n + 7) % 100:03}")
    kv.put(f"audit:{n % 200}", "x" * 64, expiration=2_000_000 + n % 1000)
    kv.get(user)
    kv.getWithMetadata(f"meta:{(n + 3) % 100:03}", "text")
    assert meta is not None


class DictKV:
    """The dict fake a test suite might write for itself: no limits, no errors."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock.now
        self.data: dict[str, tuple[str, float | None, Any]] = {}

    def get(self, key: Any, options: Any = None, **kw: Any) -> Any:
        kind = options if isinstance(options, str) else kw.get("type", "text")
        if isinstance(key, list):
            return {k: self.get(k, kind) for k in key}
        item = self.data.get(key)
        if item is None or (item[1] is not None and item[1] <= self.clock()):
            return None
        return json.loads(item[0]) if kind == "json" else item[0]

    def getWithMetadata(self, key: str, options: Any = None) -> Any:
        item = self.data.get(key)
        return {"value": self.get(key, options), "metadata": item and item[2]}

    def put(self, key: str, value: str, expirationTtl: Any = None, **kw: Any) -> None:
        expires = None if expirationTtl is None else self.clock() + expirationTtl
        self.data[key] = (value, kw.get("expiration", expires), kw.get("metadata"))

    def delete(self, key: str) -> None:
        self.data.pop(key, None)

    def list(self, prefix: str = "", limit: int = 1000) -> Any:
        names = sorted(k for k in self.data if k.startswith(prefix))[:limit]
        return {"keys": [{"name": k, "metadata": self.data[k][2]} for k in names]}


class RedisKV:
    """The same traffic on fakeredis, as a Redis-backed service would send it."""

    def __init__(self) -> None:
        import fakeredis

        self.r = fakeredis.FakeRedis(decode_responses=True)

    def get(self, key: Any, options: Any = None, **kw: Any) -> Any:
        if isinstance(key, list):
            return dict(zip(key, self.r.mget(key), strict=True))
        value = self.r.get(key)
        kind = options if isinstance(options, str) else kw.get("type", "text")
        return json.loads(value) if kind == "json" and value is not None else value

    def getWithMetadata(self, key: str, options: Any = None) -> Any:
        value, meta = self.r.mget([key, f"{key}#meta"])
        return {"value": value, "metadata": meta and json.loads(meta)}

    def put(self, key: str, value: str, expirationTtl: Any = None, **kw: Any) -> None:
        self.r.set(key, value, ex=expirationTtl)
        if "metadata" in kw:
            self.r.set(f"{key}#meta", json.dumps(kw["metadata"]))

    def delete(self, key: str) -> None:
        self.r.delete(key)

    def list(self, prefix: str = "", limit: int = 1000) -> Any:
        return self.r.scan(0, match=f"{prefix}*", count=limit)


def _fill_peer(peer: DictKV | RedisKV) -> None:
    for key in KEYS:
        peer.put(key, SESSION)
    peer.put("config:flags", '{"beta": true}')
    for i in range(100):
        peer.put(f"meta:{i:03}", "v", metadata={"n": i})
        peer.put(f"plain:{i:03}", "v")


def workload(ops: int, rounds: int) -> None:
    """20 mixed operations a request, per operation, with the clock moving on."""
    calls = max(ops // 40, 100)
    variants: dict[str, Run] = {}
    for name, options in (
        ("strong", {}),
        ("eventual, 8 locations", {"consistency": "eventual", "locations": LOCATIONS}),
    ):
        clock = Clock()
        ns = filled(clock, **options)
        ns.seed({"config:flags": '{"beta": true}'})
        views = [ns.at(location).sync for location in ns.locations]
        variants[name] = _requests(views, clock, calls)
    clock = Clock()
    fake = DictKV(clock)
    _fill_peer(fake)
    variants["dict fake"] = _requests([fake], clock, calls)
    redis = RedisKV()
    _fill_peer(redis)
    variants["fakeredis"] = _requests([redis], Clock(), calls)
    # The machine's yardstick: the plain get, 20 a "request". The issue set 3 and 4 µs
    # where a plain get took 1.6 µs, so those are 1.9x and 2.5x a plain get.
    variants["get(key)"] = _requests([filled(Clock()).sync], Clock(), calls, _twenty_gets)
    measured = Interleaved(variants, calls, rounds)
    print("a handler's workload (µs per KV operation, 20 a request):")
    for name in variants:
        row(f"workload: {name}", f"{measured.median(name) / 20:.2f} µs")
    strong, eventual = measured.median("strong") / 20, measured.median("eventual, 8 locations") / 20
    row(
        "workload, strong <= 3 µs an operation", f"{strong:.2f} µs", verdict(strong <= 3, "<= 3 µs")
    )
    row(
        "workload, eventual <= 4 µs an operation",
        f"{eventual:.2f} µs",
        verdict(eventual <= 4, "<= 4 µs"),
    )
    for name, target in (("strong", 3 / 1.6), ("eventual, 8 locations", 4 / 1.6)):
        ratio = measured.ratio(name, "get(key)")
        row(
            f"workload, {name.split(',')[0]} / plain get (the µs target at a 1.6 µs get)",
            f"{ratio:.2f}x",
            verdict(ratio <= target, f"<= {target:.2f}x"),
        )
    row("workload: strong / dict fake", f"{measured.ratio('strong', 'dict fake'):.2f}x")
    row("workload: fakeredis / strong", f"{measured.ratio('fakeredis', 'strong'):.1f}x")


def _twenty_gets(kv: Any, n: int) -> None:
    """A "handler" of 20 plain gets: the yardstick of the workload's rows."""
    get = kv.get
    for _ in range(20):
        get("plain:001")


def _requests(
    views: list[Any], clock: Clock, calls: int, handle: Callable[[Any, int], None] = handler
) -> Run:
    counter = [0]

    def run(requests: int) -> float:
        start = time.perf_counter()
        for _ in range(requests):
            n = counter[0] = counter[0] + 1
            handle(views[n % len(views)], n)
            clock.t += 0.25  # four requests a second
        return time.perf_counter() - start

    return run


def eventual_writes(ops: int, rounds: int) -> None:
    """Puts to many keys with the clock moving: eventual / strong."""
    keys = [f"k:{i:06}" for i in range(10_000)]
    variants: dict[str, Run] = {}
    for name, options in (
        ("strong", {}),
        ("eventual, 8 locations", {"consistency": "eventual", "locations": LOCATIONS}),
    ):
        clock = Clock()
        ns = KVNamespace(clock=clock, **options)
        views = [ns.at(location).sync for location in ns.locations]

        def run(count: int, views: list[Any] = views, clock: Clock = clock) -> float:
            start = time.perf_counter()
            for i in range(count):
                views[i % len(views)].put(keys[i % 10_000], "value", expirationTtl=3600)
                if i % 50 == 0:
                    clock.t += 1
            return time.perf_counter() - start

        variants[name] = run
    measured = Interleaved(variants, ops, rounds)
    print("put with TTL to 10,000 keys, the clock moving (µs):")
    for name in variants:
        row(f"put, many keys, clock moving: {name}", f"{measured.median(name):.2f} µs")
    ratio = measured.ratio("eventual, 8 locations", "strong")
    row(
        "put, many keys: eventual / strong <= 2.5x",
        f"{ratio:.2f}x",
        verdict(ratio <= 2.5, "<= 2.5x"),
    )


def eventual_memory(count: int) -> None:
    """Bytes per key, strong and eventual, after every location read every key and
    ``settle()``."""
    figures = {}
    for name, options in (
        ("strong", {}),
        ("eventual, 8 locations", {"consistency": "eventual", "locations": LOCATIONS}),
    ):
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        clock = Clock()
        ns = KVNamespace(clock=clock, log_limit=1, **options)
        for i in range(count):
            ns.sync.put(f"user:{i:08d}", f"value-{i:08d}")
        for view in [ns.at(location).sync for location in ns.locations]:
            for i in range(count):
                view.get(f"user:{i:08d}")
        ns.settle()
        gc.collect()
        figures[name] = (tracemalloc.get_traced_memory()[0] - before) / count
        tracemalloc.stop()
        del ns
    print(f"memory per key, {count:,} keys read at every location, then settle():")
    for name, figure in figures.items():
        row(f"memory: {name}", f"{figure:.0f} B")
    ratio = figures["eventual, 8 locations"] / figures["strong"]
    row("memory: eventual / strong <= 2x", f"{ratio:.2f}x", verdict(ratio <= 2, "<= 2x"))


def settling(rounds: int) -> None:
    """settle() and assert_consistent() with nothing pending, by the number of keys."""
    from pytest_kv import assert_consistent

    print("settle() with nothing pending (ms):")
    for count in (1_000, 100_000):
        clock = Clock()
        ns = KVNamespace(clock=clock, consistency="eventual", locations=LOCATIONS)
        ns.seed({f"k:{i:07}": "v" for i in range(count)})
        for i in range(0, count, 10):
            ns.at(LOCATIONS[i % 8]).sync.get(f"k:{i:07}")
        ns.settle()
        measured = Interleaved(
            {
                "settle()": loop(ns.settle),
                "assert_consistent()": loop(lambda ns=ns: assert_consistent(ns)),
            },
            200,
            rounds,
        )
        settle, consistent = (
            measured.median("settle()") / 1000,
            measured.median("assert_consistent()") / 1000,
        )
        target = "<= 1 ms" if count == 100_000 else ""
        row(
            f"settle(), {count:,} keys, nothing pending",
            f"{settle:.3f} ms",
            verdict(settle <= 1, target) if target else "",
        )
        row(f"assert_consistent(), {count:,} keys, nothing pending", f"{consistent:.3f} ms")


def hot_key(rounds: int) -> None:
    """Writes to one key, each read at another location, the clock running: operations
    per second by the number of writes (linear means the rate stays flat). Each round
    runs every count afresh, the counts interleaved.

    A thousand writes a simulated second under the 60-second propagation: for the
    first 60,000 writes no version has reached every location yet, so none is pruned,
    and the reading location serves its cached copy. From then on each write also
    prunes the version that has just reached everyone, and the reader's view takes
    every version in: more work a write, the same at every count after. Linearity is
    judged inside that steady regime (100k against 300k writes); the 1k rate shows
    what the first minute costs."""
    print("one hot key, eventual, put + read elsewhere, the clock moving (operations/s):")

    def writes(count: int) -> float:
        clock = Clock()
        ns = KVNamespace(clock=clock, consistency="eventual", locations=["lhr", "syd"])
        here, there = ns.at("lhr").sync, ns.at("syd").sync
        start = time.perf_counter()
        for i in range(count):
            here.put("hot", str(i))
            there.get("hot")
            clock.t += 0.001
        return time.perf_counter() - start

    counts = (1_000, 100_000, 300_000)
    variants: dict[str, Run] = {f"{count}": writes for count in counts}
    measured = Interleaved(variants, {f"{count}": count for count in counts}, max(rounds // 2, 3))
    for count in counts:
        # Two operations a write; the samples are µs a write.
        row(f"hot key, {count:,} writes", f"{2e6 / measured.median(f'{count}'):,.0f} ops/s")
    row(
        "hot key: rate at 1k / at 100k writes (the first minute prunes nothing)",
        f"{measured.ratio('100000', '1000'):.2f}x",
    )
    ratio = measured.ratio("300000", "100000")
    row(
        "hot key: rate at 100k / at 300k writes, both pruning ~ 1x",
        f"{ratio:.2f}x",
        verdict(ratio <= 1.5, "<= 1.5x"),
    )
