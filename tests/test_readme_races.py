"""The README's "Races between invocations" shows real reports: its counter test, run
by pytest, fails with exactly the report the README prints, and the cart's timeline
is the example's."""

from __future__ import annotations

import functools
import json
import re
import sys
from pathlib import Path

import pytest

from pytest_kv import KVNamespace, explore_races

ROOT = Path(__file__).parent.parent


def _section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## Races between invocations\n", 1)[1].split("\n## ", 1)[0]


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", _section(), flags=re.S)


def test_the_counters_report_is_what_pytest_prints(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_counter=_blocks("python")[0])
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    output = "\n".join(result.outlines)
    # The report is the error the test fails with, after the invariant's own error.
    failure = output.split("The above exception was the direct cause")[1]
    lines = [
        line[8:] if line.startswith("E       ") else ""
        for line in failure.splitlines()
        if line.startswith("E       ") or line.rstrip() == "E"
    ]
    assert "\n".join(lines) + "\n" == _blocks("text")[0]


def test_the_carts_timeline_is_the_examples() -> None:
    sys.path.insert(0, str(ROOT / "examples" / "races"))
    try:
        from races_app import add_to_cart
    finally:
        sys.path.remove(str(ROOT / "examples" / "races"))

    def both_items(kv: KVNamespace) -> None:
        assert sorted(json.loads(kv.peek("cart:ada").text)) == ["book", "lamp"]  # type: ignore[union-attr]

    kv = KVNamespace(consistency="eventual", locations=["lhr", "syd"])
    kv.seed({"cart:ada": "[]"})
    book = functools.partial(add_to_cart, item="book")
    lamp = functools.partial(add_to_cart, item="lamp")
    found = explore_races(book, lamp, ns=kv, locations=["lhr", "syd"], invariant=both_items)
    assert _blocks("text")[1] in found.failures[0].report + "\n"
