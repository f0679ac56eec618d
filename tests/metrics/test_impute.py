"""Failing records take their unknown cells from passing records of their kind (`metrics.impute`)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.metrics.impute import like_their_kind, strata_columns


def _subscriptions(statuses: list[str], days: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "status": pd.Series(statuses, dtype="string"),
            "plan": pd.Series(["Pro" if i % 2 else "Basic" for i in range(len(statuses))], dtype="string"),
            "days": days,
        }
    )


def test_a_cancelled_record_takes_its_missing_date_from_cancelled_records() -> None:
    passing = _subscriptions(["Active"] * 8 + ["Cancelled"] * 2, [np.nan] * 8 + [10.0, 20.0])
    failing = _subscriptions(["Cancelled", "Active", "Cancelled"], [np.nan] * 3)
    unknown = {"days": np.array([True, True, True]), "status": np.zeros(3, dtype=bool)}
    filled = like_their_kind(passing, failing, unknown, ["status"])
    # two cancelled ones take the two cancelled records' quantiles, in their order; the active one a blank
    assert filled["days"].tolist()[0] == 10.0 and filled["days"].tolist()[2] == 20.0
    assert np.isnan(filled["days"].tolist()[1])
    assert filled["status"].tolist() == ["Cancelled", "Active", "Cancelled"]
    assert filled["days"].dtype == passing["days"].dtype


def test_a_kind_no_passing_record_has_falls_back_to_the_coarser_one() -> None:
    # no passing record is Cancelled on the Pro plan: the Pro one is matched on its status alone
    passing = _subscriptions(["Active", "Cancelled", "Active", "Active"], [np.nan, 5.0, np.nan, np.nan])
    failing = pd.DataFrame(
        {"status": pd.Series(["Cancelled"], dtype="string"), "plan": pd.Series(["Pro"], dtype="string"), "days": [0.0]}
    )
    filled = like_their_kind(passing, failing, {"days": np.array([True])}, ["status", "plan"])
    assert filled["days"].tolist() == [5.0]


def test_cells_unknown_together_come_from_one_donor() -> None:
    # status and days of a record whose status is garbled come from the same passing record, so that a
    # blank date never lands on a cancelled status
    passing = _subscriptions(["Active", "Cancelled"] * 5, [np.nan, 7.0] * 5)
    failing = _subscriptions(["?"] * 6, [np.nan] * 6)
    unknown = {"status": np.ones(6, dtype=bool), "days": np.ones(6, dtype=bool)}
    filled = like_their_kind(passing, failing, unknown, strata_columns(passing, ["status", "plan"]))
    cancelled = filled["status"] == "Cancelled"
    assert cancelled.sum() == 3
    assert (filled["days"][cancelled] == 7.0).all() and filled["days"][~cancelled].isna().all()


def test_kinds_are_the_text_columns_with_few_values() -> None:
    frame = pd.DataFrame(
        {
            "id": [f"S{i}" for i in range(100)],
            "status": ["Active", "Cancelled"] * 50,
            "churned": [True, False] * 50,
            "amount": np.arange(100.0),
            "start": pd.Timestamp("2026-01-01"),
            "one": "x",
        }
    )
    # an id (100 values for 100 records) would leave each record alone; one value sorts nothing; two with
    # as many values come in the order of their names
    assert strata_columns(frame, list(frame.columns)) == ["churned", "status"]


@settings(max_examples=60, deadline=None)
@given(
    statuses=st.lists(st.sampled_from(["A", "B", "C"]), min_size=1, max_size=40),
    failing_statuses=st.lists(st.sampled_from(["A", "B", "C", "D"]), min_size=1, max_size=15),
)
def test_every_unknown_cell_comes_from_a_passing_record_of_its_kind_when_there_is_one(
    statuses: list[str], failing_statuses: list[str]
) -> None:
    passing = pd.DataFrame({"status": statuses, "value": np.arange(len(statuses), dtype=float)})
    failing = pd.DataFrame({"status": failing_statuses, "value": -1.0})
    filled = like_their_kind(passing, failing, {"value": np.ones(len(failing), dtype=bool)}, ["status"])
    donors = passing.set_index("value")["status"]
    for status, value in zip(filled["status"], filled["value"], strict=True):
        assert value in donors.index
        if status in statuses:
            assert donors[value] == status
    # k records of one kind take k different donors while the kind has as many
    for status, rows in filled.groupby("status"):
        if statuses.count(str(status)) >= len(rows):
            assert rows["value"].is_unique


def _deals(stages: list[str], created: list[str], closed: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stage": pd.Series(stages, dtype="string"),
            "created_at": pd.to_datetime(created),
            "close_date": pd.to_datetime(closed),
        }
    )


SPAN = (("created_at", "close_date"),)


def test_a_record_knowing_its_start_takes_a_duration_not_another_records_end() -> None:
    # won deals of 10, 30 and 50 days, created years apart: a failing deal created in 2026 whose close date
    # is wrong closes 30 days after its own creation (the middle duration), not on a 2020 deal's close date
    passing = _deals(
        ["Won"] * 3, ["2020-01-01", "2023-01-01", "2025-06-01"], ["2020-01-31", "2023-01-11", "2025-07-21"]
    )
    failing = _deals(["Won"], ["2026-03-01"], ["2001-01-01"])
    filled = like_their_kind(passing, failing, {"close_date": np.array([True])}, ["stage"], SPAN)
    assert filled["close_date"].tolist() == [pd.Timestamp("2026-03-31")]
    assert filled["created_at"].tolist() == [pd.Timestamp("2026-03-01")]
    # without the span it is the middle close date of the others, a duration of none of them
    plain = like_their_kind(passing, failing, {"close_date": np.array([True])}, ["stage"])
    assert plain["close_date"].tolist() == [pd.Timestamp("2023-01-11")]


def test_a_record_knowing_its_end_takes_its_start_back_by_a_duration() -> None:
    passing = _deals(["Won"] * 2, ["2024-01-01", "2024-02-01"], ["2024-01-05", "2024-02-21"])
    failing = _deals(["Won"] * 2, ["1999-01-01", "1999-01-01"], ["2026-05-10", "2026-05-10"])
    filled = like_their_kind(passing, failing, {"created_at": np.array([True, True])}, ["stage"], SPAN)
    # the two quantiles of the passing durations (4 and 20 days), counted back from each one's own close
    assert sorted(filled["created_at"].tolist()) == [pd.Timestamp("2026-04-20"), pd.Timestamp("2026-05-06")]


def test_a_record_knowing_neither_end_takes_both_from_one_donor() -> None:
    passing = _deals(["Won"] * 2, ["2024-01-01", "2024-02-01"], ["2024-01-05", "2024-02-21"])
    failing = _deals(["Won"], ["1999-01-01"], ["1999-01-02"])
    unknown = {"created_at": np.array([True]), "close_date": np.array([True])}
    filled = like_their_kind(passing, failing, unknown, ["stage"], SPAN)
    pair = (filled["created_at"].iloc[0], filled["close_date"].iloc[0])
    assert pair in list(zip(passing["created_at"], passing["close_date"], strict=True))


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 400), min_size=1, max_size=30),
    starts=st.lists(st.integers(0, 3000), min_size=1, max_size=12),
    missing_end=st.booleans(),
)
def test_every_filled_duration_is_a_passing_records_duration(
    lengths: list[int], starts: list[int], missing_end: bool
) -> None:
    origin = pd.Timestamp("2018-01-01")
    created = [origin + pd.Timedelta(days=3 * i) for i in range(len(lengths))]
    passing = pd.DataFrame(
        {
            "stage": pd.Series(["Won"] * len(lengths), dtype="string"),
            "created_at": created,
            "close_date": [c + pd.Timedelta(days=d) for c, d in zip(created, lengths, strict=True)],
        }
    )
    own = [origin + pd.Timedelta(days=s) for s in starts]
    failing = pd.DataFrame(
        {"stage": pd.Series(["Won"] * len(starts), dtype="string"), "created_at": own, "close_date": own}
    )
    field = "close_date" if missing_end else "created_at"
    filled = like_their_kind(passing, failing, {field: np.ones(len(starts), dtype=bool)}, ["stage"], SPAN)
    known = "created_at" if missing_end else "close_date"
    assert filled[known].tolist() == failing[known].tolist()
    taken = (filled["close_date"] - filled["created_at"]).dt.days
    assert set(taken) <= set(lengths)
    # k records of one kind take k different donors while it has as many: no duration is used twice more
    # often than the passing records hold it
    if len(starts) <= len(lengths):
        assert not Counter(taken.tolist()) - Counter(lengths)


def test_dates_with_and_without_a_time_zone_are_not_taken_for_a_span() -> None:
    # they do not subtract: the close date is taken as it is, as without a span
    passing = _deals(["Won"] * 2, ["2024-01-01", "2024-02-01"], ["2024-01-05", "2024-02-21"])
    passing["created_at"] = passing["created_at"].dt.tz_localize("UTC")
    failing = _deals(["Won"], ["2026-03-01"], ["2001-01-01"])
    failing["created_at"] = failing["created_at"].dt.tz_localize("UTC")
    filled = like_their_kind(passing, failing, {"close_date": np.array([True])}, ["stage"], SPAN)
    assert filled["close_date"].tolist() == [pd.Timestamp("2024-02-21")]
