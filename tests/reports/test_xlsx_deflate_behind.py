"""A large sheet is deflated on a thread of its own while its next rows are made (auditor.reports.xlsx_package):
the same workbook, part for part, and a failure on either side raised, with nothing left running."""

from __future__ import annotations

import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.reports import xlsx, xlsx_package
from auditor.result import AuditResult


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        assert package.testzip() is None
        return {n: package.read(n) for n in package.namelist() if n != "docProps/core.xml"}


def test_oracle_sheets_deflated_behind_are_the_workbook_deflated_in_line(
    acme_audit: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Oracle: every sheet behind (the smallest sheet included, in chunks of a few rows) against every sheet in line."""
    monkeypatch.setattr(xlsx_package, "BEHIND_FROM", 10**9)
    xlsx.write(acme_audit, tmp_path / "in_line.xlsx")
    monkeypatch.setattr(xlsx_package, "BEHIND_FROM", 0)
    monkeypatch.setattr(xlsx, "CHUNK_ROWS", 7)
    xlsx.write(acme_audit, tmp_path / "behind.xlsx")
    assert _parts(tmp_path / "behind.xlsx") == _parts(tmp_path / "in_line.xlsx")


def test_a_large_sheet_is_deflated_off_the_thread_making_its_rows(
    acme_audit: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_package, "BEHIND_FROM", len(acme_audit.worklist_records))  # the Records sheet
    writers: dict[str, set[str]] = {}
    write = zipfile._ZipWriteFile.write

    def spy(self: zipfile._ZipWriteFile, data: bytes) -> int:
        writers.setdefault(self._zinfo.filename, set()).add(threading.current_thread().name)
        return write(self, data)

    def packaged(*args: object) -> None:
        writers.clear()  # XlsxWriter's own writes of the skeleton before
        package(*args)

    package = xlsx.package
    monkeypatch.setattr(zipfile._ZipWriteFile, "write", spy)
    monkeypatch.setattr(xlsx, "package", packaged)
    xlsx.write(acme_audit, tmp_path / "worklist.xlsx")
    assert writers["xl/worksheets/sheet3.xml"] == {"xlsx deflate"}
    assert writers["xl/worksheets/sheet1.xml"] == {threading.current_thread().name}  # fewer rows: in line


class _Failing:
    def __init__(self, after: int) -> None:
        self.left, self.written = after, []

    def write(self, data: bytes) -> int:
        if not self.left:
            raise OSError(28, "No space left on device")
        self.left -= 1
        self.written.append(bytes(data))
        return len(data)


def _rows(count: int) -> Iterator[bytes]:
    for k in range(count):
        yield b"<row r='%d'/>" % (k + 2)


HEADER_ONLY = b'<worksheet><dimension ref="A1:C1"/><sheetData><row r="1"/></sheetData></worksheet>'


def test_a_failed_deflate_is_raised_in_the_thread_making_the_rows_and_stops_it() -> None:
    running = threading.active_count()
    target = _Failing(after=3)
    made = []

    def rows() -> Iterator[bytes]:
        for row in _rows(1_000):
            made.append(row)
            yield row

    with pytest.raises(OSError, match="No space left"), xlsx_package._deflated(target, rows=10**6) as xml:
        xlsx_package._sheet(HEADER_ONLY, 1_000, rows(), xml)
    assert len(target.written) == 3
    assert len(made) < 10  # the maker stopped at its next piece, not at the end of the sheet
    assert threading.active_count() == running


def test_a_failed_maker_leaves_no_thread_and_nothing_written_after_it() -> None:
    running = threading.active_count()
    target = _Failing(after=10**6)

    def rows() -> Iterator[bytes]:
        yield from _rows(5)
        raise ValueError("a chunk could not be made")

    with pytest.raises(ValueError, match="could not be made"), xlsx_package._deflated(target, rows=10**6) as xml:
        xlsx_package._sheet(HEADER_ONLY, 5, rows(), xml)
    assert threading.active_count() == running
    assert len(target.written) <= 6  # the head and the rows made; the tail never
    assert not any(b"</worksheet>" in piece for piece in target.written)
