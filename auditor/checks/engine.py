"""Runs rules over loaded tables: rules -> pandera schemas -> lazy validation -> findings.

The rules on each field become one pandera `Check` on that column; one `DataFrameSchema` per entity
is validated lazily, so every rule runs on every row (a failing rule never stops the others); a failing
column is pandera's warning, not its error (findings are results). Each check runs its column's rules one
after the other and makes their findings as soon as its masks are made: one row per (record, field, rule),
in a DataFrame.
"""

from __future__ import annotations

import contextlib
import string
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as arrow  # not `pa`: that is pandera here
import pyarrow.compute as pc

from auditor.checks import encoding
from auditor.checks.base import PASSES, CheckContext, RuleKind, Severity, Verdicts
from auditor.checks.kinds import get_kind
from auditor.checks.kinds._columns import TOGETHER_CELLS, distinct_values, forget_column, forget_columns
from auditor.checks.kinds._fastpath import Distinct, present, take, text_codes, to_arrow
from auditor.checks.rule import Rule
from auditor.dtypes import TEXT, as_text
from auditor.findings import FINDING_COLUMNS, compact_column, concat_findings, empty_findings, shared_values
from auditor.model import ENTITIES, Entity
from auditor.pandera_api import pandera_pandas
from auditor.sources.table import record_ids

if TYPE_CHECKING:
    import pandera.pandas as pa

MISSING_VALUE_TEXT = "(empty)"
_SEP = "::"


class TableLike(Protocol):
    entity: str
    source: str
    raw: pd.DataFrame
    frame: pd.DataFrame
    row_numbers: pd.Series


@dataclass(frozen=True)
class RuleOutcome:
    """What one rule did: soda-style counts, judged by the gate and the reports afterwards."""

    rule_id: str
    kind: str
    entity: str
    fields: tuple[str, ...]
    severity: Severity
    dimension: str
    status: str
    """passed | failed | not_evaluated | error"""
    evaluated: int
    """records the rule applied to (its `when` matched and at least one field was present)"""
    failed: int
    """distinct records with at least one finding"""
    findings: int
    reason: str | None = None
    origin: str = ""


@dataclass(frozen=True)
class StructuralIssue:
    """A problem with a table as a whole, such as a required column that no header maps to."""

    entity: str
    file: str
    field: str
    message: str
    severity: Severity = Severity.ERROR


@dataclass
class CheckResult:
    findings: pd.DataFrame
    outcomes: list[RuleOutcome]
    structural: list[StructuralIssue]
    absent: dict[str, list[str]] = dataclass_field(default_factory=dict)
    """Per table: the fields its rules look at that the export does not have (their rules are not
    evaluated; absence is no defect unless the config's `required:` says so)."""


def when_mask(frame: pd.DataFrame, when: Mapping[str, Any] | None) -> pd.Series:
    """Rows a rule applies to. A `when` on a column the table lacks selects no row."""
    mask = pd.Series(True, index=frame.index)
    for name, condition in (when or {}).items():
        if name not in frame.columns:
            return pd.Series(False, index=frame.index)
        column = frame[name]
        if isinstance(condition, list):
            mask &= column.isin(condition)
        elif "in" in condition:
            mask &= column.isin(condition["in"])
        elif "not_in" in condition:
            mask &= ~column.isin(condition["not_in"])
        elif "present" in condition:
            mask &= column.notna() if condition["present"] else column.isna()
    return mask.fillna(False).astype(bool)


@dataclass
class _Recorder:
    """What the checks of each column left, per rule and column: its findings, the error its check raised,
    the note its kind explained; and the first error raised making findings.

    Pandera runs the schema (lazily, one check per column); the engine makes each column's findings as
    soon as its checks ran and gives pandera only a verdict (one boolean), because building pandera's
    failure-case table for hundreds of thousands of failing rows costs more than the checks it reports
    on. A column's masks and the kinds' whole-column work on it are dropped once its findings are made:
    held for every column until the end, they were most of the check stage's peak (3.3 GB on a million
    rows). An error making findings is kept and raised after the validation, which pandera would
    otherwise report as one more failed check.
    """

    parts: dict[str, _Part] = dataclass_field(default_factory=dict)
    errors: dict[str, str] = dataclass_field(default_factory=dict)
    notes: dict[str, str] = dataclass_field(default_factory=dict)
    failure: Exception | None = None


_Part = dict[str, np.ndarray | pd.Series]
"""The findings of one rule on one column, as the findings frame's columns: object and int64 arrays, and a
Series for each column whose type pandas infers (value, suggested_value, owner). The parts of every rule
are made into one frame at the end (`_join`): a frame per part cost more than the checks of a small export."""

_POSITIONS = "positions"
"""A part's key (not a findings column) for the positions of its rows in the table, when the engine knows them."""

