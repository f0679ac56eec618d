"""Check-stage benchmark: the core pack's contacts rules against hand-written baselines.

One run, one data set, every variant timed on the same loaded tables (load time reported
apart). Variants:

  core        crm-auditor: run_checks() with the core pack's contacts rules (findings with
              messages, suggestions, owner, file and row: the product's output)
  pandas      the same checks hand-written in vectorized pandas, findings (entity, record,
              field, rule, severity, value, row) without messages or suggestions
  pandera     the same checks as one bare pandera DataFrameSchema (lazy=True), failure cases
              turned into the same findings as `pandas`
  gx          great-expectations (GX Core 1.x) for the checks it can express (several only
              approximately), result_format COMPLETE; set-up timed apart
  six-*       the issue's six simple checks in pandas, pandera, crm-auditor and GX

Usage:  .venv/bin/python benchmarks/bench_checks.py [--rows 1000000] [--repeats 3] [--quick]
Results: a Markdown table on standard output and JSON in --out. See BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _contacts import AS_OF, DEFECT_RATES, ensure_export

from auditor.checks.base import CheckContext
from auditor.checks.engine import run_checks
from auditor.checks.kinds import get_kind, registry
from auditor.checks.kinds._countries import known_names
from auditor.checks.packs import CORE_PACK, load_rules
from auditor.checks.rule import Rule
from auditor.errors import ConfigError
from auditor.model import ENTITIES
from auditor.sources import load_export
from auditor.yamlfile import read_yaml

REGION = "PL"
ENTITY = "contacts"
Key = tuple[int, str, str]
"""(row, field, rule_id): a finding's identity. The row, not the record id, because the
benchmark data hold duplicated contact ids on purpose."""


# --------------------------------------------------------------------------- measuring


def _rss_reset() -> bool:
    """Reset the kernel's peak-RSS mark (Linux >= 4.0), so VmHWM is the peak of what follows."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _status_kb(key: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


@dataclass
class Measure:
    name: str
    description: str
    times: list[float] = field(default_factory=list)
    cpu_times: list[float] = field(default_factory=list)
    """CPU seconds (user + system, every thread of the process): on a shared machine, wall time also
    measures the neighbours."""
    peak_rss_mb: float | None = None
    rss_before_mb: float | None = None
    findings: int | None = None
    setup_seconds: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def median_cpu(self) -> float:
        return statistics.median(self.cpu_times)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "median_s": round(self.median, 4),
            "min_s": round(min(self.times), 4),
            "max_s": round(max(self.times), 4),
            "times_s": [round(t, 4) for t in self.times],
            "median_cpu_s": round(self.median_cpu, 4),
            "cpu_times_s": [round(t, 4) for t in self.cpu_times],
            "setup_s": None if self.setup_seconds is None else round(self.setup_seconds, 4),
            "peak_rss_mb": self.peak_rss_mb,
            "rss_before_mb": self.rss_before_mb,
            "findings": self.findings,
            "notes": self.notes,
        }


def measure(name: str, description: str, fn: Callable[[], Any], repeats: int, count: Callable[[Any], int]) -> Measure:
    m = Measure(name, description)
    peak = 0
    for _ in range(repeats):
        gc.collect()
        before = _status_kb("VmRSS")
        reset = _rss_reset()
        start, cpu = time.perf_counter(), time.process_time()
        out = fn()
        m.times.append(time.perf_counter() - start)
        m.cpu_times.append(time.process_time() - cpu)
        hwm = _status_kb("VmHWM")
        if reset and hwm is not None:
            peak = max(peak, hwm)
        if before is not None:
            m.rss_before_mb = round(before / 1024, 1)
        m.findings = count(out)
        del out
    m.peak_rss_mb = round(peak / 1024, 1) if peak else None
    print(
        f"  {name:<14} median {m.median:7.3f} s  (min {min(m.times):.3f}, max {max(m.times):.3f}; "
        f"CPU {m.median_cpu:.3f} s)  "
        f"findings {m.findings:,}",
        file=sys.stderr,
    )
    return m


# --------------------------------------------------------------------------- rules


def contacts_rules() -> tuple[list[Rule], list[str]]:
    """The core pack's contacts rules; rules of kinds not yet registered are left out (and named)."""
    try:
        return [r for r in load_rules() if r.entity == ENTITY], []
    except ConfigError:
        data, _ = read_yaml(CORE_PACK, "rule pack")
        known = registry()
        ours = [r for r in data["rules"] if r["entity"] == ENTITY]
        kept = [r for r in ours if r["kind"] in known]
        left_out = [f"{r['id']} (kind {r['kind']!r} not registered)" for r in ours if r["kind"] not in known]
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False, encoding="utf-8") as tmp:
            yaml.safe_dump({"pack": "core-contacts", "rules": kept}, tmp, allow_unicode=True)
        try:
            return load_rules([tmp.name], include_core=False), left_out
        finally:
            os.unlink(tmp.name)


# --------------------------------------------------------------------------- shared helpers


