"""Great Expectations (GX Core 1.x): rule packs as expectation suites, and GX suites in an audit.

Export (`export_suites`, `crm-audit export-ge`): each rule becomes the GX expectations that give
the same verdict on the same data, where GX can say it faithfully. Every rule gets a parity:

- `exact`: the expectations fail on exactly the records the auditor reports (the tests run GX on
  fixtures/acme and compare rule by rule);
- `approximate`: exported, but GX judges differently in stated cases (the reason says which);
- `none`: not exported; GX has no equivalent (cross-table checks, validators that are code).

Both suites and checks run on the *typed table*: canonical column names (`stage`, `close_date`),
values typed by the model, enum values translated by the value maps. `gx_frame(table)` returns
it in the dtypes GX handles (text as object, dates as datetime64[ns]).

Suites: one per entity, named `crm_audit.<entity>`, with `meta.entity`; each expectation has
`meta` with the rule id, field, severity, dimension and parity. The JSON is GX's own suite
format (`ExpectationSuite.to_json_dict()`), loadable by `gx.ExpectationSuite(**json.load(f))`.

Running a suite (`run_suites`, `crm-audit check --ge-suite FILE`): the suite's entity is its
`meta.entity`, else the last dot-separated part of its name (`crm_audit.contacts`, `contacts`).
Each failed expectation becomes findings, rule id `ge:<suite>:<expectation type>:<column>`, one
per unexpected record (GX's `unexpected_index_list`, result format COMPLETE), severity from
`meta.severity` (or GX's own `severity`: critical -> error), else warning, dimension by
expectation type. A failed expectation without rows (row count, column set...) is a failed rule
outcome without findings; an expectation that raised is an `error` outcome.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from auditor.checks.base import Severity
from auditor.checks.engine import CheckResult, RuleOutcome
from auditor.checks.expectations import APPROXIMATE, EXACT, NONE
from auditor.checks.kinds import gx_mapping
from auditor.checks.rule import Rule
from auditor.dtypes import as_text
from auditor.errors import ConfigError, InputError
from auditor.findings import FINDING_COLUMNS
from auditor.io import write_text
from auditor.model import ENTITIES
from auditor.sources.table import record_ids

GX_MISSING = "Great Expectations is not installed: install crm-auditor[ge] (pip install 'crm-auditor[ge]')"
SUITE_PREFIX = "crm_audit."

GX_SEVERITY = {"error": "critical", "warning": "warning", "info": "info"}
FROM_GX_SEVERITY = {"critical": "error", "warning": "warning", "info": "info"}

DIMENSION_BY_TYPE = {
    "expect_column_values_to_not_be_null": "completeness",
    "expect_column_values_to_be_null": "completeness",
    "expect_column_proportion_of_non_null_values_to_be_between": "completeness",
    "expect_column_to_exist": "completeness",
    "expect_column_values_to_be_unique": "uniqueness",
    "expect_compound_columns_to_be_unique": "uniqueness",
    "expect_multicolumn_values_to_be_unique": "uniqueness",
    "expect_select_column_values_to_be_unique_within_record": "uniqueness",
    "expect_column_pair_values_a_to_be_greater_than_b": "consistency",
    "expect_column_pair_values_to_be_equal": "consistency",
    "expect_column_pair_values_to_be_in_set": "consistency",
    "expect_multicolumn_sum_to_equal": "consistency",
    "expect_column_values_to_be_increasing": "consistency",
    "expect_column_values_to_be_decreasing": "consistency",
}
"""Dimension of a GX expectation's findings; anything else is validity."""


@dataclass(frozen=True)
class Translation:
    """How one (rule, field) is expressed in GX."""

    rule: Rule
    field: str
    parity: str
    reason: str = ""
    expectations: tuple[dict[str, Any], ...] = ()
    """(class name, kwargs) pairs as {"type": "ExpectColumnValuesToNotBeNull", "kwargs": {...}}."""


