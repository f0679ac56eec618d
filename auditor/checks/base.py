"""The contract between the check engine and a rule kind.

A rule kind is one file in `auditor/checks/kinds/` that defines `KIND = RuleKind(...)`:
a vectorized mask function, the parameters it takes, a message, optionally a function
that suggests a fixed value, and examples that the test-suite runs. Rule *instances*
are YAML in `rules/`; see `auditor/checks/packs.py`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from enum import StrEnum
from typing import Any, Final

import numpy as np
import pandas as pd

from auditor.checks.expectations import GxFn
from auditor.model import Entity


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Dimension(StrEnum):
    COMPLETENESS = "completeness"
    VALIDITY = "validity"
    UNIQUENESS = "uniqueness"
    CONSISTENCY = "consistency"
    TIMELINESS = "timeliness"
    ACCURACY = "accuracy"


@dataclass(frozen=True)
class CheckContext:
    """What a check may read besides the column it checks. Checks never modify any of it."""

    entity: Entity
    frame: pd.DataFrame
    """The typed table of the entity under check (canonical column names)."""
    raw: pd.DataFrame
    """The same table as read, every value a string or missing (for the `type` kind)."""
    tables: Mapping[str, pd.DataFrame]
    """Typed tables of every loaded entity, for foreign keys and staleness."""
    as_of: pd.Timestamp
    """The audit's notion of "now" (tz-naive, UTC); future dates and staleness are judged against it."""
    default_region: str = "US"
    """ISO 3166 alpha-2 region for phone numbers written without a country prefix."""


@dataclass(frozen=True)
class Param:
    """A parameter a rule kind accepts; `kind` is a python type used to validate the YAML value."""

    name: str
    kind: type | tuple[type, ...]
    default: Any = None
    required: bool = False
    help: str = ""


@dataclass(frozen=True)
class Example:
    """Values that must pass and fail under `params`; the tests run every kind's examples."""

    params: Mapping[str, Any]
    passes: tuple[Any, ...]
    fails: tuple[Any, ...]
    entity: str = "contacts"
    field: str = "email"
    extra_columns: Mapping[str, tuple[Any, ...]] = dataclass_field(default_factory=dict)
    """Other columns of the example frame, aligned with `passes + fails`."""
    tables: Mapping[str, Mapping[str, tuple[Any, ...]]] = dataclass_field(default_factory=dict)
    """Other entities' tables (entity -> column -> values), for kinds that look across tables."""


CheckFn = Callable[[pd.Series, Mapping[str, Any], CheckContext], pd.Series]
"""(values of one field, rule params, context) -> boolean Series on the same index, True = passes.

Missing values pass unless the kind is about presence (`required`, `conditional`): a
missing value is one defect, reported once, by the rule that is about it.
"""


class _EveryRowPasses:
    """The type of `PASSES`."""

    def __repr__(self) -> str:
        return "PASSES"


PASSES: Final = _EveryRowPasses()
"""A kind's verdicts when every row passes (most wildcard rules on most columns): no Series made to say so."""

Verdicts = pd.Series | np.ndarray | _EveryRowPasses
"""What a `VerdictFn` returns: a `CheckFn`'s Series; a numpy bool array, one verdict per value in order; or
`PASSES`."""

VerdictFn = Callable[[pd.Series, Mapping[str, Any], CheckContext], Verdicts]
"""A `CheckFn` that may answer in a cheaper form (`Verdicts`): the check engine reads a column's verdicts as a
numpy array at once, and a pandas Series made per rule and column (35-80 us each, about 3,000 on a small
export, most saying that every row passes) was a fixed cost of every column."""


def as_series(verdicts: Verdicts, index: pd.Index) -> pd.Series:
    """`verdicts` as a `CheckFn` returns them: a boolean Series on `index`."""
    if isinstance(verdicts, _EveryRowPasses):
        return pd.Series(True, index=index)
    if isinstance(verdicts, np.ndarray):
        return pd.Series(verdicts, index=index, dtype=bool)
    return verdicts


def series_of(verdicts: VerdictFn) -> CheckFn:
    """The `CheckFn` of a kind that answers in `Verdicts`: what every caller but the check engine reads."""

    @functools.wraps(verdicts)
    def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
        return as_series(verdicts(values, params, ctx), values.index)

    return check


