"""How a rule kind is said in Great Expectations (GX Core 1.x), declared by each kind (`RuleKind.gx`).

Plain data only (an expectation's class name and arguments, as GX's suite JSON writes them), so that no
kind imports GX; `auditor.interop.ge` builds the GX objects. A mapping has a parity: `exact` (GX fails on
exactly the records the auditor reports), `approximate` (exported, but GX judges differently in the cases
the reason names) or `none` (not exported; the reason says why).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from auditor.model import ENTITIES, DType

EXACT, APPROXIMATE, NONE = "exact", "approximate", "none"


@dataclass(frozen=True)
class GxMapping:
    """A rule on one field in GX: its parity, why it is not exact, and the expectations."""

    parity: str
    reason: str = ""
    expectations: tuple[dict[str, Any], ...] = ()


GxFn = Callable[[Mapping[str, Any], str, str, "pd.Timestamp | None"], GxMapping]
"""(rule params, entity, field, the audit's as-of date if known) -> the rule on that field in GX."""


def expect(kind: str, **kwargs: Any) -> dict[str, Any]:
    """One expectation by its GX class name; arguments given as None are left out."""
    return {"type": kind, "kwargs": {k: v for k, v in kwargs.items() if v is not None}}


def no_equivalent(reason: str) -> GxFn:
    """The mapping of a kind GX cannot say, with the reason."""

    def mapping(params: Mapping[str, Any], entity: str, name: str, as_of: pd.Timestamp | None) -> GxMapping:
        return GxMapping(NONE, reason)

    return mapping


ON_EVERY_COLUMN = no_equivalent(
    "a generic rule on every column (rules/realworld.yaml), judged against the rest of the column"
)
"""The generic kinds of rules/realworld.yaml judge a value against the rest of its column (shares, distinct
values, other date columns), on every column, mapped or not: no GX expectation says that."""


def field_dtype(entity: str, name: str) -> DType:
    model = ENTITIES[entity]
    return model.field(name).dtype if model.has_field(name) else DType.STRING


def python_regex(re2: str) -> str:
    """RE2's `\\x{85}` escapes as Python's `\\u0085` (GX runs Python regexes on pandas)."""
    return re.sub(r"\\x\{([0-9a-fA-F]+)\}", lambda m: f"\\u{int(m.group(1), 16):04x}", re2)
