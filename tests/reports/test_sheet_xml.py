"""The sheet rows made column-wise (auditor.reports.sheet_xml) are XlsxWriter's own, byte for byte: text with
every character class XlsxWriter treats apart, numbers, infinities, missing values, styled and unstyled."""

from __future__ import annotations

import io
import math
import re
import sys
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import xlsxwriter
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from per_cell_xlsx import write_rows

from auditor.csvtext import KnownCategories
from auditor.reports import sheet_xml
from auditor.reports.sheet_xml import CELL_CHARACTERS, SPACES, column_name, rows_xml

SEVERITIES = ("error", "warning", "info")
TEXT = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=" \t\n\r\x0b\x00\x1f\xa0\u2028&<>\"'_x0041_Dé\ufffe\U0001f600", max_size=12),
    st.sampled_from(["_x0041_", " lead", "trail ", "\u3000wide", "a&b<c>d", "=1+2", "<r>x</r>", "True"]),
)
VALUE = st.one_of(
    TEXT,
    st.none(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.lists(st.integers(max_value=9), max_size=2),
)


def per_cell(frame: pd.DataFrame, styled: bool) -> tuple[bytes, dict[str, int]]:
    """The rows of `frame` as XlsxWriter writes them cell by cell (from row 2), and the fills' indices."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "nan_inf_to_errors": True})
    colours = zip(SEVERITIES, ("red", "blue", "lime"), strict=True)
    fills = {s: book.add_format({"pattern": 1, "bg_color": c}) for s, c in colours}
    page = book.add_worksheet()
    write_rows(page, frame, fills if styled else None)
    book.close()
    with zipfile.ZipFile(buffer) as package:
        sheet = package.read("xl/worksheets/sheet1.xml")
    data = re.search(rb"<sheetData>(.*)</sheetData>|<sheetData/>", sheet, re.S)
    indices = {s: f.xf_index for s, f in fills.items() if f.xf_index is not None}
    return (data[1] or b"") if data else b"", indices


def columnwise(frame: pd.DataFrame, fills: dict[str, int], styled: bool) -> bytes:
    columns = list(frame.columns)
    filled = [columns.index(c) for c in ("priority", "severity")] if styled else []
    styles = frame["severity"].map(fills) if styled else None
    return bytes(rows_xml(frame, 2, styles=styles, styled_columns=filled))


def _same_as_xlsxwriter(frame: pd.DataFrame, styled: bool) -> None:
    expected, fills = per_cell(frame, styled)
    assert columnwise(frame, fills, styled) == expected


def _without_rich_strings(values: list) -> list:
    """XlsxWriter writes a text that starts with <r> and ends with </r> as raw XML (a rich string): from
    the data that is injected XML; sheet_xml escapes it (test_a_text_shaped_like_a_rich_string_stays_text)."""
    return [v for v in values if not (isinstance(v, str) and v.startswith("<r>") and v.endswith("</r>"))]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(TEXT, st.one_of(TEXT, st.none()), VALUE, st.sampled_from([*SEVERITIES, None, "other"])),
        min_size=1,
        max_size=15,
    ),
    st.booleans(),
)
def test_text_and_mixed_columns_are_written_as_xlsxwriter_writes_them(rows: list, styled: bool) -> None:
    rows = [r for r in rows if len(_without_rich_strings(list(r))) == len(r)]
    if not rows:
        return
    text, maybe, mixed, severity = (pd.Series(list(c), dtype=object) for c in zip(*rows, strict=True))
    frame = pd.DataFrame({"text": text, "maybe": maybe, "priority": mixed, "severity": severity})
    _same_as_xlsxwriter(frame, styled)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(alphabet="ab _x0F\t\n\r\x01\x85\xa0\u3000\uff01\ufffe\uffff&<>é", max_size=9), max_size=12))
def test_oracle_the_texts_bytes_pick_the_texts_each_cell_treats_alone(texts: list[str]) -> None:
    """_text_fragments reads which texts need escaping, a kept space or the one-by-one path off their bytes;
    each fragment is still what _text_cell makes of its text alone (texts after a slice's offset, an "_" at
    one text's end and an "x" at the next one's start, characters whose first byte is U+FFFE's)."""
    array = pa.array(["_", *texts, "x"], type=pa.string()).slice(1, len(texts))
    expected = [sheet_xml._text_cell(sheet_xml.shown(t)) for t in texts]
    assert sheet_xml._text_fragments(array).to_pylist() == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(TEXT, st.none()), max_size=15), st.integers(min_value=0, max_value=5))