_Run = tuple[str, Rule, RuleKind, pd.Series, bool]
"""(rule id and column, the rule, its kind, the rows it applies to, whether that is every row)"""
_Applied = tuple[Rule, RuleKind, pd.Series, bool]
"""(a rule on a column, its kind, the rows it applies to, whether that is every row: told once per `when`, not
per rule and column)"""

FindingsFn = Callable[[Rule, RuleKind, str, np.ndarray], _Part]
"""(rule, kind, column, failing: a boolean per row of the table) -> the findings"""


@dataclass(frozen=True)
class _Rows:
    """Some rows of a table: their labels and, when every series read about them is indexed like the table,
    their positions (a label lookup per column of every finding part was a tenth of a small export's checks)."""

    index: pd.Index
    positions: np.ndarray | None

    def of(self, series: pd.Series) -> pd.Series:
        return series.loc[self.index] if self.positions is None else series.iloc[self.positions]

    def take(self, values: pd.Series) -> np.ndarray:
        """The rows' cells of a numpy-backed series (record ids, row numbers), without a Series made."""
        return values.loc[self.index].to_numpy() if self.positions is None else values.to_numpy()[self.positions]


def _make_check(
    column: str,
    rules: list[_Applied],
    ctx: CheckContext,
    recorder: _Recorder,
    findings_for: FindingsFn,
) -> pa.Check:
    """One pandera check running every rule on `column` and making its findings. One per column, not
    per rule and column: pandera's own cost per check is a third of the check stage on a table of
    thousands of columns (each checked by a dozen `fields: ["*"]` rules)."""
    pa = pandera_pandas()  # here, not at the top: the reports import this module's outcomes without checks

    def run(values: pd.Series) -> bool:
        try:
            return _check_column(column, values, rules, ctx, recorder, findings_for)
        except Exception as exc:
            recorder.failure = recorder.failure or exc
            return False

    # A scalar verdict: pandera skips building its failure-case table row by row (a quarter of the check
    # stage on a 20,000-row export), which the engine never reads because it makes the findings itself.
    # A failing record is a result, not an exception: a failing column is pandera's warning (`raise_warning`,
    # its way of reporting a check that informs and does not stop), not its error, whose report pandera builds
    # as frames per failing column and again per table (0.2 s of acme's 1.4, its 160 columns mostly failing)
    # and the engine never read either.
    return pa.Check(run, name=column, ignore_na=False, n_failure_cases=1, raise_warning=True)


def _check_column(
    column: str,
    values: pd.Series,
    rules: list[_Applied],
    ctx: CheckContext,
    recorder: _Recorder,
    findings_for: FindingsFn,
) -> bool:
    """Every rule on `column`, then their findings; whether every rule passed on every row. A rule whose
    kind raises (or whose mask cannot be read) is its error outcome; the others keep their findings."""
    runs: list[_Run] = [
        (f"{rule.id}{_SEP}{column}", rule, kind, applies, everywhere) for rule, kind, applies, everywhere in rules
    ]
    masks: dict[str, np.ndarray | None] = {}
    for name, rule, kind, applies, everywhere in runs:
        try:
            if kind.verdicts is not None:
                masks[name] = _mask(kind.verdicts(values, rule.params, ctx), applies, everywhere)
            else:  # a Series, as `CheckFn` says: anything else is an error of the rule
                masks[name] = _series_mask(kind.check(values, rule.params, ctx), applies, everywhere)
        except Exception as exc:
            recorder.errors[name] = f"{type(exc).__name__}: {exc}"
    passed = len(masks) == len(runs) and all(mask is None or mask.all() for mask in masks.values())
    _record_column(column, runs, masks, ctx, recorder, findings_for)
    forget_column(column)
    return passed


def _mask(verdicts: Verdicts, applies: pd.Series, everywhere: bool) -> np.ndarray | None:
    """A rule's verdicts on a column as a numpy mask (True = passes), None when every row passes."""
    if isinstance(verdicts, np.ndarray):
        if verdicts.dtype != bool:
            raise TypeError(f"verdicts of dtype {verdicts.dtype}, not bool")
        return verdicts if everywhere else verdicts | ~applies.to_numpy()
    if verdicts is PASSES:
        return None
    return _series_mask(verdicts, applies, everywhere)


def _series_mask(ok: pd.Series, applies: pd.Series, everywhere: bool) -> np.ndarray:
    """A `CheckFn`'s Series as a numpy mask (True = passes)."""
    # An undecidable value (NA in the mask) passes: a missing value is another rule's finding. A plain bool mask
    # has none, and a rule without `when` applies to every row: each step skipped is three conversions per rule
    # and column, seconds on a table of 2,600 columns.
    if ok.dtype != bool:
        ok = ok.astype("boolean").fillna(True).astype(bool)
    if not everywhere:
        ok = ok | ~applies
    return ok.to_numpy()


