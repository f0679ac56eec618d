"""A workbook's rows streamed into the package XlsxWriter built: each sheet part named gets its rows after
its header row, the rest is copied as it is.

A sheet's XML goes through a temporary file first, as XlsxWriter's own constant-memory sheets do: its
size is then known before it enters the zip, so ZIP64 is used only for a part past 2 GiB (Excel is strict
about ZIP64 records it does not need), and no sheet is held in memory."""

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


def package(
    skeleton: IO[bytes], target: IO[bytes], rows: Mapping[str, tuple[int, Callable[[], Iterator[bytes | memoryview]]]]
) -> None:
    """The xlsx package `skeleton` into `target`, each part named in `rows` (a sheet holding its header row
    only) given (number of rows, their XML chunks) after its header."""
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
            with tempfile.TemporaryFile() as xml:
                size = _sheet(part, count, chunks(), xml)
                xml.seek(0)
                with out.open(info.filename, "w", force_zip64=size * 1.05 > zipfile.ZIP64_LIMIT) as entry:
                    shutil.copyfileobj(xml, entry, COPY_BYTES)


def _sheet(header_only: bytes, count: int, chunks: Iterator[bytes | memoryview], xml: IO[bytes]) -> int:
    """The sheet's XML into `xml`: its used range grown to `count` rows below the header, the rows before
    the end of its sheet data. Returns the bytes written."""
    end = header_only.rindex(ROWS_END)
    head = DIMENSION.sub(lambda m: b'<dimension ref="%s1:%s%d"/>' % (m[1], m[2], count + 1), header_only[:end], 1)
    if count and head == header_only[:end]:
        raise ValueError("the sheet part has no header-only used range to grow")
    size = xml.write(head)
    for chunk in chunks:
        size += xml.write(chunk)
    return size + xml.write(header_only[end:])
