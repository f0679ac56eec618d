"""What the metrics stage makes once per run instead of once per metric, computation or probe (issue 17, twentieth
session): the days in stage of the sales cycle per stage (shared by the bound's stage probes), the defective records
of the owners' and sources' metrics, the order screen's dates per column, a `per:` mean's breakdown groups from
values made once, and a value with duplicates merged that merging did not touch. Oracles: the straightforward code
each replaced, written out here; and a kept piece is not served for another frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
from deal_frames import ARROW_TEXT, deals
from hypothesis import given
from hypothesis import strategies as st
from oracle_examples import examples

from auditor.metrics import Params, get_metric
from auditor.metrics.activity import OWNED, RID, SOURCED, record_ids
from auditor.metrics.common import STAGES, days, probing, text
from auditor.metrics.evaluate import _merged_value, prepare
from auditor.metrics.language import compile_metrics
from auditor.metrics.screening import _Dates, _out_of_order
from auditor.money import Money

AS_OF = "2026-10-31"
START = pd.Timestamp("2026-01-01")
MONEY = Money(base="PLN", rates={"PLN": 1.0, "EUR": 4.3})


# --- the sales cycle per stage -------------------------------------------------------------------------------------


def _cycle_oracle(h: pd.DataFrame) -> dict[str, float]:
    """sales_cycle_by_stage as it was written before its days were kept (the oracle)."""
    h = pd.DataFrame({"o": text(h["opportunity_id"]), "s": text(h["stage"]), "at": h["entered_at"]}).dropna()
    deal = pd.factorize(h["o"], sort=True)[0]
    order = np.lexsort((h["at"].to_numpy(), deal))
    h, deal = h.iloc[order], deal[order]
    same_deal = np.zeros(len(deal), dtype=bool)
    same_deal[:-1] = deal[1:] == deal[:-1]
    nxt = h["at"].shift(-1).where(same_deal)
    h = h.assign(d=days(nxt, h["at"])).dropna(subset=["d"])
    mean = h.groupby("s")["d"].mean()
    return {s: float(mean[s]) for s in STAGES if s in mean.index}


@st.composite
def histories(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 40))

    def column(strategy: st.SearchStrategy) -> list:
        return draw(st.lists(strategy, min_size=n, max_size=n))

    hours = column(st.one_of(st.none(), st.integers(0, 24 * 60)))
    return pd.DataFrame(
        {
            "opportunity_id": pd.Series(column(st.sampled_from(["O1", "O2", "o1", "O10", None])), dtype=ARROW_TEXT),
            "stage": pd.Series(column(st.sampled_from([*STAGES[:4], None])), dtype=ARROW_TEXT),
            "entered_at": pd.to_datetime(
                [None if h is None else pd.Timestamp("2026-01-01") + pd.Timedelta(hours=h) for h in hours]
            ),
        }
    )


def _cycle(h: pd.DataFrame, p: Params) -> dict[str, float]:
    return get_metric("sales_cycle_by_stage").compute({"opportunity_history": h}, p)


def _stage_probe(h: pd.DataFrame, rows: np.ndarray, probe: str | None) -> pd.DataFrame:
    stage = h["stage"].copy()
    stage.iloc[rows] = probe if probe is not None else np.nan
    return h.assign(stage=stage.astype(ARROW_TEXT))


@examples(60)
@given(histories(), st.data())
def test_the_cycle_per_stage_on_its_stage_probes_oracle(h: pd.DataFrame, data) -> None:
    """Oracle: the table and each of its stage probes (a missing stage, which leaves rows out, or a stage, which may
    put rows in) made one after another on one Params, told to the metric as probes (`common.probing`), equal the
    metric as it was written on each table alone, to the last bit."""
    p = Params.make(AS_OF)
    assert _cycle(h, p) == _cycle_oracle(h)
    rows = np.flatnonzero(data.draw(st.lists(st.booleans(), min_size=len(h), max_size=len(h))))
    for probe in data.draw(st.lists(st.sampled_from([None, *STAGES[:4]]), max_size=4)):
        probed = _stage_probe(h, rows, probe)
        with probing(p, probed, h, "stage", rows):
            assert _cycle(probed, p) == _cycle_oracle(probed)


@examples(40)
@given(histories(), st.integers(1, 24 * 30))
def test_the_cycles_days_are_not_served_for_another_table(h: pd.DataFrame, shift: int) -> None:
    """The kept days are the table's own: another table with the same rows present (its entries moved) on the same
    Params, a probe of its entries told as one, and an equal copy give their own cycle."""
    p = Params.make(AS_OF)
    _cycle(h, p)
    moved = h.assign(entered_at=h["entered_at"] + pd.Timedelta(hours=shift) * (np.arange(len(h)) % 3))
    assert _cycle(moved, p) == _cycle_oracle(moved)
    rows = np.arange(0, len(h), 2)
    with probing(p, moved, h, "entered_at", rows):
        assert _cycle(moved, p) == _cycle_oracle(moved)
    assert _cycle(h.copy(), p) == _cycle_oracle(h)


# --- the defective records per owner and per source ----------------------------------------------------------------


def _defects_oracle(t: dict, entities: tuple[str, ...], by: str) -> dict[str, float]:
    """The share of each key's records named by a finding, counted in Python (the oracle)."""
    f = t["findings"]
    named = set(zip(f["entity"], f["record_id"], strict=True)) if len(f) else set()
    seen: dict[str, list[bool]] = {}
    for e in entities:
        frame = t.get(e)
        if frame is None or by not in frame.columns:
            continue
        for key, rid in zip(frame[by], record_ids(frame, e), strict=True):
            if not pd.isna(key):
                seen.setdefault(str(key), []).append((e, rid) in named)
    return {k: sum(v) / len(v) for k, v in sorted(seen.items())}