def _record_column(
    column: str,
    runs: list[_Run],
    masks: dict[str, np.ndarray | None],
    ctx: CheckContext,
    recorder: _Recorder,
    findings_for: FindingsFn,
) -> None:
    """The findings and notes of every rule on `column`, whose checks ran and left `masks` (True = passes)."""
    # Which cells a rule already reported: a wildcard rule adds only what the rules about that field (and
    # earlier wildcard rules) did not, so that "n/a" in a name is one finding, not a placeholder and a sentinel.
    reported: np.ndarray | None = None
    for name, rule, kind, _, _ in sorted(runs, key=lambda run: run[1].is_wildcard):
        if name in recorder.errors:
            continue
        if kind.explain is not None:
            note = kind.explain(ctx.frame[column], rule.params, ctx)
            if note:
                recorder.notes[name] = note
        passes = masks.pop(name)
        if passes is None or passes.all():  # most rules on most columns: nothing to report, nothing to add
            continue
        failing = ~passes
        if reported is not None:
            new = failing & ~reported if rule.is_wildcard else failing
            reported = reported | failing
            failing = new
        else:
            reported = failing
        if failing.any():
            recorder.parts[name] = findings_for(rule, kind, column, failing)


def _format_messages(
    template: str,
    field: str,
    values: pd.Series,
    frame: pd.DataFrame,
    variables: Mapping[str, Any],
) -> np.ndarray:
    """The message of each failing row as an object array: `{value}` and `{column}` are cells of the
    record, `!r` quotes them, a missing cell shows as (empty); other names are constants. Each distinct
    combination of the cells it names is formatted once and shared by its rows: a rule failing on a
    million records with a few distinct values makes a few strs, not a million (nor a column of Arrow
    text per placeholder)."""
    pieces, names = _pieces(template, field, frame, variables)
    cells = {name: _as_text(values if name == "value" else frame.loc[values.index, name]) for name in names}
    group, firsts = _distinct_rows(list(cells.values()), len(values))
    # the distinct messages joined by Arrow, piece by piece (a Python loop over them cost a second on a million)
    shown = {name: pc.cast(take(to_arrow(cells[name]), firsts), arrow.large_string()) for name in cells}
    return _assembled(pieces, shown)[group]


def _pieces(
    template: str, field: str, frame: pd.DataFrame, variables: Mapping[str, Any]
) -> tuple[list[str | tuple[str, bool]], list[str]]:
    """(the template's pieces: literal text, or (the name of a cell, quoted); the names of the cells it reads, in
    order, each once): constants are formatted into the literal text."""
    constant = {"field": field, **variables}
    pieces: list[str | tuple[str, bool]] = []
    names: dict[str, None] = {}
    for literal, name, spec, conversion in string.Formatter().parse(template):
        if literal:
            pieces.append(literal)
        if name is None:
            continue
        if name in constant:
            value = constant[name]
            pieces.append(repr(value) if conversion == "r" else format(value, spec or ""))
        elif name == "value" or name in frame.columns:
            names[name] = None
            pieces.append((name, conversion == "r"))
        else:
            pieces.append("{" + name + "}")
    return pieces, list(names)


def _assembled(pieces: Sequence[str | tuple[str, bool]], shown: Mapping[str, arrow.Array]) -> np.ndarray:
    """The distinct messages (an object array): `pieces` (`_pieces`) with each named cell's text of each distinct
    combination (`shown`, large text, missing as (empty)); one message when no cell is named."""
    if not shown:
        return np.array(["".join(piece for piece in pieces if isinstance(piece, str))], dtype=object)
    if len(next(iter(shown.values()))) <= JOINED_IN_PYTHON:
        return _assembled_in_python(pieces, {name: text.to_pylist() for name, text in shown.items()})
    parts: list[str | arrow.Array] = []
    for piece in pieces:
        if isinstance(piece, str):
            parts.append(piece)
        else:
            text = _joined("'", shown[piece[0]], "'") if piece[1] else shown[piece[0]]
            parts.append(pc.fill_null(text, MISSING_VALUE_TEXT))
    return _joined(*parts).to_numpy(zero_copy_only=False)


JOINED_IN_PYTHON = 64
"""Distinct messages up to which they are joined in Python: Arrow's join costs half a dozen calls of tens of
microseconds whatever the count, and most finding parts of a small export have a few distinct messages."""


def _assembled_in_python(pieces: Sequence[str | tuple[str, bool]], shown: Mapping[str, list[str | None]]) -> np.ndarray:
    """`_assembled` in Python, of the cells' texts as lists."""
    out = np.empty(len(next(iter(shown.values()))), dtype=object)
    for k in range(len(out)):
        out[k] = "".join(piece if isinstance(piece, str) else _shown(shown[piece[0]][k], piece[1]) for piece in pieces)
    return out