@dataclass(frozen=True)
class Data:
    tables: Mapping[str, Any]
    frame: pd.DataFrame
    raw: pd.DataFrame
    rows: np.ndarray
    ids: np.ndarray
    accounts: pd.DataFrame
    activities: pd.DataFrame | None
    ctx: CheckContext


def prepare(tables: Mapping[str, Any]) -> Data:
    t = tables[ENTITY]
    frame, raw = t.frame, t.raw
    rows = t.row_numbers.to_numpy(dtype="int64")
    pk = frame["contact_id"]
    ids = pk.astype("str").where(pk.notna(), "row:" + pd.Series(rows, index=frame.index).astype(str)).to_numpy()
    ctx = CheckContext(
        entity=ENTITIES[ENTITY],
        frame=frame,
        raw=raw,
        tables={name: tb.frame for name, tb in tables.items()},
        as_of=AS_OF,
        default_region=REGION,
    )
    acts = tables["activities"].frame if "activities" in tables else None
    return Data(tables, frame, raw, rows, ids, tables["accounts"].frame, acts, ctx)


def findings_frame(
    d: Data, failures: Sequence[tuple[str, str, str, np.ndarray]], rules: Mapping[str, Rule] | None = None
) -> pd.DataFrame:
    """(rule_id, severity, field, failing positions) -> one row per finding with the product's
    columns: a message built column-wise from the value, and the suggested value from the kind's
    own suggestion function (a hand-written baseline would need the same repairs)."""
    parts = []
    for rule_id, severity, fld, pos in failures:
        if len(pos) == 0:
            continue
        rule = (rules or {}).get(rule_id)
        values = d.raw[fld] if fld in d.raw.columns else d.frame[fld]
        shown = values.iloc[pos].astype("object").fillna("(empty)").astype(str)
        suggest = get_kind(rule.kind).suggest if rule else None
        typed = d.frame[fld].iloc[pos]
        suggested = suggest(typed, rule.params, d.ctx).to_numpy() if rule and suggest else None
        parts.append(
            pd.DataFrame(
                {
                    "entity": ENTITY,
                    "record_id": d.ids[pos],
                    "field": fld,
                    "rule_id": rule_id,
                    "severity": severity,
                    "message": (f"{fld} " + shown + f" fails {rule_id}").to_numpy(),
                    "value": values.to_numpy(dtype=object)[pos],
                    "suggested_value": suggested,
                    "row": d.rows[pos],
                }
            )
        )
    if not parts:
        columns = ["entity", "record_id", "field", "rule_id", "severity", "message", "value", "suggested_value", "row"]
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)


def keys_of(findings: pd.DataFrame) -> set[Key]:
    return set(
        zip(
            findings["row"].astype("int64").tolist(),
            findings["field"].tolist(),
            findings["rule_id"].tolist(),
            strict=True,
        )
    )


def _blank(s: pd.Series) -> pd.Series:
    return s.isna() | s.str.strip().eq("").fillna(False).astype(bool)


# Python's \s is str.isspace(); zero-width space and BOM are invisible junk too.
WHITESPACE_DEFECT = "^\\s|\\s$|  |[^\\S ]|[\u200b\ufeff]"  # literal zero-width space and BOM: RE2 has no \\u escapes


# --------------------------------------------------------------------------- (b) hand-written pandas

FailFn = Callable[[pd.Series], Any]
"""values of one column -> boolean mask (Series or array), True where the value FAILS."""


