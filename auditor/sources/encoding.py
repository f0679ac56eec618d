"""Which encoding a text export is in: UTF-8 (with or without BOM), UTF-16 with BOM, cp1250, cp1252 or latin-1.

A strict order beats statistical guessing for CRM exports: a BOM is certain; text that
decodes as UTF-8 is UTF-8; otherwise it is a Windows single-byte export, and Polish
letters versus junk characters decide between cp1250 and the Western code page (cp1252 when
the text uses its 0x80-0x9f punctuation, which latin-1 reads as control characters).

A file can also mix them: rows pasted from another export into a UTF-8 file. `mixed_encoding`
decodes such a file line by line, each valid UTF-8 line as UTF-8 and the rest with the best
single-byte guess, and names the lines of the rarer kind, so that valid UTF-8 is never read as
mojibake. Single-byte text can happen to be valid UTF-8 (cp1250 "ÓŁ" is Cyrillic "ӣ"); a line whose
"UTF-8" puts letters of another script into a Latin word is taken for single-byte text.
"""

from __future__ import annotations

import codecs
import itertools
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from auditor.errors import InputError

_SAMPLE = 1 << 20
_POLISH = set("ąćęłńśźżĄĆĘŁŃŚŹŻ")
_NON_ASCII_LINE = re.compile(rb"[^\n]*[\x80-\xff][^\n]*")
_HARMLESS_SYMBOLS = set("«»–—‘’‚“”„…€£§°·×÷±©®™•\u00a0")
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
# over surrogateescape-decoded text, possessive so that each line is scanned once:
_ESCAPED_LINE = re.compile("(?m)^[^\n\udc80-\udcff]*+[\udc80-\udcff][^\n]*")
"""a line holding a byte that is not UTF-8"""
_NON_ASCII_TEXT_LINE = re.compile("(?m)^[\x00-\x09\x0b-\x7f]*+[^\x00-\x7f]")
"""the start of a line that is not plain ASCII"""
_UTF8_TEXT_LINE = re.compile("(?m)^(?=[^\n\udc80-\udcff]*+$)(?=[\x00-\x09\x0b-\x7f]*+[^\x00-\x7f])")
"""the start of a line that is all UTF-8 and not plain ASCII"""
_NON_LATIN_LINE = re.compile(
    "(?m)^(?=[^\n\udc80-\udcff]*+$)[\x00-\x09\x0b-\u036f\u1e00-\u1eff\u2000-\u206f\u20ac]*+"
    "[^\x00-\u036f\u1e00-\u1eff\u2000-\u206f\u20ac]"
)
"""a line that is all UTF-8 with a letter of another script than Latin: single-byte text that happens
to be valid UTF-8 may be one"""
_LINE = re.compile("[^\n]*")
_C1 = re.compile(rb"[\x80-\x9f]")
_WORD = re.compile(r"\w+")
_VALID_NON_ASCII = re.compile("[^\x00-\x7f\udc80-\udcff]")
_UNCOMMON = re.compile("[^\u00a0-\u017f\u2010-\u203a\u20ac]")
"""Outside Latin-1, Latin Extended-A and the quotes, dashes and euro sign of Windows text: what a
cp1250 capital and the letter after it ("ĆŚ", "ÓŁ") are when taken for a UTF-8 sequence."""
_POUND_IN_WORD = re.compile(r"£(?=[^\W\d_])")
_LATIN1 = {0xDC00 + b: chr(b) for b in range(0x80, 0x100)}
_MAX_LISTED = 5
_CONTROLS = bytes([*range(0, 9), 11, 12, *range(14, 32)])
"""The control bytes a text file holds next to none of (tab, line feed and carriage return are text)."""


def detect_encoding(data: bytes, source: str) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    _reject_binary(data, source)
    return "utf-8" if is_utf8(data) else _single_byte(data)


def is_utf8(data: bytes) -> bool:
    """Whether `data` decodes as UTF-8 (Python's strict decoder: no surrogates, overlong forms or code points past
    U+10FFFF), told by Arrow's validation of the bytes where they are: decoding a million contacts' 235 MB into a
    str only to find out was 1.1 CPU s and a str of twice the file (Polish letters), where Arrow takes 0.2."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    whole = pa.LargeBinaryArray.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        whole.cast(pa.large_string())  # a cast from bytes to text validates them, and copies nothing
    except pa.ArrowInvalid:
        return False
    return True


def decode(data: bytes, encoding: str, source: str) -> str:
    """Decode strictly; a bad byte is an InputError naming its offset and line."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise InputError(
            f"cannot decode byte 0x{data[err.start]:02x} at offset {err.start} as {encoding}", file=source, line=line
        ) from None
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}", file=source) from None


