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


MISSING_CODES = (
    "unknown", "unk", "n/a", "n.a.", "n/k", "nan", "null", "nil", "<null>", "(null)", "-", "--", "---", "?", "??",
    "???", "#n/a", "#na", "#value!", "#ref!", "#div/0!", "#name?", "#null!", "undefined", "unspecified",
    "not specified", "not available", "not applicable", "not known", "not set", "missing", "blank", "(blank)",
    "empty", "(empty)", "tbd", "tba", "to be defined", "brak", "brak danych", "nieznany", "nieznana", "nie dotyczy",
    "unbekannt", "inconnu", "desconocido",
)  # fmt: skip
"""What exports write for "no value" besides an empty cell (the `sentinel` rule kind's codes; `required`
and the loader's plausibility check read them too). "NA" (Namibia,
North America) and "none" (often a real category) are not among them."""

NO_DATES = ("1900-01-01", "1899-12-30", "1899-12-31", "0001-01-01", "9999-12-31")
"""Dates systems write for "no date" (spreadsheet day zero, the first and last days a type holds): the `sentinel`
rule's finding, not a malformed date for `type`, and a date-shaped value for the loader's plausibility check."""
