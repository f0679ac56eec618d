"""The task records' coded columns reach the writers coded (records_table's `coded`): the same lines and cells as
their texts made objects per chunk."""

from __future__ import annotations

import pandas as pd

from auditor.csvtext import KnownCategories, csv_lines
from auditor.reports.sheet_xml import rows_xml
from auditor.reports.worklist_csv import SHOWN_AS_CODED
from auditor.worklist import records_table


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