def mask_functions(d: Data, rules: Mapping[str, Rule]) -> dict[tuple[str, str], FailFn]:
    """The checks, hand-written, per (rule id, field). Email, phone, postcode and placeholder
    call the kinds' public check functions (their exact semantics cannot be matched by a
    regex; see BENCHMARKS.md); everything else is plain vectorized pandas. Cross-column
    checks read the frame they close over, as they would in any pandas or pandera code."""
    f, raw, ctx = d.frame, d.raw, d.ctx
    fns: dict[tuple[str, str], FailFn] = {}

    def kind(rule_id: str) -> FailFn:
        r = rules[rule_id]
        check = get_kind(r.kind).check
        return lambda s: ~check(s, r.params, ctx).to_numpy()

    def blank(s: pd.Series) -> pd.Series:
        return _blank(raw[s.name])

    def casing(s: pd.Series) -> pd.Series:
        s = s.str.strip()
        return ((s.str.isupper() | s.str.islower()) & s.str.contains(r"[^\W\d_]{2}", regex=True)).fillna(False)

    countries = set(known_names())
    limit = AS_OF.normalize() + pd.Timedelta(days=1)

    def stale(s: pd.Series) -> pd.Series:
        touch = f[["updated_at", "created_at"]].max(axis=1)
        if d.activities is not None:
            latest = d.activities.groupby("contact_id", sort=False)["occurred_at"].max()
            touch = pd.concat([touch, f["contact_id"].map(latest)], axis=1).max(axis=1)
        days = int(rules["contacts.staleness"].params["days"])
        return (touch < AS_OF - pd.Timedelta(days=days)).fillna(False)

    plan: list[tuple[str, Sequence[str], Callable[[], FailFn]]] = [
        ("contacts.contact_id.required", ["contact_id"], lambda: blank),
        ("contacts.contact_id.unique", ["contact_id"], lambda: lambda s: s.duplicated(keep=False) & s.notna()),
        ("contacts.name.required", ["first_name", "last_name"], lambda: blank),
        ("contacts.name.placeholder", ["first_name", "last_name"], lambda: kind("contacts.name.placeholder")),
        (
            "contacts.name.whitespace",
            ["first_name", "last_name", "email", "city"],
            lambda: kind("contacts.name.whitespace"),
        ),
        ("contacts.name.casing", ["first_name", "last_name"], lambda: casing),
        ("contacts.email.required", ["email"], lambda: blank),
        ("contacts.email.format", ["email"], lambda: kind("contacts.email.format")),
        ("contacts.email.placeholder", ["email"], lambda: kind("contacts.email.placeholder")),
        (
            "contacts.email.unique",
            ["email"],
            lambda: lambda s: s.str.strip().str.casefold().duplicated(keep=False) & s.notna(),
        ),
        ("contacts.phone.format", ["phone", "mobile"], lambda: kind("contacts.phone.format")),
        ("contacts.phone.placeholder", ["phone", "mobile"], lambda: kind("contacts.phone.placeholder")),
        (
            "contacts.country.format",
            ["country"],
            lambda: lambda s: s.notna() & ~s.str.strip().str.lower().isin(countries),
        ),
        ("contacts.postal_code.format", ["postal_code"], lambda: kind("contacts.postal_code.format")),
        (
            "contacts.account_id.foreign_key",
            ["account_id"],
            lambda: lambda s: s.notna() & ~s.isin(d.accounts["account_id"]),
        ),
        (
            "contacts.type",
            ["birth_date", "email_opt_out", "created_at", "updated_at"],
            lambda: lambda s: s.isna() & ~_blank(raw[s.name]),
        ),
        ("contacts.created_at.not_future", ["created_at", "birth_date"], lambda: lambda s: (s >= limit).fillna(False)),
        (
            "contacts.birth_date.range",
            ["birth_date"],
            lambda: lambda s: (s < pd.Timestamp("1900-01-01")).fillna(False),
        ),
        ("contacts.updated_at.order", ["updated_at"], lambda: lambda s: (s < f["created_at"]).fillna(False)),
        ("contacts.staleness", ["updated_at"], lambda: stale),
    ]
    for rule_id, fields, make in plan:
        if rule_id in rules:
            fn = make()
            for fld in fields:
                fns[(rule_id, fld)] = fn
    return fns


def pandas_findings(d: Data, rules: Mapping[str, Rule]) -> pd.DataFrame:
    failures = []
    for (rule_id, fld), fn in mask_functions(d, rules).items():
        fails = np.asarray(fn(d.frame[fld]), dtype=bool)
        failures.append((rule_id, rules[rule_id].severity.value, fld, np.flatnonzero(fails)))
    return findings_frame(d, failures, rules)


# --------------------------------------------------------------------------- (c) bare pandera


def pandera_findings(d: Data, rules: Mapping[str, Rule]) -> pd.DataFrame:
    """The same checks in one hand-written pandera schema, validated lazily; failure cases -> findings."""
    import pandera.pandas as pa
    from pandera.errors import SchemaErrors

    def passing(fn: FailFn) -> Callable[[pd.Series], pd.Series]:
        return lambda s: pd.Series(~np.asarray(fn(s), dtype=bool), index=s.index)

    columns: dict[str, list[Any]] = {}
    for (rule_id, fld), fn in mask_functions(d, rules).items():
        columns.setdefault(fld, []).append(pa.Check(passing(fn), name=f"{rule_id}::{fld}", ignore_na=False))
    schema = pa.DataFrameSchema({c: pa.Column(checks=ch, nullable=True, required=False) for c, ch in columns.items()})
    try:
        schema.validate(d.frame.copy(deep=False), lazy=True)
    except SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return findings_frame(d, [])
    failures = []
    for name, group in cases.groupby("check", sort=False):
        rule_id, fld = str(name).split("::")
        pos = d.frame.index.get_indexer(pd.Index(group["index"].dropna().astype("int64").unique()))
        failures.append((rule_id, rules[rule_id].severity.value, fld, pos))
    return findings_frame(d, failures, rules)


# --------------------------------------------------------------------------- (d) great-expectations


@dataclass
class GxCheck:
    rule_id: str
    field: str
    expectation: Any
    exact: bool
    note: str


GX_CANNOT = {
    "contacts.type": "needs the raw (as-read) table beside the typed one: a cell that failed to parse",
    "contacts.staleness": "needs the latest activity per contact from another table (an aggregate join)",
}