@st.composite
def owned(draw: st.DrawFn) -> dict[str, pd.DataFrame]:
    tables = {}
    for e in ("accounts", "contacts", "opportunities"):
        n = draw(st.integers(1, 12))
        tables[e] = pd.DataFrame(
            {
                RID: pd.Series([f"{e[0]}{i}" for i in range(n)], dtype=ARROW_TEXT),
                "owner": pd.Series(draw(st.lists(st.sampled_from(["ann", "bo", None]), min_size=n, max_size=n))),
                "source": pd.Series(draw(st.lists(st.sampled_from(["web", "import", None]), min_size=n, max_size=n))),
            }
        )
    ids = [(e, rid) for e, frame in tables.items() for rid in frame[RID]]
    picked = draw(st.lists(st.sampled_from(ids), max_size=10))
    tables["findings"] = pd.DataFrame(
        {"entity": [e for e, _ in picked], "record_id": [r for _, r in picked]}, dtype="object"
    )
    return tables


@examples(40)
@given(owned(), st.data())
def test_defects_per_owner_and_source_oracle(tables: dict, data) -> None:
    """Oracle: both metrics on the tables, on the tables with one table replaced (as merging duplicates does) and
    under other findings (a metric's own suspects), one after another on one Params, equal the straightforward
    lookup of each table's records among the findings, whatever was kept before."""
    p = Params.make(AS_OF)
    replaced = dict(tables, contacts=tables["contacts"].iloc[::-1].reset_index(drop=True))
    fewer = dict(tables, findings=tables["findings"].iloc[: data.draw(st.integers(0, len(tables["findings"])))])
    for t in (tables, replaced, fewer, tables):
        for mid, entities, by in (("defects_per_owner", OWNED, "owner"), ("defects_per_source", SOURCED, "source")):
            assert get_metric(mid).compute(t, p) == _defects_oracle(t, entities, by), mid


# --- the order screen's dates ------------------------------------------------------------------------------------


