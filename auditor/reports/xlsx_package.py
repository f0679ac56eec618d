"""A workbook's rows streamed into the package XlsxWriter built: each sheet part named gets its rows after
its header row, the rest is copied as it is.

ZIP64 is used only for a part past 2 GiB (Excel is strict about ZIP64 records it does not need), and a
part's size is known only once its rows are made. So the sheets are streamed into the zip as they are
made, and in the rare workbook where one would pass the limit the package is made again, each sheet's XML
through a temporary file first (as XlsxWriter's own constant-memory sheets do), so that its size is known
before it enters the zip. No sheet is held in memory either way. Through a temporary file every time, the
sheets of a million contacts' worklist (800 MB of XML) took 1.5-2.5 CPU s more to write and read back.

A sheet of BEHIND_FROM rows or more is deflated on a thread of its own while its next rows are made (zlib's
deflate and CRC and the file's write run without the interpreter lock): on a million contacts they were a
third of the workbook's 8.7 CPU s, taken off the thread that makes the rows and onto the second CPU, which
is idle while the reports are written."""

from __future__ import annotations

import contextlib
import queue
import re
import shutil
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any

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
                with out.open(info.filename, "w") as entry, _deflated(entry, count) as xml:
                    _sheet(part, count, chunks(), xml, limit=int(zipfile.ZIP64_LIMIT / ZIP64_MARGIN))
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


BEHIND_FROM = 20_000
"""Rows of a sheet from which its deflate runs on a thread of its own: a few MB of XML. A smaller sheet's
pieces are deflated as they come (a thread per sheet of fixtures/acme's 17 would cost more than it saves)."""


@contextlib.contextmanager
def _deflated(entry: IO[bytes], rows: int) -> Iterator[IO[bytes] | _Behind]:
    """What a sheet of `rows` rows is written to: the zip entry, or for a large sheet a _Behind writing to it."""
    if rows < BEHIND_FROM:
        yield entry
        return
    behind = _Behind(entry)
    try:
        yield behind
    except BaseException:
        behind.close(failed=True)
        raise
    behind.close()


class _Behind:
    """Writes to `target` made by a thread of its own, in the order given, at most one piece waiting besides
    the one being written (about two chunks of rows, CHUNK_BYTES each, held beyond the one being made).
    A failed write is raised by the next `write` or by `close`; the thread writes nothing after it."""

    def __init__(self, target: IO[bytes]) -> None:
        self._target = target
        self._waiting: queue.Queue[Any] = queue.Queue(maxsize=1)
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name="xlsx deflate", daemon=True)
        self._thread.start()

    def write(self, piece: bytes | memoryview) -> int:
        if self._failure is not None:
            raise self._failure
        self._waiting.put(piece)
        return memoryview(piece).nbytes

    def close(self, *, failed: bool = False) -> None:
        """Waits for every piece to be written (`failed`: the rows' maker failed; what waits is dropped)."""
        if failed:
            self._failure = self._failure or _Dropped()
        self._waiting.put(None)
        self._thread.join()
        if self._failure is not None and not failed:
            raise self._failure

    def _drain(self) -> None:
        while (piece := self._waiting.get()) is not None:
            if self._failure is not None:
                continue  # taken off the queue all the same: the maker may be waiting to put its next piece
            try:
                self._target.write(piece)
            except BaseException as error:  # raised in the maker's thread
                self._failure = error


class _Dropped(Exception):
    """The rows' maker failed: the pieces still waiting are not written."""


def _pieces(head: bytes, chunks: Iterator[bytes | memoryview], tail: bytes) -> Iterator[bytes | memoryview]:
    yield head
    yield from chunks
    yield tail