def gx_checks(d: Data, rules: Mapping[str, Rule]) -> list[GxCheck]:
    import great_expectations.expectations as gxe

    from auditor.checks.kinds.placeholder import VALUES

    checks: list[GxCheck] = []

    def add(rule_id: str, fld: str, exp: Any, exact: bool, note: str = "") -> None:
        if rule_id in rules:
            checks.append(GxCheck(rule_id, fld, exp, exact, note))

    for rule_id, fld in (
        ("contacts.contact_id.required", "contact_id"),
        ("contacts.name.required", "first_name"),
        ("contacts.name.required", "last_name"),
        ("contacts.email.required", "email"),
    ):
        add(rule_id, fld, gxe.ExpectColumnValuesToNotBeNull(column=fld), True, "null in the typed table")
    add("contacts.contact_id.unique", "contact_id", gxe.ExpectColumnValuesToBeUnique(column="contact_id"), True)
    junk = sorted({v for x in VALUES for v in (x, x.title(), x.upper())})
    for fld in ("first_name", "last_name"):
        add(
            "contacts.name.placeholder",
            fld,
            gxe.ExpectColumnValuesToNotBeInSet(column=fld, value_set=junk),
            False,
            "value list only, no patterns or repeated characters",
        )
    for fld in ("first_name", "last_name", "email", "city"):
        add(
            "contacts.name.whitespace",
            fld,
            gxe.ExpectColumnValuesToNotMatchRegex(column=fld, regex=WHITESPACE_DEFECT),
            True,
        )
    for fld in ("first_name", "last_name"):
        add(
            "contacts.name.casing",
            fld,
            gxe.ExpectColumnValuesToNotMatchRegex(
                column=fld, regex=r"^\s*(?:[^\W\da-ząćęłńóśźżäöüéèçáíñřšěůýčž]{2,}|[^\W\dA-ZĄĆĘŁŃÓŚŹŻÄÖÜÉ]{2,})\s*$"
            ),
            False,
            "regex over the letters of a few alphabets",
        )
    add(
        "contacts.email.format",
        "email",
        gxe.ExpectColumnValuesToMatchRegex(
            column="email", regex=r"^\s*[A-Za-z0-9._%+'-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}\s*$"
        ),
        False,
        "regex approximation of email-validator",
    )
    add(
        "contacts.email.placeholder",
        "email",
        gxe.ExpectColumnValuesToNotMatchRegex(
            column="email",
            regex=r"(?i)^(?:noemail|no-email|none|test|asdf|noreply|brak|xxx)[0-9]*@|@(?:example\.com|test\.com|none\.com)$",
        ),
        False,
        "regex approximation",
    )
    add(
        "contacts.email.unique",
        "email",
        gxe.ExpectColumnValuesToBeUnique(column="email"),
        False,
        "case-sensitive (GX cannot fold case without a derived column)",
    )
    for fld in ("phone", "mobile"):
        add(
            "contacts.phone.format",
            fld,
            gxe.ExpectColumnValuesToMatchRegex(column=fld, regex=r"^\+?[0-9 ()./-]{9,20}$"),
            False,
            "regex approximation, blind to the row's country",
        )
        add(
            "contacts.phone.placeholder",
            fld,
            gxe.ExpectColumnValuesToNotMatchRegex(column=fld, regex=r"^(?:n/a|brak|none|-)$|^[0 ()-]+$|^(\d)\1+$"),
            False,
            "regex approximation",
        )
    names = sorted({v for k in known_names() for v in (k, k.upper(), k.title())})
    add(
        "contacts.country.format",
        "country",
        gxe.ExpectColumnValuesToBeInSet(column="country", value_set=names),
        False,
        "known names in lower, upper and title case; untrimmed",
    )
    for codes, regex in (
        (("PL", "Polska", "Poland", "pl", " Polska"), r"^\d{2}-\d{3}$"),
        (("DE", "Deutschland", "Germany", "US", "USA", "FR", "France"), r"^\d{5}$"),
        (("GB", "UK", "United Kingdom"), r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$"),
    ):
        add(
            "contacts.postal_code.format",
            "postal_code",
            gxe.ExpectColumnValuesToMatchRegex(
                column="postal_code",
                regex=regex,
                row_condition=f"country in {list(codes)!r}",
                condition_parser="pandas",
            ),
            False,
            "one expectation per country group, spellings listed by hand",
        )
    add(
        "contacts.account_id.foreign_key",
        "account_id",
        gxe.ExpectColumnValuesToBeInSet(column="account_id", value_set=d.accounts["account_id"].dropna().tolist()),
        True,
        "value set of every account id",
    )
    limit = AS_OF.normalize() + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    for fld in ("created_at", "birth_date"):
        add("contacts.created_at.not_future", fld, gxe.ExpectColumnValuesToBeBetween(column=fld, max_value=limit), True)
    add(
        "contacts.birth_date.range",
        "birth_date",
        gxe.ExpectColumnValuesToBeBetween(column="birth_date", min_value=pd.Timestamp("1900-01-01")),
        True,
    )
    add(
        "contacts.updated_at.order",
        "updated_at",
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="updated_at", column_B="created_at", or_equal=True, ignore_row_if="either_value_is_missing"
        ),
        True,
    )
    return checks


