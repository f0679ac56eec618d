"""A rule's messages: each distinct combination of the cells a template names is formatted once, its pieces
joined by Arrow; the oracle is the template formatted for every row in Python."""

from __future__ import annotations

import string

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks import engine
from auditor.dtypes import TEXT

_CELLS = st.lists(st.one_of(st.none(), st.text(alphabet="a'{}ł \u00a0€\n", max_size=4)), min_size=1, max_size=20)
_TEMPLATES = st.sampled_from(
    [
        "{field} {value!r} is odd",
        "{value} and {other!r} of {field}; {unknown} stays",
        "{field} is {limit:>4}, no cell",
        "{other}",
    ]
)


def _per_row(template: str, values: pd.Series, frame: pd.DataFrame, constants: dict[str, object]) -> list[str]:
    out = []
    for row, value in zip(values.index, values.tolist(), strict=True):
        parts = []
        for literal, name, spec, conversion in string.Formatter().parse(template):
            parts.append(literal)
            if name is None:
                continue
            if name in constants:
                parts.append(repr(constants[name]) if conversion == "r" else format(constants[name], spec or ""))
            elif name in ("value", *frame.columns):
                cell = value if name == "value" else frame.loc[row, name]
                parts.append(engine.MISSING_VALUE_TEXT if pd.isna(cell) else f"'{cell}'" if conversion else cell)
            else:
                parts.append("{" + name + "}")
        out.append("".join(parts))
    return out


@pytest.mark.parametrize("joined_in_python", [engine.JOINED_IN_PYTHON, 0])
@settings(max_examples=100, deadline=None)
@given(values=_CELLS, template=_TEMPLATES, data=st.data())
def test_oracle_messages_are_the_template_formatted_for_each_row(
    values: list, template: str, data, joined_in_python: int
) -> None:
    """Oracle: each row's message formatted in Python; the distinct messages joined by Python (a few) or by Arrow."""
    others = data.draw(
        st.lists(st.one_of(st.none(), st.sampled_from(["x", "y'"])), min_size=len(values), max_size=len(values))
    )
    frame = pd.DataFrame({"other": pd.Series(others, dtype=TEXT)}, index=range(10, 10 + len(values)))
    cells = pd.Series(values, dtype=TEXT, index=frame.index)
    constants = {"field": "name", "limit": 7}
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(engine, "JOINED_IN_PYTHON", joined_in_python)
        got = engine._format_messages(template, "name", cells, frame, {"limit": 7})
    assert got.tolist() == _per_row(template, cells, frame, constants)


def test_a_few_distinct_messages_are_joined_without_arrow(monkeypatch: pytest.MonkeyPatch) -> None:
    """Arrow's join is half a dozen calls whatever the count: a part's few distinct messages are joined in Python."""
    monkeypatch.setattr(engine.pc, "binary_join_element_wise", lambda *a: pytest.fail("joined by Arrow"))
    cells = pd.Series(["a", None, "b", "a"], dtype=TEXT)
    got = engine._format_messages("{field} {value!r}", "x", cells, pd.DataFrame(index=cells.index), {})
    assert got.tolist() == ["x 'a'", "x (empty)", "x 'b'", "x 'a'"]


def test_distinct_messages_are_not_formatted_one_by_one_in_python(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pd, "isna", lambda *a: pytest.fail("a message's cell read in Python"))
    cells = pd.Series([f"v{i}" for i in range(50)] + [None], dtype=TEXT)
    got = engine._format_messages("{field} {value!r}", "x", cells, pd.DataFrame(index=cells.index), {})
    assert got.tolist() == [f"x 'v{i}'" for i in range(50)] + ["x (empty)"]


def test_a_text_cell_s_distinct_values_are_told_by_arrow_not_by_pandas_factorize(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """pandas' factorize of Arrow text hashes it with Arrow too, with conversions around that were a tenth of a
    millisecond a finding part."""
    factorize = pd.factorize
    factorized: list[object] = []
    monkeypatch.setattr(pd, "factorize", lambda values, **kw: factorized.append(values) or factorize(values, **kw))
    cells = pd.Series(["a", None, "b", "a"], dtype=TEXT)
    got = engine._format_messages("{field} {value!r}", "x", cells, pd.DataFrame(index=cells.index), {})
    assert got.tolist() == ["x 'a'", "x (empty)", "x 'b'", "x 'a'"]
    assert factorized == []
