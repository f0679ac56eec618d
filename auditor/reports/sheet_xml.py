"""The rows of a worksheet as SpreadsheetML (`<row>` elements of `<sheetData>`), made a column at a time.

XlsxWriter spends about 6 µs a cell in Python (its cell tuples, the cell name, escaping, the write), which
was 80% of the audit's writing on a million contacts (15 million cells). Here each column of a chunk is
encoded once per distinct value, in Arrow for text, and the rows are joined by Arrow, so a cell costs
well under a microsecond. The XML is what XlsxWriter writes in constant-memory mode, cell for cell
(tests/reports/test_sheet_xml.py compares the two byte for byte): inline strings (data type 's' to a
reader, never a formula), numbers as `%.16G`, infinities as Excel's #DIV/0! error, a styled empty cell as
`<c r=".." s=".."/>`, an unstyled one left out.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.csvtext import (
    KnownCategories,
    arrow_texts,
    coded_texts,
    distinct_floats,
    each_category,
    each_distinct,
    holding,
    text_bytes,
    utf8_bytes,
)

ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""What XML 1.0 cannot hold (the characters openpyxl refuses too): shown as `\\xNN`."""
CELL_CHARACTERS = 32_767
"""The most text an Excel cell holds (UTF-16 units); a longer text is cut there."""
_EXCEL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
SPACES = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)
"""What Python's `\\s` matches in a text (str.isspace; tests/reports/test_sheet_xml.py checks), spelt out for
Arrow's RE2, whose `\\s` is ASCII."""
_SPACE_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in SPACES) + "]"
_PRESERVED = f"^{_SPACE_CLASS}|{_SPACE_CLASS}$"
_UNUSUAL = r"[\x00-\x08\x0b-\x1f\x{fffe}\x{ffff}]|_x[0-9a-fA-F]{4}_"
"""Texts the column-wise path leaves to `_text_cell`: control characters, Excel's own `_xHHHH_` escape."""
_LONG = CELL_CHARACTERS // 2
"""Texts longer than this may pass Excel's limit in UTF-16 units: `_text_cell` measures them."""
_OPEN, _OPEN_KEPT, _CLOSE = ' t="inlineStr"><is><t>', ' t="inlineStr"><is><t xml:space="preserve">', "</t></is></c>"


def shown(text: str) -> str:
    """A text as a cell holds it: characters XML cannot hold as \\xNN, cut at CELL_CHARACTERS."""
    return ILLEGAL_CHARACTERS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)[:CELL_CHARACTERS]


def rows_xml(
    frame: pd.DataFrame,
    first_row: int,
    *,
    styles: pd.Series | None = None,
    styled_columns: Sequence[int] = (),
    known: KnownCategories | None = None,
) -> bytes | memoryview:
    """`frame`'s rows as `<row>` elements, the first numbered `first_row` (1-based, as Excel counts), its
    columns from A on. `styles`: each row's cell format index (missing: none) for its `styled_columns`.
    `known`: the fragments of coded columns' categories made so far (column_fragments), kept by the caller
    across a sheet's chunks and sheets."""
    n = len(frame)
    if not n:
        return b""
    numbers = pa.array(np.arange(first_row, first_row + n, dtype=np.int64)).cast(pa.string())
    style = _style_attributes(styles) if styles is not None and styled_columns else None
    cells = []
    for i, column in enumerate(frame.columns):
        fragment = column_fragments(frame[column], known)
        attributes = ['<c r="' + column_name(i), numbers, '"']
        if style is not None and i in styled_columns:
            # a styled cell is written even without a value: its fill shows
            fragment = pc.if_else(pc.and_(fragment.is_null(), style.is_valid()), pa.scalar("/>"), fragment)
            attributes.append(pc.fill_null(style, ""))
        cells.append(pc.binary_join_element_wise(*attributes, fragment, ""))
    rows = pc.binary_join_element_wise(
        '<row r="', numbers, '">', *cells, "</row>", "", null_handling="replace", null_replacement=""
    )
    return text_bytes(rows)


