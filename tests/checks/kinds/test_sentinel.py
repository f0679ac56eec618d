"""The sentinel kind's dates: each distinct day judged once must judge every timestamp as its own text would."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import example, given, settings
from hypothesis import strategies as st

from auditor.checks.kinds import sentinel
from auditor.checks.kinds._fastpath import fullmatches
from auditor.checks.kinds.sentinel import DATES, EPOCH, _dates

_STAMPS = st.one_of(
    st.none(),
    st.sampled_from([f"{d} {t}" for d in (*DATES[:3], EPOCH, "2026-03-29", "2023-03-12") for t in ("00:00", "05:30")]),
    st.datetimes(
        min_value=pd.Timestamp("1890-01-01").to_pydatetime(), max_value=pd.Timestamp("2100-01-01").to_pydatetime()
    ),
)


@settings(max_examples=100, deadline=None)
@example(["2023-03-12 05:30", "1900-01-01 05:00", None], "America/Havana")  # a day whose midnight does not exist
@given(st.lists(_STAMPS, max_size=30), st.sampled_from([None, "UTC", "Europe/Warsaw", "America/Havana"]))
def test_sentinel_days_are_the_days_the_timestamps_are_written_as(stamps: list, zone: str | None) -> None:
    values = pd.Series(pd.to_datetime(pd.Series(stamps, dtype=object), utc=zone is not None), dtype=None)
    if zone is not None:
        values = values.dt.tz_convert(zone)
    for field in ("created_at", "birth_date"):
        sentinel_days = list(DATES) + ([] if "birth" in field else [EPOCH])
        want = values.dt.strftime("%Y-%m-%d").isin(sentinel_days).tolist()
        assert _dates(values, field, None).tolist() == want


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.integers(-(10**15) + 1, 10**15 - 1),
            st.builds(
                lambda d, k, s: s * int(str(d) * k), st.integers(0, 9), st.integers(1, 15), st.sampled_from([1, -1])
            ),
        ),
        max_size=40,
    )
)
def test_oracle_placeholder_integers_are_the_regex_of_their_text(numbers: list[int]) -> None:
    values = np.array(numbers, dtype=np.int64)
    expected = fullmatches(pa.array(values.astype(str)), sentinel._NUMBER_PLACEHOLDER)
    assert sentinel._placeholder_integers(values).tolist() == expected.tolist()
