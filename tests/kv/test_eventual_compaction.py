"""Dropping expired cache copies and compacting the emptied tables changes nothing
a test can observe."""

from __future__ import annotations

from pytest_kv import KVNamespace, assert_consistent
from pytest_kv.kv.caches import compacted


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> float:
        self.t += seconds
        return self.t


def test_compacted_keeps_every_entry() -> None:
    table = {i: str(i) for i in range(10_000)}
    for i in range(9_990):
        del table[i]
    copy = compacted(table)
    assert copy is not table
    assert copy == table
    assert compacted(copy) is copy  # a compact table is left as it is


def test_reads_after_caches_empty_out_match_a_namespace_that_kept_them() -> None:
    locations = ["a", "b", "c"]
    clock = Clock()
    ns = KVNamespace(clock=clock, consistency="eventual", locations=locations)
    for i in range(500):
        ns.sync.put(f"k:{i:04}", f"v{i}")
    for location in locations:
        for i in range(500):
            ns.at(location).sync.get(f"k:{i:04}")
    ns.settle()  # every copy runs out and is evicted; the tables are compacted
    assert_consistent(ns)
    ns.at("b").sync.put("k:0001", "new")
    for location in locations:
        expected = "new" if location == "b" else "v1"
        assert ns.at(location).sync.get("k:0001") == expected
    ns.settle()
    assert [ns.at(loc).sync.get("k:0001") for loc in locations] == ["new"] * 3
    assert_consistent(ns)
