"""Pieces of the metrics stage made once or on the columns' own arrays instead of through pandas' operators on each
metric and computation (issue 17: the stage's fixed cost per metric). Each is checked against the straightforward
way it replaced (the oracle: the old code, written out here), to the last bit, and a piece kept for later metrics
against a different frame or findings table it must not serve."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.metrics import Params
from auditor.metrics.activity import RID
from auditor.metrics.common import missing, sums, within
from auditor.metrics.evaluate import _Failing, _freshness, _latest, _of_entity, _passing
from auditor.metrics.language import (
    _COMPARE,
    _UNPROBED,
    PART_FROM_ROWS,
    _compared,
    _currency_of,
    _Runtime,
    compile_metrics,
)
from auditor.metrics.registry import Metric
from auditor.model import ENTITIES, Role
from auditor.money import Money

NS = "datetime64[ns]"
DAYS = pd.date_range("2025-06-01", periods=40, freq="17D")
KEYS = ["2026-01", "2026-02", "2025-12", "b", "a", "ą", "Z", ""]


def _old_sums(values: pd.Series, keys: pd.Series) -> dict[str, float]:
    """`common.sums` as it was: a frame of both, its missing rows dropped, grouped by the keys as objects."""
    frame = pd.DataFrame({"k": keys.astype("object"), "v": values.astype("float64")}).dropna()
    return {str(k): float(v) for k, v in frame.groupby("k")["v"].sum().sort_index().items()}


def _old_compared(values: pd.Series, op: str, w: object) -> np.ndarray:
    return pd.Series(_COMPARE[op](values, w)).fillna(False).to_numpy(bool)


def _old_within(d: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    return ((d > start) & (d <= end)).fillna(False).astype(bool)


def _bits(mine: dict[str, float], theirs: dict[str, float]) -> None:
    assert list(mine) == list(theirs)
    assert [np.float64(v).tobytes() for v in mine.values()] == [np.float64(v).tobytes() for v in theirs.values()]


amounts = st.one_of(st.none(), st.floats(-1e9, 1e9, allow_nan=False), st.sampled_from([0.1, 0.2, 0.3, 1e16, -1e16]))


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.tuples(amounts, st.one_of(st.none(), st.sampled_from(KEYS))), max_size=60),
    dtype=st.sampled_from(["object", "str"]),
)
def test_sums_oracle_text_keys(rows: list, dtype: str) -> None:
    """Oracle: grouped by the keys' sorted codes, the same keys in the same order and the same sums to the last bit
    (pandas' compensated group sum over the same rows in the same order) as the frame grouped by the keys."""
    values = pd.Series([np.nan if v is None else v for v, _ in rows], dtype="float64", index=np.arange(len(rows)) * 3)
    keys = pd.Series([k for _, k in rows], dtype=dtype, index=values.index)
    _bits(sums(values, keys), _old_sums(values, keys))


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(amounts, st.one_of(st.none(), st.integers(-3, 3))), max_size=40))
def test_sums_oracle_number_keys(rows: list) -> None:
    """Oracle: keys that are numbers (a `per:` column of numbers) come out as the frame's groupby names them."""
    values = pd.Series([np.nan if v is None else v for v, _ in rows], dtype="float64")
    keys = pd.Series([np.nan if k is None else float(k) for _, k in rows], dtype="float64")
    _bits(sums(values, keys), _old_sums(values, keys))


def _dates(picks: list[int | None]) -> pd.Series:
    return pd.Series([pd.NaT if i is None else DAYS[i] for i in picks], dtype=NS, name="close_date")


@settings(max_examples=100, deadline=None)
@given(
    picks=st.lists(st.one_of(st.none(), st.integers(0, len(DAYS) - 1)), max_size=40),
    edges=st.tuples(st.integers(0, len(DAYS) - 1), st.integers(0, len(DAYS) - 1)),
    second=st.integers(0, 86399),
)
def test_within_oracle(picks: list, edges: tuple[int, int], second: int) -> None:
    """Oracle: the dates' own array compared by numpy, the same window as pandas' comparisons (NaT out), the same
    index and name."""
    d = _dates(picks)
    start, end = (DAYS[i] + pd.Timedelta(seconds=second) for i in sorted(edges))
    pd.testing.assert_series_equal(within(d, start, end), _old_within(d, start, end))


def test_within_other_dates_as_before() -> None:
    """Dates with a time zone or in another unit take pandas' comparison, as before."""
    start, end = pd.Timestamp("2025-01-01"), pd.Timestamp("2026-01-01")
    utc = (start.tz_localize("UTC"), end.tz_localize("UTC"))
    for d, (s, e) in (
        (pd.Series(DAYS.tz_localize("UTC")), utc),
        (pd.Series(DAYS.as_unit("s")), (start, end)),
        (pd.Series(DAYS.astype(object)), (start, end)),
    ):
        pd.testing.assert_series_equal(within(d, s, e), _old_within(d, s, e))


OPS = sorted(_COMPARE)


