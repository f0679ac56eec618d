"""Which line of a CSV file each record starts on, as a person counts them in an editor.

Lines end with LF or CRLF, or with a lone CR in a file that has no LF at all (old Mac exports).
The header's own lines, blank lines and line breaks inside quoted values are counted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def line_break(payload: bytes) -> bytes:
    """The byte that ends a line of this file."""
    return b"\n" if b"\n" in payload or b"\r" not in payload else b"\r"


def line_of(payload: bytes, row_text: str) -> int | None:
    """The line a record's text (as pyarrow reports an invalid row) starts on, if it can be found."""
    at = payload.find(row_text.encode("utf-8")) if row_text else -1
    return payload.count(line_break(payload), 0, at) + 1 if at >= 0 else None


def row_numbers(payload: bytes, start: int, frame: pd.DataFrame, table: pa.Table | None) -> np.ndarray:
    """File line of each record of `frame`, read from `payload[start:]` (after the header)."""
    n = len(frame)
    newline = line_break(payload)
    first = payload.count(newline, 0, start) + 1
    if _lines(payload, start, newline) == n:
        # every record takes at least one line, so as many lines as records means one line each and no blank
        # line between: one count of the line breaks, not a search of every value for one (seconds at 1M rows)
        return np.arange(first, n + first)
    embedded = _embedded(frame, table, newline.decode()) if b'"' in payload else None
    if embedded is None or not embedded.any():
        starts = _nonblank_lines(payload, start, newline)
        if len(starts) == n:
            return starts + (first - 1)
        return np.arange(first, n + first)
    consumed = 1 + embedded
    return first + np.concatenate(([0], np.cumsum(consumed)[:-1]))


def _embedded(frame: pd.DataFrame, table: pa.Table | None, newline: str) -> np.ndarray:
    """Line breaks inside each record's values."""
    total = np.zeros(len(frame), dtype=np.int64)
    if table is not None:
        for column in table.columns:
            total += pc.fill_null(pc.count_substring(column, newline), 0).to_numpy(zero_copy_only=False)
        return total
    for name in frame.columns:
        total += frame[name].str.count(newline).fillna(0).to_numpy(dtype=np.int64)
    return total


def _lines(payload: bytes, start: int, newline: bytes) -> int | None:
    """How many lines `payload[start:]` has, blank ones included (a last line without a break counts); None
    when a lone CR in a file of LF line breaks ends a record for pyarrow but no line here."""
    if start >= len(payload):
        return 0
    if newline == b"\n" and b"\r" in payload and payload.count(b"\r", start) != payload.count(b"\r\n", start):
        return None
    return payload.count(newline, start) + (not payload.endswith(newline))


def _nonblank_lines(payload: bytes, start: int, newline: bytes) -> np.ndarray:
    """1-based numbers, counted from `start`, of the lines holding something; valid when no value spans lines."""
    if start >= len(payload):
        return np.arange(0)
    ends_open = not payload.endswith(newline)
    crlf = newline == b"\n"
    if (
        payload.find(newline * 2, start) < 0
        and (not crlf or payload.find(b"\n\r\n", start) < 0)
        and not payload.startswith((newline, b"\r\n"), start)
    ):
        return np.arange(1, payload.count(newline, start) + 1 + ends_open)
    buf = np.frombuffer(payload, dtype=np.uint8, offset=start)
    ends = np.flatnonzero(buf == newline[0])
    if ends_open:
        ends = np.append(ends, len(buf))
    starts = np.concatenate(([0], ends[:-1] + 1))
    length = ends - starts
    cr_only = crlf & (length == 1) & (buf[np.minimum(starts, len(buf) - 1)] == 13)
    return np.flatnonzero((length > 0) & ~cr_only) + 1
