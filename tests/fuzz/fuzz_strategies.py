"""Hypothesis strategies for hostile and careless exports: CSV dialects and encodings, XLSX workbooks,
Parquet schemas and JSON shapes, with the dates, numbers and texts that broke readers before.

Each strategy draws a `Sample`: the bytes of one file and the name it is saved under (the name says the
entity, as a user's export would). The headers are mostly the entity's own field names, so that a file is
mapped and typed and the checks run on it, with extra, blank and repeated headers among them.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import json
from dataclasses import dataclass
from decimal import Decimal

from hypothesis import strategies as st

from auditor.model import ENTITIES, DType


@dataclass(frozen=True)
class Sample:
    name: str
    data: bytes

    def __repr__(self) -> str:  # what a failing example prints: the file as it was
        return f"Sample({self.name!r}, {self.data[:2000]!r}{'...' if len(self.data) > 2000 else ''})"


ENTITY_NAMES = tuple(ENTITIES)
EDGE_DATES = (
    *("9999-12-31", "0001-01-01", "2262-04-12", "1677-09-21", "1677-09-22", "2262-04-11", "1800-01-01"),
    *("2099-12-31", "2100-01-01", "0000-00-00", "31/02/2024", "01/02/24", "12.3.99", "99-12-31", "2024-13-45"),
    *("1899-12-30", "1900-01-01", "45000", "2958465", "-1", "20240230", "2024-02-29T25:61:61Z", "Feb 30 2024"),
)
EDGE_NUMBERS = (
    *("1e308", "-1e308", "1e309", "nan", "NaN", "inf", "-inf", "-0", "0x1F", "1_000", "9" * 400, "(1,200)"),
    *("1 234,50", "$1,200", "PLN 1200", "12%", "1.234.567,89", "١٢٣", "½", "--5", "+", ".", ","),
)
NASTY_TEXT = (
    *("=1+1", "\t=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", '"', '""', "a\rb", "a\r\nb", "\n"),
    *("\x00", "\x01\x02\x1b[31m", "\ufeff", "\u202e", "\ud7ff", "😀" * 3, "Zażółć gęślą jaźń", " ", "NULL"),
    *("<script>alert(1)</script>", "]]>", "&amp;", "a,b;c|d\te", "\\", "${jndi:ldap://x}", "n/a"),
)
_LETTERS = st.characters(codec="utf-8", exclude_categories=("Cs",))


def _formatted_date(day: dt.datetime, style: int) -> str:
    formats = ("%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y", "%Y-%m-%dT%H:%M:%SZ", "%d %b %Y", "%Y%m%d", "%Y/%m/%d %H:%M")
    return day.strftime(formats[style % len(formats)])


def date_text() -> st.SearchStrategy[str]:
    days = st.datetimes(min_value=dt.datetime(1000, 1, 1), max_value=dt.datetime(9999, 12, 31))
    return st.one_of(
        st.builds(_formatted_date, days, st.integers(0, 20)),
        st.sampled_from(EDGE_DATES),
        st.text(_LETTERS, max_size=12),
    )


def number_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers(-(10**30), 10**30).map(str),
        st.sampled_from(EDGE_NUMBERS),
        st.text(_LETTERS, max_size=8),
    )


def free_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(_LETTERS, max_size=30),
        st.sampled_from(NASTY_TEXT),
        st.lists(st.sampled_from(NASTY_TEXT), min_size=1, max_size=4).map("".join),
    )


def value_for(dtype: DType) -> st.SearchStrategy[str | None]:
    typed = {
        DType.DATE: date_text(),
        DType.DATETIME: date_text(),
        DType.NUMBER: number_text(),
        DType.INTEGER: number_text(),
        DType.BOOL: st.sampled_from(("true", "false", "yes", "n", "1", "0", "x", "maybe")),
    }.get(dtype, free_text())
    return st.one_of(st.none(), typed, free_text())


@st.composite
def table(draw: st.DrawFn, max_rows: int = 12) -> tuple[str, list[str], list[list[str | None]]]:
    """(entity, headers, rows): some of the entity's fields, maybe extra/blank/repeated headers, rows of values
    that fit each field's type, or do not, or are hostile."""
    entity = draw(st.sampled_from(ENTITY_NAMES))
    fields = ENTITIES[entity].fields
    chosen = draw(st.lists(st.sampled_from(fields), min_size=1, max_size=len(fields), unique_by=lambda f: f.name))
    primary = ENTITIES[entity].fields[0]
    if draw(st.booleans()) and primary not in chosen:
        chosen.insert(0, primary)
    headers = [f.name for f in chosen]
    dtypes = [f.dtype for f in chosen]
    for _ in range(draw(st.integers(0, 2))):
        headers.append(draw(st.one_of(st.sampled_from(["", " ", headers[0], "Email", "E-mail"]), free_text())))
        dtypes.append(DType.STRING)
    rows = draw(
        st.lists(st.tuples(*(value_for(d) for d in dtypes)).map(list), max_size=max_rows)
        if draw(st.integers(0, 9))
        else st.just([])
    )
    if rows and draw(st.integers(0, 4)) == 0:  # many copies of one record (the cluster-size probe)
        rows = rows + [rows[0]] * draw(st.integers(1, 60))
    return entity, headers, rows