def column_fragments(values: pd.Series, known: KnownCategories | None = None) -> pa.Array:
    """Each value's cell after its `r` and `s` attributes (` t="inlineStr"><is><t>x</t></is></c>`,
    `><v>3</v></c>`); null where the cell is left out (a missing value). A coded column of texts is its
    categories' fragments, made once into `known` when given (a chunk of a million contacts' records turned
    into Python texts, back into Arrow and encoded again, chunk after chunk, was a third of the Records sheet's
    time), and the same cells as its texts' (tests/reports/test_sheet_xml.py)."""
    if known is not None and coded_texts(values):
        return each_category(values, _text_fragments, known)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return each_distinct(arrow_texts(values), _text_fragments)
    if pd.api.types.is_integer_dtype(values.dtype):
        return _integer_fragments(values)
    if values.dtype == object:
        # not text alone (a metric's list, a summary's numbers): each value by itself, since factorize would
        # take 1, 1.0 and True for one value, which a sheet shows as a number and the text "True"
        codes, uniques = np.arange(len(values)), values.to_numpy(dtype=object)
        fragments = [cell_fragment(v) for v in uniques]
    elif isinstance(values.dtype, np.dtype) and values.dtype.kind == "f":
        codes, uniques = distinct_floats(values)
        shown_numbers = zip(uniques.tolist(), np.isfinite(uniques).tolist(), strict=True)
        fragments = [f"><v>{v:.16G}</v></c>" if ok else cell_fragment(v) for v, ok in shown_numbers]
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        fragments = [cell_fragment(v) for v in np.asarray(uniques, dtype=object)]
    return pa.array(fragments, type=pa.string()).take(pa.array(codes, mask=codes < 0))


def _integer_fragments(values: pd.Series) -> pa.Array:
    """Whole numbers as `%.16G` writes them: their digits, in Arrow, while a float holds them exactly (up to 2**53,
    16 digits); beyond, cell_fragment (`%.16G` of an int is of the float nearest it: 2**53 + 1 is written ...992)."""
    numbers = pa.array(values, type=pa.int64(), from_pandas=True)
    fragments = pc.binary_join_element_wise("><v>", pc.cast(numbers, pa.string()), "</v></c>", "")
    long = pc.fill_null(pc.or_(pc.greater(numbers, 2**53), pc.less(numbers, -(2**53))), False).to_numpy(
        zero_copy_only=False
    )  # not pc.abs: -2**63 has none in int64
    if long.any():
        at = np.flatnonzero(long)
        fixed = pa.array([cell_fragment(v) for v in numbers.take(pa.array(at)).to_pylist()], type=pa.string())
        fragments = pc.replace_with_mask(fragments, pa.array(long), fixed)
    return fragments


def cell_fragment(value: Any) -> str | None:
    """One value's cell (see column_fragments): numbers stay numbers; everything else is text, so no value
    runs as a formula."""
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return _text_cell(shown(value if isinstance(value, str) else _as_text(value)))
    if math.isinf(value):  # XlsxWriter's nan_inf_to_errors: a number Excel cannot hold is an error cell
        return f' t="e"><f>{"-" if value < 0 else ""}1/0</f><v>#DIV/0!</v></c>'
    return f"><v>{value:.16G}</v></c>"