@dataclass
class GxRunner:
    import_seconds: float
    setup_seconds: float
    run: Callable[[], Any]
    checks: list[GxCheck]


_GX_IMPORT: dict[str, float] = {}


def gx_runner(frame: pd.DataFrame, checks: list[GxCheck], name: str, result_format: str) -> GxRunner:
    start = time.perf_counter()
    import great_expectations as gx

    _GX_IMPORT.setdefault("seconds", time.perf_counter() - start)
    start = time.perf_counter()
    context = gx.get_context(mode="ephemeral")
    try:
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context.variables.progress_bars = ProgressBarsConfig(globally=False)
    except Exception:  # progress bars only clutter stderr
        pass
    asset = context.data_sources.add_pandas(f"pandas-{name}").add_dataframe_asset(name)
    batch = asset.add_batch_definition_whole_dataframe("all")
    suite = context.suites.add(gx.ExpectationSuite(name=f"suite-{name}"))
    for c in checks:
        suite.add_expectation(c.expectation)
    vd = context.validation_definitions.add(gx.ValidationDefinition(name=f"vd-{name}", data=batch, suite=suite))
    setup = time.perf_counter() - start

    def run() -> Any:
        return vd.run(batch_parameters={"dataframe": frame}, result_format=result_format)

    return GxRunner(_GX_IMPORT["seconds"], setup, run, checks)


def gx_counts(result: Any, checks: list[GxCheck]) -> list[tuple[GxCheck, int | None, str | None]]:
    """Unexpected counts per check; GX reorders results, so they are matched by expectation id."""
    by_id = {r.expectation_config.id: r for r in result.results}
    out = []
    for c in checks:
        r = by_id.get(c.expectation.id)
        if r is None:
            out.append((c, None, "no result"))
            continue
        info = r.exception_info or {}
        error = info.get("exception_message") if info.get("raised_exception") else None
        out.append((c, r.result.get("unexpected_count"), error))
    return out


def gx_total(result: Any) -> int:
    return int(sum(r.result.get("unexpected_count") or 0 for r in result.results))


# --------------------------------------------------------------------------- (e) six checks

SIX_COUNTRIES = [
    "PL",
    "Polska",
    "Poland",
    "DE",
    "Deutschland",
    "Germany",
    "GB",
    "UK",
    "United Kingdom",
    "US",
    "USA",
    "FR",
    "France",
    "CZ",
    "Czechy",
    "NL",
]
SIX_EMAIL = r"^[A-Za-z0-9._%+'-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}$"
SIX_MIN, SIX_MAX = pd.Timestamp("2000-01-01"), AS_OF.normalize() + pd.Timedelta(days=1)
SIX_PACK = {
    "pack": "six",
    "rules": [
        {"id": "six.email.required", "kind": "required", "entity": "contacts", "fields": ["email"]},
        {"id": "six.email.format", "kind": "email", "entity": "contacts", "fields": ["email"]},
        {"id": "six.last_name.required", "kind": "required", "entity": "contacts", "fields": ["last_name"]},
        {"id": "six.contact_id.unique", "kind": "unique", "entity": "contacts", "fields": ["contact_id"]},
        {
            "id": "six.country.allowed",
            "kind": "allowed",
            "entity": "contacts",
            "fields": ["country"],
            "values": SIX_COUNTRIES,
        },
        {
            "id": "six.created_at.range",
            "kind": "range",
            "entity": "contacts",
            "fields": ["created_at"],
            "min": "2000-01-01",
            "max": str(SIX_MAX.date()),
        },
    ],
}


def six_pandas(d: Data) -> pd.DataFrame:
    f = d.frame
    email = f["email"]
    created = f["created_at"]
    fails = [
        ("six.email.required", "email", email.isna()),
        ("six.email.format", "email", email.notna() & ~email.str.match(SIX_EMAIL).fillna(False)),
        ("six.last_name.required", "last_name", f["last_name"].isna()),
        ("six.contact_id.unique", "contact_id", f["contact_id"].duplicated(keep=False) & f["contact_id"].notna()),
        ("six.country.allowed", "country", f["country"].notna() & ~f["country"].isin(SIX_COUNTRIES)),
        ("six.created_at.range", "created_at", created.notna() & ~created.between(SIX_MIN, SIX_MAX)),
    ]
    return findings_frame(d, [(r, "error", fld, np.flatnonzero(m.to_numpy(dtype=bool))) for r, fld, m in fails])


