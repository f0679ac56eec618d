"""The task records' coded columns reach the writers coded (records_table's `coded`): the same lines and cells as
their texts made objects per chunk."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from oracle_examples import examples

import auditor.worklist as wl
from auditor.csvtext import KnownCategories, csv_lines
from auditor.reports.sheet_xml import rows_xml
from auditor.reports.worklist_csv import SHOWN_AS_CODED
from auditor.worklist import RECORD_COLUMNS, records_table


def test_coded_columns_stay_coded_and_are_written_as_their_texts(acme_audit) -> None:
    records = acme_audit.worklist_records
    for start in range(0, len(records), 97):  # chunks, as the writers take them
        part = records.iloc[start : start + 97]
        coded = records_table(part, coded=SHOWN_AS_CODED)
        plain = records_table(part)
        kept = [c for c in SHOWN_AS_CODED if isinstance(coded[c].dtype, pd.CategoricalDtype)]
        assert {"entity", "field", "current_value"} <= set(kept)
        assert all(plain[c].dtype == object for c in kept)
        pd.testing.assert_series_equal(coded["issue"], plain["issue"])
        known: KnownCategories = {}
        assert bytes(csv_lines(coded, known)) == bytes(csv_lines(plain))
        assert bytes(rows_xml(coded, start + 2, known={})) == bytes(rows_xml(plain, start + 2))


TEXT = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["", "a,b", 'say "hi"', "line\nend", "=1+1", " lead", "\u00e9\U0001f600", "\x01"]),
)


def _records(rows: list[tuple]) -> pd.DataFrame:
    """Task records as plan_worklist leaves them: the text columns coded, the record ids and numbers plain; a row
    with a label is a fix cell (its issue written out by records_table), one without keeps its issue."""
    n = len(rows)
    columns: dict[str, object] = {c: wl._coded(np.full(n, "x", dtype=object)) for c in RECORD_COLUMNS}
    columns.update(priority=np.arange(n), money_at_stake=np.zeros(n), row=pd.array(np.arange(n), dtype="Int64"))
    columns["record_id"] = np.array([r[0] for r in rows], dtype=object)
    for k, name in enumerate(("label", "message", "issue"), start=1):
        columns[name] = wl._coded(np.array([r[k] for r in rows], dtype=object))
    return pd.DataFrame({name: pd.Series(values, copy=False) for name, values in columns.items()})


@examples(80, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.one_of(TEXT, st.integers(0, 9), st.none()),
            st.one_of(st.sampled_from(["Contact", "Deal \u00e9"]), st.none()),
            st.one_of(TEXT, st.none()),
            st.one_of(TEXT, st.none()),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_oracle_issues_joined_by_arrow_are_those_written_by_python(rows: list[tuple]) -> None:
    """Oracle: records_table's Python `+` of each fix cell's label, record id and message; where a part is not a
    text (an id that is a number, a missing one) the Arrow path steps aside."""
    records = _records(rows)
    arrow = records_table(records, coded=SHOWN_AS_CODED, as_arrow=True)
    plain = records_table(records, coded=SHOWN_AS_CODED)
    issue = arrow["issue"]
    if isinstance(issue.dtype, pd.StringDtype):
        issue = pd.Series(issue.to_numpy(dtype=object, na_value=None), dtype=object)
    assert issue.tolist() == plain["issue"].tolist()
    assert _bytes(csv_lines(arrow, {})) == _bytes(csv_lines(plain, {}))
    assert bytes(rows_xml(arrow, 2, known={})) == bytes(rows_xml(plain, 2, known={}))


def _bytes(lines: memoryview | None) -> bytes | None:
    return None if lines is None else bytes(lines)


def test_a_text_arrow_cannot_hold_leaves_the_issues_to_python() -> None:
    records = _records([("C1", "Contact", "\ud800", None)])
    assert wl._issue_text(records, np.array([True])) is None


def test_a_chunk_of_fix_cells_gets_its_issues_as_arrow_text() -> None:
    records = _records([("C1", "Contact", "bad e-mail", None), ("C2", None, None, "merge into C1: x")])
    issue = records_table(records, as_arrow=True)["issue"]
    assert isinstance(issue.dtype, pd.StringDtype) and issue.tolist() == ["Contact C1: bad e-mail", "merge into C1: x"]
