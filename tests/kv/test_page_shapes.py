"""Production-legal page shapes: short pages and empty pages with list_complete false."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_kv import KVNamespace, PageShape, assert_pagination, list_all


def pages(ns: KVNamespace, **options: Any) -> list[tuple[list[str], bool]]:
    shape = []
    cursor = None
    while True:
        page = ns.sync.list(cursor=cursor, **options)
        assert ("cursor" in page) is (not page["list_complete"])
        shape.append(([k["name"] for k in page["keys"]], page["list_complete"]))
        if page["list_complete"]:
            return shape
        cursor = page["cursor"]


@pytest.fixture
def five(ns: KVNamespace) -> KVNamespace:
    ns.seed(dict.fromkeys("abcde", "v"))
    return ns


def test_page_size_caps_every_page(five: KVNamespace) -> None:
    with five.page_shape(page_size=2):
        assert pages(five) == [(["a", "b"], False), (["c", "d"], False), (["e"], True)]
        assert pages(five, limit=1)[0] == (["a"], False)  # a smaller limit still wins


def test_empty_page_at_the_start(five: KVNamespace) -> None:
    with five.page_shape(empty_pages=["start"]):
        assert pages(five) == [([], False), (list("abcde"), True)]


def test_empty_page_in_the_middle(five: KVNamespace) -> None:
    with five.page_shape(page_size=2, empty_pages=["middle"]):
        assert pages(five) == [
            (["a", "b"], False),
            ([], False),
            (["c", "d"], False),
            (["e"], True),
        ]


def test_empty_page_at_the_end(five: KVNamespace) -> None:
    with five.page_shape(empty_pages="end"):
        assert pages(five) == [(list("abcde"), False), ([], True)]


def test_empty_pages_between_every_page(five: KVNamespace) -> None:
    with five.page_shape(page_size=2, empty_pages=["every", "start", "end"]):
        assert pages(five) == [
            ([], False),
            (["a", "b"], False),
            ([], False),
            (["c", "d"], False),
            ([], False),
            (["e"], False),
            ([], True),
        ]


def test_shapes_keep_the_prefix_and_every_key(five: KVNamespace) -> None:
    five.seed({"x:1": "", "x:2": "", "x:3": ""})
    with five.page_shape(page_size=1, empty_pages=["start", "middle", "end"]):
        assert list_all(five, "x:") == ["x:1", "x:2", "x:3"]
        assert_pagination(five, prefix="x:")
        assert_pagination(five)


def test_an_empty_namespace_stays_one_complete_page(ns: KVNamespace) -> None:
    with ns.page_shape(page_size=1, empty_pages=["middle", "end"]):
        assert pages(ns) == [([], True)]


def test_the_shape_ends_with_the_block(five: KVNamespace) -> None:
    with five.page_shape(page_size=1) as shape:
        assert shape == PageShape(1)
        assert len(five.sync.list()["keys"]) == 1
    assert len(five.sync.list()["keys"]) == 5


def test_shapes_as_options(clock: Any) -> None:
    ns = KVNamespace(clock=clock, page_size=3, empty_pages=["start"])
    ns.seed(dict.fromkeys("abcde", "v"))
    assert pages(ns) == [([], False), (["a", "b", "c"], False), (["d", "e"], True)]
    assert list_all(ns) == list("abcde")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"page_size": 0}, "page_size must be a whole number >= 1"),
        ({"empty_pages": ["begin"]}, "empty_pages: unknown place(s) 'begin'"),
        ({"empty_pages": 5}, "empty_pages must be a list of places"),
    ],
)
def test_bad_shapes(options: dict[str, Any], message: str) -> None:
    with pytest.raises((ValueError, TypeError)) as info:
        KVNamespace(**options)
    assert message in str(info.value)


def test_shapes_work_in_eventual_mode(clock: Any) -> None:
    ns = KVNamespace(clock=clock, consistency="eventual", locations=("a", "b"))
    ns.seed(dict.fromkeys("abc", "v"))
    with ns.at("b").page_shape(page_size=1, empty_pages=["start"]):
        assert list_all(ns.at("b")) == ["a", "b", "c"]
        assert pages(ns)[0] == ([], False)  # the shape belongs to the whole namespace