SuggestFn = Callable[[pd.Series, Mapping[str, Any], CheckContext], pd.Series]
"""(failing values, rule params, context) -> suggested fixed values on the same index (NA where none)."""

DisplayFn = Callable[[pd.Series, Mapping[str, Any], CheckContext], pd.Series]
"""(failing values, rule params, context) -> the value a finding shows as `{value}`, when the cell
itself is not what failed (staleness shows the last touch, not `updated_at`)."""


@dataclass(frozen=True)
class Standard:
    """How `crm-audit fix` re-spells a kind's passing values in their standard form."""

    label: str
    """What the change is called in the fix plan ("phone to E.164")."""
    spell: SuggestFn
    """(passing values, rule params, context) -> each value's standard spelling (NA where there is none)."""


class FixSafety(StrEnum):
    """When a kind's suggested value may be applied without a person looking (auditor.fix.safe)."""

    ALWAYS = "always"
    """the suggestion only re-spaces or re-cases the value"""
    CASE_ONLY = "case_only"
    """safe when the suggestion matches the value but for letter case and surrounding whitespace"""
    SAME_CHARACTERS = "same_characters"
    """safe when the suggestion keeps the value's letters and digits, in order"""


PartitionFn = Callable[[Mapping[str, Any], str], tuple[str, Callable[[pd.DataFrame], pd.Series]]]
"""(rule params, field) -> (a name for the key, typed frame -> each row's key). The rows a value's verdict
depends on share the key (the same value for `unique`, the same group for `outlier`): a distributed engine
hash-partitions on it and runs the kind's pandas check per partition. Equal names are one key."""


@dataclass(frozen=True)
class Lookup:
    """Rows of another table that a value's verdict reads: those of `target` whose `target_key` equals the
    row's `key`. A distributed engine brings them to each row with a join, so a partition of the table sees
    what the whole export would show it."""

    key: str
    """This table's column."""
    target: str
    """The entity looked in."""
    target_key: str
    """Its column matched against `key`."""
    latest: str | None = None
    """A time column of `target` of which the kind reads only the latest per key (staleness); None: the kind
    asks only whether a matching row exists (foreign_key)."""


LookupFn = Callable[[Mapping[str, Any], tuple[str, ...], Entity], tuple[Lookup, ...]]
"""(rule params, rule fields, the checked table's entity) -> the other tables its verdicts read."""


@dataclass(frozen=True)
class RuleKind:
    name: str
    summary: str
    dimension: Dimension
    check: CheckFn
    message: str
    """Default message; `{field}`, `{value}`, `{dtype}`, any parameter name and any column of the
    record (`{status}`) are substituted."""
    params: tuple[Param, ...] = ()
    suggest: SuggestFn | None = None
    display: DisplayFn | None = None
    message_vars: Callable[[Mapping[str, Any], str, CheckContext], Mapping[str, Any]] | None = None
    """(params, field, context) -> extra `{names}` for the message (e.g. a readable range)."""
    examples: tuple[Example, ...] = ()
    explain: Callable[[pd.Series, Mapping[str, Any], CheckContext], str | None] | None = None
    """(values of one field, params, context) -> what the rule chose not to judge and why, said once in
    its outcome (`reason`) rather than as a finding per record."""
    fix_safety: FixSafety | None = None
    """When `crm-audit fix` may apply the kind's suggestion unreviewed; None: never (a person decides)."""
    standard: Standard | None = None
    """How `crm-audit fix` re-spells passing values in a standard form; None: it leaves them as they are."""
    partition: PartitionFn | None = None
    """When a value's verdict depends on other rows: the key those rows share (see PartitionFn)."""
    lookups: LookupFn | None = None
    """When a value's verdict reads another table: which rows of it (see Lookup)."""
    gx: GxFn | None = None
    """How a rule of this kind is said in Great Expectations (auditor.checks.expectations); None: not at all."""
    verdicts: VerdictFn | None = None
    """The kind's check in its cheap form (`check` is `series_of(verdicts)`), which the check engine calls;
    None: the engine calls `check`."""
    whole_column: bool = False
    """True when a value's verdict depends on the rest of its column (its shares, its distinct values):
    such a kind must see the whole table, never one partition of it."""