def _order_oracle(entity: str, name: str, frame: pd.DataFrame, end: pd.Timestamp, reported: dict) -> pd.Series:
    """The order screen of one column with nothing shared (each pair reads both columns anew, as before)."""
    return _out_of_order(entity, name, _Dates(frame, end), reported)


@examples(40)
@given(st.data())
def test_the_order_screen_reads_each_column_once_oracle(data) -> None:
    """Oracle: every column's order screen with the columns' dates shared across the table's columns equals each
    screened with nothing shared, with dates with and without times, future dates and reported cells."""
    n = data.draw(st.integers(1, 30))
    names = ["opened_at", "first_response_at", "resolved_at", "created_at", "updated_at"]

    def stamps(with_time: bool) -> pd.Series:
        hours = data.draw(st.lists(st.one_of(st.none(), st.integers(0, 24 * 400)), min_size=n, max_size=n))
        step = 1 if with_time else 24
        return pd.Series(
            pd.to_datetime(
                [None if h is None else pd.Timestamp("2026-01-01") + pd.Timedelta(hours=h * step) for h in hours]
            )
        )

    frame = pd.DataFrame({c: stamps(data.draw(st.booleans())) for c in names})
    reported = {
        c: np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
        for c in data.draw(st.lists(st.sampled_from(names), unique=True))
    }
    end = pd.Timestamp("2026-11-01")
    shared = _Dates(frame, end)
    for name in names:
        got = _out_of_order("tickets", name, shared, reported)
        pd.testing.assert_series_equal(got, _order_oracle("tickets", name, frame, end, reported))


# --- a mean of totals per group, broken down ------------------------------------------------------------------------

PER = {
    "clv_like": {"mean": "opportunities.amount where stage == Closed Won", "per": "account_id"},
    "median_per": {"median": "opportunities.amount", "per": "account_id", "window": "close_date"},
}


@examples(40)
@given(deals(accounts=True), st.data())
def test_a_mean_of_totals_per_group_on_each_breakdown_group_oracle(frame: pd.DataFrame, data) -> None:
    """Oracle: each breakdown group's mean (or median) of the `per:` totals made from values made once is the metric
    on a table of only the group's rows (as it was recomputed before), every field of the Estimate to the last bit."""
    tables, _ = prepare({"opportunities": frame}, None, MONEY)
    params = Params.make(AS_OF, money=MONEY)
    codes = np.array(data.draw(st.lists(st.integers(0, 3), min_size=len(frame), max_size=len(frame))), dtype=int)
    groups = [np.flatnonzero(codes == c) for c in range(4)]
    opp = tables["opportunities"]
    for mid, m in {**compile_metrics(PER), "clv": get_metric("clv")}.items():
        assert m.grouped is not None, mid
        expected = [m.compute({**tables, "opportunities": opp.iloc[g]}, params) for g in groups]
        for mine, theirs in zip(m.grouped(tables, params, groups), expected, strict=True):
            assert (mine.value, mine.n) == (theirs.value, theirs.n), mid
            np.testing.assert_array_equal(mine.sample, theirs.sample)


# --- the value with duplicates merged --------------------------------------------------------------------------------


def test_a_value_merging_left_alone_is_not_computed_again() -> None:
    """A metric whose every table merging left the same object has its own value with duplicates merged (as a copy:
    a distribution is not the raw value's dict); one whose table merging changed is computed on the merged tables."""
    m = get_metric("records_per_owner")
    frame = pd.DataFrame({RID: ["a1", "a2"], "owner": ["ann", "bo"]})
    tables = {"accounts": frame, "findings": pd.DataFrame()}
    p = Params.make(AS_OF)
    value = m.compute(tables, p)
    got = _merged_value(m, tables, dict(tables), p, value)
    assert got == value and got is not value
    assert _merged_value(m, tables, dict(tables, accounts=frame.iloc[:1]), p, value) == {"ann": 1}
    assert _merged_value(m, tables, dict(tables, findings=pd.DataFrame()), p, value) == value
