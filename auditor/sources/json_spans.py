"""Which lines of a JSON document each record spans, for naming the records a line of it belongs to.

`json.loads` keeps no positions. Only a file whose lines are in different encodings needs them (to turn
the lines read in the other encoding into records), so the document is walked once more then, value by
value with `raw_decode`, in the shapes `read_json` accepts: an array of records, or an object whose
arrays are tables.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence

import numpy as np

_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")

Spans = list[tuple[int, int]]
"""(first line, last line) of each record, 1-based."""


def array_spans(text: str) -> Spans:
    """The records of a document that is an array of them."""
    return _spans(text, _elements(text, _skip(text, 0)))


def member_spans(text: str) -> dict[str, Spans]:
    """The records of each array member of a document that is an object of arrays."""
    spans = {}
    for key, at in _members(text, _skip(text, 0)).items():
        if text.startswith("[", at):
            spans[key] = _spans(text, _elements(text, at))
    return spans


def records_of_lines(lines: Sequence[int], spans: Spans) -> np.ndarray:
    """The positions of the records that lie on any of `lines` (a line may hold several)."""
    firsts = [first for first, _ in spans]
    lasts = [last for _, last in spans]  # ascending too: records do not nest
    rows: list[int] = []
    for line in lines:
        rows.extend(range(bisect_left(lasts, line), bisect_right(firsts, line)))
    return np.asarray(sorted(set(rows)), dtype=np.int64)


def _skip(text: str, at: int) -> int:
    match = _SPACE.match(text, at)
    return match.end() if match else at


def _elements(text: str, at: int) -> list[tuple[int, int]]:
    """(start, end) offsets of the values of the array opening at `text[at]`."""
    found: list[tuple[int, int]] = []
    at = _skip(text, at + 1)
    while not text.startswith("]", at):
        _, end = _DECODER.raw_decode(text, at)
        found.append((at, end))
        at = _skip(text, end)
        at = _skip(text, at + 1) if text.startswith(",", at) else at
    return found


def _members(text: str, at: int) -> dict[str, int]:
    """Where the value of each member of the object opening at `text[at]` starts (the last of a repeated
    key, as `json.loads` keeps it)."""
    members: dict[str, int] = {}
    at = _skip(text, at + 1)
    while not text.startswith("}", at):
        key, at = _DECODER.raw_decode(text, at)
        at = _skip(text, _skip(text, at) + 1)  # past the colon
        members[key] = at
        _, at = _DECODER.raw_decode(text, at)
        at = _skip(text, at)
        at = _skip(text, at + 1) if text.startswith(",", at) else at
    return members


def _spans(text: str, offsets: list[tuple[int, int]]) -> Spans:
    breaks = [m.start() for m in re.finditer("\n", text)]
    return [(bisect_left(breaks, start) + 1, bisect_left(breaks, end - 1) + 1) for start, end in offsets]