def _shown(text: str | None, quoted: bool) -> str:
    if text is None:
        return MISSING_VALUE_TEXT
    return f"'{text}'" if quoted else text


def _written_messages(
    template: str,
    field: str,
    written: _Written,
    positions: np.ndarray,
    frame: pd.DataFrame,
    variables: Mapping[str, Any],
) -> np.ndarray | None:
    """`_format_messages` of the written cells at `positions`, when the template names no cell but the value:
    the rows told apart by the column's own distinct values (`_Written`), not hashed again for each part. None
    for a template naming other cells."""
    pieces, names = _pieces(template, field, frame, variables)
    if names not in ([], ["value"]):
        return None
    if not names:
        return _assembled(pieces, {})[np.zeros(len(positions), dtype=np.int64)]
    distinct, group = np.unique(written.value_codes(positions), return_inverse=True)
    if len(distinct) <= JOINED_IN_PYTHON:  # the values' own objects, without an Arrow selection of their text
        texts = [text if isinstance(text, str) else None for text in written.objects(distinct)]
        return _assembled_in_python(pieces, {"value": texts})[group]
    shown = pc.cast(take(written.values, distinct), arrow.large_string())
    return _assembled(pieces, {"value": shown})[group]


def _joined(*parts: str | arrow.Array) -> arrow.Array:
    """Arrow's element-wise join of texts (of one length) and literal pieces; missing if a text is."""
    typed = [arrow.scalar(part, type=arrow.large_string()) if isinstance(part, str) else part for part in parts]
    return pc.binary_join_element_wise(*typed, arrow.scalar("", type=arrow.large_string()))