def six_pandera(d: Data) -> pd.DataFrame:
    import pandera.pandas as pa
    from pandera.errors import SchemaErrors

    # pandera names a built-in check's failures by its expression, not by `name`, so failures
    # are matched back to rules by (column, position of the check in the column).
    spec: dict[str, list[tuple[str, Any]]] = {
        "email": [
            ("six.email.required", pa.Check(lambda s: s.notna(), ignore_na=False)),
            ("six.email.format", pa.Check.str_matches(SIX_EMAIL)),
        ],
        "last_name": [("six.last_name.required", pa.Check(lambda s: s.notna(), ignore_na=False))],
        "contact_id": [("six.contact_id.unique", pa.Check(lambda s: ~(s.duplicated(keep=False) & s.notna())))],
        "country": [("six.country.allowed", pa.Check.isin(SIX_COUNTRIES))],
        "created_at": [("six.created_at.range", pa.Check.in_range(SIX_MIN, SIX_MAX))],
    }
    schema = pa.DataFrameSchema(
        {c: pa.Column(nullable=True, checks=[chk for _, chk in checks]) for c, checks in spec.items()}
    )
    try:
        schema.validate(d.frame.copy(deep=False), lazy=True)
    except SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return findings_frame(d, [])
    failures = []
    for (column, number), group in cases.groupby(["column", "check_number"], sort=False):
        rule_id = spec[str(column)][int(number)][0]
        pos = d.frame.index.get_indexer(pd.Index(group["index"].dropna().astype("int64").unique()))
        failures.append((rule_id, "error", str(column), pos))
    return findings_frame(d, failures)


def six_gx_checks() -> list[GxCheck]:
    import great_expectations.expectations as gxe

    return [
        GxCheck("six.email.required", "email", gxe.ExpectColumnValuesToNotBeNull(column="email"), True, ""),
        GxCheck(
            "six.email.format", "email", gxe.ExpectColumnValuesToMatchRegex(column="email", regex=SIX_EMAIL), True, ""
        ),
        GxCheck("six.last_name.required", "last_name", gxe.ExpectColumnValuesToNotBeNull(column="last_name"), True, ""),
        GxCheck("six.contact_id.unique", "contact_id", gxe.ExpectColumnValuesToBeUnique(column="contact_id"), True, ""),
        GxCheck(
            "six.country.allowed",
            "country",
            gxe.ExpectColumnValuesToBeInSet(column="country", value_set=SIX_COUNTRIES),
            True,
            "",
        ),
        GxCheck(
            "six.created_at.range",
            "created_at",
            gxe.ExpectColumnValuesToBeBetween(column="created_at", min_value=SIX_MIN, max_value=SIX_MAX),
            True,
            "",
        ),
    ]


# --------------------------------------------------------------------------- naive library reference


def naive_library_seconds(d: Data, sample: int) -> dict[str, Any]:
    """What the obvious `Series.map(library)` over unique values costs, on a sample (run once)."""
    import email_validator
    import phonenumbers

    from auditor.checks.kinds._countries import resolve_country

    f = d.frame.iloc[:sample]

    def email_ok(v: str) -> bool:
        try:
            email_validator.validate_email(v.strip(), check_deliverability=False)
        except email_validator.EmailNotValidError:
            return False
        return True

    def phone_ok(pair: tuple[str, str]) -> bool:
        try:
            return phonenumbers.is_valid_number(phonenumbers.parse(pair[0], pair[1]))
        except phonenumbers.NumberParseException:
            return False

    start = time.perf_counter()
    emails = f["email"].dropna().unique()
    verdict = {v: email_ok(v) for v in emails}
    f["email"].map(verdict)
    email_s = time.perf_counter() - start
    start = time.perf_counter()
    region = f["country"].map(lambda c: (resolve_country(c) if isinstance(c, str) else None) or REGION)
    n_pairs = 0
    for col in ("phone", "mobile"):
        pairs = pd.Series(list(zip(f[col], region, strict=True)), index=f.index)[f[col].notna()]
        uniq = pairs.unique()
        n_pairs += len(uniq)
        verdicts = {p: phone_ok(p) for p in uniq}
        pairs.map(verdicts)
    phone_s = time.perf_counter() - start
    scale = len(d.frame) / max(len(f), 1)
    return {
        "sample_rows": len(f),
        "email_validator_unique_s": round(email_s, 3),
        "phonenumbers_unique_s": round(phone_s, 3),
        "extrapolated_full_s": round((email_s + phone_s) * scale, 1),
        "unique_emails": len(emails),
        "unique_phone_pairs": n_pairs,
    }


# --------------------------------------------------------------------------- report


def machine() -> dict[str, Any]:
    import pandera

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = _meminfo_gb()
    try:
        from importlib.metadata import version

        gx_version = version("great-expectations")
    except Exception:
        gx_version = None
    return {
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": cpu,
        "mem_total_gb": mem,
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "pandera": pandera.__version__,
        "great_expectations": gx_version,
        "platform": platform.platform(),
    }


def _meminfo_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        return None
    return None


