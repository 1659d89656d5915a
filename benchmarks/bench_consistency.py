"""Eventual mode's cost per get, next to strong mode's, measured in one run.

Target (issue 3): with 8 locations, an eventual-mode get costs at most 2x a
strong-mode get. Each workload runs strong and eventual alternately, several rounds,
and reports the median time per get of each and their ratio.

    python benchmarks/bench_consistency.py [--rounds 7] [--ops 20000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from pytest_kv import KVNamespace

LOCATIONS = tuple(f"loc{i}" for i in range(8))
KEYS = [f"user:{i:05}" for i in range(1000)]


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> float:
        self.t += seconds
        return self.t


def namespaces(clock: Clock) -> dict[str, KVNamespace]:
    strong = KVNamespace(clock=clock)
    eventual = KVNamespace(clock=clock, consistency="eventual", locations=LOCATIONS)
    for ns in (strong, eventual):
        ns.seed({key: "x" * 100 for key in KEYS})
        ns.sync.put(KEYS[0], "y" * 100)  # one key with a propagating write
    return {"strong": strong, "eventual": eventual}


def hot(ns: KVNamespace, clock: Clock, ops: int) -> float:
    """The same key at the same location: every eventual read after the first is a HIT."""
    get = ns.sync.get
    start = time.perf_counter()
    for _ in range(ops):
        get("user:00001")
    return (time.perf_counter() - start) / ops


def spread(ns: KVNamespace, clock: Clock, ops: int) -> float:
    """Many keys, every location, time moving on: a mix of cache hits and misses."""
    views = [ns.at(location) for location in ns.locations] if len(ns.locations) > 1 else [ns]
    gets = [view.sync.get for view in views] * (len(LOCATIONS) // len(views))
    start = time.perf_counter()
    for i in range(ops):
        gets[i % len(gets)](KEYS[i % len(KEYS)])
        if i % 200 == 0:
            clock.advance(5)
    return (time.perf_counter() - start) / ops


WORKLOADS: dict[str, Callable[[KVNamespace, Clock, int], float]] = {"hot": hot, "spread": spread}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--ops", type=int, default=20_000)
    args = parser.parse_args()
    print(f"{'workload':<8} {'strong µs':>10} {'eventual µs':>12} {'ratio':>6}  target <= 2x")
    for name, workload in WORKLOADS.items():
        clock = Clock()
        spaces = namespaces(clock)
        samples: dict[str, list[float]] = {"strong": [], "eventual": []}
        for _ in range(args.rounds):
            for mode, ns in spaces.items():
                samples[mode].append(workload(ns, clock, args.ops))
        strong = statistics.median(samples["strong"]) * 1e6
        eventual = statistics.median(samples["eventual"]) * 1e6
        ratio = eventual / strong
        verdict = "ok" if ratio <= 2 else "MISSED"
        print(f"{name:<8} {strong:>10.2f} {eventual:>12.2f} {ratio:>6.2f}  {verdict}")


if __name__ == "__main__":
    main()