def _reject_binary(data: bytes, source: str) -> None:
    sample = data[:_SAMPLE]
    nul = sample.find(b"\x00")
    controls = len(sample) - len(sample.translate(None, _CONTROLS))  # one pass, not a count per control byte
    if nul >= 0 or controls > max(8, len(sample) // 100):
        offset = nul if nul >= 0 else next(i for i, b in enumerate(sample) if b < 32 and b not in (9, 10, 13))
        raise InputError(
            f"not a text file (binary byte 0x{data[offset]:02x} at offset {offset})",
            file=source,
            line=data.count(b"\n", 0, offset) + 1,
        )


def _single_byte(data: bytes) -> str:
    sample = _non_ascii_lines(data)
    western = _western(sample)
    try:
        as_cp1250 = sample.decode("cp1250")
    except UnicodeDecodeError:
        # bytes cp1250 leaves undefined (0x81, 0x83, 0x88, 0x90, 0x98) rule it out
        return western
    as_western = sample.decode(western)
    # Polish ą ł ż are junk in the Western code pages (¹ ³ ¿); Western ø å ã read as ř ĺ ă in cp1250
    junk_cp1250, junk_western = _junk(as_cp1250), _junk(as_western)
    if junk_western != junk_cp1250:
        return "cp1250" if junk_western > junk_cp1250 else western
    differing = [(a, b) for a, b in zip(as_cp1250, as_western, strict=True) if a != b]
    polish = sum(a in _POLISH for a, _ in differing)
    if len(differing) > polish:
        return western
    # start-up time: loaded only for the single-byte text whose code page Polish letters leave undecided
    import charset_normalizer

    best = charset_normalizer.from_bytes(sample, cp_isolation=["cp1250", western.replace("-", "_")]).best()
    return "cp1250" if best is not None and best.encoding == "cp1250" else western


def _western(sample: bytes) -> str:
    """cp1252 when the text has bytes 0x80-0x9f it defines (’ “ ” € …), else latin-1, which reads
    the rest alike."""
    if not _C1.search(sample):
        return "latin-1"
    try:
        sample.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1"
    return "cp1252"


def _non_ascii_lines(data: bytes) -> bytes:
    """The lines holding non-ASCII bytes (up to a sample), where the two encodings differ."""
    return b"\n".join(_NON_ASCII_LINE.findall(data, 0, _SAMPLE * 4))[:_SAMPLE]


def _junk(text: str) -> int:
    symbols = sum(
        1
        for ch in text
        if ord(ch) > 127 and ch not in _HARMLESS_SYMBOLS and not unicodedata.category(ch).startswith(("L", "M"))
    )
    # a pound sign before a letter is cp1250's Ł read in a Western code page ("£ukasz")
    return symbols + len(_POUND_IN_WORD.findall(text))


@dataclass(frozen=True)
class MixedEncoding:
    """A file whose lines are partly UTF-8 and partly in a single-byte encoding."""

    text: str
    """The file decoded line by line, without a UTF-8 byte-order mark."""
    encoding: str
    """What most of the lines that are not plain ASCII are in: "utf-8" or `fallback`."""
    fallback: str
    """The single-byte encoding the lines that are not UTF-8 are read in."""
    odd_lines: tuple[int, ...]
    """1-based numbers of the lines not in `encoding` (none when a UTF-8 byte-order mark starts a file
    that is all `fallback`)"""

    @property
    def odd_encoding(self) -> str:
        """What the odd lines were read in."""
        return self.fallback if self.encoding == "utf-8" else "utf-8"

    def odd(self) -> str:
        """The odd lines and how they differ: "2 line(s) (7, 13) are not UTF-8"."""
        if not self.odd_lines:
            return "a UTF-8 byte-order mark starts text that is not UTF-8"
        listed = ", ".join(map(str, self.odd_lines[:_MAX_LISTED]))
        more = ", ..." if len(self.odd_lines) > _MAX_LISTED else ""
        return f"{len(self.odd_lines)} line(s) ({listed}{more}) are {'not ' if self.encoding == 'utf-8' else ''}UTF-8"

    def describe(self) -> str:
        """How the file was read: a reader's note."""
        if not self.odd_lines:
            return f"{self.odd()}; read as {self.fallback}"
        if self.encoding == "utf-8":
            return f"mixed encodings: {self.odd()}, read as {self.fallback}; the others as UTF-8"
        return f"mixed encodings: {self.odd()}, read as such; the others as {self.fallback}"


def mixed_encoding(data: bytes) -> MixedEncoding | None:
    """The file decoded line by line when it mixes UTF-8 with a single-byte encoding; None when one
    encoding reads it all. In a mostly UTF-8 file, the valid UTF-8 of a line that is not all UTF-8
    stays UTF-8 and only its other bytes are read in the single-byte encoding. A UTF-8 byte-order
    mark counts as UTF-8 text, so a file that has one but is not UTF-8 is read this way too."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # also the UTF-32 marks
        return None
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8) :] if bom else data
    if (not bom and not _UTF8_SEQUENCE.search(body)) or is_utf8(body):
        return None
    # each byte that is not UTF-8 becomes one stand-in character (U+DC80-U+DCFF), the rest is UTF-8 text
    text = body.decode("utf-8", "surrogateescape")
    if not bom and not _UTF8_TEXT_LINE.search(text):
        return None
    escaped = len(_ESCAPED_LINE.findall(text))
    lookalikes = _lookalikes(text)
    utf8 = len(_NON_ASCII_TEXT_LINE.findall(text)) - escaped - len(lookalikes)
    if not utf8 and not bom:
        return None
    if utf8 >= escaped + len(lookalikes):
        return _mostly_utf8(text, sorted([*_ESCAPED_LINE.finditer(text), *lookalikes], key=lambda m: m.start()))
    skip = {m.start() for m in lookalikes}
    starts = [m.start() for m in _UTF8_TEXT_LINE.finditer(text) if m.start() not in skip]
    # the single-byte text between the UTF-8 lines goes back to its bytes and is decoded in one piece
    segments, lines, position = [], [], 0
    for start in starts:
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        segments.append(text[position:start].encode("utf-8", "surrogateescape"))
        lines.append(text[start:end])
        position = end
    segments.append(text[position:].encode("utf-8", "surrogateescape"))
    fallback = _single_byte(b"\n".join(segments))
    pieces = [_single(segment, fallback) for segment in segments]
    merged = "".join(p for pair in itertools.zip_longest(pieces, lines, fillvalue="") for p in pair)
    return MixedEncoding(merged, fallback, fallback, _line_numbers(text, starts))


def _mostly_utf8(text: str, odd: list[re.Match[str]]) -> MixedEncoding:
    """A UTF-8 file with lines that are not: those read with the best single-byte guess."""
    # the guess sees the bytes that are not UTF-8 among the lines' ASCII letters, not the UTF-8 text
    sample = b"\n".join(_VALID_NON_ASCII.sub("", m.group()).encode("utf-8", "surrogateescape") for m in odd)
    fallback = _single_byte(sample)
    table = _byte_table(fallback)
    pieces, position = [], 0
    for m in odd:
        line = m.group()
        mixed = line.translate(table)
        if _UNCOMMON.search("".join(_VALID_NON_ASCII.findall(line))) or not _plausible(mixed):
            # its "UTF-8" is a single-byte capital and the letter after it: the whole line is single-byte
            mixed = _single(line.encode("utf-8", "surrogateescape"), fallback)
        pieces += [text[position : m.start()], mixed]
        position = m.end()
    pieces.append(text[position:])
    return MixedEncoding("".join(pieces), "utf-8", fallback, _line_numbers(text, [m.start() for m in odd]))


def _lookalikes(text: str) -> list[re.Match[str]]:
    """The lines that are valid UTF-8 but read as a Latin word with letters of another script in it."""
    lines = (_LINE.match(text, m.start()) for m in _NON_LATIN_LINE.finditer(text))
    return [line for line in lines if line is not None and not _plausible(line.group())]


def _line_numbers(text: str, offsets: list[int]) -> tuple[int, ...]:
    """1-based line numbers of sorted offsets into `text`."""
    numbers, line, previous = [], 1, 0
    for offset in offsets:
        line += text.count("\n", previous, offset)
        numbers.append(line)
        previous = offset
    return tuple(numbers)


def _byte_table(fallback: str) -> dict[int, str]:
    """surrogateescape's stand-in for each byte 0x80-0xff -> that byte in `fallback` (latin-1 where
    `fallback` leaves it undefined)."""
    return {0xDC00 + b: _single(bytes([b]), fallback) for b in range(0x80, 0x100)}


def _single(data: bytes, fallback: str) -> str:
    """`data` in `fallback`, a byte it leaves undefined (beyond the sample the guess was made on) in latin-1."""
    try:
        return data.decode(fallback)
    except UnicodeDecodeError:
        return data.decode(fallback, "surrogateescape").translate(_LATIN1)


def _plausible(text: str) -> bool:
    """False when a word mixes Latin letters with another script's, as single-byte text that happens
    to be valid UTF-8 does (cp1250 "ÓŁ" is the bytes of Cyrillic "ӣ")."""
    for word in _WORD.findall(text):
        scripts = {unicodedata.name(ch, "?").split(" ", 1)[0] for ch in word if ch.isalpha()}
        if "LATIN" in scripts and len(scripts) > 1:
            return False
    return True
