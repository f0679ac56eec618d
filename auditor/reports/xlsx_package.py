"""A workbook's rows streamed into the package XlsxWriter built: each sheet part named gets its rows after
its header row, the rest is copied as it is.

ZIP64 is used only for a part past 2 GiB (Excel is strict about ZIP64 records it does not need), and a
part's size is known only once its rows are made. So the sheets are streamed into the zip as they are
made, and in the rare workbook where one would pass the limit the package is made again, each sheet's XML
through a temporary file first (as XlsxWriter's own constant-memory sheets do), so that its size is known
before it enters the zip. No sheet is held in memory either way. Through a temporary file every time, the
sheets of a million contacts' worklist (800 MB of XML) took 1.5-2.5 CPU s more to write and read back."""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping
from typing import IO

ROWS_END = b"</sheetData>"
DIMENSION = re.compile(rb'<dimension ref="([A-Z]+)1:([A-Z]+)1"/>')
"""The used range of a sheet holding only its header row."""
COMPRESSION_LEVEL = 1
"""zlib's fastest: on a million-row sheet level 6 (XlsxWriter's) took as long as making the XML; level 1
makes the workbook about a quarter larger (103 instead of 83 MB on a million contacts)."""
COPY_BYTES = 1 << 20


Rows = Mapping[str, tuple[int, Callable[[], Iterator[bytes | memoryview]]]]


def package(skeleton: IO[bytes], target: IO[bytes], rows: Rows) -> None:
    """The xlsx package `skeleton` into `target` (a file it may rewrite), each part named in `rows` (a sheet
    holding its header row only) given (number of rows, a function giving their XML chunks) after its
    header."""
    start = target.tell()
    try:
        _package(skeleton, target, rows, streamed=True)
    except _PastLimit:  # a sheet needs ZIP64: made again, each sheet measured before it enters the zip
        target.seek(start)
        target.truncate()
        _package(skeleton, target, rows, streamed=False)


class _PastLimit(Exception):
    """A sheet streamed into the zip without ZIP64 records would pass their limit."""


def _package(skeleton: IO[bytes], target: IO[bytes], rows: Rows, *, streamed: bool) -> None:
    with (
        zipfile.ZipFile(skeleton) as source,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESSION_LEVEL) as out,
    ):
        for info in source.infolist():
            part = source.read(info)
            if info.filename not in rows:
                out.writestr(info, part, compresslevel=COMPRESSION_LEVEL)
                continue
            count, chunks = rows[info.filename]
            if streamed:
                with out.open(info.filename, "w") as entry:
                    _sheet(part, count, chunks(), entry, limit=int(zipfile.ZIP64_LIMIT / ZIP64_MARGIN))
                continue
            with tempfile.TemporaryFile() as xml:
                size = _sheet(part, count, chunks(), xml)
                xml.seek(0)
                with out.open(info.filename, "w", force_zip64=size * ZIP64_MARGIN > zipfile.ZIP64_LIMIT) as entry:
                    shutil.copyfileobj(xml, entry, COPY_BYTES)


ZIP64_MARGIN = 1.05
"""A part this close to ZIP64's limit gets its records (zipfile's own margin for a file of known size)."""


def _sheet(
    header_only: bytes, count: int, chunks: Iterator[bytes | memoryview], xml: IO[bytes], limit: int | None = None
) -> int:
    """The sheet's XML into `xml`: its used range grown to `count` rows below the header, the rows before
    the end of its sheet data. Returns the bytes written. `limit`: _PastLimit is raised before the bytes
    written would pass it."""
    end = header_only.rindex(ROWS_END)
    head = DIMENSION.sub(lambda m: b'<dimension ref="%s1:%s%d"/>' % (m[1], m[2], count + 1), header_only[:end], 1)
    if count and head == header_only[:end]:
        raise ValueError("the sheet part has no header-only used range to grow")
    size = 0
    for piece in _pieces(head, chunks, header_only[end:]):
        if limit is not None and size + len(piece) > limit:
            raise _PastLimit
        size += xml.write(piece)
    return size


def _pieces(head: bytes, chunks: Iterator[bytes | memoryview], tail: bytes) -> Iterator[bytes | memoryview]:
    yield head
    yield from chunks
    yield tail
