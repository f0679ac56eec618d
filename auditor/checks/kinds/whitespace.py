"""`whitespace`: the value has no stray whitespace.

Semantics: a value fails when it starts or ends with whitespace, holds two spaces in a
row, or holds any whitespace other than a plain space (tab, newline, carriage return,
non-breaking and other Unicode spaces, as `str.isspace` defines them) or an invisible
zero-width space / byte-order mark. Missing values pass.

Suggestion: the value stripped, with every inner run of whitespace collapsed to one
space and invisible characters removed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from auditor.checks.base import CheckContext, Dimension, Example, FixSafety, RuleKind
from auditor.checks.expectations import EXACT, GxMapping, expect, python_regex
from auditor.checks.kinds._columns import judge_each
from auditor.checks.kinds._fastpath import matches, passing, suggest_each

# Every character for which str.isspace() is true, in RE2 syntax.
_SPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
_ODD = r"\t\n\x0b\x0c\r\x1c-\x1f\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
_INVISIBLE = r"\x{200b}\x{feff}"
DEFECT = rf"^[{_SPACE}]|[{_SPACE}]$|  |[{_ODD}{_INVISIBLE}]"


def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    return passing(~judge_each(values, ctx, lambda cells: matches(cells, DEFECT)), values.index)


def tidy(value: str) -> str:
    return " ".join(re.sub("[\u200b\ufeff]", "", value).split())


def suggest(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    return suggest_each(values, tidy)


def gx(params: Mapping[str, Any], entity: str, name: str, as_of: pd.Timestamp | None) -> GxMapping:
    return GxMapping(EXACT, "", (expect("ExpectColumnValuesToNotMatchRegex", column=name, regex=python_regex(DEFECT)),))


KIND = RuleKind(
    name="whitespace",
    gx=gx,
    fix_safety=FixSafety.ALWAYS,
    summary="No leading or trailing whitespace, doubled spaces, tabs, line breaks or non-breaking spaces.",
    dimension=Dimension.VALIDITY,
    check=check,
    message='{field} has stray whitespace: "{value}"',
    suggest=suggest,
    examples=(
        Example(
            params={},
            passes=("Jan", "Anna Maria", "van der Berg", "Kowalska-Nowak", None),
            fails=(" Jan", "Nowak ", "Anna  Maria", "Anna\tMaria", "Jan\u00a0Kowalski", "Kraków\n"),
            entity="contacts",
            field="first_name",
        ),
    ),
)