@dataclass
class Export:
    translations: list[Translation]
    suites: dict[str, Any] = field(default_factory=dict)
    """entity -> gx.ExpectationSuite"""

    @property
    def unsupported(self) -> list[Translation]:
        return [t for t in self.translations if t.parity != EXACT]

    def parity_table(self) -> list[dict[str, str]]:
        rows: dict[str, dict[str, str]] = {}
        order = {EXACT: 0, APPROXIMATE: 1, NONE: 2}
        for t in self.translations:
            row = rows.setdefault(t.rule.id, {"rule_id": t.rule.id, "kind": t.rule.kind, "parity": EXACT, "reason": ""})
            if order[t.parity] > order[row["parity"]]:
                row["parity"] = t.parity
            if t.reason and t.reason not in row["reason"]:
                row["reason"] = f"{row['reason']}; {t.field}: {t.reason}" if row["reason"] else f"{t.field}: {t.reason}"
        return list(rows.values())


# ---------------------------------------------------------------------------------- translation


def _condition(when: Mapping[str, Any] | None) -> Any:
    """The rule's `when` as a GX row condition (a Condition object; serialized as a dict)."""
    if not when:
        return None
    from great_expectations.expectations.row_conditions import Column  # optional dependency (the ge extra)

    parts = []
    for name, condition in when.items():
        column = Column(name)
        if isinstance(condition, list):
            parts.append(column.is_in(condition))
        elif "in" in condition:
            parts.append(column.is_in(condition["in"]))
        elif "not_in" in condition:
            parts.append(column.is_not_in(condition["not_in"]))
        elif "present" in condition:
            parts.append(column.is_not_null() if condition["present"] else column.is_null())
    result = parts[0]
    for part in parts[1:]:
        result = result & part
    return result


def translate(rule: Rule, as_of: pd.Timestamp | None = None) -> list[Translation]:
    """The GX translation of each field of `rule`, as its kind declares it (`RuleKind.gx`; no GX import)."""
    out = []
    for name in rule.fields:
        mapping = gx_mapping(rule.kind, rule.params, rule.entity, name, as_of)
        out.append(Translation(rule, name, mapping.parity, mapping.reason, mapping.expectations))
    return out


# ---------------------------------------------------------------------------------- GX objects


def _gx() -> Any:
    try:
        import great_expectations as gx  # optional dependency (the ge extra): a clear error below
    except ImportError:
        raise ConfigError(GX_MISSING) from None
    return gx


@cache
def ephemeral_context() -> Any:
    """The in-memory GX context of this process, without progress bars or usage statistics
    (GX needs an active context to build suites, too)."""

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig  # optional dependency (the ge extra)

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def build_suites(translations: Iterable[Translation], *, include_approximate: bool = True) -> dict[str, Any]:
    """One gx.ExpectationSuite per entity from the translations."""

    gx = _gx()
    ephemeral_context()
    suites: dict[str, Any] = {}
    for t in translations:
        if t.parity == NONE or (t.parity == APPROXIMATE and not include_approximate):
            continue
        suite = suites.get(t.rule.entity)
        if suite is None:
            suite = suites[t.rule.entity] = gx.ExpectationSuite(
                name=f"{SUITE_PREFIX}{t.rule.entity}",
                meta={"entity": t.rule.entity, "generated_by": "crm-auditor export-ge"},
            )
        condition = _condition(t.rule.when)
        for spec in t.expectations:
            cls = getattr(gx.expectations, spec["type"])
            meta = {
                "rule_id": t.rule.id,
                "auditor_kind": t.rule.kind,
                "field": t.field,
                "severity": t.rule.severity.value,
                "dimension": t.rule.dimension.value,
                "parity": t.parity,
            }
            if t.reason:
                meta["parity_note"] = t.reason
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                expectation = cls(
                    **spec["kwargs"],
                    **({"row_condition": condition} if condition is not None else {}),
                    meta=meta,
                    severity=GX_SEVERITY[t.rule.severity.value],
                )
            suite.add_expectation(expectation)
    return suites


def export_suites(
    rules: Sequence[Rule], as_of: pd.Timestamp | None = None, *, include_approximate: bool = True
) -> Export:
    translations = [t for rule in rules for t in translate(rule, as_of)]
    return Export(translations, build_suites(translations, include_approximate=include_approximate))


