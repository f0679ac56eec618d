"""`crm-audit fix --apply safe` on random CSV exports (encodings, byte-order marks, delimiters, quoting,
line endings, values over several lines) with random fixable defects: every byte outside the fixed
cells is unchanged, the copy reads back to the same values except the fixed cells, no fixed cell is
a live formula, and the input is never written to."""

from __future__ import annotations

import codecs
import itertools
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle_examples import examples

from auditor.fix.inert import FULL_WIDTH_PREFIXES
from auditor.io import FORMULA_PREFIXES
from auditor.pipeline import fix_export
from auditor.sources import load_export

COLUMNS = ["contact_id", "first_name", "last_name", "email", "phone", "city", "note"]
ENCODINGS = {
    # name -> (byte-order mark, codec of the rest)
    "utf-8": (b"", "utf-8"),
    "utf-8-sig": (codecs.BOM_UTF8, "utf-8"),
    "cp1250": (b"", "cp1250"),
    "utf-16-le": (codecs.BOM_UTF16_LE, "utf-16-le"),
    "utf-16-be": (codecs.BOM_UTF16_BE, "utf-16-be"),
}
NAMES = ["Łukasz", "Zofia", "Wójcik", "Żak", "Anna Maria", "Müller", "Kowalska-Nowak", "Jan"]
FORMULAS = ["\t=1+1", " +SUM(A1)", " @cmd", '=HYPERLINK("x") ', " -2+3", "\r=1+1"]


@dataclass
class Export:
    records: list[list[str]]
    """the raw text of every cell of every record, header first, as written (quotes included)"""
    values: list[list[str]]
    delimiter: str
    newline: str
    encoding: str

    @property
    def text(self) -> str:
        return "".join(self.delimiter.join(cells) + self.newline for cells in self.records)

    @property
    def data(self) -> bytes:
        bom, codec = ENCODINGS[self.encoding]
        return bom + self.text.encode(codec)

    @property
    def suffix(self) -> str:
        return ".tsv" if self.delimiter == "\t" else ".csv"


def needs_quotes(value: str, delimiter: str) -> bool:
    return any(c in value for c in (delimiter, '"', "\n", "\r")) or value != value.strip()


def quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


@st.composite
def exports(draw: st.DrawFn) -> Export:
    name = st.one_of(
        st.sampled_from(NAMES),
        st.sampled_from(NAMES).map(str.upper),
        st.sampled_from(NAMES).map(lambda v: "  " + v),
        st.sampled_from(NAMES).map(lambda v: v + " "),
        st.sampled_from(FORMULAS),
    )
    rows = draw(
        st.lists(
            st.tuples(
                name,
                name,
                st.sampled_from(["{}@example.pl", "{}@Example.PL", "  {}@example.pl"]),
                st.sampled_from(["601 234 567", "+48 601 234 567", "", "12-345-67-89", "+48601234567"]),
                st.sampled_from(["Kraków", "Gdańsk, PL", "Łódź", "", "  Poznań"]),
                st.sampled_from(["", "two\nlines", 'say "hi"', "ok"]),
            ),
            min_size=1,
            max_size=8,
        )
    )
    rows[0] = ("  Zofia", *rows[0][1:])  # at least one fix
    delimiter = draw(st.sampled_from([",", ";", "|", "\t"]))
    values = [COLUMNS] + [
        [f"C{i:03d}", first, last, email.format(f"c{i}"), phone, city, note]
        for i, (first, last, email, phone, city, note) in enumerate(rows)
    ]
    quote_all = draw(st.booleans())
    records = [
        [quoted(v) if quote_all or needs_quotes(v, delimiter) or draw(st.booleans()) else v for v in cells]
        for cells in values
    ]
    return Export(
        records=records,
        values=values,
        delimiter=delimiter,
        newline=draw(st.sampled_from(["\n", "\r\n"])),
        encoding=draw(st.sampled_from(sorted(ENCODINGS))),
    )


def renderings(value: str, delimiter: str) -> list[str]:
    """How a fixed cell may be written: as it is when that needs no quotes, else quoted."""
    return [quoted(value)] + ([] if needs_quotes(value, delimiter) or not value else [value])


def check_fix(export: Export, folder: Path) -> None:
    source = folder / "in"
    source.mkdir()
    (source / "crm-audit.yaml").write_text("default_region: PL\n")  # phone numbers to E.164 too
    path = source / f"contacts{export.suffix}"
    path.write_bytes(export.data)
    report = fix_export(source, out=folder / "out", apply=True)
    assert path.read_bytes() == export.data, "the input must never be written to"
    fixed = (folder / "out" / path.name).read_bytes()

    bom, codec = ENCODINGS[export.encoding]
    assert fixed.startswith(bom)
    text = fixed[len(bom) :].decode(codec)
    assert bom + text.encode(codec) == fixed  # same encoding and byte order throughout

    # the last value logged per cell is what the copy holds; the log names file lines, records start where
    # the earlier records' lines end
    first_line = list(itertools.accumulate([1] + [1 + "".join(r).count("\n") for r in export.records[:-1]]))
    record_at = {line: i for i, line in enumerate(first_line)}
    after = {(record_at[int(c.row)], COLUMNS.index(c.field)): c.after for c in report.changes.itertuples()}
    assert report.skipped == 0

    position = 0
    for i, cells in enumerate(export.records):
        options = [
            renderings(after[(i, j)], export.delimiter) if (i, j) in after else [cell] for j, cell in enumerate(cells)
        ]
        for choice in itertools.product(*options):
            record = export.delimiter.join(choice) + export.newline
            if text.startswith(record, position):
                position += len(record)
                break
        else:
            pytest.fail(f"record {i} changed outside its fixed cells: {text[position:][:200]!r}")
    assert position == len(text)

    for value in after.values():
        assert (
            not value.startswith(FORMULA_PREFIXES + FULL_WIDTH_PREFIXES)
            or value.lstrip("+-").replace(" ", "").isdigit()
        )

    before = load_export(path).tables["contacts"].raw
    again = load_export(folder / "out" / path.name).tables["contacts"].raw
    expected = before.copy()
    for (i, j), value in after.items():
        expected.iat[i - 1, j] = value
    pd.testing.assert_frame_equal(again, expected)


@examples(12)
@given(export=exports())
def test_fix_changes_only_the_fixed_cells(export: Export) -> None:
    with tempfile.TemporaryDirectory() as folder:
        check_fix(export, Path(folder))


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(export=exports())
def test_fix_changes_only_the_fixed_cells_campaign(export: Export) -> None:
    with tempfile.TemporaryDirectory() as folder:
        check_fix(export, Path(folder))
