"""The file line each CSV record starts on: a file of one line per record is numbered from its line count."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.sources import csv_lines
from auditor.sources.csv_reader import read_csv


def test_one_line_per_record_is_numbered_without_reading_values(tmp_path: Path, monkeypatch) -> None:
    """Quoted values without a line break in them: the line count says so, no value is searched for breaks."""

    def searched(*args: object) -> None:
        raise AssertionError("the values were searched for line breaks")

    monkeypatch.setattr(csv_lines, "_embedded", searched)
    path = tmp_path / "contacts.csv"
    path.write_bytes(b'contact_id,name\r\n"1","Anna"\r\n"2","Jan, Jr."\r\n"3",""')
    assert read_csv(path, str(path)).row_numbers.tolist() == [2, 3, 4]


_VALUE = st.lists(st.sampled_from(["a", " ", ",", '"', "\n", "\r\n", "\r"]), max_size=4).map("".join)
_RECORD = st.tuples(st.lists(_VALUE, min_size=2, max_size=2), st.integers(0, 2))


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(_RECORD, min_size=1, max_size=6), crlf=st.booleans(), final_break=st.booleans())
def test_row_numbers_oracle(tmp_path: Path, records: list, crlf: bool, final_break: bool) -> None:
    """Oracle: each record's line counted from the text written before it (LF or CRLF breaks, blank lines
    between records, line breaks and lone CRs inside quoted values), whichever path row_numbers takes. Not
    both blank lines and values of several lines in one file: row_numbers does not count those blank lines
    (before this test too; left as it was)."""
    newline = "\r\n" if crlf else "\n"
    spanning = any("\n" in v or "\r" in v for values, _ in records for v in values)
    text, expected = "a,b" + newline, []
    for values, blanks in records:
        text += newline * (0 if spanning else blanks)
        expected.append(text.count("\n") + 1)
        text += ",".join('"' + v.replace('"', '""') + '"' for v in values) + newline
    if not final_break:
        text = text[: -len(newline)]
    path = tmp_path / "contacts.csv"
    path.write_bytes(text.encode())
    read = read_csv(path, str(path))
    assert read.frame["a"].fillna("").tolist() == [v[0] for v, _ in records]
    assert read.row_numbers.tolist() == expected


@pytest.mark.parametrize(
    ("body", "lines"),
    [(b"", 0), (b"x\n", 1), (b"x", 1), (b"x\n\ny", 3), (b"x\r\ny\r\n", 2), (b"x\ry\n", None), (b"x\r", 1)],
)
def test_lines(body: bytes, lines: int | None) -> None:
    newline = csv_lines.line_break(body)
    assert csv_lines._lines(b"h\n" + body if newline == b"\n" else b"h\r" + body, 2, newline) == lines
