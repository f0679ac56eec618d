"""`required`: a written column is judged once per distinct value, as blank or a code for "no value"."""

from __future__ import annotations

import pandas as pd
import pytest

from auditor.checks.base import CheckContext
from auditor.checks.kinds import _columns, get_kind
from auditor.model import ENTITIES


def test_a_written_column_is_judged_per_distinct_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_columns.ColumnText, "blank", property(lambda self: pytest.fail("a Series per row")))
    raw = pd.DataFrame({"birth_date": pd.Series(["1980-01-02", " ", None, "n/a", "1980-01-02"], dtype="str")})
    typed = pd.DataFrame({"birth_date": pd.to_datetime(pd.Series(["1980-01-02", None, None, None, "1980-01-02"]))})
    ctx = CheckContext(entity=ENTITIES["contacts"], frame=typed, raw=raw, tables={}, as_of=pd.Timestamp(0))
    try:
        assert get_kind("required").check(typed["birth_date"], {}, ctx).tolist() == [True, False, False, False, True]
    finally:
        _columns.forget_columns()
