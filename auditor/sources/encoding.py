"""Which encoding a text export is in: UTF-8 (with or without BOM), UTF-16 with BOM, cp1250 or latin-1.

A strict order beats statistical guessing for CRM exports: a BOM is certain; text that
decodes as UTF-8 is UTF-8; otherwise it is a Windows single-byte export, and Polish
letters versus junk characters decide between cp1250 and latin-1.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

import charset_normalizer

from auditor.errors import InputError

_SAMPLE = 1 << 20
_POLISH = set("ąćęłńśźżĄĆĘŁŃŚŹŻ")
_NON_ASCII_LINE = re.compile(rb"[^\n]*[\x80-\xff][^\n]*")
_HARMLESS_SYMBOLS = set("«»–—‘’‚“”„…€£§°·×÷±©®™•\u00a0")


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
    try:
        as_cp1250 = sample.decode("cp1250")
    except UnicodeDecodeError:
        # bytes cp1250 leaves undefined (0x81, 0x83, 0x88, 0x90, 0x98) rule it out
        return "latin-1"
    as_latin1 = sample.decode("latin-1")
    # Polish ą ł ś ź ż are junk in latin-1 (¹ ³ \x9c \x9f ¿); Western ø å ã read as ř ĺ ă in cp1250
    junk_cp1250, junk_latin1 = _junk(as_cp1250), _junk(as_latin1)
    if junk_latin1 != junk_cp1250:
        return "cp1250" if junk_latin1 > junk_cp1250 else "latin-1"
    differing = [(a, b) for a, b in zip(as_cp1250, as_latin1, strict=True) if a != b]
    polish = sum(a in _POLISH for a, _ in differing)
    if len(differing) > polish:
        return "latin-1"
    best = charset_normalizer.from_bytes(sample, cp_isolation=["cp1250", "latin_1"]).best()
    return "cp1250" if best is not None and best.encoding == "cp1250" else "latin-1"


def _non_ascii_lines(data: bytes) -> bytes:
    """The lines holding non-ASCII bytes (up to a sample), where the two encodings differ."""
    return b"\n".join(_NON_ASCII_LINE.findall(data, 0, _SAMPLE * 4))[:_SAMPLE]


def _junk(text: str) -> int:
    return sum(
        1
        for ch in text
        if ord(ch) > 127 and ch not in _HARMLESS_SYMBOLS and not unicodedata.category(ch).startswith(("L", "M"))
    )
