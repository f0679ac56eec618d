"""`constant`: a date column holding one value on every dated record, told by its earliest and latest."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import context

from auditor.checks.kinds import get_kind


def _check(stamps: list[str | None]) -> list[bool]:
    values = pd.Series(pd.to_datetime(pd.Series(stamps)), name="created_at")
    return get_kind("constant").check(values, {"min_count": 3}, context(values.to_frame())).tolist()


def test_one_date_on_every_dated_record_fails_them_without_counting_distinct_dates(monkeypatch) -> None:
    monkeypatch.setattr(pd.Series, "nunique", lambda *a, **k: pytest.fail("distinct dates counted"))
    assert _check(["2024-01-01", None, "2024-01-01", "2024-01-01"]) == [False, True, False, False]
    assert _check(["2024-01-01", None, "2024-01-02", "2024-01-01"]) == [True] * 4
    assert _check(["2024-01-01", None, "2024-01-01"]) == [True] * 3  # two dates: fewer than min_count
