"""A rule instance: one entry of a rule pack, validated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditor.checks.base import Dimension, Severity

WILDCARD = "*"
"""`entity: "*"` repeats a rule for every entity; `fields: ["*"]` checks every column of the table."""


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    entity: str
    fields: tuple[str, ...]
    severity: Severity
    dimension: Dimension
    params: Mapping[str, Any]
    message: str | None = None
    when: Mapping[str, Any] | None = None
    origin: str = ""
    """Where the rule was defined (`rules/core.yaml:42`), for error messages and reports."""
    template: str | None = None
    """For a rule written once with `entity: "*"`: its short id (`sentinel` for `contacts.sentinel`)."""

    @property
    def is_wildcard(self) -> bool:
        """True for `fields: ["*"]`: the rule checks every column of its table, mapped or not."""
        return self.fields == (WILDCARD,)