def test_oracle_a_coded_column_is_written_as_its_texts(values: list, start: int) -> None:
    """A coded column's cells are its categories' cells taken by code, each category's made once into `known`
    and reused by the next chunk; the same cells as the column's texts."""
    coded = pd.Series(pd.Categorical(values))
    known: KnownCategories = {}
    plain = pd.Series([None if pd.isna(v) else v for v in values], dtype=object)
    for part in (coded.iloc[start:], coded.iloc[:start]):  # two chunks of one column
        expected = sheet_xml.column_fragments(plain[part.index])
        assert sheet_xml.column_fragments(part, known).to_pylist() == expected.to_pylist()
    if coded.notna().any():  # (the categories of no value at all are of no type)
        assert list(known) == [id(coded.cat.categories)]


def test_coded_numbers_are_not_taken_for_texts() -> None:
    coded = pd.Series(pd.Categorical([1.5, None, 2.0]))
    known: KnownCategories = {}
    expected = sheet_xml.column_fragments(coded)
    assert (
        sheet_xml.column_fragments(coded, known).to_pylist()
        == expected.to_pylist()
        == [
            "><v>1.5</v></c>",
            None,
            "><v>2</v></c>",
        ]
    )
    assert not known


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=12),
    st.lists(st.one_of(st.none(), st.integers(min_value=-(2**62), max_value=2**62)), min_size=1, max_size=12),
    st.booleans(),
)
@example([0.0, 1.5, 2.0], [2**53 + 1, -(2**63), 2**63 - 1], False)  # beyond a float's whole numbers
def test_number_columns_are_written_as_xlsxwriter_writes_them(floats: list, ints: list, styled: bool) -> None:
    n = min(len(floats), len(ints))
    frame = pd.DataFrame(
        {
            "priority": pd.array(ints[:n], dtype="Int64"),
            "score": np.array(floats[:n], dtype=float),
            "whole": np.arange(n, dtype=np.int64) * 7919 - 3,
            "severity": pd.Series([SEVERITIES[i % 3] for i in range(n)], dtype=object),
        }
    )
    _same_as_xlsxwriter(frame, styled)


def test_long_and_astral_texts_are_cut_as_xlsxwriter_cuts_them() -> None:
    texts = [
        "x" * (CELL_CHARACTERS + 5),
        "\U0001f600" * (CELL_CHARACTERS // 2 + 3),
        "é" * CELL_CHARACTERS,
        "a\x01" * 20_000,
    ]
    frame = pd.DataFrame({"text": pd.Series(texts, dtype=object), "severity": pd.Series(["error"] * 4, dtype=object)})
    _same_as_xlsxwriter(frame, styled=False)


def test_a_text_shaped_like_a_rich_string_stays_text() -> None:
    """XlsxWriter would write it as raw XML (a crafted value could break the sheet); here it is text."""
    value = "<r><t>bold</t></r>"
    frame = pd.DataFrame({"text": pd.Series([value, "</is></c><c>"], dtype=object)})
    xml = bytes(rows_xml(frame, 2))
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True})
    book.add_worksheet().write_string(0, 0, "text")
    book.close()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out := io.BytesIO(), "w") as target:
        for info in source.infolist():
            part = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                part = part.replace(b"</sheetData>", xml + b"</sheetData>")
            target.writestr(info, part)
    sheet = openpyxl.load_workbook(out).active
    assert [sheet.cell(row, 1).value for row in (2, 3)] == [value, "</is></c><c>"]


def test_an_empty_frame_has_no_rows() -> None:
    assert bytes(rows_xml(pd.DataFrame({"a": pd.Series([], dtype=object)}), 2)) == b""


def test_column_names_follow_excel() -> None:
    assert [column_name(i) for i in (0, 25, 26, 51, 52, 701, 702, 16_383)] == [
        "A",
        "Z",
        "AA",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
        "XFD",
    ]


def test_infinities_are_excel_errors() -> None:
    frame = pd.DataFrame({"n": [math.inf, -math.inf, 1.5]})
    assert bytes(rows_xml(frame, 2)).count(b"#DIV/0!") == 2


def test_the_spaces_are_those_python_matches() -> None:
    """The whitespace kept at a text's ends is what XlsxWriter's `\\s` finds (str.isspace)."""
    assert set(SPACES) == {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