def table_md(measures: Sequence[Measure], reference: Measure | None) -> str:
    lines = [
        "| variant | median s | min s | max s | CPU s (median) | set-up s | peak RSS MB | findings | vs reference "
        "(wall; CPU) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in measures:
        ratio = f"{m.median / reference.median:.2f}x; {m.median_cpu / reference.median_cpu:.2f}x" if reference else ""
        setup = f"{m.setup_seconds:.2f}" if m.setup_seconds is not None else ""
        rss = f"{m.peak_rss_mb:,.0f}" if m.peak_rss_mb else ""
        lines.append(
            f"| {m.name} | {m.median:.3f} | {min(m.times):.3f} | {max(m.times):.3f} | {m.median_cpu:.3f} | {setup} | "
            f"{rss} | "
            f"{m.findings:,} | {ratio} |"
        )
    return "\n".join(lines)


def parity(reference: set[Key], other: set[Key]) -> dict[str, Any]:
    missing = reference - other
    extra = other - reference
    by_rule: dict[str, list[int]] = {}
    for _, _, rule_id in missing:
        by_rule.setdefault(rule_id, [0, 0])[0] += 1
    for _, _, rule_id in extra:
        by_rule.setdefault(rule_id, [0, 0])[1] += 1
    return {
        "equal": not missing and not extra,
        "missing": len(missing),
        "extra": len(extra),
        "by_rule": {r: {"missing": v[0], "extra": v[1]} for r, v in sorted(by_rule.items())},
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="contacts to check (default 1,000,000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per variant; the median is reported")
    parser.add_argument("--quick", action="store_true", help="100,000 rows (overrides --rows)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default="BENCHMARKS-run.json", help="JSON results file")
    parser.add_argument("--no-gx", action="store_true", help="skip great-expectations")
    parser.add_argument(
        "--naive-sample",
        type=int,
        default=100_000,
        help="rows on which to time the naive per-unique-value library calls (0: skip)",
    )
    args = parser.parse_args(argv)
    rows = 100_000 if args.quick else args.rows
    warnings.filterwarnings("ignore")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

    def log(msg: str) -> None:
        print(msg, file=sys.stderr)

    start = time.perf_counter()
    export_dir = ensure_export(rows, args.seed, log)
    log(f"data: {export_dir} ({time.perf_counter() - start:.1f} s)")
    start = time.perf_counter()
    export = load_export(export_dir)
    load_s = time.perf_counter() - start
    tables = export.tables
    log(f"loaded in {load_s:.1f} s: " + ", ".join(f"{n} {len(t.frame):,}" for n, t in tables.items()))
    d = prepare(tables)
    rules_list, left_out = contacts_rules()
    rules = {r.id: r for r in rules_list}
    no_baseline = sorted(set(rules) - {r for r, _ in mask_functions(d, rules)})
    reps = args.repeats

    log("core pack (contacts rules):")

    def core() -> pd.DataFrame:
        return run_checks(tables, rules_list, as_of=AS_OF, default_region=REGION).findings

    m_core = measure("core pack", "crm-auditor run_checks, core pack contacts rules", core, reps, len)
    m_pandas = measure("pandas", "hand-written vectorized pandas", lambda: pandas_findings(d, rules), reps, len)
    m_pandera = measure("pandera", "bare pandera DataFrameSchema, lazy", lambda: pandera_findings(d, rules), reps, len)

    core_f = core()
    core_keys = keys_of(core_f)
    checks = {
        "pandas": parity(core_keys, keys_of(pandas_findings(d, rules))),
        "pandera": parity(core_keys, keys_of(pandera_findings(d, rules))),
    }
    core_by_rule = core_f.groupby("rule_id").size().to_dict()
    core_by_rule_field = core_f.groupby(["rule_id", "field"]).size().to_dict()
    del core_f

    measures = [m_core, m_pandas, m_pandera]
    gx_info: dict[str, Any] = {"skipped": True}
    six_measures: list[Measure] = []
    log("six checks:")
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False, encoding="utf-8") as tmp:
        yaml.safe_dump(SIX_PACK, tmp, allow_unicode=True)
    six_rules = load_rules([tmp.name], include_core=False)
    os.unlink(tmp.name)
    six_measures.append(measure("six: pandas", "vectorized pandas", lambda: six_pandas(d), reps, len))
    six_measures.append(measure("six: pandera", "bare pandera", lambda: six_pandera(d), reps, len))
    six_measures.append(
        measure(
            "six: crm-auditor",
            "run_checks with a six-rule pack (email kind instead of a regex)",
            lambda: run_checks(tables, six_rules, as_of=AS_OF, default_region=REGION).findings,
            reps,
            len,
        )
    )
    six_parity = {
        "pandera": parity(keys_of(six_pandas(d)), keys_of(six_pandera(d))),
        "crm-auditor": parity(
            keys_of(six_pandas(d)),
            keys_of(run_checks(tables, six_rules, as_of=AS_OF, default_region=REGION).findings),
        ),
    }

    if not args.no_gx:
        log("great-expectations:")
        start = time.perf_counter()
        import great_expectations  # noqa: F401  (timed: part of GX's set-up cost)

        _GX_IMPORT["seconds"] = time.perf_counter() - start
        g6 = gx_runner(d.frame, six_gx_checks(), "six", "COMPLETE")
        m = measure("six: GX COMPLETE", "GX Core, result_format COMPLETE", g6.run, reps, gx_total)
        m.setup_seconds = g6.setup_seconds
        six_measures.append(m)
        g6s = gx_runner(d.frame, six_gx_checks(), "six-summary", "SUMMARY")
        m = measure("six: GX SUMMARY", "GX Core, result_format SUMMARY", g6s.run, reps, gx_total)
        m.setup_seconds = g6s.setup_seconds
        six_measures.append(m)
        gcore = gx_runner(d.frame, gx_checks(d, rules), "core", "COMPLETE")
        m_gx = measure("GX (subset)", "GX Core, the expressible subset, COMPLETE", gcore.run, reps, gx_total)
        m_gx.setup_seconds = gcore.setup_seconds
        measures.append(m_gx)
        result = gcore.run()
        per_check = []
        for c, count, error in gx_counts(result, gcore.checks):
            per_check.append(
                {
                    "rule_id": c.rule_id,
                    "field": c.field,
                    "expectation": type(c.expectation).__name__,
                    "exact": c.exact,
                    "note": c.note,
                    "gx_unexpected": count,
                    "core_findings": int(core_by_rule_field.get((c.rule_id, c.field), 0)),
                    "error": error,
                }
            )
        expressed = {c.rule_id for c in gcore.checks}
        gx_info = {
            "skipped": False,
            "import_s": round(g6.import_seconds, 3),
            "setup_s_core": round(gcore.setup_seconds, 3),
            "setup_s_six": round(g6.setup_seconds, 3),
            "result_format": "COMPLETE (also SUMMARY for the six checks)",
            "per_check": per_check,
            "cannot_express": {r: GX_CANNOT.get(r, "") for r in sorted(set(rules) - expressed)},
        }

    naive = naive_library_seconds(d, min(args.naive_sample, rows)) if args.naive_sample else None

    ratios = {
        "core_over_pandas": round(m_core.median / m_pandas.median, 3),
        "core_over_pandera": round(m_core.median / m_pandera.median, 3),
        "core_over_pandas_cpu": round(m_core.median_cpu / m_pandas.median_cpu, 3),
    }
    if not gx_info["skipped"]:
        m_gx = measures[-1]
        ratios["gx_subset_over_core"] = round(m_gx.median / m_core.median, 3)
        ratios["gx_subset_with_setup_over_core"] = round((m_gx.median + (m_gx.setup_seconds or 0)) / m_core.median, 3)
        six = {m.name: m for m in six_measures}
        ratios["six_gx_complete_over_crm_auditor"] = round(
            six["six: GX COMPLETE"].median / six["six: crm-auditor"].median, 3
        )
    targets = {
        "core_under_10s": m_core.median < 10.0,
        "core_within_1.25x_pandas": ratios["core_over_pandas"] <= 1.25,
        "core_within_0.8x_pandas_cpu": ratios["core_over_pandas_cpu"] <= 0.8,  # issue 17
        "core_3x_faster_than_gx_subset": None if gx_info["skipped"] else ratios["gx_subset_over_core"] >= 3.0,
    }
    report = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "rows": rows,
        "seed": args.seed,
        "repeats": reps,
        "as_of": str(AS_OF.date()),
        "data": {name: len(t.frame) for name, t in tables.items()},
        "load_s": round(load_s, 2),
        "defect_rates": DEFECT_RATES,
        "machine": machine(),
        "rules": sorted(rules),
        "rules_left_out": left_out,
        "rules_without_baseline": no_baseline,
        "core_findings_by_rule": {k: int(v) for k, v in sorted(core_by_rule.items())},
        "variants": [m.as_json() for m in measures],
        "six_checks": [m.as_json() for m in six_measures],
        "parity_vs_core": checks,
        "six_parity_vs_pandas": six_parity,
        "gx": gx_info,
        "naive_library_reference": naive,
        "ratios": ratios,
        "targets": targets,
    }
    Path(args.out).write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")

    print(f"## Check stage, {rows:,} contacts, median of {reps} (load {load_s:.1f} s, not included)\n")
    print(table_md(measures, m_pandas))
    print("\n(vs reference = median / hand-written pandas median)\n")
    print("## Six simple checks\n")
    print(table_md(six_measures, six_measures[0]))
    print("\n## Ratios and targets\n")
    for k, v in ratios.items():
        print(f"- {k}: {v}")
    for k, v in targets.items():
        print(f"- target {k}: {'met' if v else 'NOT met' if v is not None else 'not measured'}")
    print("\n## Parity (findings keyed by row, field, rule)\n")
    for name, p in {**checks, **{f"six {k}": v for k, v in six_parity.items()}}.items():
        verdict = "equal" if p["equal"] else f"{p['missing']} missing, {p['extra']} extra: {p['by_rule']}"
        print(f"- {name}: {verdict}")
    if naive:
        print(f"\nnaive per-unique-value library calls: {naive}")
    print(f"\nJSON: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
