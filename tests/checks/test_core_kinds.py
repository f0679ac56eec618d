"""Unit tests of the structural rule kinds beyond their examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks.base import CheckContext
from auditor.checks.kinds import get_kind, staleness
from auditor.checks.kinds._columns import forget_columns
from auditor.model import ENTITIES

AS_OF = pd.Timestamp("2026-10-31")


def ctx(entity: str, frame: pd.DataFrame, raw: pd.DataFrame | None = None, **tables: pd.DataFrame) -> CheckContext:
    return CheckContext(
        entity=ENTITIES[entity],
        frame=frame,
        raw=frame if raw is None else raw,
        tables={entity: frame, **tables},
        as_of=AS_OF,
        default_region="PL",
    )


def run(kind: str, entity: str, frame: pd.DataFrame, field: str, params: dict, **kw) -> list[bool]:
    return get_kind(kind).check(frame[field], params, ctx(entity, frame, **kw)).tolist()


def test_required_reads_the_raw_cell_so_unparseable_values_are_not_missing() -> None:
    raw = pd.DataFrame({"amount": ["12,5OO", None, " "]})
    typed = pd.DataFrame({"amount": [np.nan, np.nan, np.nan]})
    assert run("required", "opportunities", typed, "amount", {}, raw=raw) == [True, False, False]
    assert run("type", "opportunities", typed, "amount", {}, raw=raw) == [False, True, True]


def test_unique_reports_every_member_and_ignores_missing() -> None:
    frame = pd.DataFrame({"email": ["a@x.pl", "A@x.pl ", "b@x.pl", None, None]})
    assert run("unique", "contacts", frame, "email", {}) == [True, True, True, True, True]
    assert run("unique", "contacts", frame, "email", {"case_sensitive": False}) == [False, False, True, True, True]


def test_range_compares_dates_with_iso_bounds() -> None:
    frame = pd.DataFrame({"birth_date": pd.to_datetime(["1899-12-31", "1900-01-01", None])})
    assert run("range", "contacts", frame, "birth_date", {"min": "1900-01-01"}) == [False, True, True]


def test_order_with_a_before_map_and_missing_sides() -> None:
    frame = pd.DataFrame({"sent": [100, 100, None], "delivered": [90, 120, 5], "opened": [95, 10, 1]})
    before = {"delivered": "sent", "opened": "delivered"}
    assert run("order", "campaigns", frame, "delivered", {"before": before}) == [True, False, True]
    assert run("order", "campaigns", frame, "opened", {"before": before}) == [False, True, True]


def test_not_future_allows_the_as_of_day_and_tolerance() -> None:
    frame = pd.DataFrame({"created_at": pd.to_datetime(["2026-10-31 23:00", "2026-11-01 00:00", "2026-11-02 00:00"])})
    assert run("not_future", "contacts", frame, "created_at", {}) == [True, False, False]
    assert run("not_future", "contacts", frame, "created_at", {"tolerance_days": 1}) == [True, True, False]


def test_outlier_judges_each_group_separately_and_skips_small_groups() -> None:
    rng = np.random.default_rng(1)
    pln = 10 ** rng.normal(4.5, 0.2, 40)
    eur = 10 ** rng.normal(3.5, 0.2, 10)
    amounts = np.concatenate([pln, [5e9], eur, [5e9]])
    currency = ["PLN"] * 41 + ["EUR"] * 11
    frame = pd.DataFrame({"amount": amounts, "currency": currency})
    result = run("outlier", "opportunities", frame, "amount", {"log": True, "group_by": "currency", "threshold": 6})
    assert result.count(False) == 1 and result[40] is False  # the EUR group is too small to judge


def test_staleness_counts_created_at_as_a_touch() -> None:
    frame = pd.DataFrame(
        {
            "contact_id": ["C1", "C2"],
            "updated_at": pd.to_datetime([None, None]),
            "created_at": pd.to_datetime(["2026-10-01", "2020-01-01"]),
        }
    )
    assert run("staleness", "contacts", frame, "updated_at", {"days": 90}) == [True, False]


def test_staleness_reads_the_latest_activity_and_survives_records_without_any() -> None:
    frame = pd.DataFrame(
        {"contact_id": ["C1", "C2", None], "updated_at": pd.to_datetime(["2020-01-01", "2020-01-01", "2020-01-01"])}
    )
    activities = pd.DataFrame(
        {"contact_id": ["C1", "C1", "C9"], "occurred_at": pd.to_datetime(["2026-10-01", "2019-01-01", "2026-10-01"])}
    )
    params = {"days": 90, "activity_key": "contact_id"}
    assert run("staleness", "contacts", frame, "updated_at", params, activities=activities) == [True, False, False]
    # none of these records has an activity (pandas' Series.map raised on the empty datetime look-up)
    none = activities[activities["contact_id"] == "C9"]
    assert run("staleness", "contacts", frame, "updated_at", params, activities=none) == [False, False, False]
    assert run("staleness", "contacts", frame, "updated_at", params, activities=none.iloc[:0]) == [False] * 3


def test_staleness_of_some_records_reads_their_rows() -> None:
    """Oracle: the last touch of a part of the records (a finding's rows, a Spark partition), read from their
    rows of the table, equals the whole column's at those rows."""
    frame = pd.DataFrame(
        {
            "contact_id": ["C1", "C2", "C3", "C4"],
            "updated_at": pd.to_datetime(["2020-01-01", None, "2026-10-01", None]),
            "created_at": pd.to_datetime(["2026-09-01", "2019-01-01", None, None]),
            "note": ["a", "b", "c", "d"],
        },
        index=[10, 11, 12, 13],
    )
    activities = pd.DataFrame({"contact_id": ["C2"], "occurred_at": pd.to_datetime(["2026-10-20"])})
    params = {"days": 90, "activity_key": "contact_id"}
    context = ctx("contacts", frame, activities=activities)
    kind = get_kind("staleness")
    whole = kind.display(frame["updated_at"], params, context)
    part = frame["updated_at"].loc[[13, 11, 10]]
    assert kind.display(part, params, context).fillna("").tolist() == whole.loc[[13, 11, 10]].fillna("").tolist()
    assert whole.fillna("").tolist() == ["2026-09-01", "2026-10-20", "2026-10-01", ""]


def _stacked_max(frame: pd.DataFrame, activities: pd.DataFrame, rows: pd.Index) -> pd.Series:
    """The earlier code's last touch of some records: their times side by side, the latest of each row."""
    latest = activities.groupby("contact_id", sort=False)["occurred_at"].max()
    part = frame.loc[rows]
    by_activity = pd.Series(latest.reindex(part["contact_id"].to_numpy()).to_numpy(), index=rows)
    return pd.concat([part["updated_at"], part["created_at"], by_activity], axis=1).max(axis=1)


_TIMES = st.lists(st.one_of(st.none(), st.integers(-3000, 3000)), min_size=1, max_size=10)


@settings(max_examples=100, deadline=None)
@given(_TIMES, _TIMES, _TIMES, st.data())
def test_oracle_the_last_touch_is_the_latest_of_the_times_side_by_side(
    updated: list, created: list, occurred: list, data: st.DataObject
) -> None:
    """Oracle: the last touch (the greatest of the times as numbers, kept for the messages) against the times
    side by side in a frame and `max(axis=1)`, of the whole column and of some of its records."""
    size = min(len(updated), len(created))
    day = pd.Timestamp("2026-01-01")

    def times(offsets: list) -> pd.Series:
        return pd.Series([pd.NaT if d is None else day + pd.Timedelta(days=d) for d in offsets], dtype="M8[ns]")

    frame = pd.DataFrame(
        {
            "contact_id": [f"C{i % 4}" for i in range(size)],
            "updated_at": times(updated[:size]),
            "created_at": times(created[:size]),
        },
        index=range(100, 100 + size),
    )
    keys = [f"C{i % 5}" for i in range(len(occurred))]
    activities = pd.DataFrame({"contact_id": keys, "occurred_at": times(occurred)})
    params = {"days": 90, "activity_key": "contact_id"}
    context = ctx("contacts", frame, activities=activities)
    rows = pd.Index(data.draw(st.lists(st.sampled_from(list(frame.index)), unique=True)), dtype="int64")
    whole = staleness.last_touch(frame["updated_at"], params, context)
    part = staleness.last_touch(frame["updated_at"].loc[rows], params, context)
    pd.testing.assert_series_equal(whole, _stacked_max(frame, activities, frame.index), check_exact=True)
    pd.testing.assert_series_equal(part, _stacked_max(frame, activities, rows), check_exact=True)


def test_the_stale_records_messages_reuse_the_last_touch_their_check_made(monkeypatch) -> None:
    frame = pd.DataFrame(
        {
            "contact_id": ["C1", "C2", "C3"],
            "updated_at": pd.to_datetime(["2020-01-01", "2020-01-01", "2026-10-01"]),
            "created_at": pd.to_datetime(["2019-01-01", None, None]),
        }
    )
    activities = pd.DataFrame({"contact_id": ["C1"], "occurred_at": pd.to_datetime(["2021-01-01"])})
    params = {"days": 90, "activity_key": "contact_id"}
    context = ctx("contacts", frame, activities=activities)
    grouped: list[object] = []
    groupby = pd.DataFrame.groupby
    monkeypatch.setattr(pd.DataFrame, "groupby", lambda self, *a, **kw: grouped.append(a) or groupby(self, *a, **kw))
    kind = get_kind("staleness")
    assert kind.check(frame["updated_at"], params, context).tolist() == [False, False, True]
    assert kind.display(frame["updated_at"].iloc[:2], params, context).tolist() == ["2021-01-01", "2020-01-01"]
    assert len(grouped) == 1  # the activities grouped for the check only
    forget_columns()


_IDS = st.lists(st.one_of(st.none(), st.sampled_from(["C1", "C2", "c1", "C3", ""])), max_size=12)


@settings(max_examples=100, deadline=None)
@given(_IDS, _IDS, st.lists(st.integers(0, 400), max_size=12))
def test_latest_activity_by_arrow_as_reindex_finds_it(ids: list, keys: list, days: list) -> None:
    """Oracle: each record's latest activity looked up by Arrow against pandas' reindex of the grouped times."""
    size = min(len(keys), len(days))
    activities = pd.DataFrame(
        {
            "contact_id": pd.Series(keys[:size], dtype="str"),
            "occurred_at": pd.Timestamp("2026-01-01") + pd.to_timedelta(days[:size], unit="D"),
        }
    )
    latest = activities.groupby("contact_id", sort=False)["occurred_at"].max()
    ids_column = pd.Series(ids, dtype="str")
    expected = latest.reindex(ids_column.to_numpy()).to_numpy()
    got = staleness._latest_of(latest, ids_column)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)), max_size=40),
    st.floats(-1e3, 1e3, allow_nan=False),
    st.floats(0, 1e3, allow_nan=False),
)
def test_range_matches_a_plain_reference(values: list, low: float, width: float) -> None:
    high = low + width
    frame = pd.DataFrame({"amount": pd.Series(values, dtype="float64")})
    got = run("range", "opportunities", frame, "amount", {"min": low, "max": high})
    expected = [v is None or low <= v <= high for v in values]
    assert got == expected


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(1, 1e6, allow_nan=False), min_size=25, max_size=60), st.floats(2, 10))
def test_outlier_is_scale_invariant_and_symmetric(values: list, factor: float) -> None:
    params = {"log": True, "threshold": 3.5}
    base = run("outlier", "opportunities", pd.DataFrame({"amount": values}), "amount", params)
    scaled = run("outlier", "opportunities", pd.DataFrame({"amount": [v * factor for v in values]}), "amount", params)
    assert base == scaled
