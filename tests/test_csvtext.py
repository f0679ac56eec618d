"""The CSV lines made column-wise (auditor.csvtext) are pandas' own, byte for byte, and a column whose text
pandas makes otherwise is left to pandas (auditor.io.write_csv writes the file the same either way)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle_examples import examples

from auditor import csvtext
from auditor.csvtext import FORMULA_START, QUOTED, KnownCategories, _text_fields, arrow_texts, csv_lines
from auditor.io import CHUNK_ROWS, neutralise_formulas, write_csv
from auditor.reports.json_report import _column_values
from auditor.reports.sheet_xml import cell_fragment, column_fragments

TEXT = st.one_of(
    st.text(max_size=10),
    st.text(alphabet=",\"\n\r\t =+-@'\u00e9\x00 ab", max_size=8),
    st.sampled_from(["=SUM(A1)", "+48 601", "-5", "@x", "a,b", 'say "hi"', "line\nbreak", ""]),
)
FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=64)


def by_pandas(frame: pd.DataFrame) -> bytes:
    return neutralise_formulas(frame).to_csv(index=False, header=False).encode("utf-8")


@examples(80, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.integers(min_value=1, max_value=12))
def test_lines_are_pandas_own(data: st.DataObject, n: int) -> None:
    def column(strategy: st.SearchStrategy) -> list:
        return data.draw(st.lists(strategy, min_size=n, max_size=n))

    frame = pd.DataFrame(
        {
            "text": pd.Series(column(TEXT), dtype=object),
            "maybe": pd.Series(column(st.one_of(TEXT, st.none(), st.just(float("nan")))), dtype=object),
            "str": pd.Series(column(st.one_of(TEXT, st.none())), dtype="str"),
            "float": np.array(column(FLOATS), dtype=np.float64),
            "float32": np.array(column(st.floats(width=32, allow_nan=True)), dtype=np.float32),
            "int": np.array(column(st.integers(min_value=-(2**63), max_value=2**63 - 1)), dtype=np.int64),
            "small": np.array(column(st.integers(min_value=-128, max_value=127)), dtype=np.int8),
            "Int64": pd.array(column(st.one_of(st.none(), st.integers(-(10**12), 10**12))), dtype="Int64"),
            "flag": np.array(column(st.booleans()), dtype=bool),
            "boolean": pd.array(column(st.one_of(st.none(), st.booleans())), dtype="boolean"),
        }
    )
    order = data.draw(st.permutations(list(frame.columns)))
    frame = frame[order]
    assert bytes(csv_lines(frame)) == by_pandas(frame)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.one_of(TEXT, st.none()), TEXT), min_size=1, max_size=12), st.integers(0, 12))
def test_oracle_a_coded_column_is_written_as_pandas_writes_it(rows: list, cut: int) -> None:
    """A coded column of texts is written from its categories' fields, made once into `known` for the chunks of
    a file: the lines are pandas' own (for the coded column and for its texts alike)."""
    coded, text = zip(*rows, strict=True)
    frame = pd.DataFrame({"coded": pd.Categorical(coded), "text": pd.Series(text, dtype=object)})
    known: KnownCategories = {}
    parts = [part for part in (frame.iloc[:cut], frame.iloc[cut:]) if len(part)]
    # as auditor.io.write_csv writes a file: a chunk csv_lines declines (a column of no text at all) is pandas'
    lines = [bytes(made) if (made := csv_lines(part, known)) is not None else by_pandas(part) for part in parts]
    assert b"".join(lines) == by_pandas(frame) == by_pandas(frame.astype({"coded": object}))
    assert len(known) == (1 if frame["coded"].notna().any() else len(known))