def _csv_field(value: str | None, delimiter: str, quoting: str) -> str:
    if value is None:
        return ""
    special = any(c in value for c in (delimiter, '"', "\n", "\r")) or value != value.strip()
    if quoting == "all" or (quoting == "minimal" and special):
        return '"' + value.replace('"', '""') + '"'
    return value  # "none": written as it is, quotes and delimiters included (a careless export)


@st.composite
def csv_sample(draw: st.DrawFn) -> Sample:
    """A CSV export in any dialect and encoding, sometimes with damage no dialect explains."""
    entity, headers, rows = draw(table())
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    quoting = draw(st.sampled_from(["minimal", "minimal", "all", "none"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines = [delimiter.join(_csv_field(v, delimiter, quoting) for v in [*headers]) if headers else ""]
    lines += [delimiter.join(_csv_field(v, delimiter, quoting) for v in row) for row in rows]
    if draw(st.integers(0, 5)) == 0:
        lines.insert(draw(st.integers(0, len(lines))), "")  # a blank line, maybe before the header
    text = newline.join(lines) + (newline if draw(st.booleans()) else "")
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "cp1250", "latin-1", "utf-16"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.integers(0, 9)) == 0:  # some rows in another encoding than the rest
        data += newline.encode() + "Łódź,Müller,Gdańsk".encode(draw(st.sampled_from(["cp1250", "latin-1"])), "replace")
    data = draw(damaged(data))
    suffix = draw(st.sampled_from([".csv", ".csv", ".tsv", ".txt", ".csv.gz"]))
    if suffix == ".csv.gz":
        import gzip

        data = gzip.compress(data, mtime=0) if draw(st.integers(0, 4)) else data  # a .gz that is not gzip
    return Sample(f"{entity}{suffix}", data)


@st.composite
def damaged(draw: st.DrawFn, data: bytes) -> bytes:
    """`data`, or data with bytes inserted, cut off or flipped (one time in five)."""
    if not data or draw(st.integers(0, 4)):
        return data
    # a share of the length, not a position: the same draws whatever the length (an XLSX's varies)
    at = draw(st.integers(0, 1 << 16)) * len(data) >> 16
    kind = draw(st.sampled_from(["insert", "truncate", "flip", "nul"]))
    if kind == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=32)) + data[at:]
    if kind == "truncate":
        return data[:at]
    if kind == "nul":
        return data[:at] + b"\x00" + data[at:]
    return data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]


def _cell(value: str | None, kind: int) -> object:
    """A cell as a spreadsheet holds it: text, a number or date when the text is one, or a formula."""
    if value is None:
        return None
    if kind == 1:
        try:
            return float(value)
        except ValueError:
            return value
    if kind == 2:
        return f'=UPPER("{value[:5]}")'.replace('""', '"')  # a formula without a saved value
    return value


@st.composite
def xlsx_sample(draw: st.DrawFn) -> Sample:
    import openpyxl
    from openpyxl.utils.exceptions import IllegalCharacterError

    entity, headers, rows = draw(table(max_rows=8))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = draw(st.sampled_from([entity, "Sheet1", "Export", f"{entity} (2)"]))
    if draw(st.booleans()):
        book.create_sheet(draw(st.sampled_from(["notes", "accounts", "contacts", "x" * 31])))
    for r, row in enumerate([headers, *rows], start=1):
        for c, value in enumerate(row, start=1):
            cell = _cell(value, draw(st.integers(0, 5)) if r > 1 else 0)
            try:
                sheet.cell(row=r, column=c, value=cell)
            except (IllegalCharacterError, ValueError):
                sheet.cell(row=r, column=c, value="?")
    if rows and draw(st.booleans()):
        sheet.cell(row=2, column=1, value=draw(st.datetimes(min_value=dt.datetime(1900, 1, 1))))
    # openpyxl stamps the workbook with the time of saving: a fixed stamp keeps the bytes of one draw alike
    book.properties.created = book.properties.modified = dt.datetime(2024, 1, 1)
    buffer = io.BytesIO()
    book.save(buffer)
    return Sample(f"{entity}.xlsx", draw(damaged(buffer.getvalue())))


