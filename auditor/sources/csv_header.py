"""Where a CSV export's header row is and what it says, whatever its width or line endings.

The header is read from the file itself, not from the sniffing sample: a header wider than the
sample (2,600 columns, 64 KiB) would otherwise be cut and a valid file refused. pyarrow, which
reads the data, cannot be told to skip a header that spans lines (a quoted line break), sits after
blank lines, or ends the file without a line break, so it is given the bytes after the header.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass

from auditor.errors import InputError
from auditor.sources.files import reason

_SAMPLE = 1 << 16
_MAX_SAMPLE = 1 << 23
_LEADING_BLANK = re.compile(rb"[\r\n]*")


@dataclass(frozen=True)
class Header:
    fields: list[str]
    end: int
    """Byte offset of the first data line: past the header row's own line break."""


def sniff_sample(payload: bytes) -> str:
    """The text the delimiter is guessed from: about 64 KiB from the header on, and at least the header
    and the first data line however long they are (up to 8 MiB)."""
    start = _LEADING_BLANK.match(payload).end()
    first = payload.find(b"\n", start)
    second = payload.find(b"\n", first + 1) if first >= 0 else -1
    end = max(start + _SAMPLE, second + 1 if second >= 0 else len(payload))
    return payload[start : min(end, start + _MAX_SAMPLE)].decode("utf-8", errors="ignore")


def read_header(payload: bytes, delimiter: str, source: str) -> Header:
    """The first non-blank record of `payload` (UTF-8) and where it ends."""
    lines = _Lines(payload)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        for fields in reader:
            if fields:
                return Header(fields=fields, end=lines.end)
    except csv.Error as err:
        raise InputError(f"the header row cannot be read ({reason(err)})", file=source, line=reader.line_num) from None
    raise InputError("file has no header row (only blank lines)", file=source)


class _Lines:
    """The lines of `payload` with their endings (LF, CRLF or a lone CR, as the csv module wants them),
    handed out one at a time; `end` is the offset past the last one, where the record read so far ends
    (the csv module asks for the next line only when a record goes on)."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self.end = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        payload, start, size = self.payload, self.end, len(self.payload)
        if start >= size:
            raise StopIteration
        newline = payload.find(b"\n", start)
        cr = payload.find(b"\r", start, newline if newline >= 0 else size)
        if cr >= 0 and cr + 1 != newline:
            self.end = cr + 1
        else:
            self.end = newline + 1 if newline >= 0 else size
        return payload[start : self.end].decode("utf-8", errors="replace")