def _as_text(value: Any) -> str:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _text_fragments(texts: pa.Array) -> pa.Array:
    """_text_cell of each (distinct) text, in Arrow; the few that are not plain text go through _text_cell.
    Which texts need what is read off their UTF-8 bytes by numpy (a control character, a byte that may
    start `_xHHHH_` or U+FFFE, an `&<>`, a space at either end), and only the texts that may need it are
    asked the exact question (a regex) or escaped: the regexes and replacements over every text were most
    of the time a million contacts' worklist sheets took (their merge plans and evidence, 100 MB)."""
    data, offsets = utf8_bytes(texts)
    control = np.flatnonzero((data < 0x20) | (data == 0xEF))  # 0xEF: U+FFFE, U+FFFF and other characters
    control = control[(data[control] != 0x09) & (data[control] != 0x0A)]
    underscore = np.flatnonzero(data == 0x5F)
    underscore = underscore[underscore + 1 < len(data)]
    escape = underscore[data[underscore + 1] == 0x78]  # "_x"
    unusual = holding(offsets, np.concatenate([control, escape]))
    odd = _exactly(texts, unusual, lambda some: pc.match_substring_regex(some, _UNUSUAL))
    long = np.diff(offsets) > _LONG  # bytes: a text of more characters has more bytes
    odd |= _exactly(texts, long, lambda some: pc.greater(pc.utf8_length(some), _LONG))
    escaped = texts
    markup = holding(offsets, np.flatnonzero(((data | 0x02) == 0x3E) | (data == 0x26)))  # < > and &
    if markup.any():
        some = texts.filter(pa.array(markup))
        for character, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
            some = pc.replace_substring(some, character, entity)
        escaped = pc.replace_with_mask(texts, pa.array(markup), some)
    kept = _exactly(texts, _space_at_an_end(data, offsets), lambda some: pc.match_substring_regex(some, _PRESERVED))
    fragments = pc.binary_join_element_wise(pc.if_else(pa.array(kept), _OPEN_KEPT, _OPEN), escaped, _CLOSE, "")
    if odd.any():
        at = np.flatnonzero(odd)
        fixed = [_text_cell(shown(t)) for t in texts.take(pa.array(at)).to_pylist()]
        fragments = pc.replace_with_mask(fragments, pa.array(odd), pa.array(fixed, type=pa.string()))
    return fragments


_ASCII_SPACES = np.zeros(256, dtype=bool)
_ASCII_SPACES[[ord(c) for c in SPACES if ord(c) < 0x80]] = True
_ASCII_SPACES[0x80:] = True  # a character of more bytes: maybe one of SPACES, asked exactly


def _space_at_an_end(data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Whether each text may start or end with a space (SPACES): its first or last byte is an ASCII space or
    part of a character of more bytes; False for the empty text."""
    starts, stops = offsets[:-1], offsets[1:]
    full = stops > starts
    may = np.zeros(len(starts), dtype=bool)
    may[full] = _ASCII_SPACES[data[starts[full]]] | _ASCII_SPACES[data[stops[full] - 1]]
    return may


def _exactly(texts: pa.Array, maybe: np.ndarray, question: Any) -> np.ndarray:
    """`question` (texts -> booleans) asked only of the texts that `maybe` holds; False for the others."""
    answer = np.zeros(len(texts), dtype=bool)
    if maybe.any():
        at = np.flatnonzero(maybe)
        answer[at] = question(texts.take(pa.array(at))).to_numpy(zero_copy_only=False)
    return answer


def _text_cell(text: str) -> str:
    """A text's inline-string cell as XlsxWriter writes it (constant memory): cut at Excel's limit in
    UTF-16 units, Excel's `_xHHHH_` escapes for control characters (and for such a text itself), kept
    whitespace marked, `&<>` escaped."""
    if len(text) > _LONG and len(text.encode("utf-16-le", "surrogatepass")) // 2 > CELL_CHARACTERS:
        text = _utf16_cut(text)
    text = _EXCEL_ESCAPE.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    kept = bool(re.search(r"^\s", text) or re.search(r"\s$", text))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (_OPEN_KEPT if kept else _OPEN) + text + _CLOSE


def _utf16_cut(text: str) -> str:
    """The longest start of `text` within CELL_CHARACTERS UTF-16 units (a character above U+FFFF is two)."""
    units = 0
    for at, character in enumerate(text):
        units += 2 if ord(character) > 0xFFFF else 1
        if units > CELL_CHARACTERS:
            return text[:at]
    return text


def _style_attributes(styles: pd.Series) -> pa.Array:
    """Each row's ` s="N"` (null: no style)."""
    codes, uniques = pd.factorize(styles, use_na_sentinel=True)
    shown_styles = pa.array([f' s="{int(u)}"' for u in uniques], type=pa.string())
    return shown_styles.take(pa.array(codes, mask=codes < 0))


def column_name(index: int) -> str:
    """A 0-based column's letters: 0 -> A, 25 -> Z, 26 -> AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name
