"""Text folding shared by matching (dedupe), header recognition (sources) and the generator."""

from __future__ import annotations

import unicodedata

# Letters that NFKD does not decompose into a base letter and an accent.
_UNDECOMPOSABLE = str.maketrans(
    {
        "ł": "l", "Ł": "L", "ß": "ss", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D",
        "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ı": "i",
    }
)  # fmt: skip


def fold(text: str) -> str:
    """Accents and Polish letters removed, case kept: Łukasz -> Lukasz, Müller -> Muller."""
    text = text.translate(_UNDECOMPOSABLE)
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
