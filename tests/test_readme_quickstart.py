"""The README's Quickstart is the python_worker example, file for file, so that what
it prints is what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "python_worker"


def quickstart_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quickstart\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(?:toml|python)\n(.*?)```", section, flags=re.S)


@pytest.mark.parametrize(
    "path", ["wrangler.toml", "src/entry.py", "tests/test_links.py"], ids=lambda p: p
)
def test_the_quickstart_prints_the_example(path: str) -> None:
    text = (EXAMPLE / path).read_text(encoding="utf-8")
    assert text in quickstart_blocks(), f"README's Quickstart no longer shows {path} as it is"