def _arrow_column(draw: st.DrawFn, n: int):
    import pyarrow as pa

    kind = draw(
        st.sampled_from(
            [
                *("string", "int", "uint64", "float", "bool", "date", "timestamp", "timestamp_tz", "decimal"),
                *("binary", "list", "struct", "map", "null", "dictionary", "duration", "time", "large_string"),
                "nested_list",
            ]
        )
    )
    maybe = st.booleans()

    def values(strategy: st.SearchStrategy) -> list:
        return [draw(strategy) if draw(maybe) else None for _ in range(n)]

    if kind == "string":
        return pa.array(values(free_text()), pa.string())
    if kind == "large_string":
        return pa.array(values(free_text()), pa.large_string())
    if kind == "int":
        return pa.array(values(st.integers(-(2**63), 2**63 - 1)), pa.int64())
    if kind == "uint64":
        return pa.array(values(st.integers(0, 2**64 - 1)), pa.uint64())
    if kind == "float":
        return pa.array(values(st.floats()), pa.float64())
    if kind == "bool":
        return pa.array(values(st.booleans()), pa.bool_())
    if kind == "date":
        return pa.array(values(st.dates()), pa.date32())
    if kind in ("timestamp", "timestamp_tz"):
        unit = draw(st.sampled_from(["s", "ms", "us"]))
        tz = "UTC" if kind == "timestamp_tz" else None
        return pa.array(values(st.datetimes(min_value=dt.datetime(1, 1, 2))), pa.timestamp(unit, tz=tz))
    if kind == "decimal":
        return pa.array(values(st.decimals(-(10**8), 10**8, places=2).map(Decimal)), pa.decimal128(12, 2))
    if kind == "binary":
        return pa.array(values(st.binary(max_size=16)), pa.binary())
    if kind == "list":
        return pa.array(values(st.lists(st.text(max_size=5), max_size=3)), pa.list_(pa.string()))
    if kind == "nested_list":
        return pa.array(
            values(st.lists(st.lists(st.integers(0, 9), max_size=2), max_size=2)), pa.list_(pa.list_(pa.int8()))
        )
    if kind == "struct":
        return pa.array(values(st.fixed_dictionaries({"a": st.integers(0, 9), "b": st.text(max_size=4)})))
    if kind == "map":
        pairs = st.lists(st.tuples(st.text(max_size=3), st.integers(0, 9)), max_size=2)
        return pa.array(values(pairs), pa.map_(pa.string(), pa.int64()))
    if kind == "null":
        return pa.nulls(n)
    if kind == "dictionary":
        return pa.array(values(st.sampled_from(["Open", "Closed Won", "x"])), pa.string()).dictionary_encode()
    if kind == "duration":
        return pa.array(values(st.integers(-(10**9), 10**9)), pa.duration("s"))
    return pa.array(values(st.integers(0, 86_399)), pa.time32("s"))


@st.composite
def parquet_sample(draw: st.DrawFn) -> Sample:
    """A Parquet file of the entity's columns (and others) in any Arrow type, mapped or not."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    entity = draw(st.sampled_from(ENTITY_NAMES))
    n = draw(st.integers(0, 8))
    fields = [f.name for f in ENTITIES[entity].fields]
    names = draw(st.lists(st.sampled_from([*fields, "tags", "payload", "when", ""]), min_size=1, max_size=8))
    columns = {}
    for name in names:
        columns[name if name not in columns else f"{name}_{len(columns)}"] = _arrow_column(draw, n)
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return Sample(f"{entity}.parquet", draw(damaged(buffer.getvalue())))


_JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), free_text(), date_text()),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6,
)
"""Any JSON value: what a record's field may hold instead of text (an object, a list, nothing)."""


@st.composite
def json_sample(draw: st.DrawFn) -> Sample:
    """JSON or JSON Lines of records, an object of entity -> records, or shapes that are neither."""
    entity, headers, rows = draw(table(max_rows=8))
    records: list[object] = [
        {h: (draw(_JSON_VALUES) if draw(st.integers(0, 4)) == 0 else v) for h, v in zip(headers, row, strict=False)}
        for row in rows
    ]
    if draw(st.integers(0, 6)) == 0:
        records.append(draw(_JSON_VALUES))  # a record that is no object
    depth = draw(st.sampled_from([0, 0, 0, 50, 5000]))
    if depth and records:
        records[0] = {headers[0]: "[" * depth + "]" * depth if draw(st.booleans()) else None, "deep": None}
    shape = draw(st.sampled_from(["array", "array", "by_entity", "single_key", "scalar", "jsonl"]))
    if shape == "jsonl":
        text = "\n".join(json.dumps(r, ensure_ascii=draw(st.booleans())) for r in records)
        name = f"{entity}.jsonl"
    else:
        document: object = {
            "array": records,
            "by_entity": {entity: records, "meta": {"n": len(records)}},
            "single_key": {"data": records},
            "scalar": draw(_JSON_VALUES),
        }[shape]
        text = json.dumps(document, ensure_ascii=draw(st.booleans()), allow_nan=True)
        name = f"{entity}.json"
    if depth == 5000 and draw(st.booleans()):  # nesting as text, not a string: deeper than Python recurses
        text = text.replace('"deep": null', '"deep": ' + "[" * depth + "]" * depth, 1)
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "cp1250"]))
    data = codecs.encode(text, encoding, "replace")
    return Sample(name, draw(damaged(data)))


def any_sample() -> st.SearchStrategy[Sample]:
    return st.one_of(csv_sample(), csv_sample(), xlsx_sample(), parquet_sample(), json_sample())
