"""Change single cells of a CSV file and leave every other byte as it was.

Only the edited cells are re-written: the header, untouched records, line endings, the encoding
(its byte-order mark and byte order too) and the quoting of every other cell stay byte-identical, so
a diff of the fixed copy against the input shows exactly the fixes. A file that mixes encodings is
refused: no single encoding would write its fixed cells back the way its other lines are written.
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from auditor.errors import InputError
from auditor.sources.encoding import mixed_encoding

QUOTE = '"'


@dataclass(frozen=True)
class Cell:
    start: int
    end: int
    quoted: bool
    text: str


def split_record(text: str, start: int, delimiter: str) -> list[Cell]:
    """The cells of the record that starts at offset `start` (quoted values may span lines)."""
    cells: list[Cell] = []
    i, n = start, len(text)
    while True:
        if i < n and text[i] == QUOTE:
            j, parts = i + 1, []
            while True:
                k = text.find(QUOTE, j)
                if k < 0:
                    raise ValueError("unterminated quoted value")
                parts.append(text[j:k])
                if k + 1 < n and text[k + 1] == QUOTE:
                    parts.append(QUOTE)
                    j = k + 2
                    continue
                end = k + 1
                break
            cells.append(Cell(i, end, True, "".join(parts)))
        else:
            end = i
            while end < n and text[end] not in (delimiter, "\n", "\r"):
                end += 1
            cells.append(Cell(i, end, False, text[i:end]))
        if end < n and text[end] == delimiter:
            i = end + 1
            continue
        return cells


def render(value: str, quoted: bool, delimiter: str) -> str:
    if quoted or any(c in value for c in (delimiter, QUOTE, "\n", "\r")) or value != value.strip():
        return QUOTE + value.replace(QUOTE, QUOTE * 2) + QUOTE
    return value


BOMS = {
    "utf-8": ((codecs.BOM_UTF8, "utf-8"),),
    "utf-8-sig": ((codecs.BOM_UTF8, "utf-8"),),
    "utf-16": ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")),
    "utf-32": ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be")),
}
"""Per encoding, the byte-order marks it may start with and the codec that writes the rest in that byte
order (Python's "utf-16" would write the machine's order and a new mark)."""


def _decode(data: bytes, encoding: str | None, source: str) -> tuple[str, str, bytes]:
    """The text after the byte-order mark, the codec that encodes it back to the same bytes, and the mark."""
    name = codecs.lookup(encoding or "utf-8").name
    codec, bom = {"utf-8-sig": "utf-8", "utf-16": "utf-16-le", "utf-32": "utf-32-le"}.get(name, name), b""
    for mark, marked in BOMS.get(name, ()):
        if data.startswith(mark):
            codec, bom = marked, mark
            break
    if not name.startswith(("utf-16", "utf-32")):
        mixed = mixed_encoding(data)
        if mixed:
            raise InputError(
                f"the file mixes encodings: {mixed.odd()}; save it in one encoding before fixing it",
                file=source,
                line=mixed.odd_lines[0] if mixed.odd_lines else None,
            )
    try:
        text = data[len(bom) :].decode(codec)
    except UnicodeDecodeError as err:
        raise InputError(f"cannot decode as {name}: {err.reason}", file=source) from None
    return text, codec, bom


def line_starts(text: str) -> np.ndarray:
    """Offset of the first character of each line (index 0 is line 1)."""
    lengths = np.fromiter((len(line) + 1 for line in text.split("\n")), dtype=np.int64)
    return np.concatenate(([0], np.cumsum(lengths)[:-1]))


def header(data: bytes, encoding: str | None, delimiter: str, source: str) -> list[str]:
    text, _, _ = _decode(data, encoding, source)
    return [c.text for c in split_record(text, 0, delimiter)]


def patch(
    data: bytes,
    edits: Mapping[tuple[int, int], tuple[str, str]],
    *,
    encoding: str | None,
    delimiter: str,
    source: str,
) -> tuple[bytes, set[tuple[int, int]]]:
    """`data` with the cells `edits` names ((line, column index) -> (before, after)) rewritten.
    Returns the new bytes and the edits applied: an edit whose cell does not hold `before` is skipped."""
    text, codec, bom = _decode(data, encoding, source)
    starts = line_starts(text)
    replacements: list[tuple[int, int, str]] = []
    applied: set[tuple[int, int]] = set()
    records: dict[int, list[Cell]] = {}
    for (line, column), (before, after) in edits.items():
        if not 1 <= line <= len(starts):
            continue
        if line not in records:
            try:
                records[line] = split_record(text, int(starts[line - 1]), delimiter)
            except ValueError as err:
                raise InputError(str(err), file=source, line=line) from None
        cells = records[line]
        if column >= len(cells) or cells[column].text != before:
            continue
        cell = cells[column]
        replacements.append((cell.start, cell.end, render(after, cell.quoted, delimiter)))
        applied.add((line, column))
    pieces, position = [], 0
    for start, end, new in sorted(replacements):
        pieces += [text[position:start], new]
        position = end
    pieces.append(text[position:])
    return bom + "".join(pieces).encode(codec), applied