@settings(max_examples=150, deadline=None)
@given(
    picks=st.lists(st.one_of(st.none(), st.integers(0, len(DAYS) - 1)), max_size=30),
    at=st.integers(0, len(DAYS) - 1),
    op=st.sampled_from(OPS),
)
def test_compared_dates_oracle(picks: list, at: int, op: str) -> None:
    """Oracle: dates compared on their array as pandas compares them (NaT: True for != only)."""
    d = _dates(picks)
    np.testing.assert_array_equal(_compared(d, op, DAYS[at]), _old_compared(d, op, DAYS[at]))


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.none(), st.floats(-5, 5, allow_nan=False), st.sampled_from([0.0, -0.0, 1.0])), max_size=30
    ),
    w=st.one_of(st.floats(-5, 5, allow_nan=False), st.sampled_from([0.0, 1.0, float("inf")])),
    op=st.sampled_from(OPS),
)
def test_compared_numbers_oracle(values: list, w: float, op: str) -> None:
    """Oracle: numbers compared on their array as pandas compares them (NaN: True for != only)."""
    s = pd.Series([np.nan if v is None else v for v in values], dtype="float64")
    np.testing.assert_array_equal(_compared(s, op, w), _old_compared(s, op, w))


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.sampled_from(KEYS)), max_size=30),
    w=st.sampled_from(KEYS),
    op=st.sampled_from(["==", "!="]),
    dtype=st.sampled_from(["str", "object", pd.StringDtype("python")]),
)
def test_compared_text_oracle(values: list, w: str, op: str, dtype: object) -> None:
    """Oracle: the loader's Arrow text compared by Arrow as pandas' NaN-backed text compares (missing: True for !=
    only); other text as before."""
    s = pd.Series(values, dtype=dtype)
    if isinstance(s.dtype, pd.StringDtype) and s.dtype.na_value is pd.NA:
        s = s.astype("object").where(s.notna(), None)  # as `common.text` hands such text to a comparison
    np.testing.assert_array_equal(_compared(s, op, w), _old_compared(s, op, w))


def test_missing_oracle() -> None:
    """Oracle: the column's own array says what `isna` says, for every type the loader makes."""
    for s in (
        pd.Series(["a", None, "b"], dtype="str"),
        pd.Series([1.0, np.nan]),
        pd.Series([DAYS[0], pd.NaT], dtype=NS),
        pd.Series([1, None], dtype="Int64"),
        pd.Series([True, None], dtype="boolean"),
        pd.Series(["a", None, np.nan], dtype=object),
    ):
        got = missing(s)
        assert got.dtype == bool
        np.testing.assert_array_equal(got, s.isna().to_numpy(bool))


def _old_freshness(m: Metric, tables: dict[str, pd.DataFrame], as_of: pd.Timestamp) -> tuple[float | None, str]:
    newest, where = None, ""
    limit = as_of + pd.Timedelta(days=1)
    for entity in m.inputs:
        frame = tables.get(entity)
        if frame is None or not len(frame):
            continue
        for col in ("updated_at", "created_at"):
            if col in frame.columns:
                s = frame[col]
                latest = s[s <= limit].max()
                if pd.notna(latest) and (newest is None or latest > newest):
                    newest, where = pd.Timestamp(latest), f"{entity}.{col}"
    if newest is None:
        return None, ""
    return max(0.0, (as_of - newest.normalize()) / pd.Timedelta(days=1)), where


def _metric(*entities: str) -> Metric:
    return Metric("m", "m", "", "count", {e: ("created_at",) for e in entities}, lambda t, p: 0)


@settings(max_examples=60, deadline=None)
@given(
    a=st.lists(
        st.tuples(st.one_of(st.none(), st.integers(0, 39)), st.one_of(st.none(), st.integers(0, 39))), max_size=8
    ),
    b=st.lists(
        st.tuples(st.one_of(st.none(), st.integers(0, 39)), st.one_of(st.none(), st.integers(0, 39))), max_size=8
    ),
    at=st.integers(0, 39),
)
def test_freshness_kept_oracle(a: list, b: list, at: int) -> None:
    """Oracle: the latest dates found once per table give every metric the age and table the old loop gave it."""
    tables = {
        name: pd.DataFrame({"updated_at": _dates([u for u, _ in rows]), "created_at": _dates([c for _, c in rows])})
        for name, rows in (("accounts", a), ("contacts", b))
    }
    cache: dict = {}
    for m in (_metric("accounts"), _metric("contacts", "accounts"), _metric("accounts", "contacts")):
        assert _freshness(m, tables, DAYS[at], cache) == _old_freshness(m, tables, DAYS[at])


def test_latest_serves_no_other_frame() -> None:
    """A table's latest dates are kept with the frame and as_of they were found for: another frame of the same
    entity (a metric's own copy) or another as_of is looked at anew."""
    cache: dict = {}
    first = pd.DataFrame({"created_at": _dates([1, 2])})
    other = pd.DataFrame({"created_at": _dates([3, 30])})
    assert _latest("accounts", first, DAYS[39], cache) == [("created_at", DAYS[2])]
    assert _latest("accounts", other, DAYS[39], cache) == [("created_at", DAYS[30])]
    assert _latest("accounts", other, DAYS[10], cache) == [("created_at", DAYS[3])]


