"""A bound's probe changes one column at its failing rows: the metric language makes a value or condition that does
not read the column once on the table, and one that reads it on the changed rows alone (`_Runtime._probed`). The
oracle is the straightforward way, the metric recomputed on the whole probed table (what every probe did before):
equal to the last bit, bound and result alike."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from deal_frames import ARROW_TEXT, deals
from hypothesis import given
from hypothesis import strategies as st
from oracle_examples import examples

from auditor.metrics import Params, bounds, language
from auditor.metrics.bounds import _substitute, bound
from auditor.metrics.common import probe_of, probing
from auditor.metrics.evaluate import prepare
from auditor.metrics.language import _Runtime, compile_metrics
from auditor.metrics.registry import Estimate, value_of
from auditor.money import Money

AS_OF = "2026-10-31"
MONEY = Money(base="PLN", rates={"PLN": 1.0, "EUR": 4.3})
DECOMPOSED = {
    "won_share": {"share": "opportunities where stage == Closed Won", "filter": "stage in [Closed Won, Closed Lost]"},
    "deals": {"count": "opportunities where amount > 100 and close_date in window"},
    "with_amount": {"count": "opportunities.amount"},
    "won_sum": {"sum": "opportunities.amount where stage == Closed Won", "window": "close_date"},
    "mean_size": {"mean": "opportunities.amount where stage != Proposal"},
    "cycle": {"mean": "days(opportunities.close_date - date(opportunities.created_at)) where stage == Closed Won"},
    "score": {"nps": "opportunities.probability", "filter": "close_date is not missing"},
    "per_deal": {"ratio": "sum(opportunities.amount where stage == Closed Won) / count(opportunities)"},
    "won_rate": {"rate": "count(opportunities where stage == Closed Won) / count(opportunities where amount > 0)"},
    "per_won": {"derived": "won_sum / deals"},
}
WHOLE = {
    "median_days": {"median": "days(opportunities.close_date - date(opportunities.created_at))"},
    "per_account": {"mean": "opportunities.amount where stage == Closed Won", "per": "account_id"},
    "top": {"top_share": "opportunities.amount", "per": "account_id", "top": "20%"},
    "accounts": {"count": "distinct opportunities.account_id where stage == Closed Won"},
    "new": {"count": "distinct opportunities.account_id where stage == Closed Won", "window": "first(close_date)"},
    "named": {"count": "opportunities where stage starts with 'Closed'"},
}
FIELDS = ["stage", "amount", "currency", "close_date", "created_at", "probability", "account_id"]


@pytest.fixture(scope="module")
def defined():
    return {**compile_metrics(DECOMPOSED), **compile_metrics(WHOLE)}


def _whole(m, t, p):
    return m.compute(t, p)


def _same(mine, theirs) -> None:
    """Equal to the last bit: the value and what its interval reads."""
    assert type(mine) is type(theirs)
    if not isinstance(theirs, Estimate):
        assert mine == theirs
        return
    assert (mine.value, mine.n, mine.successes, mine.scale) == (theirs.value, theirs.n, theirs.successes, theirs.scale)
    for a, b in ((mine.sample, theirs.sample), (mine.pairs, theirs.pairs)):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a, b)
    if theirs.derivation is not None:
        assert [(k, e.value, e.n) for k, e in mine.derivation.operands] == [
            (k, e.value, e.n) for k, e in theirs.derivation.operands
        ]


@examples(12)
@given(deals(min_rows=1, accounts=True, currency_dtype=ARROW_TEXT), st.data())
def test_a_probe_made_on_its_changed_rows_is_the_whole_recomputation_oracle(defined, frame, data) -> None:
    tables, _ = prepare({"opportunities": frame}, None, MONEY)
    base = tables["opportunities"]
    n = len(base)
    name = data.draw(st.sampled_from(FIELDS))
    failing = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    params = Params.make(AS_OF, money=MONEY)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(language, "PART_FROM_ROWS", 0)  # every table's changed rows made alone, however small
        _every_probe(defined, base, name, failing, params)


def _every_probe(defined, base: pd.DataFrame, name: str, failing: np.ndarray, params: Params) -> None:
    for probe in [*bounds.probes("opportunities", name, base[name], failing, params), "Closed Won"]:
        if isinstance(probe, str) and name != "stage":
            continue
        probed = base.assign(**{name: _substitute(base[name], failing, probe)})
        if probed[name].dtype != base[name].dtype or not failing.any():
            continue
        for m in defined.values():
            expected = m.compute({"opportunities": probed}, params)
            with probing(params, probed, base, name, np.flatnonzero(failing)):
                got = m.compute({"opportunities": probed}, params)
            _same(got, expected)
            assert probe_of(params, probed) is None  # told for the computation only


@examples(12)
@given(deals(min_rows=1, accounts=True, currency_dtype=ARROW_TEXT), st.data())
def test_the_bound_is_the_one_every_probe_made_whole_gives_oracle(defined, frame, data) -> None:
    tables, _ = prepare({"opportunities": frame}, None, MONEY)
    base = tables["opportunities"]
    n = len(base)
    cells = st.lists(st.booleans(), min_size=n, max_size=n)
    failing = {("opportunities", f): np.array(data.draw(cells), dtype=bool) for f in ("stage", "amount", "close_date")}
    read_at = np.array(data.draw(cells), dtype=bool) & failing[("opportunities", "stage")]
    read = {("opportunities", "stage"): (_substitute(base["stage"], read_at, "Closed Won"), read_at)}
    params = Params.make(AS_OF, money=MONEY)
    for mid, m in defined.items():
        value = value_of(m.compute(tables, params))
        with pytest.MonkeyPatch.context() as parts:
            parts.setattr(language, "PART_FROM_ROWS", 0)
            got = bound(m, tables, params, value, failing, _whole, read=read)
        with pytest.MonkeyPatch.context() as whole:
            whole.setattr(bounds, "PART_AT_MOST", 0.0)  # every probe computed on the whole table
            expected = bound(m, tables, params, value, failing, _whole, read=read)
        assert got == expected, mid


def _spied(monkeypatch) -> list[tuple[str, int]]:
    """(what, the rows of the table it was made on) for every value, condition and text match made."""
    made: list[tuple[str, int]] = []
    for what in ("_value", "_condition", "text_match"):
        real = getattr(_Runtime, what)

        def spy(rt, node, real=real, what=what):
            made.append((what, len(rt.frame)))
            return real(rt, node)

        monkeypatch.setattr(_Runtime, what, spy)
    return made


def _probe_stage(mid: str, monkeypatch, part_from: int = 0) -> list[tuple[str, int]]:
    """What a metric's computation on 100 deals made when the stage of the last two is probed (their rows made
    alone in a table of `part_from` rows or more)."""
    monkeypatch.setattr(language, "PART_FROM_ROWS", part_from)
    m = compile_metrics({mid: {**DECOMPOSED, **WHOLE}[mid]})[mid]
    frame = pd.DataFrame(
        {
            "stage": pd.Series(["Closed Won", "Closed Lost"] * 50, dtype=ARROW_TEXT),
            "amount": np.arange(100.0),
            "close_date": pd.Timestamp("2026-06-01"),
        }
    )
    params = Params.make(AS_OF)
    probed = frame.assign(stage=_substitute(frame["stage"], np.arange(100) >= 98, "Closed Won"))
    made = _spied(monkeypatch)
    with probing(params, probed, frame, "stage", np.array([98, 99])):
        m.compute({"opportunities": probed}, params)
        made.append(("second probe", 0))
        m.compute({"opportunities": probed}, params)
    return made


def test_what_the_probe_does_not_change_is_made_once_and_what_it_changes_on_its_rows() -> None:
    with pytest.MonkeyPatch.context() as mp:
        made = _probe_stage("won_sum", mp)
    first, second = made[: made.index(("second probe", 0))], made[made.index(("second probe", 0)) + 1 :]
    # the first probe makes the amounts, the window and the stage condition on the whole table once, and the stage
    # condition on the two changed rows; the next makes only the stage condition, on its two rows
    assert sorted(first) == [("_condition", 2), ("_condition", 100), ("_condition", 100), ("_value", 100)]
    assert second == [("_condition", 2)]


def test_what_the_probe_changes_in_a_small_table_is_made_on_the_whole_table_once() -> None:
    # taking a few rows out of a small table and putting them back costs as much as the whole; made once for the
    # probed table object, the next metric probing it so finds it (`bounds._probed_table` makes one per probe)
    with pytest.MonkeyPatch.context() as mp:
        made = _probe_stage("won_sum", mp, part_from=101)
    first, second = made[: made.index(("second probe", 0))], made[made.index(("second probe", 0)) + 1 :]
    assert ("_condition", 100) in first and ("_condition", 2) not in first
    assert second == []


def test_a_text_match_on_the_probed_column_is_made_on_the_whole_table() -> None:
    # a number column matched as text reads as whole numbers only when all of it is: not a row's own reading
    with pytest.MonkeyPatch.context() as mp:
        made = _probe_stage("named", mp)
    assert ("text_match", 100) in made and ("text_match", 2) not in made


def test_a_probe_that_changes_the_column_type_or_most_rows_is_not_told(monkeypatch) -> None:
    frame = pd.DataFrame({"stage": ["Closed Won"] * 4, "amount": pd.array([1, 2, 3, 4], dtype="Int64")})
    params = Params.make(AS_OF)
    told: list[bool] = []
    m = compile_metrics({"won": {"count": "opportunities where stage == Closed Won"}})["won"]

    def compute(metric, t, p):
        told.append(probe_of(p, t["opportunities"]) is not None)
        return metric.compute(t, p)

    one = {("opportunities", "stage"): np.array([False, False, False, True])}
    bound(m, {"opportunities": frame}, params, 4, one, compute)
    assert told and all(told)
    told.clear()
    most = {("opportunities", "stage"): np.array([True, True, True, False])}
    bound(m, {"opportunities": frame}, params, 4, most, compute)
    assert told and not any(told)
    # a text probe of a number column makes it a column of objects: another type, computed whole
    probed = frame.assign(amount=_substitute(frame["amount"], one[("opportunities", "stage")], "~probe~"))
    with bounds._told(params, probed, frame, "amount", np.array([3])):
        assert probe_of(params, probed) is None


@given(st.lists(st.one_of(st.none(), st.sampled_from(["Closed Won", "", "Ünï"])), min_size=1, max_size=30), st.data())
def test_a_missing_probe_of_arrow_text_is_what_where_gives_oracle(values: list[str | None], data) -> None:
    failing = np.array(data.draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values))))
    column = pd.Series(values, dtype=ARROW_TEXT, name="stage", index=range(3, 3 + len(values)))
    pd.testing.assert_series_equal(_substitute(column, failing, None), column.where(~failing))


@pytest.mark.parametrize(
    ("mid", "reduce"), [("median_days", "median_of"), ("per_account", "group_totals"), ("top", "top_share")]
)
def test_what_is_reduced_over_groups_of_rows_still_reduces_the_whole_table(mid: str, reduce: str) -> None:
    # a median, a per: total and a Pareto share cannot be recombined from the changed rows' part: their reduction
    # is given every selected row of the probed table, the changed rows among them
    m = compile_metrics({mid: WHOLE[mid]})[mid]
    frame = pd.DataFrame(
        {
            "account_id": pd.Series([f"A{i % 7}" for i in range(100)], dtype=ARROW_TEXT),
            "stage": pd.Series(["Closed Won"] * 100, dtype=ARROW_TEXT),
            "amount": np.arange(100.0),
            "created_at": pd.Timestamp("2026-01-01"),
            "close_date": pd.Timestamp("2026-06-01") + pd.to_timedelta(np.arange(100), unit="D"),
        }
    )
    params = Params.make(AS_OF)
    changed = np.arange(100) >= 98
    probed = frame.assign(amount=_substitute(frame["amount"], changed, 5.0))
    seen: list[int] = []
    real = getattr(language, reduce)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(language, "PART_FROM_ROWS", 0)
        mp.setattr(language, reduce, lambda values, *rest: seen.append(len(values)) or real(values, *rest))
        with probing(params, probed, frame, "amount", np.flatnonzero(changed)):
            got = m.compute({"opportunities": probed}, params)
    assert seen == [100]
    _same(got, m.compute({"opportunities": probed}, params))
