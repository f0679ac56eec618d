"""A fixed CSV cell is never a live formula.

A spreadsheet opening a CSV runs a cell that starts with = + - @ (or a tab or carriage return before
one) as a formula; the full-width signs count too, since East Asian input set-ups may turn them into
the ASCII ones. Trimming
"\\t=1+1" would turn an inert value into a live one, so a fixed value that would start a formula gets
the leading quote every CSV the auditor writes uses (auditor.io.neutralise_formulas).
"""

from __future__ import annotations

import re

from auditor.io import FORMULA_PREFIXES

FULL_WIDTH_PREFIXES = ("＝", "＋", "－", "＠")
PLAIN_NUMBER = re.compile(r"[+-]?\d[\d .]*")
"""An E.164 phone number or a signed amount runs as nothing and keeps its sign (as in import files)."""


def inert(value: object) -> object:
    """`value` with a leading quote when a spreadsheet would run it as a formula."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_PREFIXES + FULL_WIDTH_PREFIXES)
        and not PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value