def test_findings_of_an_entity_serve_no_other_findings() -> None:
    """The findings of an entity are kept with the findings table they were taken from: a metric whose suspects
    add findings of its own is given those."""
    cache: dict = {}
    findings = pd.DataFrame({"entity": ["accounts", "contacts", "accounts"], "record_id": ["a", "c", "b"]})
    more = pd.concat([findings, pd.DataFrame({"entity": ["accounts"], "record_id": ["z"]})], ignore_index=True)
    pd.testing.assert_frame_equal(_of_entity("accounts", findings, cache), findings[findings["entity"] == "accounts"])
    assert _of_entity("accounts", findings, cache) is _of_entity("accounts", findings, cache)
    pd.testing.assert_frame_equal(_of_entity("accounts", more, cache), more[more["entity"] == "accounts"])


def _language_metrics():
    return compile_metrics(
        {
            "won": {"count": "opportunities where stage == Closed Won and close_date in window"},
            "won_sum": {"sum": "opportunities.amount where stage == Closed Won", "window": "close_date"},
            "open_share": {"share": "opportunities where stage != Closed Won", "filter": "amount > 10"},
        }
    )


def _deals(stages: list[str | None], amounts: list[float | None]) -> pd.DataFrame:
    n = len(stages)
    return pd.DataFrame(
        {
            "stage": pd.Series(stages, dtype="str"),
            "amount": pd.Series([np.nan if a is None else a for a in amounts], dtype="float64"),
            "currency": pd.Series(["PLN"] * n, dtype="str"),
            "close_date": _dates([i % len(DAYS) for i in range(n)]),
        }
    )


STAGES = ["Closed Won", "Closed Lost", "Proposal", None]


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(st.tuples(st.sampled_from(STAGES), st.one_of(st.none(), st.floats(0, 1e6))), min_size=1, max_size=30),
    other=st.lists(
        st.tuples(st.sampled_from(STAGES), st.one_of(st.none(), st.floats(0, 1e6))), min_size=1, max_size=30
    ),
)
def test_kept_values_oracle_and_no_other_frame(rows: list, other: list) -> None:
    """Oracle: a small table's values and conditions kept for the run (`_Runtime._once`) give each metric what a
    fresh Params (nothing kept) gives it, on the same table and on another table after it (a different frame, even
    one equal to the first, is never served the first's)."""
    money = Money(base="PLN", rates={"PLN": 1.0})
    first = _deals([s for s, _ in rows], [a for _, a in rows])
    second = _deals([s for s, _ in other], [a for _, a in other])
    shared = Params.make("2026-10-31", money=money)
    for frame in (first, second, first, second.copy()):
        for m in _language_metrics().values():
            mine = m.compute({"opportunities": frame}, shared)
            theirs = m.compute({"opportunities": frame}, Params.make("2026-10-31", money=money))
            assert repr(mine) == repr(theirs)


def test_kept_values_only_for_small_tables() -> None:
    """A table of PART_FROM_ROWS rows or more keeps nothing: its values would hold a million rows' arrays per node."""
    money = Money(base="PLN", rates={"PLN": 1.0})
    m = _language_metrics()["won"]
    for n, kept in ((PART_FROM_ROWS - 1, True), (PART_FROM_ROWS, False)):
        p = Params.make("2026-10-31", money=money)
        m.compute({"opportunities": _deals(["Closed Won"] * n, [1.0] * n)}, p)
        assert bool(p.memo.get(_UNPROBED[_Runtime._condition])) is kept


def test_currency_of_oracle() -> None:
    """Oracle: the currency column of every field of every entity, as the model's field lookups say it."""
    for entity, spec in ENTITIES.items():
        for f in spec.fields:
            expected = f.currency_field if f.role is Role.MONEY and f.currency_field else None
            assert _currency_of(entity, f.name) == expected
        assert _currency_of(entity, "no_such_column") is None


def test_passing_oracle_and_no_other_failing() -> None:
    """Oracle: the passing records of the columns a metric reads, as each metric took them; kept for a small table
    and served only for the same failing records of the same frame."""
    m = _language_metrics()["won_sum"]
    frame = _deals(["Closed Won", "Proposal", None, "Closed Won"], [1.0, 2.0, None, 4.0]).assign(**{RID: list("abcd")})
    x = _Failing("opportunities", "opportunities", 4, 2, pd.Series([True, False, True, False]), None)
    y = _Failing("opportunities", "opportunities", 4, 1, pd.Series([False, False, False, True]), None)
    cache: dict = {}
    for failing in (x, y, x):
        columns = [c for c in frame.columns if c in {*m.reads("opportunities"), RID}]
        theirs = frame.loc[~failing.fail_mask.to_numpy(bool), columns]
        pd.testing.assert_frame_equal(_passing(m, failing, frame, cache), theirs)
    assert _passing(m, x, frame, cache) is _passing(m, x, frame, cache)
    other = frame.copy()
    assert _passing(m, x, other, cache) is not _passing(m, x, frame, cache)
