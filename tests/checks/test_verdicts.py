"""A kind's verdicts in their cheap form (`Verdicts`: a numpy mask or `PASSES`), which the check engine reads
without a pandas Series made per rule and column: the same masks as the Series form (`check`) every other
caller reads."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks import engine
from auditor.checks.base import PASSES, CheckContext, as_series
from auditor.checks.kinds import get_kind, registry
from auditor.checks.kinds._columns import forget_columns
from auditor.checks.packs import load_rules
from auditor.model import ENTITIES
from auditor.sources.loader import load_export

ROOT = Path(__file__).resolve().parents[2]
AS_OF = pd.Timestamp("2026-10-31")
WILDCARD_KINDS = (
    "sentinel",
    "odd_format",
    "misspelt",
    "usually_filled",
    "rarely_filled",
    "identifier",
    "constant",
    "timeline",
    "exact_copy",
    "birth",
    "number_as_text",
)
"""The kinds of the real-world pack's `fields: ["*"]` rules, which judge every column of every table."""


def _ctx(table) -> CheckContext:  # type: ignore[no-untyped-def]
    return CheckContext(
        entity=ENTITIES[table.entity], frame=table.frame, raw=table.raw, tables={}, as_of=AS_OF, default_region="US"
    )


def _every_row(mask: np.ndarray | None, length: int) -> np.ndarray:
    return np.ones(length, dtype=bool) if mask is None else mask


@pytest.mark.parametrize("name", [*WILDCARD_KINDS, "type", "required"])
def test_every_wildcard_kind_and_the_most_used_core_ones_answer_in_the_cheap_form(name: str) -> None:
    assert get_kind(name).verdicts is not None


def test_oracle_the_cheap_form_masks_as_the_series_form_on_every_column_of_acme() -> None:
    """Per table, column and kind with a cheap form: the engine's mask of its verdicts and of its check's Series."""
    export = load_export(ROOT / "fixtures" / "acme")
    cheap = [kind for kind in registry().values() if kind.verdicts is not None]
    compared = 0
    for table in export.tables.values():
        ctx = _ctx(table)
        ctx = CheckContext(**{**ctx.__dict__, "tables": {t.entity: t.frame for t in export.tables.values()}})
        everywhere = pd.Series(True, index=table.frame.index)
        for column in table.frame.columns:
            for kind in cheap:
                values = table.frame[column]
                fast = engine._mask(kind.verdicts(values, {}, ctx), everywhere, True)  # type: ignore[misc]
                slow = engine._series_mask(kind.check(values, {}, ctx), everywhere, True)
                np.testing.assert_array_equal(_every_row(fast, len(values)), slow, err_msg=f"{kind.name} {column}")
                compared += 1
        forget_columns()
    assert compared > 1_000


@settings(max_examples=100, deadline=None)
@given(
    verdicts=st.lists(st.sampled_from([True, False, None]), min_size=1, max_size=12),
    applies=st.lists(st.booleans(), min_size=12, max_size=12),
    form=st.sampled_from(["array", "passes", "bool", "boolean"]),
)
def test_oracle_a_mask_of_each_form_as_the_series_mask(
    verdicts: list[bool | None], applies: list[bool], form: str
) -> None:
    """Against the engine's former reading of a Series: NA passes, and a row the rule does not apply to passes."""
    n = len(verdicts)
    index = pd.RangeIndex(n)
    when = pd.Series(applies[:n], index=index)
    if form == "passes":
        answer: object = PASSES
        series = pd.Series(True, index=index)
    elif form == "array":
        answer = np.array([bool(v) if v is not None else True for v in verdicts])
        series = pd.Series(answer, index=index)
    else:
        values = [v if v is not None or form == "boolean" else True for v in verdicts]
        answer = series = pd.Series(values, index=index, dtype=form)
    filled = series.astype("boolean").fillna(True).astype(bool)
    for everywhere in (True, False):
        expected = (filled if everywhere else filled | ~when).to_numpy()
        got = engine._mask(answer, when, everywhere)  # type: ignore[arg-type]
        np.testing.assert_array_equal(_every_row(got, n), expected)
        assert as_series(answer, index).tolist() == series.tolist()  # type: ignore[arg-type]


def test_a_table_every_wildcard_rule_passes_makes_no_series_in_their_kinds(monkeypatch) -> None:
    """Before, each of the eleven kinds said "every row passes" (or its numpy verdicts) as a Series of its own."""
    frame = pd.DataFrame(
        {
            "email": pd.Series(["a@x.pl", "b@y.pl", "c@z.pl"], dtype="str"),
            "city": pd.Series(["Łódź", "Kraków", "Poznań"]),
        }
    )
    files = {sys.modules[get_kind(name).verdicts.__module__].__file__ for name in WILDCARD_KINDS}  # type: ignore[union-attr]
    made: list[str] = []
    original = pd.Series.__init__

    def counting(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        caller = sys._getframe(1).f_code.co_filename
        if caller in files:
            made.append(caller)
        original(self, *args, **kwargs)

    class Table:
        entity, source = "contacts", "contacts.csv"
        raw, row_numbers = frame, pd.Series(range(2, 5))

    Table.frame = frame  # type: ignore[attr-defined]
    rules = [r for r in load_rules() if r.is_wildcard and r.kind in WILDCARD_KINDS and r.entity == "contacts"]
    monkeypatch.setattr(pd.Series, "__init__", counting)
    result = engine.run_checks({"contacts": Table()}, rules, as_of=AS_OF)  # type: ignore[dict-item]
    monkeypatch.undo()
    assert {o.status for o in result.outcomes} == {"passed"} and len(result.outcomes) == len(WILDCARD_KINDS)
    assert made == []
