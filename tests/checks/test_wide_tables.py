"""A table of thousands of columns: the engine runs every rule of a column together, and the
kinds' per-column work is done in Arrow or once per distinct value. Same verdicts as the pandas string
methods they replace, and a failing rule still fails alone."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle_examples import examples

from auditor.checks import engine, kinds
from auditor.checks.engine import CheckResult, RuleOutcome, run_checks
from auditor.checks.kinds import number_as_text
from auditor.checks.kinds._common import is_missing_code
from auditor.checks.kinds._fastpath import to_arrow
from auditor.checks.kinds.odd_format import _median_words, words
from auditor.checks.packs import load_rules
from auditor.dtypes import as_text
from auditor.text import MISSING_CODES

AS_OF = pd.Timestamp("2026-10-31")
TRICKY = "0123456789 ,.$€£-+'\u00a0\u2007\u0663\u1680\x0b\x1c\t\nabNUL/?"
cells = st.lists(
    st.one_of(
        st.none(), st.text(alphabet=TRICKY, max_size=9), st.sampled_from([*MISSING_CODES[:12], " N/A ", "1 234"])
    ),
    min_size=1,
    max_size=25,
)


def _plain_and_dressed_in_pandas(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The former implementation: pandas string methods over the whole column."""
    text = values.astype("object").where(values.notna()).astype("string")
    plain = text.str.strip().str.fullmatch(number_as_text._PLAIN).fillna(False).astype(bool)
    untrimmed = plain & text.ne(text.str.strip()).fillna(False).astype(bool)
    dressed = text.str.fullmatch(number_as_text._DRESSED).fillna(False).astype(bool) | untrimmed
    return (plain & ~untrimmed).to_numpy(), dressed.to_numpy()


@settings(max_examples=150, deadline=None)
@given(values=cells, as_str=st.booleans())
def test_numbers_as_text_are_judged_as_the_pandas_string_methods_judged_them(
    values: list[str | None], as_str: bool
) -> None:
    column = pd.Series(values, dtype="str" if as_str else object)
    plain, dressed = number_as_text._plain_and_dressed(column, None)  # type: ignore[arg-type]
    expected_plain, expected_dressed = _plain_and_dressed_in_pandas(column)
    assert plain.tolist() == expected_plain.tolist()
    assert dressed.tolist() == expected_dressed.tolist()


@examples(150)
@given(values=cells)
def test_missing_codes_and_word_counts_are_what_the_pandas_string_methods_gave(values: list[str | None]) -> None:
    column = pd.Series(values, dtype=object)
    expected = as_text(column).str.strip().str.lower().isin(MISSING_CODES).fillna(False).astype(bool)
    assert is_missing_code(column).tolist() == expected.tolist()
    median = words(as_text(column)).median()
    assert _median_words(to_arrow(as_text(column))) == pytest.approx(median, nan_ok=True)


@dataclass
class WideTable:
    entity: str
    source: str
    raw: pd.DataFrame
    frame: pd.DataFrame
    row_numbers: pd.Series


def _table(columns: int, rows: int = 30) -> WideTable:
    raw = pd.DataFrame({"contact_id": [f"C{i}" for i in range(rows)], "city": ["Oslo"] * rows})
    extra = pd.DataFrame({f"extra_{j}": [str(j % 7)] * rows for j in range(columns)})
    raw = pd.concat([raw, extra], axis=1)
    raw.loc[3, "city"] = "n/a"
    return WideTable("contacts", "contacts.csv", raw, raw.copy(), pd.Series(range(2, 2 + rows)))


def _check_city(tmp_path: Path, more: str = "") -> tuple[CheckResult, dict[str, RuleOutcome]]:
    """A placeholder rule (one finding: "n/a") and a whitespace rule (none) on the city column, and `more`."""
    path = tmp_path / "p.yaml"
    path.write_text(
        "rules:\n"
        + more
        + "  - {id: codes, kind: placeholder, entity: contacts, fields: [city]}\n"
        + "  - {id: spaces, kind: whitespace, entity: contacts, fields: [city]}\n",
        encoding="utf-8",
    )
    result = run_checks({"contacts": _table(8)}, load_rules([path], include_core=False), as_of=AS_OF)
    return result, {o.rule_id: o for o in result.outcomes}


def test_a_rule_that_raises_on_a_column_fails_alone(tmp_path: Path) -> None:
    """The rules of one column run together: one that raises is an error outcome, and the others on that
    column still give their findings."""
    broken = "  - {id: broken, kind: range, entity: contacts, fields: [city], min: 3}\n"  # text against a number
    _, outcomes = _check_city(tmp_path, broken)
    assert outcomes["broken"].status == "error" and outcomes["broken"].reason.startswith("check failed to run")
    assert outcomes["codes"].status == "failed" and outcomes["codes"].findings == 1
    assert outcomes["spaces"].status == "passed"


@pytest.mark.slow
def test_a_2600_column_table_is_checked_in_seconds() -> None:
    """The core packs on 2,600 columns of 100 rows: 29.5 s before the per-column work was cut (CPU time,
    so that a loaded machine does not fail it)."""
    table = _table(2600, rows=100)
    rules = load_rules([], include_core=True)
    started = time.process_time()
    result = run_checks({"contacts": table}, rules, as_of=AS_OF)
    assert time.process_time() - started < 15
    assert {o.rule_id for o in result.outcomes if o.status == "error"} == set()


def test_a_kind_that_returns_no_series_is_an_error_of_its_rule_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mask that cannot be read (here an array, not a Series) is its rule's error outcome; the other rules
    of the column keep their findings (the pandera check that ran them swallowed the whole column)."""
    whitespace = engine.get_kind("whitespace")
    broken = dataclasses.replace(whitespace, check=lambda values, params, ctx: values.to_numpy())
    monkeypatch.setattr(engine, "get_kind", lambda name: broken if name == "whitespace" else kinds.get_kind(name))
    result, outcomes = _check_city(tmp_path)
    assert outcomes["spaces"].status == "error" and outcomes["spaces"].reason.startswith("check failed to run")
    assert outcomes["codes"].status == "failed" and result.findings["rule_id"].tolist() == ["codes"]


def test_a_failing_column_is_panderas_warning_not_its_error_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pandera runs each column's check and reports a failing column as its warning (a failing record is a result,
    not an exception); the error report it builds for each failing column and again per table (frames of failure
    cases: 0.2 s of fixtures/acme's 1.4 s of checks), which the engine never read, is not made. Findings as before."""
    pandera_base = pytest.importorskip("pandera.backends.pandas.base")
    warned: list[tuple[str, type]] = []

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("pandera built an error report")

    monkeypatch.setattr(pandera_base.PandasSchemaBackend, "failure_cases_metadata", refused)
    monkeypatch.setattr(pandera_base.warnings, "warn", lambda text, category, **_: warned.append((text, category)))
    result, outcomes = _check_city(tmp_path)
    assert outcomes["codes"].status == "failed" and result.findings["rule_id"].tolist() == ["codes"]
    assert [(category.__name__, "'city'" in str(message)) for message, category in warned] == [("SchemaWarning", True)]
