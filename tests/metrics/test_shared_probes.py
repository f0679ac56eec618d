"""A bound's probes shared by the metrics of one table (issue 17: the metrics stage on a small export): the same
probe of the same field's same cells is one probed table per run (`bounds._probed_table`), what the metric language
makes of it is kept with that table (`language._Runtime._once`), and a metric's result on it too
(`evaluate._compute_probe`, found again by a derived metric's operand). The oracles are the straightforward way,
every probe made anew with a fresh Params: equal to the last bit; and nothing kept is served for another frame or
another column's values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from deal_frames import ARROW_TEXT, deals
from hypothesis import given
from hypothesis import strategies as st
from oracle_examples import examples
from test_probe_rows import DECOMPOSED, MONEY, WHOLE

from auditor.metrics import Params, bounds
from auditor.metrics.bounds import _probed_table, _substitute, bound, probes
from auditor.metrics.evaluate import _compute, _compute_probe, prepare
from auditor.metrics.language import compile_metrics
from auditor.metrics.registry import value_of

AS_OF = "2026-10-31"
FIELDS = ["stage", "amount", "currency", "close_date", "probability", "account_id"]
DERIVED = {"won_per_deal": {"derived": "won_sum / deals"}, "won_less_mean": {"derived": "won_sum - mean_size"}}


@pytest.fixture(scope="module")
def defined():
    return compile_metrics({**DECOMPOSED, **WHOLE, **DERIVED})


def _deals(rows: int = 6) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stage": pd.Series(["Closed Won", "Proposal"] * (rows // 2), dtype=ARROW_TEXT),
            "amount": np.arange(float(rows)),
        }
    )


def test_a_probe_is_one_table_per_frame_field_cells_and_probe() -> None:
    frame, params = _deals(), Params.make(AS_OF)
    cells = np.array([True, False, False, False, True, False])

    def probed(probe, mask=cells, base=frame, column=None):
        return _probed_table(params, base, "stage", base["stage"] if column is None else column, mask, probe)

    first = probed("Closed Won")
    assert probed("Closed Won") is first  # the next metric's probe of the same cells
    assert probed("Proposal") is not first and probed(None) is not first
    assert probed("Closed Won", mask=~cells) is not first
    copy = frame.copy()
    assert probed("Closed Won", base=copy) is not first  # an equal copy is another table: looked at anew
    # the same key with other values in the column (a rule's reading of cells the probe leaves alone) is not served
    read = frame["stage"].copy()
    read.iloc[1] = "Closed Won"
    other = probed("Closed Won", column=read)
    assert other is not first and other["stage"].tolist() == ["Closed Won"] * 2 + ["Closed Won", "Proposal"] * 2


def test_a_large_tables_probe_is_made_anew(monkeypatch) -> None:
    monkeypatch.setattr(bounds, "PART_FROM_ROWS", 4)
    frame, params = _deals(), Params.make(AS_OF)
    cells = np.array([True, False, False, False, False, False])
    assert _probed_table(params, frame, "amount", frame["amount"], cells, 1.0) is not _probed_table(
        params, frame, "amount", frame["amount"], cells, 1.0
    )


def test_a_probe_key_tells_types_and_own_values_apart() -> None:
    frame = pd.DataFrame({"n": [1.0, 0.0, 1.0, 0.0], "t": pd.Series(list("abcd"), dtype=ARROW_TEXT)})
    params = Params.make(AS_OF)
    cells = np.array([True, False, True, False])
    as_bool = _probed_table(params, frame, "n", frame["n"], cells, True)
    as_number = _probed_table(params, frame, "n", frame["n"], cells, 1.0)
    assert as_bool is not as_number and as_bool["n"].dtype != as_number["n"].dtype  # True == 1.0, not the same column
    own = next(p for p in probes("opportunities", "t", frame["t"], cells, params) if isinstance(p, np.ndarray))
    again = np.array(own)  # `probes` makes the same values again for the next metric
    assert _probed_table(params, frame, "t", frame["t"], cells, own) is _probed_table(
        params, frame, "t", frame["t"], cells, again
    )


@examples(40)
@given(deals(min_rows=1, accounts=True, currency_dtype=ARROW_TEXT), st.data())
def test_a_kept_probe_is_the_probe_made_anew_oracle(frame, data) -> None:
    """Oracle: every call, on one Params for the run, gives the table `frame.assign` of the substituted column gives,
    whatever the calls before it were (the same cells, other cells, other fields, readings of other cells)."""
    params = Params.make(AS_OF, money=MONEY)
    n = len(frame)
    for _ in range(data.draw(st.integers(1, 6))):
        name = data.draw(st.sampled_from(FIELDS))
        mask = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
        column = frame[name]
        if data.draw(st.booleans()) and name == "stage":  # a reading of some cells, as `_readings` makes
            column = _substitute(column, ~mask & (np.arange(n) % 2 == 0), "Closed Won")
        for probe in probes("opportunities", name, column, mask, params):
            expected = frame.assign(**{name: _substitute(column, mask, probe)})
            pd.testing.assert_frame_equal(_probed_table(params, frame, name, column, mask, probe), expected)


@examples(15)
@given(deals(min_rows=2, accounts=True, currency_dtype=ARROW_TEXT), st.data())
def test_the_bounds_of_metrics_sharing_probes_are_each_bound_alone_oracle(defined, frame, data) -> None:
    """Oracle: the bounds of every metric of one table, one after another on one Params (sharing probed tables, the
    language's values and conditions on them and the operands' results), equal each bound made on a fresh Params
    with the metric recomputed per probe (`_compute`)."""
    tables, _ = prepare({"opportunities": frame}, None, MONEY)
    n = len(frame)
    cells = st.lists(st.booleans(), min_size=n, max_size=n)
    failing = {("opportunities", f): np.array(data.draw(cells), dtype=bool) for f in ("stage", "amount", "close_date")}
    shared = Params.make(AS_OF, money=MONEY)
    for mid in data.draw(st.permutations(list(defined))):
        m = defined[mid]
        fresh = Params.make(AS_OF, money=MONEY)
        value = value_of(m.compute(tables, fresh))
        got = bound(m, tables, shared, value, failing, _compute_probe)
        assert got == bound(m, tables, fresh, value, failing, _compute), mid


def test_a_result_on_a_probe_is_kept_for_that_table_object_only(defined) -> None:
    frame, _ = prepare({"opportunities": _deals()}, None, MONEY)
    params, made = Params.make(AS_OF, money=MONEY), []
    m = defined["won_sum"]

    class Counted:
        inputs, compute = m.inputs, None

    def counted(t, p):
        made.append(t["opportunities"])
        return m.compute(t, p)

    counted_metric = Counted()
    counted_metric.compute = counted
    first = _compute_probe(counted_metric, frame, params)
    assert _compute_probe(counted_metric, frame, params) is first and len(made) == 1
    copy = {"opportunities": frame["opportunities"].copy()}
    assert value_of(_compute_probe(counted_metric, copy, params)) == value_of(first) and len(made) == 2
    assert made[1] is copy["opportunities"]