def test_signed_zeros_stay_apart() -> None:
    frame = pd.DataFrame({"x": [-0.0, 0.0, -0.0], "y": ["a", "b", "c"]})
    assert bytes(csv_lines(frame)) == by_pandas(frame) == b"-0.0,a\n0.0,b\n-0.0,c\n"


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(["a", 1, 2.5], dtype=object),  # texts mixed with numbers
        pd.Series(["a", "b", "a"], dtype="category"),
        pd.Series(pd.to_datetime(["2026-01-01", "2026-01-02", None])),
        pd.Series(["a", "\ud800", "b"], dtype=object),  # a lone surrogate, which pandas writes escaped
        pd.array([1.5, None, 2.0], dtype="Float64"),
    ],
)
def test_other_columns_are_left_to_pandas(column, tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": column, "y": ["=1", "b", "c"]})
    assert csv_lines(frame) is None
    write_csv(frame, tmp_path / "out.csv")
    expected = neutralise_formulas(frame).to_csv(index=False).encode("utf-8", "backslashreplace")
    assert (tmp_path / "out.csv").read_bytes() == expected


def test_a_file_of_many_chunks_and_an_order_is_pandas_own(tmp_path: Path) -> None:
    n = CHUNK_ROWS + 7
    frame = pd.DataFrame({"id": np.arange(n), "name": [f"=n{k % 13}" for k in range(n)], "x": np.linspace(0, 1, n)})
    order = np.arange(n)[::-1]
    write_csv(frame, tmp_path / "out.csv", order=order)
    expected = neutralise_formulas(frame.iloc[order]).to_csv(index=False).encode("utf-8")
    assert (tmp_path / "out.csv").read_bytes() == expected


def test_an_empty_frame_is_its_header(tmp_path: Path) -> None:
    write_csv(pd.DataFrame(columns=["a", "b"]), tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_bytes() == b"a,b\n"


def test_a_category_holding_a_formula_is_neutralised(tmp_path: Path) -> None:
    # the worklist's text columns are categories: a value typed into the CRM as a formula must not run
    frame = pd.DataFrame({"current": pd.Categorical(["=HYPERLINK(1)", "ok", "=HYPERLINK(1)"]), "n": [1, 2, 3]})
    write_csv(frame, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_bytes() == b"current,n\n'=HYPERLINK(1),1\nok,2\n'=HYPERLINK(1),3\n"


@pytest.mark.parametrize("repeated", [True, False])
def test_oracle_distinct_and_repeated_texts_are_written_alike(repeated: bool) -> None:
    """each_distinct encodes a column of repeated texts once per distinct text and a column of mostly distinct
    texts row by row: the CSV lines, result.json's values and the sheets' cells are the same either way."""
    odd = ["=1+2", 'say "hi"', "a,b", "tab\tend", "ctl\x01", " lead", "x&<y>", "_x0041_", "é", ""]
    values = [odd[k % len(odd)] if repeated or k % 3 else f"{odd[k % len(odd)]}{k}" for k in range(3_000)]
    values = [None if k % 17 == 0 else v for k, v in enumerate(values)]
    column = pd.Series(values, dtype=object)
    frame = pd.DataFrame({"text": column, "n": np.arange(len(column))})
    assert bytes(csv_lines(frame)) == by_pandas(frame)
    dumped = ["null" if v is None else json.dumps(v, ensure_ascii=False) for v in values]
    assert _column_values(column).to_pylist() == dumped
    assert column_fragments(column).to_pylist() == [cell_fragment(v) for v in values]


def _fields_by_regex(texts: pa.Array) -> pa.Array:
    """The fields as the regexes over every text made them (the straightforward way)."""
    formula = pc.match_substring_regex(texts, FORMULA_START)
    texts = pc.if_else(formula, pc.binary_join_element_wise("'", texts, ""), texts)
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(texts, '"', '""'), '"', "")
    return pc.if_else(pc.match_substring_regex(texts, QUOTED), quoted, texts)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.one_of(TEXT, st.none(), st.text(alphabet="\u00e9\u2028\U0001f600,=\r\n\"'-", max_size=6))),
    st.integers(0, 5),
    st.integers(0, 5),
)
def test_oracle_fields_read_off_the_bytes_are_the_regexes_own(texts: list, head: int, tail: int) -> None:
    """_text_fields finds the formulas and the texts to quote by their bytes: the same fields as the regexes
    asked of every text, on whole arrays and on slices of them (an offset into the buffers)."""
    array = pa.array(texts, type=pa.string())
    assert _text_fields(array).to_pylist() == _fields_by_regex(array).to_pylist()
    part = array.slice(min(head, len(texts)), max(len(texts) - head - tail, 0))
    assert _text_fields(part).to_pylist() == _fields_by_regex(part).to_pylist()


def test_oracle_a_text_column_with_every_missing_marker_is_arrow_null() -> None:
    """arrow_texts takes the column's objects as they are: None, NaN and pd.NA are Arrow's null, as pandas'
    isna has them, and the texts are the same."""
    column = pd.Series(["a", None, float("nan"), pd.NA, np.nan, "b", ""], dtype=object)
    assert pd.api.types.infer_dtype(column, skipna=True) == "string"
    texts = arrow_texts(column.iloc[1:])
    assert texts.to_pylist() == [None, None, None, None, "b", ""]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(["a", "b", "", "\u00e9", "a,b"]), st.text(max_size=3), st.none()), max_size=40),
    st.integers(0, 40),
    st.integers(1, 40),
)
def test_oracle_mostly_distinct_is_arrows_count_of_distinct_values(texts: list, head: int, rows: int) -> None:
    """Against Arrow's count_distinct (missing values not counted) of the sample, on slices and short samples."""
    column = pa.array(texts, type=pa.string()).slice(min(head, len(texts)))
    monkeypatched = csvtext.SAMPLE_ROWS
    try:
        csvtext.SAMPLE_ROWS = rows
        sample = column.slice(0, rows)
        expected = bool(len(sample)) and pc.count_distinct(sample).as_py() * 2 > len(sample)
        assert csvtext.mostly_distinct(column) is expected
    finally:
        csvtext.SAMPLE_ROWS = monkeypatched
