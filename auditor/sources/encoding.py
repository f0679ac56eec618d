"""Which encoding a text export is in: UTF-8 (with or without BOM), UTF-16 with BOM, cp1250, cp1252 or latin-1.

A strict order beats statistical guessing for CRM exports: a BOM is certain; text that
decodes as UTF-8 is UTF-8; otherwise it is a Windows single-byte export, and Polish
letters versus junk characters decide between cp1250 and the Western code page (cp1252 when
the text uses its 0x80-0x9f punctuation, which latin-1 reads as control characters).

A file can also mix them: rows pasted from another export into a UTF-8 file. `mixed_encoding`
decodes such a file line by line, each valid UTF-8 line as UTF-8 and the rest with the best
single-byte guess, and names the lines, so that valid UTF-8 is never read as mojibake.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

import charset_normalizer

from auditor.errors import InputError

_SAMPLE = 1 << 20
_POLISH = set("ąćęłńśźżĄĆĘŁŃŚŹŻ")
_NON_ASCII_LINE = re.compile(rb"[^\n]*[\x80-\xff][^\n]*")
_HARMLESS_SYMBOLS = set("«»–—‘’‚“”„…€£§°·×÷±©®™•\u00a0")
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_C1 = re.compile(rb"[\x80-\x9f]")
_WORD = re.compile(r"\w+")
_ESCAPED = re.compile("[\udc80-\udcff]+")
_VALID_NON_ASCII = re.compile("[^\x00-\x7f\udc80-\udcff]")
_UNCOMMON = re.compile("[^\u00a0-\u017f\u2010-\u203a\u20ac]")
"""Outside Latin-1, Latin Extended-A and the quotes, dashes and euro sign of Windows text: what a
cp1250 capital and the letter after it ("ĆŚ", "ÓŁ") are when taken for a UTF-8 sequence."""
_POUND_IN_WORD = re.compile(r"£(?=[^\W\d_])")
_CHUNK = 1 << 24
_MAX_LISTED = 5


def detect_encoding(data: bytes, source: str) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    _reject_binary(data, source)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return _single_byte(data)
    return "utf-8"


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
    controls = sum(sample.count(bytes([b])) for b in (*range(0, 9), 11, 12, *range(14, 32)))
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
    fallback: str
    """The single-byte encoding the lines that are not UTF-8 are read in."""
    utf8_lines: tuple[int, ...]
    """1-based numbers of the lines with non-ASCII text read as UTF-8"""
    other_lines: tuple[int, ...]
    """1-based numbers of the lines read as `fallback`"""

    @property
    def encoding(self) -> str:
        """The encoding of most of the lines that are not plain ASCII."""
        return "utf-8" if len(self.utf8_lines) >= len(self.other_lines) else self.fallback

    @property
    def odd_lines(self) -> tuple[int, ...]:
        """The lines not in the file's main encoding (or, with a byte-order mark that lies, all of them)."""
        return self.other_lines if self.encoding == "utf-8" or not self.utf8_lines else self.utf8_lines

    def odd(self) -> str:
        """The odd lines and how they differ: "2 line(s) (7, 13) are not UTF-8"."""
        listed = ", ".join(map(str, self.odd_lines[:_MAX_LISTED]))
        more = ", ..." if len(self.odd_lines) > _MAX_LISTED else ""
        odd_one = "UTF-8" if self.utf8_lines and self.encoding != "utf-8" else "not UTF-8"
        return f"{len(self.odd_lines)} line(s) ({listed}{more}) are {odd_one}"

    def describe(self) -> str:
        """How the file was read: a reader's note."""
        if not self.utf8_lines:
            return f"has a UTF-8 byte-order mark but {self.odd()}; read as {self.fallback}"
        if self.encoding == "utf-8":
            return f"mixed encodings: {self.odd()}, read as {self.fallback}; the others as UTF-8"
        return f"mixed encodings: {self.odd()}, read as such; the others as {self.fallback}"


def mixed_encoding(data: bytes) -> MixedEncoding | None:
    """The file decoded line by line when it mixes UTF-8 with a single-byte encoding; None when one
    encoding reads it all. Within a line that is not UTF-8, the valid UTF-8 stays UTF-8 and only the
    other bytes are read in the single-byte encoding. A UTF-8 byte-order mark counts as UTF-8 text,
    so a file that has one but is not UTF-8 is read this way too."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # also the UTF-32 marks
        return None
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8) :] if bom else data
    if (not bom and not _UTF8_SEQUENCE.search(body)) or _valid_utf8(body):
        return None
    lines = body.split(b"\n")
    kinds = [_line_kind(line) for line in lines]
    utf8 = tuple(n for n, kind in enumerate(kinds, start=1) if kind == "utf-8")
    other = tuple(n for n, kind in enumerate(kinds, start=1) if kind is None)
    if not other or not (utf8 or bom):
        return None
    escaped = {n: lines[n - 1].decode("utf-8", "surrogateescape") for n in other}
    # the guess sees the bytes that are not UTF-8 among the lines' ASCII letters, not the UTF-8 text
    fallback = _single_byte(
        b"\n".join(_VALID_NON_ASCII.sub("", t).encode("utf-8", "surrogateescape") for t in escaped.values())
    )
    decoded = [
        line.decode("ascii" if kind == "ascii" else "utf-8") if kind else ""
        for line, kind in zip(lines, kinds, strict=True)
    ]
    for n, text in escaped.items():
        mixed = _ESCAPED.sub(lambda run: _single(_unescape(run.group()), fallback), text)
        utf8_part = "".join(_VALID_NON_ASCII.findall(text))
        whole = _UNCOMMON.search(utf8_part) or not _plausible(mixed)
        decoded[n - 1] = _single(lines[n - 1], fallback) if whole else mixed
    return MixedEncoding(text="\n".join(decoded), fallback=fallback, utf8_lines=utf8, other_lines=other)


def _valid_utf8(data: bytes) -> bool:
    """Whether `data` is UTF-8, decoded in chunks so that a large file is never held twice."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), _CHUNK):
            decoder.decode(data[start : start + _CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _line_kind(line: bytes) -> str | None:
    """ "ascii", "utf-8", or None for a line that is not (plausibly) UTF-8."""
    if line.isascii():
        return "ascii"
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "utf-8" if _plausible(text) else None


def _unescape(text: str) -> bytes:
    """The bytes surrogateescape decoding stood in for."""
    return bytes(ord(ch) - 0xDC00 for ch in text)


def _single(data: bytes, fallback: str) -> str:
    try:
        return data.decode(fallback)
    except UnicodeDecodeError:  # a byte the guess leaves undefined, beyond the sample it was made on
        return data.decode("latin-1")


def _plausible(text: str) -> bool:
    """False when a word mixes Latin letters with another script's, as single-byte text that happens
    to be valid UTF-8 does (cp1250 "ÓŁ" is the bytes of Cyrillic "ӣ")."""
    for word in _WORD.findall(text):
        scripts = {unicodedata.name(ch, "?").split(" ", 1)[0] for ch in word if ch.isalpha()}
        if "LATIN" in scripts and len(scripts) > 1:
            return False
    return True