def _distinct_rows(columns: Sequence[pd.Series], length: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's group among the distinct combinations of `columns` (missing is a value of its own),
    and the position of each group's first row."""
    group = np.zeros(length, dtype=np.int64)
    if len(columns) == 1:  # most messages name one cell: its codes are the groups, numbered 0 on without a gap
        codes = _codes(columns[0])
        group = codes + 1 if len(codes) and codes.min() < 0 else codes
        return group, np.unique(group, return_index=True)[1]
    for column in columns:
        codes = _codes(column)
        group, _ = pd.factorize(group * (int(codes.max(initial=-1)) + 2) + (codes + 1))
    # factorize numbers the groups in order of appearance, so the sorted groups' first rows are in that order too
    return group, np.unique(group, return_index=True)[1]


def _codes(cells: pd.Series) -> np.ndarray:
    """`pd.factorize(cells)[0]`: text (every cell a message names, `_as_text`) by Arrow's hash, as pandas' own
    factorize of Arrow text does it but without its conversions around (a tenth of a millisecond a part)."""
    if cells.dtype == TEXT:
        return text_codes(to_arrow(cells))
    return pd.factorize(cells, use_na_sentinel=True)[0]


def _as_text(cells: pd.Series) -> pd.Series:
    """Cells as a person reads them: dates without a midnight time, whole numbers without `.0`."""
    if pd.api.types.is_datetime64_any_dtype(cells.dtype):
        dated = cells.dt.strftime("%Y-%m-%d")
        timed = cells.dt.strftime("%Y-%m-%d %H:%M:%S")
        return dated.where(cells == cells.dt.normalize(), timed).astype(TEXT)
    if pd.api.types.is_float_dtype(cells.dtype):
        return cells.astype(TEXT).str.replace(r"\.0$", "", regex=True)
    return as_text(cells)


def run_checks(
    tables: Mapping[str, TableLike],
    rules: Sequence[Rule],
    *,
    as_of: pd.Timestamp,
    default_region: str = "US",
    progress: Callable[[str, int, int], None] | None = None,
    required: Mapping[str, Sequence[str]] | None = None,
) -> CheckResult:
    """Every rule on its table. `required`: entity -> fields whose absence from the export is a
    structural issue (the config's `required:`); any other field the export lacks is only reported as
    absent, its rules not evaluated."""
    typed = {name: t.frame for name, t in tables.items()}
    outcomes: list[RuleOutcome] = []
    parts: list[_Part] = []
    structural = _structural_issues(tables, required or {})
    by_entity: dict[str, list[Rule]] = {}
    for rule in rules:
        by_entity.setdefault(rule.entity, []).append(rule)
    done = 0
    for entity_name, entity_rules in by_entity.items():
        table = tables.get(entity_name)
        if table is None:
            outcomes += [_not_evaluated(r, f"no {entity_name} table in the input") for r in entity_rules]
            done += len(entity_rules)
            continue
        entity_parts, entity_outcomes = _check_entity(
            ENTITIES[entity_name], table, entity_rules, typed, as_of, default_region
        )
        parts += entity_parts
        outcomes += entity_outcomes
        done += len(entity_rules)
        if progress:
            progress(f"checked {entity_name}", done, len(rules))
    frames = [_join(parts)] if parts else []
    for entity_name, table in tables.items():
        if getattr(table, "read_as", None) is None:  # one encoding read it all (every table but a few)
            continue
        found = encoding.encoding_findings(
            ENTITIES[entity_name],
            table,
            record_ids(ENTITIES[entity_name], table.frame, table.row_numbers),
            lambda index, table=table: _files(table, index),
        )
        if found is not None:
            frames.append(found)
            outcomes.append(_encoding_outcome(entity_name, table, found))
    findings = concat_findings(frames) if frames else empty_findings()
    forget_columns()  # the kinds' per-column caches: the tables outlive the checks, those need not
    return CheckResult(findings=findings, outcomes=outcomes, structural=structural, absent=_absent(tables, rules))


def _encoding_outcome(entity_name: str, table: TableLike, found: pd.DataFrame) -> RuleOutcome:
    """The outcome of the reader's encoding finding, made only when a table has rows in another
    encoding than their file, so that it counts in the scores, the gate and JUnit like a rule."""
    return RuleOutcome(
        rule_id=encoding.rule_id(entity_name),
        kind=encoding.KIND,
        entity=entity_name,
        fields=tuple(dict.fromkeys(found["field"])),
        severity=encoding.SEVERITY,
        dimension=encoding.DIMENSION.value,
        status="failed",
        evaluated=len(table.raw),
        failed=int(found["record_id"].nunique()),
        findings=len(found),
        origin=encoding.ORIGIN,
    )


def _structural_issues(tables: Mapping[str, TableLike], required: Mapping[str, Sequence[str]]) -> list[StructuralIssue]:
    """A column the config requires (`required:`) that no header maps to. A column the export merely
    does not have is no defect of its records: its rules are not evaluated (see `_absent`)."""
    issues = []
    for name, table in tables.items():
        for field_name in required.get(name, ()):
            if field_name not in table.frame.columns:
                issues.append(
                    StructuralIssue(
                        name,
                        table.source,
                        field_name,
                        f"required column {field_name!r} is missing: no header maps to it (config `required:`)",
                    )
                )
    return issues


def _absent(tables: Mapping[str, TableLike], rules: Sequence[Rule]) -> dict[str, list[str]]:
    """Per table, the fields its rules read that it does not have."""
    wanted: dict[str, set[str]] = {}
    for rule in rules:
        if not rule.is_wildcard:
            wanted.setdefault(rule.entity, set()).update(rule.fields)
    return {
        name: sorted(f for f in wanted.get(name, ()) if f not in table.frame.columns)
        for name, table in tables.items()
        if any(f not in table.frame.columns for f in wanted.get(name, ()))
    }


def _outcome(
    rule: Rule, status: str, evaluated: int = 0, failed: int = 0, findings: int = 0, reason: str | None = None
) -> RuleOutcome:
    return RuleOutcome(
        rule.id,
        rule.kind,
        rule.entity,
        rule.fields,
        rule.severity,
        rule.dimension.value,
        status,
        evaluated,
        failed,
        findings,
        reason,
        rule.origin,
    )


def _not_evaluated(rule: Rule, reason: str) -> RuleOutcome:
    return _outcome(rule, "not_evaluated", reason=reason)


def rule_columns(rule: Rule, frame: pd.DataFrame) -> list[str]:
    """The columns a rule checks in `frame`: its fields the table has, or for `fields: ["*"]` every
    column, mapped or not (a sentinel in a column nobody mapped is still a defect of the record)."""
    if rule.is_wildcard:
        return [str(c) for c in frame.columns]
    return [f for f in rule.fields if f in frame.columns]


def _check_entity(
    entity: Entity,
    table: TableLike,
    rules: Sequence[Rule],
    typed: Mapping[str, pd.DataFrame],
    as_of: pd.Timestamp,
    default_region: str,
) -> tuple[list[_Part], list[RuleOutcome]]:
    frame = table.frame
    ctx = CheckContext(
        entity=entity, frame=frame, raw=table.raw, tables=typed, as_of=as_of, default_region=default_region
    )
    by_column: dict[str, list[_Applied]] = {}
    recorder = _Recorder()
    evaluated: dict[str, int] = {}
    applies_by_when: dict[str, tuple[pd.Series, bool]] = {}  # rules with the same `when` (most have none) share one
    skipped: dict[str, str] = {}
    for rule in rules:
        present = rule_columns(rule, frame)
        if not present:
            skipped[rule.id] = (
                f"column{'s' if len(rule.fields) > 1 else ''} {', '.join(rule.fields)} not in {table.source}"
            )
            continue
        missing_input = _missing_inputs(rule, typed)
        if missing_input:
            skipped[rule.id] = missing_input
            continue
        when = repr(rule.when)
        if when not in applies_by_when:
            mask = when_mask(frame, rule.when)
            applies_by_when[when] = (mask, bool(mask.all()))
        applies, everywhere = applies_by_when[when]
        evaluated[rule.id] = int(applies.sum())
        kind = get_kind(rule.kind)
        for field in present:
            by_column.setdefault(field, []).append((rule, kind, applies, everywhere))

    text_ids = record_ids(entity, frame, table.row_numbers)
    # as objects: every rule's findings then point at the same str per record, not at one str per finding
    ids = text_ids.astype(object)
    positional = frame.index.is_unique and all(
        series.index.equals(frame.index) for series in (table.raw, table.row_numbers, ids)
    )

    # a small table's written columns are read once for all their parts; a large one's parts select their few rows
    small = positional and table.raw.shape[0] * table.raw.shape[1] <= TOGETHER_CELLS
    source = _Source(ids, table.row_numbers.astype("int64"), frame.get("owner"), text_ids, ctx if small else None)

    def findings_for(rule: Rule, kind: RuleKind, field: str, failing: np.ndarray) -> _Part:
        rows = _Rows(frame.index[failing], np.flatnonzero(failing) if positional else None)
        part = _findings_for(rule, kind, field, rows, ctx, table, source)
        if rows.positions is not None:
            part[_POSITIONS] = rows.positions
        return part

    _validate(
        frame,
        {field: [_make_check(field, runs, ctx, recorder, findings_for)] for field, runs in by_column.items()},
    )
    if recorder.failure is not None:
        raise recorder.failure
    parts: list[_Part] = []
    outcomes = []
    for rule in rules:
        if rule.id in skipped:
            outcomes.append(_not_evaluated(rule, skipped[rule.id]))
            continue
        names = [f"{rule.id}{_SEP}{field}" for field in rule_columns(rule, frame)]
        rule_parts = [recorder.parts.pop(name) for name in names if name in recorder.parts]
        errors = [recorder.errors[name] for name in names if name in recorder.errors]
        if errors:
            reason = "check failed to run: " + "; ".join(errors)
            outcomes.append(_outcome(rule, "error", evaluated[rule.id], reason=reason))
            continue
        notes = [recorder.notes[name] for name in names if name in recorder.notes]
        n_findings = sum(len(part["row"]) for part in rule_parts)
        failed = _records(rule_parts, source)
        status = "failed" if n_findings else "passed"
        parts += rule_parts
        outcomes.append(
            _outcome(rule, status, evaluated[rule.id], int(failed), n_findings, reason="; ".join(notes) or None)
        )
    return parts, outcomes


def _missing_inputs(rule: Rule, typed: Mapping[str, pd.DataFrame]) -> str | None:
    """Why a rule that looks across tables cannot run, if it cannot."""
    if rule.kind == "foreign_key":
        entity = ENTITIES[rule.entity]
        targets = {
            rule.params.get("references") or (entity.field(f).references if entity.has_field(f) else None)
            for f in rule.fields
        }
        absent = sorted(t for t in targets if t and t not in typed)
        if absent:
            return f"referenced table{'s' if len(absent) > 1 else ''} {', '.join(absent)} not in the input"
    if rule.kind == "reference" and rule.params.get("in"):
        target, _, field = str(rule.params["in"]).partition(".")
        if target not in typed:
            return f"reference table {target} not in the input"
        if field not in typed[target].columns:
            return f"reference column {field} not in the {target} table"
    return None


@dataclass
class _Source:
    """What every finding of a table reads besides its rule and column, made once per table."""

    ids: pd.Series
    """The record ids, as objects: every rule's findings then point at the same str per record."""
    row_numbers: pd.Series
    """int64"""
    owner: pd.Series | None
    """The owner column, or None when the table has none."""
    text_ids: pd.Series
    """The record ids as text."""
    ctx: CheckContext | None = None
    """The table's context, when its written columns are read once for all their parts (`written`): a small table,
    whose rows every part can name by position."""
    _written: dict[str, _Written | None] = dataclass_field(default_factory=dict)

    def written(self, field: str, raw: pd.DataFrame) -> _Written | None:
        """The written column `field` of a small table, read once for all its finding parts (made when its first
        part asks: most columns have none); None when a part selects its own cells (a large table, where a
        column's distinct values may cost more than its few failing rows; a column not held as text)."""
        if self.ctx is None:
            return None
        if field not in self._written:
            column = raw[field] if field in raw.columns else None
            text = column is not None and _as_text_objects(column)
            self._written[field] = _Written(distinct_values(column, self.ctx)) if text else None  # type: ignore[arg-type]
        return self._written[field]

    @cached_property
    def id_codes(self) -> np.ndarray:
        """Per row, a number equal to another row's when their record ids are."""
        return text_codes(to_arrow(self.text_ids))

    @cached_property
    def owners(self) -> np.ndarray:
        """The owner column as objects, one str per distinct owner (made once, not once per part)."""
        assert self.owner is not None
        return _objects(self.owner)

    def owner_of(self, rows: _Rows) -> _Inferred:
        if self.owner is None:
            return _missing(len(rows.index))
        if rows.positions is None:
            return _cells_inferred(rows.of(self.owner))
        return _inferred(self.owners[rows.positions], _as_text_objects(self.owner))


class _Written:
    """A column as the file wrote it (text whose missing value is NaN), as its finding parts read it: its distinct
    values, shared with the kinds that judged them (`distinct_values`), and per distinct value the object a finding
    shows. Each part then takes its rows' cells and tells its messages apart by their codes, where a part made its
    own selection of the column (0.2 ms) and hashed it twice (its cells' objects and its messages' groups), for
    each of a small export's 195 parts."""

    def __init__(self, cells: Distinct) -> None:
        self.values = cells.values
        """Each distinct value once (and a missing one), or the column itself (`Distinct`)."""
        self._codes = cells.codes

    def value_codes(self, positions: np.ndarray) -> np.ndarray:
        """Per row at `positions`, the position of its value in `values`: equal for equal values."""
        return positions if self._codes is None else self._codes[positions]

    @cached_property
    def _objects(self) -> np.ndarray:
        """Per value of `values`: its str, NaN where missing (as `shared_values` gives them)."""
        out = np.empty(len(self.values), dtype=object)
        out[:] = self.values.to_pylist()
        out[~present(self.values)] = np.nan
        return out

    def cells(self, positions: np.ndarray) -> np.ndarray:
        """The cells at `positions` as `_cells_inferred` gives them: one str per distinct value, NaN for missing."""
        return self._objects[self.value_codes(positions)]

    def objects(self, values: np.ndarray) -> np.ndarray:
        """The objects of the values at these positions of `values` (`value_codes`): str, NaN for missing."""
        return self._objects[values]


def _validate(frame: pd.DataFrame, columns: Mapping[str, list[pa.Check]]) -> None:
    # start-up time: pandera loads when checks run, not when the reports import this module's outcomes
    pa = pandera_pandas()
    from pandera.errors import SchemaErrors, SchemaWarning  # with pandera, loaded on the line above

    schema = pa.DataFrameSchema(
        {name: pa.Column(checks=checks, nullable=True, required=False) for name, checks in columns.items()},
    )
    # A shallow copy, because pandera registers the schema on the object it validates
    # and its weakref clean-up misfires at interpreter exit if that object lives so long.
    # A failing column's warning is said by its findings; the schema's own errors (none but for a malformed
    # frame) likewise are not the checks' business.
    with contextlib.suppress(SchemaErrors), warnings.catch_warnings():
        warnings.simplefilter("ignore", SchemaWarning)
        schema.validate(frame.copy(deep=False), lazy=True, inplace=True)


def _findings_for(
    rule: Rule,
    kind: RuleKind,
    field: str,
    rows: _Rows,
    ctx: CheckContext,
    table: TableLike,
    source: _Source,
) -> _Part:
    frame = ctx.frame
    index = rows.index
    # the typed cells only where something reads them (a kind's display or suggestion, a field the raw table lacks):
    # a selection of a column is a tenth of a millisecond, for each part
    values = rows.of(frame[field]) if kind.display or kind.suggest or field not in table.raw.columns else None
    written = source.written(field, table.raw) if rows.positions is not None else None
    variables: dict[str, Any] = {**rule.params}
    variables["dtype"] = ctx.entity.field(field).dtype.value if ctx.entity.has_field(field) else "value"
    if kind.message_vars:
        variables.update(kind.message_vars(rule.params, field, ctx))
    template = rule.message or kind.message
    messages = None
    if written is not None and not kind.display:
        messages = _written_messages(template, field, written, rows.positions, frame, variables)  # type: ignore[arg-type]
    raw = None
    if messages is None or written is None:
        raw = rows.of(table.raw[field]) if field in table.raw.columns else values
        assert raw is not None
    if messages is None:
        shown = kind.display(values, rule.params, ctx) if kind.display and values is not None else raw
        messages = _format_messages(template, field, shown, frame, variables)
    n = len(index)
    suggested = (
        _inferred(kind.suggest(values, rule.params, ctx).astype("object").to_numpy())
        if kind.suggest is not None and values is not None
        else _missing(n)
    )
    files = _files(table, index)
    # One object per distinct text: a rule failing on every record repeats its message a million times.
    return {
        "entity": _repeated(rule.entity, n),
        "record_id": rows.take(source.ids),  # the ids' own str objects
        "field": _repeated(field, n),
        "rule_id": _repeated(rule.id, n),
        "severity": _repeated(rule.severity.value, n),
        "dimension": _repeated(rule.dimension.value, n),
        "message": messages,
        "value": written.cells(rows.positions) if written is not None else _cells_inferred(raw),  # type: ignore[arg-type]
        "suggested_value": suggested,
        "owner": source.owner_of(rows),
        "file": _repeated(files, n) if isinstance(files, str) else files,
        "row": rows.take(source.row_numbers),
    }


_Inferred = np.ndarray | pd.Series
"""A part's column whose type pandas infers (`_INFERRED`): a Series as inferred, or an object array that stands for
the object Series of its cells (what most parts hold: a Series made per part and column only to be joined cost a
tenth of a small export's findings)."""

_INFERRED = ("value", "suggested_value", "owner")


def _inferred(cells: np.ndarray, text: bool = False) -> _Inferred:
    """Cells whose type pandas infers, as a findings frame holds them: a suggested date makes a datetime
    column, text is one str per distinct value with NaN for missing (None among text becomes NaN).
    `text`: the cells are already so (`_as_text_objects`), and inferring them again would change nothing."""
    if text:
        return cells
    return compact_column(pd.Series(cells, copy=False))


def _missing(n: int) -> _Inferred:
    """`_inferred` of `n` NaN, as an object Series of None holds it, made as it comes out: pandas inferring and
    compacting nothing took a tenth of a millisecond for each part of a kind without suggestions."""
    return _repeated(np.nan, n)


def _cells_inferred(cells: pd.Series) -> _Inferred:
    """`_inferred` of a column's cells (the value a finding shows, its owner)."""
    return _inferred(_objects(cells), _as_text_objects(cells))


def _as_text_objects(cells: pd.Series) -> bool:
    """Whether `_objects` of `cells` is as `_inferred` leaves it: text whose missing value is NaN becomes one str
    per distinct value and NaN, which pandas infers as text and compacts to the same (none but NaN stays so)."""
    return isinstance(cells.dtype, pd.StringDtype) and cells.dtype.na_value is np.nan


def _records(parts: Sequence[_Part], source: _Source) -> int:
    """How many distinct records the parts' findings name. By the rows' positions when every part has them: a
    number per record id, made once per table, marked for the failing rows, where counting the ids themselves
    hashed a str per finding (a third of a second for the 760,000 findings of a million contacts)."""
    if not parts:
        return 0
    positions = [part.pop(_POSITIONS, None) for part in parts]
    if any(rows is None for rows in positions):
        ids = np.concatenate([part["record_id"] for part in parts])
        return int(pd.Series(ids, dtype=object, copy=False).nunique())
    codes = source.id_codes
    seen = np.zeros(int(codes.max(initial=-1)) + 2, dtype=bool)
    for rows in positions:
        seen[codes[rows] + 1] = True  # type: ignore[index]
    return int(np.count_nonzero(seen[1:]))  # a missing id (-1) is no record, as nunique leaves NaN out


def _join(parts: list[_Part]) -> pd.DataFrame:
    """The parts as one findings frame, column by column, each column taken out of the parts once placed
    (parts and whole are never both held: on a million copies of one contact, 600 MB twice). A column whose
    type pandas inferred per part is joined as `pd.concat` joins it; the others are object or int64."""
    columns = {}
    for column in FINDING_COLUMNS:
        pieces = [part.pop(column) for part in parts]
        if column in _INFERRED and not all(_objects_held(piece) for piece in pieces):
            series = [piece if isinstance(piece, pd.Series) else pd.Series(piece, dtype=object) for piece in pieces]
            columns[column] = pd.concat(series, ignore_index=True)
        else:  # object Series concatenated are their objects concatenated
            joined = np.concatenate([np.asarray(piece) for piece in pieces])
            columns[column] = pd.Series(joined, dtype=joined.dtype, copy=False)
    return pd.DataFrame(columns, copy=False)


def _objects_held(piece: _Inferred) -> bool:
    """An inferred column's part that is objects (`_Inferred`)."""
    return not isinstance(piece, pd.Series) or piece.dtype == object


def _repeated(text: str | float, n: int) -> np.ndarray:
    """`text` in `n` rows, one object shared by all."""
    out = np.empty(n, dtype=object)
    out.fill(text)
    return out


def _objects(cells: pd.Series) -> np.ndarray:
    """Cells as an object array; text as one str per distinct value, without a str made per row first."""
    if isinstance(cells.dtype, pd.StringDtype):
        return shared_values(cells)
    return cells.astype("object").to_numpy()


def _files(table: TableLike, index: pd.Index) -> np.ndarray | str:
    """The file of each failing row: a table concatenated from several files keeps each row's own."""
    per_row = getattr(table, "sources", None)
    if per_row is None:
        return table.source
    return per_row.loc[index].fillna(table.source).astype("object").to_numpy()
