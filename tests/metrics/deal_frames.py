"""A hypothesis strategy of small opportunities tables, shared by the metric language's oracle tests (breakdowns
made from values made once, a bound's probe made on its changed rows): every column a metric of them reads, each with
missing values, and dates on either side of a window."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

ARROW_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)
STAGES = ["Closed Won", "Closed Lost", "Proposal", None]
ACCOUNTS = ["A1", "A10", "A2", "a1", "É3", "b", None]
"""account ids that sort in more than one way (case, digits, accents)"""


@st.composite
def deals(draw: st.DrawFn, min_rows: int = 0, accounts: bool = False, currency_dtype: Any = None) -> pd.DataFrame:
    """Up to 40 deals (at least `min_rows`); with an Arrow text `account_id` when `accounts`; the currency as
    `currency_dtype` (None: the type pandas infers for the texts)."""
    n = draw(st.integers(min_rows, 40))

    def column(strategy: st.SearchStrategy) -> list:
        return draw(st.lists(strategy, min_size=n, max_size=n))

    days = st.one_of(st.none(), st.integers(0, 700))
    frame: dict[str, Any] = {"opportunity_id": [f"O{i}" for i in range(n)]}
    if accounts:
        frame["account_id"] = pd.Series(column(st.sampled_from(ACCOUNTS)), dtype=ARROW_TEXT)
    currency = column(st.sampled_from(["PLN", "EUR", None]))
    frame |= {
        "stage": pd.Series(column(st.sampled_from(STAGES)), dtype=ARROW_TEXT),
        "amount": pd.Series(column(st.one_of(st.none(), st.floats(-50, 1e6, allow_nan=False))), dtype="float64"),
        "currency": currency if currency_dtype is None else pd.Series(currency, dtype=currency_dtype),
        "probability": pd.Series(column(st.one_of(st.none(), st.integers(0, 10))), dtype="float64"),
        "created_at": pd.to_datetime(
            [None if d is None else pd.Timestamp("2025-01-01 13:00") + pd.Timedelta(days=d) for d in column(days)]
        ),
        "close_date": pd.to_datetime(
            [None if d is None else pd.Timestamp("2025-03-01") + pd.Timedelta(days=d) for d in column(days)]
        ),
    }
    return pd.DataFrame(frame)
