"""A distinct count's failing records whose scope is unknown take it from passing records their known cells resemble."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.metrics import evaluate_metrics
from auditor.metrics.impute import _guessed_right, telling_column
from auditor.metrics.language import compile_metrics

WON_CUSTOMERS = compile_metrics(
    {"won_customers": {"count": "distinct opportunities.account_id where stage == Closed Won"}}
)


def _pipeline() -> pd.DataFrame:
    # 40 won deals (probability 100) and 160 open ones (probability 50), each of its own account; the first
    # twenty open deals' stage is blank though their probability says they are open
    n_won, n_open = 40, 160
    return pd.DataFrame(
        {
            "opportunity_id": [f"O{i:03d}" for i in range(n_won + n_open)],
            "account_id": [f"A{i:03d}" for i in range(n_won + n_open)],
            "stage": ["Closed Won"] * n_won + [None] * 20 + ["Negotiation"] * (n_open - 20),
            "probability": [100.0] * n_won + [50.0] * n_open,
            "owner": ["Ann", "Bob"] * ((n_won + n_open) // 2),
            "currency": "PLN",
        }
    )


def test_a_blank_stage_takes_its_kind_from_the_column_that_tells_it() -> None:
    # the truth is 40 customers. Each blank stage taken from a random passing deal (a fifth of them won) made
    # the extrapolation about 44 (+10%); from deals of the same probability, none is won: 40
    deals = _pipeline()
    findings = pd.DataFrame(
        {
            "entity": "opportunities",
            "record_id": deals["opportunity_id"][40:60],
            "field": "stage",
            "rule_id": "opportunities.stage.required",
        }
    )
    [result] = evaluate_metrics(
        {"opportunities": deals}, findings, as_of="2026-10-31", metrics=WON_CUSTOMERS.values(), breakdowns=False
    )
    assert result.value == 40
    assert result.value_excluding_failing == 40


def test_the_telling_column_is_the_one_the_field_follows() -> None:
    deals = _pipeline().iloc[60:].reset_index(drop=True)
    deals = pd.concat([_pipeline().iloc[:40], deals], ignore_index=True)
    assert telling_column(deals, "stage", ["probability", "owner", "currency", "opportunity_id"]) == "probability"


def test_no_column_tells_a_field_no_better_than_its_most_common_value() -> None:
    # an owner, a constant, an id: none predicts the stage of a record from the others that share its value
    # better than the most common stage does, so none is taken
    deals = pd.concat([_pipeline().iloc[:40], _pipeline().iloc[60:]], ignore_index=True)
    assert telling_column(deals, "stage", ["owner", "currency", "opportunity_id"]) is None


def _loo_by_loop(frame: pd.DataFrame, target: str, column: str | None) -> int:
    # oracle: each record's field guessed as the most common one among the other records with its value of the
    # column (a tie is no guess), counted one record at a time
    right = 0
    for i in range(len(frame)):
        others = frame.drop(index=i)
        if column is not None:
            same = others[column].isna() if pd.isna(frame.at[i, column]) else others[column].eq(frame.at[i, column])
            others = others[same]
        counts = others[target].value_counts(dropna=False)
        if len(counts) and (len(counts) == 1 or counts.iloc[0] > counts.iloc[1]):
            right += counts.index[0] == frame.at[i, target] or (
                pd.isna(counts.index[0]) and pd.isna(frame.at[i, target])
            )
    return right


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", None]), st.sampled_from([1.0, 2.0, 3.0, None])), min_size=1, max_size=25
    )
)
def test_oracle_leave_one_out_guesses_match_a_loop(rows: list[tuple[str | None, float | None]]) -> None:
    frame = pd.DataFrame(rows, columns=["field", "x"])
    assert _guessed_right(frame["field"], frame["x"]) == _loo_by_loop(frame, "field", "x")
    assert _guessed_right(frame["field"], None) == _loo_by_loop(frame, "field", None)
