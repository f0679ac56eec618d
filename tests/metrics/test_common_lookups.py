"""Column-wise helpers of the metrics that replace per-value work: each equals the plain pandas reading."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from auditor.metrics.common import (
    CODE,
    KEPT_PER_FUNCTION,
    STAGES,
    Params,
    coded,
    counts,
    days,
    kept,
    per_table,
    positions,
    text,
)
from auditor.metrics.evaluate import _unreported
from auditor.metrics.sales import sales_cycle_by_stage
from auditor.money import Money

TEXT = pd.StringDtype("pyarrow", na_value=np.nan)


@given(
    st.lists(st.text("abc", max_size=3), unique=True, max_size=20),
    st.lists(st.one_of(st.none(), st.text("abcd", max_size=3)), max_size=40),
    st.booleans(),
)
def test_positions_are_an_index_lookup(ids: list[str], keys: list[str | None], arrow: bool) -> None:
    dtype = TEXT if arrow else object
    id_series, key_series = pd.Series(ids, dtype=dtype), pd.Series(keys, dtype=dtype)
    expected = pd.Index(ids, dtype=object).get_indexer(pd.Series(keys, dtype=object).fillna("\0missing"))
    assert positions(key_series, id_series).tolist() == expected.tolist()


@given(st.lists(st.one_of(st.none(), st.sampled_from(["Won", "Lost", "", "Ünï", "b"])), max_size=40), st.booleans())
def test_counts_of_arrow_text_equal_the_object_reading(values: list[str | None], arrow: bool) -> None:
    series = pd.Series(values, dtype=TEXT if arrow else object)
    reference = series.dropna().astype("object").value_counts()
    assert counts(series) == {str(k): int(v) for k, v in reference.sort_index().items()}
    assert list(counts(series)) == sorted(str(k) for k in reference.index)
    assert counts(series, ("Won", "zzz")) == {"Won": int(reference.get("Won", 0)), "zzz": 0}


def _days_in_stage_by_sorting_text(h: pd.DataFrame) -> dict[str, float]:
    h = pd.DataFrame({"o": text(h["opportunity_id"]), "s": text(h["stage"]), "at": h["entered_at"]}).dropna()
    h = h.sort_values(["o", "at"], kind="stable")
    h = h.assign(d=days(h.groupby("o", sort=False)["at"].shift(-1), h["at"])).dropna(subset=["d"])
    mean = h.groupby("s")["d"].mean()
    return {s: float(mean[s]) for s in STAGES if s in mean.index}


@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.sampled_from(["O1", "O10", "O2", "b", "a"])),
            st.one_of(st.none(), st.sampled_from(STAGES)),
            st.one_of(st.none(), st.floats(0, 50)),
        ),
        max_size=40,
    ),
    st.booleans(),
)
def test_days_in_stage_order_the_history_as_a_sort_of_its_text(rows: list, arrow: bool) -> None:
    """The same means to the last bit: the rows summed in the same order."""
    ids, stages, at = zip(*rows, strict=True) if rows else ((), (), ())
    history = pd.DataFrame(
        {
            "opportunity_id": pd.Series(ids, dtype=TEXT if arrow else object),
            "stage": pd.Series(stages, dtype=object),
            "entered_at": pd.Timestamp("2026-01-01") + pd.to_timedelta(pd.Series(at, dtype="float64"), unit="D"),
        }
    )
    assert sales_cycle_by_stage({"opportunity_history": history}, None) == _days_in_stage_by_sorting_text(history)


def test_a_function_of_a_table_is_computed_once_per_frame_and_params() -> None:
    calls: list[int] = []

    @per_table
    def rows(frame: pd.DataFrame, p: Params, scale: int) -> int:
        calls.append(1)
        return scale * len(frame)

    p, frame = Params.make("2026-10-31"), pd.DataFrame({"x": [1, 2, 3]})
    assert rows(frame, p, 2) == rows(frame, p, 2) == 6 and len(calls) == 1
    assert rows(frame, p, 3) == 9 and len(calls) == 2  # other arguments
    assert rows(frame.assign(x=0), p, 2) == 6 and len(calls) == 3  # another frame, though alike
    assert rows(frame, Params.make("2026-10-31"), 2) == 6 and len(calls) == 4  # other parameters
    for k in range(KEPT_PER_FUNCTION):
        rows(pd.DataFrame({"x": range(k)}), p, 2)
    calls.clear()
    rows(frame, p, 2)
    assert len(calls) == 1  # only the last few frames are kept: the first was let go

    def twin(name: str) -> object:
        def of(frame: pd.DataFrame, p: Params) -> str:
            return name

        return per_table(of)

    a, b = twin("a"), twin("b")  # same qualified name, different functions
    assert (a(frame, p), b(frame, p)) == ("a", "b")


def test_a_result_of_several_tables_is_kept_while_every_one_of_them_is_the_same_frame() -> None:
    # a derived metric's operand (`clv` in `clv / cac`) while a bound probes a table it does not read
    calls: list[int] = []

    def make() -> int:
        calls.append(1)
        return len(calls)

    p = Params.make("2026-10-31")
    deals, costs = pd.DataFrame({"x": [1]}), pd.DataFrame({"y": [2]})
    owner = len  # any callable names the memo
    assert kept(p, owner, (deals, costs), None, make) == kept(p, owner, (deals, costs), None, make) == 1
    assert kept(p, owner, (deals, costs.copy()), None, make) == 2  # one of them probed: computed again
    assert kept(p, owner, (deals, costs), None, make) == 1  # the first is still kept
    assert kept(p, owner, (deals, costs), "other", make) == 3  # another key
    assert kept(p, sum, (deals, costs), None, make) == 4  # another owner
    assert len(calls) == 4


def test_a_text_column_s_codes_are_kept_while_a_probe_replaces_another_column() -> None:
    p = Params.make("2026-10-31")
    deals = pd.DataFrame({"amount": [1.0, 2.0, 3.0], "currency": pd.Series(["EUR", None, "PLN"], dtype=TEXT)})
    codes, uniques = coded(p, deals["currency"])
    assert codes.tolist() == [0, -1, 1] and list(uniques) == ["EUR", "PLN"]
    probed = deals.assign(amount=[9.0, 9.0, 9.0])  # a bound's probe of the amounts shares the currencies' array
    assert coded(p, probed["currency"])[0] is codes
    other = deals.assign(currency=pd.Series(["PLN", "PLN", None], dtype=TEXT))  # a probe of the currencies
    assert coded(p, other["currency"])[0].tolist() == [0, 0, -1]
    assert coded(Params.make("2026-10-31"), deals["currency"])[0] is not codes  # kept per Params
    money = Money(base="PLN", rates={"PLN": 1.0, "EUR": 4.3})
    converted = money.to_base(deals["amount"], deals["currency"], coded(p, deals["currency"]))
    pd.testing.assert_series_equal(converted, money.to_base(deals["amount"], deals["currency"]))


CELLS = st.tuples(
    st.sampled_from(["contacts", "accounts"]), st.integers(0, 4), st.sampled_from(["email", "phone", None])
)


@given(st.lists(CELLS, max_size=25), st.lists(CELLS, min_size=1, max_size=15))
def test_cells_reported_by_code_are_those_reported_by_text(reported: list[tuple], found: list[tuple]) -> None:
    """Oracle: evaluate._unreported by records' codes keeps the cells a reading of their texts keeps."""

    def frame(cells: list[tuple]) -> pd.DataFrame:
        # a record's code is its number among its entity's ids; the text id says which entity's it is
        return pd.DataFrame(
            {
                "entity": [e for e, _, _ in cells],
                "record_id": [f"{e[0]}{r}" for e, r, _ in cells],
                "field": [f for _, _, f in cells],
                CODE: np.array([r for _, r, _ in cells], dtype=np.int64),
            }
        )

    findings, candidates = frame(reported), frame(found)
    keys = ["entity", "record_id", "field"]
    by_text = candidates[
        ~pd.MultiIndex.from_frame(candidates[keys].astype("object")).isin(
            pd.MultiIndex.from_frame(findings[keys].astype("object"))
        )
    ]
    assert _unreported(candidates, findings).equals(by_text)
