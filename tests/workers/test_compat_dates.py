"""What a Worker's compatibility date and flags change for Python code (workerd's
compatibility-date.capnp)."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_kv.workers.compat import runtime_of

dates = st.dates(datetime.date(2023, 1, 1), datetime.date(2027, 12, 31)).map(
    datetime.date.isoformat
)


@given(dates)
def test_the_dates_decide_by_default(date: str) -> None:
    runtime = runtime_of(date, ["python_workers"])
    assert runtime.legacy_handlers == (date < "2025-08-14")
    assert runtime.jsnull == (date >= "2025-09-29")
    assert runtime.preserve_commas == (date >= "2026-02-17")
    assert runtime.wrapped


@given(dates)
def test_flags_win_over_the_date(date: str) -> None:
    on = runtime_of(
        date,
        ["python_no_global_handlers", "python_workers_20250116"],
    )
    assert not on.legacy_handlers
    assert on.jsnull
    off = runtime_of(date, ["disable_python_no_global_handlers", "no_python_workers_20250116"])
    assert off.legacy_handlers
    assert not off.jsnull


def test_the_frozen_sdk_is_gone_with_the_external_sdk_date() -> None:
    assert not runtime_of("2026-04-20", sdk="frozen").wrapped
    with pytest.raises(ValueError, match="no longer has the built-in SDK"):
        runtime_of("2026-04-21", sdk="frozen")
    assert not runtime_of("2026-06-01", ["disable_python_external_sdk"], "frozen").wrapped


@pytest.mark.parametrize("date", ["2025-13-01", "yesterday", "2025/01/01"])
def test_a_bad_date_is_named(date: str) -> None:
    with pytest.raises(ValueError, match=f"compatibility_date {date!r} is not a date"):
        runtime_of(date)


def test_without_a_date_today_is_used() -> None:
    assert runtime_of(None).compatibility_date == datetime.date.today().isoformat()
