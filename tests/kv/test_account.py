"""Namespace ids, the account that holds a test's namespaces, and central storage:
what the REST API and the binding share."""

from __future__ import annotations

import pytest
from testing_support import MovableClock

from pytest_kv import KVFactory, KVNamespace
from pytest_kv.kv.account import Account, is_namespace_id
from pytest_kv.kv.edge import CENTRAL


def test_ids_look_like_production_ids_and_are_the_same_on_every_run() -> None:
    first, again = KVNamespace("FLAGS"), KVNamespace("FLAGS")
    assert is_namespace_id(first.id)
    assert first.id == again.id
    assert KVNamespace("OTHER").id != first.id
    assert KVNamespace("FLAGS", id="3f0b1c2d").id == "3f0b1c2d"


def test_a_factory_gives_every_namespace_of_a_test_its_own_id() -> None:
    factory = KVFactory({})
    one, two = factory("KV"), factory("KV")
    assert one.id != two.id
    assert [ns.id for ns in factory.account] == [one.id, two.id]


def test_two_bindings_of_one_id_share_one_namespace() -> None:
    factory = KVFactory({})
    flags = factory("FLAGS", id="3f0b1c2d4e5f60718293a4b5c6d7e8f9")
    alias = factory("FLAGS_TOO", id="3f0b1c2d4e5f60718293a4b5c6d7e8f9")
    flags.sync.put("beta", "on")
    assert alias is flags
    assert len(factory.account) == 1


def test_the_account_creates_namespaces_with_the_tests_options() -> None:
    factory = KVFactory({"consistency": "eventual", "locations": ["lhr", "syd"]})
    created = factory.account.create("admin")
    assert factory.account.titled("admin") is created
    binding = KVNamespace.bound_to(created)
    assert binding.consistency == "eventual"
    assert binding.locations == ("lhr", "syd")
    assert factory.account.create("admin").id != created.id


def test_an_account_without_a_factory_cannot_create() -> None:
    with pytest.raises(RuntimeError, match="no factory"):
        Account().create("x")


def test_central_storage_reads_the_truth_and_its_writes_propagate() -> None:
    clock = MovableClock()
    ns = KVNamespace(clock=clock, consistency="eventual", locations=["lhr", "syd"])
    central = ns._shared.central
    central.write(b"flag", "flag", _entry(b"on"), clock.now(), 0)
    assert central.read(b"flag", clock.now(), 0)[0] is not None
    assert ns.sync.get("flag") is None  # no edge location has it yet
    assert ns.at("syd").sync.get("flag", cacheTtl=30) is None
    clock.advance(60)
    assert ns.sync.get("flag") == "on"
    clock.advance(30)
    assert ns.at("syd").sync.get("flag") == "on"
    assert next(event.location for event in ns.history("flag")) == CENTRAL


def test_central_is_not_a_location_name() -> None:
    with pytest.raises(ValueError, match="central storage"):
        KVNamespace(locations=["central", "lhr"], consistency="eventual")


def _entry(value: bytes) -> object:
    from pytest_kv.kv.store import Entry

    return Entry(value)
