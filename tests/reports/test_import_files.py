"""imports/TASK_ID.csv written by the csv module (auditor.reports.worklist_csv.write_import) is what pandas
wrote: an oracle against the pandas path (import_csv_by_pandas) on generated columns, and a file holding
anything but texts is pandas' to write."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from oracle_examples import examples

from auditor.reports import worklist_csv

TEXT = st.one_of(
    st.text(max_size=10),
    st.text(alphabet=",\"\n\r\t =+-@'\u00e9\x00 ab0123456789.", max_size=8),
    st.sampled_from(["=SUM(A1)", "+48 601 000 000", "-5", "-5.50", "@x", "a,b", 'say "hi"', "line\nbreak", ""]),
)


def _both(names: tuple[str, str], ids: list, values: list) -> tuple[str, str]:
    columns = (names, np.array(ids, dtype=object), np.array(values, dtype=object))
    new, old = io.StringIO(newline=""), io.StringIO(newline="")
    worklist_csv.write_import(columns, new)
    worklist_csv.import_csv_by_pandas(pd.DataFrame({names[0]: columns[1], names[1]: columns[2]}), old)
    return new.getvalue(), old.getvalue()


@examples(150)
@given(st.data(), st.integers(min_value=1, max_value=12))
def test_oracle_an_import_file_is_what_pandas_wrote(data: st.DataObject, n: int) -> None:
    ids = data.draw(st.lists(st.one_of(TEXT, st.none()), min_size=n, max_size=n))
    values = data.draw(st.lists(st.one_of(TEXT, st.none(), st.just(float("nan"))), min_size=n, max_size=n))
    new, old = _both(("contact_id", "phone"), ids, values)
    assert new == old


def test_a_file_holding_numbers_is_written_by_pandas() -> None:
    new, old = _both(("opportunity_id", "amount"), ["O1", "O2", "=O3"], [1.5, -2.0, "-3"])
    assert new == old == "opportunity_id,amount\nO1,1.5\nO2,-2.0\n'=O3,-3\n"


def test_import_tasks_are_the_files_columns(acme_audit) -> None:
    files = worklist_csv.import_tasks(acme_audit.worklist, acme_audit.worklist_records)
    assert len(files) > 10
    for frame in files.values():
        assert len(frame.columns) == 2 and len(frame)