def write_export(export: Export, out: str | Path) -> list[Path]:
    """`<entity>.json` (GX suite JSON) per entity, `unsupported.json` and `unsupported.md`, atomically."""

    out = Path(out)
    written = []
    for entity, suite in sorted(export.suites.items()):
        path = out / f"{entity}.json"
        write_text(path, json.dumps(suite.to_json_dict(), indent=2, default=str) + "\n")
        written.append(path)
    listed = [
        {
            "rule_id": t.rule.id,
            "entity": t.rule.entity,
            "field": t.field,
            "kind": t.rule.kind,
            "parity": t.parity,
            "exported": t.parity != NONE and t.rule.entity in export.suites,
            "reason": t.reason,
        }
        for t in export.unsupported
    ]
    write_text(out / "unsupported.json", json.dumps(listed, indent=2) + "\n")
    write_text(out / "unsupported.md", unsupported_markdown(export))
    return [*written, out / "unsupported.json", out / "unsupported.md"]


def unsupported_markdown(export: Export) -> str:
    rows = [r for r in export.parity_table() if r["parity"] != EXACT]
    lines = [
        "# Rules without an exact Great Expectations equivalent",
        "",
        "`approximate`: exported, but GX judges differently in the cases the reason names.",
        "`none`: not exported.",
        "",
        "| rule | kind | parity | reason |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{r['rule_id']}` | {r['kind']} | {r['parity']} | {r['reason']} |" for r in rows]
    return "\n".join(lines) + "\n"


def load_suite(path: str | Path) -> Any:
    """A GX suite from its JSON file (GX's own format)."""
    gx = _gx()
    ephemeral_context()
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("no such GX suite file", file=str(path)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"not a GX suite JSON file ({err})", file=str(path)) from None
    if not isinstance(data, dict) or "expectations" not in data:
        raise InputError("not a GX suite: no `expectations`", file=str(path))

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return gx.ExpectationSuite(**data)
    except Exception as err:  # GX raises its own and pydantic's errors for a malformed suite
        raise InputError(f"GX cannot load the suite ({type(err).__name__}: {err})", file=str(path)) from None


def suite_entity(suite: Any) -> str:
    """The entity a suite checks: `meta.entity`, else the last dot-separated part of its name."""
    meta = suite.meta or {}
    name = str(meta.get("entity") or suite.name.rsplit(".", 1)[-1])
    if name not in ENTITIES:
        raise ConfigError(
            f"GX suite {suite.name!r} names no CRM entity: set meta.entity or name it like crm_audit.contacts "
            f"(entities: {', '.join(ENTITIES)})"
        )
    return name


