"""Which of `,` `;` tab `|` separates the fields of a CSV export."""

from __future__ import annotations

import contextlib
import csv
import io
from itertools import islice

CANDIDATES = ",;\t|"
_ROWS = 50
_SNIFFER_SAMPLE = 1 << 12
"""What csv.Sniffer reads: its quote-finding regular expressions take time quadratic in the sample when
quotes never close (64 KiB of `,"a` took 23 s), and its guess is checked against the whole sample anyway."""


def sniff_delimiter(sample: str) -> str:
    """csv.Sniffer when it agrees with the data, else the candidate that splits rows most consistently."""
    sample = _whole_lines(sample)
    try:
        sniffed = csv.Sniffer().sniff(_whole_lines(sample[:_SNIFFER_SAMPLE]), delimiters=CANDIDATES).delimiter
    except csv.Error:
        sniffed = None
    if sniffed is not None:
        share, width = _consistency(sample, sniffed)
        if share == 1.0 and width > 1:
            return sniffed
    best = max(CANDIDATES, key=lambda d: _consistency(sample, d))
    return best if _width(sample, best) > 1 else ","


def _whole_lines(sample: str) -> str:
    cut = sample.rfind("\n")
    return sample[: cut + 1] if cut > 0 else sample


def _rows(sample: str, delimiter: str) -> list[list[str]]:
    """The first rows as this delimiter splits them, up to one the csv module cannot read (a value over its
    field size limit, a stray carriage return)."""
    rows: list[list[str]] = []
    with contextlib.suppress(csv.Error):
        rows.extend(islice(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter), _ROWS))
    return rows


def _width(sample: str, delimiter: str) -> int:
    rows = _rows(sample, delimiter)
    return len(rows[0]) if rows else 0


def _consistency(sample: str, delimiter: str) -> tuple[float, int]:
    """(share of data rows as wide as the header, header width); a one-column split scores nothing."""
    rows = _rows(sample, delimiter)
    if not rows or len(rows[0]) < 2:
        return (0.0, 0)
    width, data = len(rows[0]), [r for r in rows[1:] if r]
    same = sum(len(r) == width for r in data) / len(data) if data else 1.0
    return (same, width)
