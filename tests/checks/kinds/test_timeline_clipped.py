"""timeline's clipped date columns: numpy's reading of a typed date column against pandas' (`where`, `dropna`,
`normalize`), which it replaced because those calls cost a millisecond a column on every table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks.kinds import timeline

_DAY = 86_400 * 10**9
_moments = st.one_of(
    st.integers(-60 * 365 * _DAY, 80 * 365 * _DAY),  # 1910 .. 2050, anywhere in a day
    st.integers(-60 * 365, 80 * 365).map(lambda days: days * _DAY),  # midnights, before 1970 too
    st.none(),
)


def _dates(moments: list[int | None]) -> pd.Series:
    stamps = np.array([np.datetime64("NaT", "ns") if m is None else np.datetime64(m, "ns") for m in moments])
    return pd.Series(stamps.astype("datetime64[ns]"), index=pd.RangeIndex(5, 5 + 2 * len(moments), 2), name="closed_at")


def _as_pandas(dates: pd.Series, as_of: pd.Timestamp) -> tuple[pd.Series, bool]:
    """What the column was clipped to before: pandas' `where` and its 'dates only' by `normalize`."""
    clipped = dates.where(dates <= as_of + pd.Timedelta(days=1))
    present = clipped.dropna()
    return clipped, bool(len(present)) and bool((present == present.dt.normalize()).all())


@settings(max_examples=200, deadline=None)
@given(st.lists(_moments, max_size=30), st.integers(-20 * 365, 60 * 365), st.booleans())
def test_a_clipped_column_as_pandas_clips_it(moments: list[int | None], as_of_day: int, midnight: bool) -> None:
    """Oracle: dates after tomorrow dropped and 'dates only' told as pandas told them, with missing dates, times at
    and off midnight, before 1970, empty and all-missing columns."""
    as_of = pd.Timestamp(as_of_day * _DAY + (0 if midnight else 3_600 * 10**9 + 1))
    dates = _dates(moments)
    clipped = timeline._Clipped(dates, as_of)
    expected, date_only = _as_pandas(dates, as_of)
    pd.testing.assert_series_equal(clipped.dates, expected)
    assert clipped.date_only == date_only
    pd.testing.assert_series_equal(clipped.days, expected.dt.normalize())


def test_a_typed_date_column_is_clipped_without_pandas_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("pandas read the column again")

    monkeypatch.setattr(timeline, "_date_only", refused)
    monkeypatch.setattr(pd.Series, "where", refused)
    dates = pd.Series(
        pd.to_datetime(["2026-01-01", None, "2026-12-31", "2026-02-01T10:00"], format="ISO8601").as_unit("ns")
    )
    clipped = timeline._Clipped(dates, pd.Timestamp("2026-06-30"))
    assert clipped.dates.isna().tolist() == [False, True, True, False] and not clipped.date_only