def gx_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The typed table in dtypes GX's pandas engine handles: text as object (None when missing),
    dates as datetime64[ns], numbers as float64 (NaN when missing); index unchanged."""
    out = {}
    for name, column in frame.items():
        if pd.api.types.is_datetime64_any_dtype(column.dtype):
            out[name] = column.astype("datetime64[ns]")
        elif pd.api.types.is_bool_dtype(column.dtype) and column.dtype != bool:
            out[name] = column.astype("object").where(column.notna(), None)
        elif pd.api.types.is_numeric_dtype(column.dtype) and column.dtype != bool:
            out[name] = column.astype("float64")
        elif pd.api.types.is_string_dtype(column.dtype) or column.dtype == object:
            text = as_text(column)
            out[name] = text.astype("object").where(text.notna(), None)
        else:
            out[name] = column
    return pd.DataFrame(out, index=frame.index)


class Validator:
    """Runs suites on frames in one ephemeral GX context."""

    def __init__(self, context: Any = None) -> None:
        self.context = context or ephemeral_context()
        self._count = 0

    def validate(self, suite: Any, frame: pd.DataFrame) -> Any:
        self._count += 1
        source = self.context.data_sources.add_pandas(f"crm_audit_{id(self)}_{self._count}")
        asset = source.add_dataframe_asset("table")
        batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
            batch_parameters={"dataframe": gx_frame(frame)}
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return batch.validate(suite, result_format="COMPLETE")


# ---------------------------------------------------------------------------------- running suites


def _column_of(config: Any) -> str:
    kwargs = config.kwargs
    if "column" in kwargs:
        return str(kwargs["column"])
    if "column_A" in kwargs:
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    if "column_list" in kwargs:
        return ",".join(map(str, kwargs["column_list"]))
    return "table"


def _severity(config: Any) -> str:
    meta = config.meta or {}
    if meta.get("severity") in {s.value for s in Severity}:
        return str(meta["severity"])
    return "warning"


def run_suites(
    paths: Sequence[str | Path],
    tables: Mapping[str, Any],
    checked: CheckResult,
    *,
    validator: Validator | None = None,
) -> CheckResult:
    """`checked` with the findings and rule outcomes of the GX suites in `paths` added."""
    suites = [(Path(p), load_suite(p)) for p in paths]
    validator = validator or Validator()
    parts = [checked.findings] if len(checked.findings) else []
    outcomes = list(checked.outcomes)
    for path, suite in suites:
        entity = suite_entity(suite)
        table = tables.get(entity)
        if table is None:
            for config in suite.expectation_configurations:
                outcomes.append(_ge_outcome(suite, config, entity, "not_evaluated", reason=f"no {entity} table"))
            continue
        result = validator.validate(suite, table.frame)
        ids = record_ids(ENTITIES[entity], table.frame, table.row_numbers)
        for item in result.results:
            found, outcome = _ge_findings(suite, item, entity, table, ids, path)
            outcomes.append(outcome)
            if found is not None and len(found):
                parts.append(found)
    findings = pd.concat(parts, ignore_index=True) if parts else checked.findings
    return CheckResult(findings=findings, outcomes=outcomes, structural=checked.structural)


def ge_rule_id(suite: Any, config: Any) -> str:
    return f"ge:{suite.name}:{config.type}:{_column_of(config)}"


def _ge_outcome(
    suite: Any,
    config: Any,
    entity: str,
    status: str,
    evaluated: int = 0,
    failed: int = 0,
    reason: str | None = None,
    findings: int = 0,
) -> RuleOutcome:
    column = _column_of(config)
    return RuleOutcome(
        rule_id=ge_rule_id(suite, config),
        kind=f"ge:{config.type}",
        entity=entity,
        fields=tuple(c for c in column.split(",") if c != "table"),
        severity=Severity(_severity(config)),
        dimension=DIMENSION_BY_TYPE.get(config.type, "validity"),
        status=status,
        evaluated=evaluated,
        failed=failed,
        findings=findings,
        reason=reason,
        origin=f"GX suite {suite.name}",
    )


def _ge_findings(
    suite: Any, item: Any, entity: str, table: Any, ids: pd.Series, path: Path
) -> tuple[pd.DataFrame | None, RuleOutcome]:
    config = item.expectation_config
    rows = len(table.frame)
    if item.exception_info and item.exception_info.get("raised_exception"):
        message = str(item.exception_info.get("exception_message") or "the expectation raised")
        return None, _ge_outcome(suite, config, entity, "error", rows, reason=f"GX: {message.splitlines()[0]}")
    if item.success:
        return None, _ge_outcome(suite, config, entity, "passed", rows)
    index = item.result.get("unexpected_index_list")
    if not index:
        observed = item.result.get("observed_value")
        reason = f"{config.type} failed" + (f" (observed {observed})" if observed is not None else "")
        return None, _ge_outcome(suite, config, entity, "failed", rows, reason=reason)
    positions = pd.Index([i if not isinstance(i, dict) else next(iter(i.values())) for i in index])
    positions = positions[positions.isin(table.frame.index)]
    column = _column_of(config)
    first = column.split(",")[0]
    values = (
        table.raw.loc[positions, first]
        if first in table.raw.columns
        else pd.Series(None, index=positions, dtype="object")
    )
    shown = as_text(values).fillna("(empty)")
    owner = table.frame.loc[positions, "owner"] if "owner" in table.frame.columns else None
    files = table.sources.loc[positions].to_numpy() if getattr(table, "sources", None) is not None else table.source
    found = pd.DataFrame(
        {
            "entity": entity,
            "record_id": ids.loc[positions].to_numpy(),
            "field": column,
            "rule_id": ge_rule_id(suite, config),
            "severity": _severity(config),
            "dimension": DIMENSION_BY_TYPE.get(config.type, "validity"),
            "message": (f"GX {config.type} failed on {column}: " + shown).to_numpy(),
            "value": values.astype("object").to_numpy(),
            "suggested_value": None,
            "owner": owner.astype("object").to_numpy() if owner is not None else None,
            "file": files,
            "row": table.row_numbers.loc[positions].astype("int64").to_numpy(),
        },
        columns=list(FINDING_COLUMNS),
    )
    failed = int(found["record_id"].nunique())
    return found, _ge_outcome(suite, config, entity, "failed", rows, failed, findings=len(found))
