"""`casing`: a person name is written in the expected letter case.

Semantics (style "title", the default, for names): a value fails when it contains a run
of 2+ letters and all its cased letters are upper case ("KOWALSKI", "JAN") or all lower
case ("kowalski", "de la cruz"). Mixed forms pass: "McDonald", "O'Brien", "van der Berg",
"de la Cruz", "Kowalska-Nowak", "Łukasz", as do initials ("J.", "J.K."). Style "upper"
fails values with a lower-case letter, style "lower" values with an upper-case one. The
value is stripped first (whitespace is its own kind). Missing values pass.

Suggestion: for "title", a name-aware title case ("JAN KOWALSKI" -> "Jan Kowalski",
"mcdonald" -> "McDonald", "o'brien" -> "O'Brien", "VAN DER BERG" -> "Van der Berg":
particles stay lower case unless first); for "upper"/"lower" the converted value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.checks.base import CheckContext, Dimension, Example, FixSafety, Param, RuleKind
from auditor.checks.expectations import no_equivalent
from auditor.checks.kinds._columns import judge_each
from auditor.checks.kinds._fastpath import bools, matches, passing, strip, suggest_each

STYLES = ("title", "upper", "lower")
PARTICLES = frozenset({
    "van", "von", "vom", "der", "den", "de", "del", "della", "di", "da", "du", "dos", "das", "do",
    "la", "le", "ten", "ter", "te", "zu", "y", "e", "bin", "ibn",
})  # fmt: skip


def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    style = params.get("style") or "title"
    if style not in STYLES:
        raise ValueError(f"casing style must be one of {', '.join(STYLES)}, not {style!r}")
    return passing(~judge_each(values, ctx, lambda cells: _off_style(strip(cells), style)), values.index)


def _off_style(text: pa.Array, style: str) -> np.ndarray:
    if style == "upper":
        return matches(text, r"\p{Ll}")
    if style == "lower":
        return matches(text, r"\p{Lu}")
    one_case = bools(pc.utf8_is_upper(text)) | bools(pc.utf8_is_lower(text))
    return one_case & matches(text, r"\p{L}\p{L}")


def _capitalize(word: str) -> str:
    # Apostrophes start a new capital (O'Brien, D'Angelo); "Mc" is followed by one (McDonald).
    parts = [p[:1].upper() + p[1:] for p in word.split("'")]
    out = "'".join(parts)
    if out.startswith("Mc") and len(out) > 2:
        out = "Mc" + out[2].upper() + out[3:]
    return out


def title_name(value: str) -> str:
    tokens = re.split(r"(\s+|-)", value.strip().lower())
    out: list[str] = []
    first = True
    for token in tokens:
        if not token or token.isspace() or token == "-":
            out.append(token)
            continue
        out.append(token if not first and token in PARTICLES else _capitalize(token))
        first = False
    return "".join(out)


def suggest(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    style = params.get("style") or "title"
    convert = {"upper": str.upper, "lower": str.lower}.get(style, title_name)
    return suggest_each(values, lambda v: convert(v.strip()))


KIND = RuleKind(
    name="casing",
    gx=no_equivalent("needs Unicode upper/lower-case classes, which GX's Python regexes lack"),
    fix_safety=FixSafety.ALWAYS,
    summary="Person names are not written in all capitals or all lower case (or follow the given style).",
    dimension=Dimension.CONSISTENCY,
    check=check,
    message="{field} is not in {style} case: {value}",
    params=(Param("style", str, "title", help="title (names: not ALL CAPS, not all lower), upper or lower"),),
    suggest=suggest,
    examples=(
        Example(
            params={"style": "title"},
            passes=(
                "Kowalski",
                "McDonald",
                "O'Brien",
                "van der Berg",
                "de la Cruz",
                "Kowalska-Nowak",
                "Łukasz",
                "J.K.",
            ),
            fails=("KOWALSKI", "kowalski", "JAN", "łukasz", "de la cruz"),
            entity="contacts",
            field="last_name",
        ),
    ),
)
