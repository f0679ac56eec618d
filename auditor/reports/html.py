"""report.html: one self-contained page for a person (scores, gate, defects by owner and source,
duplicate clusters with their evidence, metrics with confidence, funnel, worklist, trend).

No script and no network at view time: CSS is inline (allowed by its hash in the page's
Content-Security-Policy), charts are inline SVG. Jinja2 autoescapes every value; the SVG is built
with ElementTree, which escapes too, so names typed into the CRM are shown as text. Every list is
cut to its top N with "and K more", so the page stays small for any size of audit.
"""

from __future__ import annotations

import base64
import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment
from markupsafe import Markup

from auditor import __version__
from auditor.metrics.render import show
from auditor.model import ENTITIES, Role
from auditor.reports import charts
from auditor.reports.templating import page_environment
from auditor.reports.xlsx import MAX_ROWS as XLSX_ROWS
from auditor.result import AuditResult
from auditor.sources.table import record_ids

TOP_FIELDS = 30
TOP_RULES = 25
TOP_OWNERS = 25
TOP_SOURCES = 25
TOP_CLUSTERS = 15
PAIRS_PER_CLUSTER = 8
MEMBERS_PER_CLUSTER = 100
"""Members a cluster lists by name; the rest are counted (duplicates/clusters.csv has them all): a cluster
of a million copies of one contact is not a page of a million lines."""
MERGE_ROWS_PER_CLUSTER = 12
TOP_TASKS = 50
TASK_COLUMNS = (
    "priority",
    "action",
    "entity",
    "records",
    "record_id",
    "owner",
    "field",
    "current_value",
    "suggested_value",
    "issue",
)
"""The worklist's columns a person reads first (auditor.worklist); the rest are in worklist.csv."""
FREE_TEXT = {"issue", "current_value", "suggested_value", "owner", "record_id", "field", "entity"}
"""Columns whose values may break anywhere (a value can be one long word); the others keep their words."""
HEADLINE = (
    "revenue",
    "avg_deal_size",
    "win_rate",
    "lead_conversion_rate",
    "churn_rate",
    "clv",
    "cac",
    "nps",
)
"""The metrics on the overview's board (those this run computed as one number), in this order; when
fewer than BOARD_ROWS, other one-number metrics fill it, least trusted first."""
BOARD_ROWS = 8
OVERVIEW_TASKS = 10
OVERVIEW_ENTITIES = 3
OVERVIEW_OWNERS = 5
MIN_OWNER_RECORDS = 10
"""An owner ranks by the share of their records with defects only with at least this many records:
one bad record of one is 100%, and says little about whom to train."""
LINE_CHARS = 120
"""The overview's one-line reasons and tasks are cut to this many characters (the full text below)."""
TASK_CHARS = 72
FLAG_ORDER = ("UNRELIABLE", "LOW", "MEDIUM", "HIGH", "NOT_EVALUATED")
TREND_RUNS = 60
TOP_ISSUES = 20
TEXT_CHARS = 200
"""Cells longer than this are cut: a free-text field can hold megabytes."""


@cache
def _environment() -> Environment:
    env = page_environment()
    env.filters["cell"] = cell
    env.filters["num"] = lambda v: "-" if v is None else f"{v:,}"
    env.filters["money"] = money
    return env


def render(result: AuditResult, summary: dict[str, Any] | None = None) -> str:
    """report.html. `summary`: the result's findings_summary() made already."""
    env = _environment()
    css = env.get_template("report.css").render()
    # Our own stylesheet, not data: marked safe so that escaping does not change the text its hash covers.
    shown = context(result, summary)
    return env.get_template("report.html.j2").render(css=Markup(css), css_hash=_sha256(css), **shown)


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def cell(value: Any) -> str:
    """A value from the data as short text: missing is empty, long text is cut."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) >= 1e15:
            return f"{value:g}"
        return f"{int(value):,}" if value.is_integer() else f"{value:,.2f}"
    text = str(value)
    return text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 1] + "…"


def top(rows: Iterable[Any], n: int) -> dict[str, Any]:
    """The first n rows and how many were left out."""
    rows = list(rows)
    return {"rows": rows[:n], "more": max(len(rows) - n, 0)}


def context(result: AuditResult, summary: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the template shows, as plain values and ready SVG. `summary`: findings_summary() made already."""
    metrics = {m.id: m for m in result.metrics}
    entities = _entities(result)
    owners = _owners(result, metrics)
    return {
        "version": __version__,
        "result": result,
        "run_time": _when(result.started_at),
        "overview": _overview(result, entities, owners),
        "summary": _summary(result, result.findings_summary() if summary is None else summary),
        "trend": _trend(result.history),
        "dimensions": _dimensions(result),
        "entities": entities,
        "fields": top(_fields(result), TOP_FIELDS),
        "rules": top(_failing_rules(result), TOP_RULES),
        "owners": owners,
        "sources": _sources(metrics),
        "duplicates": _duplicates(result.duplicates, result.data),
        "metrics": [_metric(m) for m in result.metrics],
        "funnel": _funnel(metrics.get("funnel")),
        "worklist": _worklist(result.worklist),
    }


def _when(value: Any) -> str:
    """A run's time as a person reads it ("2026-12-05 02:38 UTC"), not ISO 8601."""
    if value is None or value == "":
        return ""
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        return str(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.strftime("%Y-%m-%d %H:%M UTC") if (stamp.hour, stamp.minute) != (0, 0) else stamp.strftime("%Y-%m-%d")


def line(text: Any, chars: int = LINE_CHARS) -> str:
    """One line of the overview: the text cut at a word to `chars` characters."""
    text = "" if text is None else " ".join(str(text).split())
    if len(text) <= chars:
        return text
    cut = text[: chars - 1]
    word = cut.rsplit(" ", 1)[0]  # at a word, unless that drops more than a third
    return (word if len(word) > 2 * chars // 3 else cut) + "…"


def money(value: Any) -> str:
    """Money at stake, short: 1,234; 56.7 k; 8.9 M; 144.0 bn."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)) or value == 0:
        return ""
    value = float(value)
    for size, suffix in ((1e9, " bn"), (1e6, " M"), (1e3, " k")):
        if abs(value) >= size * (10 if size == 1e3 else 1):
            return f"{value / size:,.1f}{suffix}"
    return f"{value:,.0f}"


def _overview(result: AuditResult, entities: dict[str, Any], owners: dict[str, Any]) -> dict[str, Any]:
    """The first screen: can I trust my numbers, how bad is the data, what do I fix first."""
    return {
        "board": _board(result.metrics),
        "flags": _flag_counts(result.metrics),
        "metrics_total": len(result.metrics),
        "entities": [e for e in entities["rows"] if e["score"] is not None and e["score"] < 100][:OVERVIEW_ENTITIES],
        "owners": owners["worst"],
        "failing": [c for c in result.gate.checks if not c.passed],
        "tasks": _first_tasks(result.worklist),
        "progress": _progress((result.history or {}).get("progress")),
    }


def _flag_counts(metrics: Sequence[Any]) -> list[tuple[str, int]]:
    counts = {flag: 0 for flag in FLAG_ORDER}
    for m in metrics:
        counts[m.confidence] = counts.get(m.confidence, 0) + 1
    return [(flag, n) for flag, n in counts.items() if n]


def _board(metrics: Sequence[Any]) -> list[dict[str, Any]]:
    scalar = [m for m in metrics if not isinstance(m.value, dict)]
    by_id = {m.id: m for m in scalar}
    chosen = [by_id[i] for i in HEADLINE if i in by_id]
    rank = {flag: i for i, flag in enumerate(FLAG_ORDER)}
    rest = sorted((m for m in scalar if m.id not in HEADLINE), key=lambda m: rank.get(m.confidence, len(rank)))
    chosen += rest[: max(BOARD_ROWS - len(chosen), 0)]
    return [
        {
            "id": m.id,
            "title": m.title,
            "value": show(m.value, m.unit),
            "trusted": show(m.trusted_value, m.unit) if m.warning else "",
            "unit": "%" if m.unit == "share" else m.unit,
            "confidence": m.confidence,
            "reason": line(m.warning or (m.reasons[0] if m.reasons else "")),
        }
        for m in chosen[:BOARD_ROWS]
    ]


def _first_tasks(worklist: pd.DataFrame | None) -> list[dict[str, Any]]:
    if worklist is None or not len(worklist):
        return []
    head = worklist.head(OVERVIEW_TASKS)

    def column(name: str, default: Any = None) -> list[Any]:
        return head[name].tolist() if name in head else [default] * len(head)

    return [
        {
            "priority": priority,
            "entity": entity,
            "issue": line(_what(issue) if action == "fix" else issue, TASK_CHARS),
            "records": records,
            "money": money(stake),
            "flags": flags,
            "effort": effort,
            "action": action,
        }
        for priority, entity, issue, records, stake, flags, effort, action in zip(
            column("priority"),
            column("entity", ""),
            column("issue", ""),
            column("records", 1),
            column("money_at_stake", 0.0),
            column("flags_at_stake"),
            column("effort", ""),
            column("action", ""),
            strict=True,
        )
    ]


def _what(issue: Any) -> str:
    """A fix task's issue without its "Entity label ID: " or "Entity label, N records (IDs): " lead,
    which the overview shows in its own columns."""
    text = "" if issue is None else str(issue)
    return text.split(": ", 1)[1] if ": " in text else text


def _summary(result: AuditResult, summary: dict[str, Any]) -> dict[str, Any]:
    return {
        "overall": result.scores.overall,
        "band": charts.score_band(result.scores.overall),
        "passed": result.gate.passed,
        "checks": result.gate.checks,
        "findings": summary["total"],
        "records_with_findings": summary["records"],
        "by_severity": summary["by_severity"],
        "records": sum(e.records for e in result.scores.entities.values()),
        "structural": top(result.structural, TOP_ISSUES),
    }


def _trend(history: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The overall score of the last runs of this input (auditor.history), oldest first."""
    if not history:
        return None
    runs = [
        {**r, "run_id": str(r.get("run_id") or "")[:8], "started_at": _when(r.get("started_at"))}
        for r in (history.get("trend") or [])[-TREND_RUNS:]
    ]
    scores = [r["overall"] for r in runs if r.get("overall") is not None]
    chart = None
    if len(runs) > 1 and scores:
        # The axis starts below the lowest score, not at 0: a drop of a few points must show.
        low = max(0.0, 10 * math.floor((min(scores) - 5) / 10))
        chart = charts.line_chart(
            [(str(r.get("started_at") or r["run_id"]), r.get("overall")) for r in runs],
            title="Overall score per run (green: gate passed, red: failed)",
            low=low,
            marks=[bool(r.get("passed")) for r in runs],
        )
    baseline = history.get("baseline")
    return {
        "run_id": str(history.get("run_id") or "")[:8],
        "runs": runs[::-1][:TOP_ISSUES],
        "more_runs": max(len(runs) - TOP_ISSUES, 0),
        "baseline": {
            **baseline,
            "run_id": str(baseline.get("run_id") or "")[:8],
            "started_at": _when(baseline.get("started_at")),
        }
        if baseline
        else None,
        "regressions": top(history.get("regressions") or [], TOP_ISSUES),
        "chart": chart,
        "progress": _progress(history.get("progress")),
    }


def _progress(progress: Mapping[str, Any] | None) -> str | None:
    """The worklist against the previous run, in words (auditor.history.task_progress)."""
    if not progress:
        return None
    p = progress
    return (
        f"Since the previous run ({str(p.get('against') or '')[:8]} of {_when(p.get('started_at'))}): "
        f"{p['tasks_done']:,} of {p['tasks_before']:,} tasks done, {p['records_fixed']:,} records fixed; "
        f"{p['tasks_open']:,} tasks on {p['records_open']:,} records open ({p['tasks_new']:,} new)."
    )


def _scored_chart(items: Sequence[tuple[str, float]], title: str) -> Any:
    if not items:
        return None
    return charts.bar_chart(items, title=title, maximum=100, colour=charts.score_colour, fmt=lambda v: f"{v:.1f}")


def _dimensions(result: AuditResult) -> dict[str, Any]:
    items = sorted(result.scores.dimensions.items(), key=lambda kv: kv[1])
    return {"rows": items, "chart": _scored_chart(items, "Score by data-quality dimension")}


def _entities(result: AuditResult) -> dict[str, Any]:
    sources = {t["entity"]: t.get("source", "") for t in result.tables}
    rows = sorted(
        (
            {
                "name": name,
                "source": sources.get(name, ""),
                "records": e.records,
                "with_findings": e.records_with_findings,
                "score": e.score,
                "band": charts.score_band(e.score),
            }
            for name, e in result.scores.entities.items()
        ),
        key=lambda r: r["score"],
    )
    items = [(r["name"], r["score"]) for r in rows]
    return {"rows": rows, "chart": _scored_chart(items, "Score by entity")}


def _fields(result: AuditResult) -> list[dict[str, Any]]:
    rows = [
        {"entity": name, "field": f, "score": s, "band": charts.score_band(s)}
        for name, e in result.scores.entities.items()
        for f, s in e.fields.items()
    ]
    return sorted(rows, key=lambda r: (r["score"], r["entity"], r["field"]))


def _failing_rules(result: AuditResult) -> list[Any]:
    rank = {"error": 0, "warning": 1, "info": 2}
    failing = [o for o in result.outcomes if o.status == "failed"]
    return sorted(failing, key=lambda o: (rank.get(o.severity.value, 3), -o.failed, o.rule_id))


def _owners(result: AuditResult, metrics: Mapping[str, Any]) -> dict[str, Any]:
    """Per owner, from the findings: records with findings, findings, errors; and, when the metrics
    ran, the owner's records and the defective share (metrics records_per_owner, defects_per_owner)."""
    f = result.findings
    if not len(f) or "owner" not in f.columns:
        return {"rows": [], "more": 0, "chart": None, "worst": []}
    owned = f[f["owner"].notna()].assign(owner=lambda d: d["owner"].astype(str))
    per = (
        owned.assign(error=owned["severity"].eq("error"))
        .groupby("owner", sort=False)
        .agg(findings=("rule_id", "size"), errors=("error", "sum"))
    )
    per["records_with_findings"] = owned.drop_duplicates(["owner", "entity", "record_id"])["owner"].value_counts()
    records = _metric_value(metrics, "records_per_owner")
    share = _metric_value(metrics, "defects_per_owner")
    # by the share of the owner's records with defects (from the metrics), then, for owners the
    # metrics do not know, by the number of records with findings
    per["share"] = pd.Series(share, dtype=float).reindex(per.index)
    per["known"] = per["share"].notna()
    per = per.sort_values(
        ["known", "share", "records_with_findings", "findings"], ascending=False, kind="stable", na_position="last"
    )
    rows = [
        {
            "owner": owner,
            "records_with_findings": int(row.records_with_findings),
            "findings": int(row.findings),
            "errors": int(row.errors),
            "records": records.get(owner),
            "share": share.get(owner),
        }
        for owner, row in zip(per.index[:TOP_OWNERS], per.head(TOP_OWNERS).itertuples(), strict=True)
    ]
    shown = {"rows": rows, "more": len(per) - len(rows)}
    if any(r["share"] is not None for r in rows):
        chart = charts.bar_chart(
            [(r["owner"], 100 * r["share"]) for r in rows if r["share"] is not None],
            title="Share of the owner's records with findings (%), highest first",
            fmt=lambda v: f"{v:.1f}%",
        )
    else:
        chart = charts.bar_chart(
            [(r["owner"], r["records_with_findings"]) for r in rows], title="Records with findings per owner"
        )
    worst = [r for r in rows if r["share"] is not None and (r["records"] or 0) >= MIN_OWNER_RECORDS]
    return {**shown, "chart": chart, "worst": worst[:OVERVIEW_OWNERS]}


def _metric_value(metrics: Mapping[str, Any], metric_id: str) -> dict[str, Any]:
    m = metrics.get(metric_id)
    return m.value if m is not None and isinstance(m.value, dict) else {}


def _sources(metrics: Mapping[str, Any]) -> dict[str, Any] | None:
    """Per record source (import, web form...): the metrics records_per_source and defects_per_source."""
    share = _metric_value(metrics, "defects_per_source")
    if not share:
        return None
    records = _metric_value(metrics, "records_per_source")
    rows = sorted(
        (
            {
                "source": source,
                "records": records.get(source),
                "with_findings": round(s * records[source]) if source in records else None,
                "share": s,
            }
            for source, s in share.items()
        ),
        key=lambda r: (-r["share"], r["source"]),
    )
    shown = top(rows, TOP_SOURCES)
    chart = charts.bar_chart(
        [(r["source"], 100 * r["share"]) for r in shown["rows"]],
        title="Share of records with findings per source (%)",
        fmt=lambda v: f"{v:.1f}%",
    )
    return {**shown, "chart": chart, "confidence": metrics["defects_per_source"].confidence}


def _duplicates(dup: Any, data: Mapping[str, Any]) -> dict[str, Any] | None:
    if dup is None:
        return None
    stats = [
        {
            "entity": key.replace("~", " → "),
            **{k: s.get(k) for k in ("records", "candidate_pairs", "clusters")},
            "duplicates": s.get("duplicates", s.get("linked")),
            "warnings": s.get("warnings", []),
        }
        for key, s in dup.stats.items()
    ]
    clusters = dup.clusters
    if not len(clusters):
        return {"stats": stats, "clusters": [], "more": 0}
    sizes = (
        clusters.assign(auto=clusters["band"].eq("auto_merge"))
        .groupby(["entity", "cluster_id"], sort=False)
        .agg(size=("record_id", "size"), auto=("auto", "any"))
    )
    sizes = sizes.reset_index().sort_values(["auto", "size", "cluster_id"], ascending=[False, False, True])
    # Take turns between entities, so that the accounts' clusters do not hide the contacts'.
    sizes["turn"] = sizes.groupby(["auto", "size", "entity"]).cumcount()
    sizes = sizes.sort_values(["auto", "size", "turn", "entity"], ascending=[False, False, True, True], kind="stable")
    chosen = sizes.head(TOP_CLUSTERS)
    members = clusters.merge(chosen[["entity", "cluster_id"]], on=["entity", "cluster_id"])
    members = members.sort_values("is_master", ascending=False, kind="stable")
    listed = members.groupby(["entity", "cluster_id"], sort=False).cumcount().to_numpy() < MEMBERS_PER_CLUSTER
    members = members.assign(listed=listed).sort_index()
    labels = {
        # the Spark engine holds no whole table on the driver: the members' rows come with the result
        entity: _labels(
            data[entity] if entity in data else dup.member_rows.get(entity), entity, set(rows["record_id"].astype(str))
        )
        for entity, rows in members[members["listed"]].groupby("entity", sort=False)
    }
    members = members.assign(
        label=[labels.get(e, {}).get(str(r), "") for e, r in zip(members["entity"], members["record_id"], strict=True)]
    )
    # the pairs and merge plan rows of the clusters shown, found once: each cluster then looks among these,
    # not among all pairs (a scan of 710,000 pairs per cluster was most of the report on a million contacts)
    ids = set(members["record_id"].astype(str))
    pairs = dup.pairs[dup.pairs["id_a"].astype(str).isin(ids) & dup.pairs["id_b"].astype(str).isin(ids)]
    plan = dup.merge_plan
    plan = plan[plan["cluster_id"].isin(chosen["cluster_id"])] if len(plan) else plan
    # each cluster's rows found by position, once: a boolean mask of every frame per cluster was most of the
    # report's time on a small export (fifteen clusters, each filtering, copying and sorting whole frames)
    mine = members.groupby(["entity", "cluster_id"], sort=False).indices
    shown = _Shown(members, _PairsAmong(pairs, dup.stats), plan)
    planned = plan.groupby(["entity", "cluster_id"], sort=False).indices if len(plan) else {}
    return {
        "stats": stats,
        "clusters": [
            shown.cluster(entity, cluster_id, mine[entity, cluster_id], planned)
            for entity, cluster_id in chosen[["entity", "cluster_id"]].itertuples(index=False)
        ],
        "more": len(sizes) - len(chosen),
    }


class _PairsAmong:
    """The pairs of the clusters shown, to find those between the members of one cluster: their columns taken
    out once as Python values (as DataFrame.iterrows gives them), not a frame selected, sorted and iterated
    per cluster."""

    def __init__(self, pairs: pd.DataFrame, stats: Mapping[str, Any]) -> None:
        self.columns = set(pairs.columns)
        self.stats = stats
        self.entity = pairs["entity"].to_numpy(dtype=object)
        self.a = pairs["id_a"].astype(str).to_numpy(dtype=object)
        self.b = pairs["id_b"].astype(str).to_numpy(dtype=object)
        self.probability = pairs["match_probability"].to_numpy(dtype=float, na_value=np.nan)
        scores = {f"{f}_score" for s in stats.values() for f in s.get("comparisons", [])} & self.columns
        self.values = {c: _values(pairs[c]) for c in ("id_a", "id_b", "match_probability", "band", "evidence", *scores)}

    def stats_fields(self, entity: str) -> list[str]:
        """The fields the entity's pairs were compared on."""
        return list(self.stats.get(entity, {}).get("comparisons", []))

    def of(self, entity: str, ids: set[str]) -> np.ndarray:
        """The positions of the pairs of `entity` whose two records are both among `ids`, the most probable
        first (as a stable sort_values, missing probabilities last)."""
        wanted = list(ids)
        at = np.flatnonzero((self.entity == entity) & np.isin(self.a, wanted) & np.isin(self.b, wanted))
        ranked = pd.Series(self.probability[at]).sort_values(ascending=False, kind="stable")
        return at[ranked.index.to_numpy()]


def _values(column: pd.Series) -> list[Any]:
    """A column's values as DataFrame.iterrows gives them in a frame of mixed columns: Python's own."""
    return column.astype(object).tolist()


class _Shown:
    """What report.html shows of each duplicate cluster, from its members, the pairs among them and the merge
    plan's rows of the clusters shown."""

    def __init__(self, members: pd.DataFrame, among: _PairsAmong, plan: pd.DataFrame) -> None:
        self.among = among
        self.record_id = members["record_id"].to_numpy(dtype=object)
        self.text_id = members["record_id"].astype(str).to_numpy(dtype=object)
        self.label = members["label"].to_numpy(dtype=object)
        self.is_master = members["is_master"].to_numpy(dtype=bool)
        self.band = members["band"].to_numpy(dtype=object)
        self.plan = plan.to_dict("records") if len(plan) else []

    def cluster(
        self, entity: str, cluster_id: str, mine: np.ndarray, planned: Mapping[tuple[str, str], np.ndarray]
    ) -> dict[str, Any]:
        """A cluster shown: its members at `mine`, its pairs among `among` and its merge plan's rows (`planned`:
        the positions in the plan of each cluster's rows)."""
        compared = [f for f in self.among.stats_fields(entity) if f"{f}_score" in self.among.columns]
        pairs = self.among.of(entity, set(self.text_id[mine].tolist()))
        first = mine[np.argsort(~self.is_master[mine], kind="stable")][:MEMBERS_PER_CLUSTER]  # the master first
        shown = self.among.values
        plan = planned.get((entity, cluster_id), np.zeros(0, dtype=np.int64)) if self.plan else []
        return {
            "entity": entity,
            "cluster_id": cluster_id,
            "band": self.band[mine[0]],
            "members": [
                {"record_id": self.record_id[k], "label": self.label[k], "is_master": bool(self.is_master[k])}
                for k in first
            ],
            "more_members": max(len(mine) - MEMBERS_PER_CLUSTER, 0),
            "fields": compared,
            "pairs": [
                {
                    "a": shown["id_a"][k],
                    "b": shown["id_b"][k],
                    "probability": shown["match_probability"][k],
                    "band": shown["band"][k],
                    "evidence": shown["evidence"][k],
                    "scores": [shown[f"{f}_score"][k] for f in compared],
                }
                for k in pairs[:PAIRS_PER_CLUSTER]
            ],
            "more_pairs": max(len(pairs) - PAIRS_PER_CLUSTER, 0),
            "plan": [self.plan[k] for k in plan[:MERGE_ROWS_PER_CLUSTER]],
            "more_plan": max(len(plan) - MERGE_ROWS_PER_CLUSTER, 0),
        }


def _labels(table: Any, entity: str, ids: set[str]) -> dict[str, str]:
    """Record id -> its name and e-mail, so that a person can tell the records of a cluster apart."""
    if table is None or entity not in ENTITIES:
        return {}
    model = ENTITIES[entity]
    frame = table.frame
    shown = [
        f.name
        for role in (Role.PERSON_NAME, Role.COMPANY_NAME, Role.EMAIL)
        for f in model.fields_with_role(role)
        if f.name in frame.columns
    ]
    rid = record_ids(model, frame, table.row_numbers)
    hit = rid.isin(ids).to_numpy()
    rows = frame.loc[hit, shown].astype("object")
    return {
        str(i): " ".join(str(v) for v in values if v is not None and not pd.isna(v))
        for i, values in zip(rid[hit], rows.itertuples(index=False), strict=True)
    }


def _metric(m: Any) -> dict[str, Any]:
    return {
        "id": m.id,
        "title": m.title,
        "value": show(m.value, m.unit),
        "trusted_value": show(m.trusted_value, m.unit),
        "warning": m.warning,
        "unit": "" if m.unit == "share" else m.unit,
        "interval": f"{show(m.interval[0], m.unit)} – {show(m.interval[1], m.unit)}" if m.interval else "",
        "confidence": m.confidence,
        "reasons": m.reasons,
        "grouped": isinstance(m.value, dict),
        "n": m.n,
        "coverage": m.coverage,
        "formula": m.formula,
    }


def _funnel(m: Any) -> dict[str, Any] | None:
    if m is None or not isinstance(m.value, dict) or not m.value:
        return None
    stages = [(str(k), float(v)) for k, v in m.value.items() if v is not None]
    return {
        "title": m.title,
        "unit": m.unit,
        "confidence": m.confidence,
        "reason": m.reasons[0] if m.reasons else "",
        "stages": stages,
        "chart": charts.funnel_chart(stages, title=f"{m.title} ({m.unit})"),
    }


def _worklist(worklist: pd.DataFrame | None) -> dict[str, Any] | None:
    if worklist is None:
        return None
    columns = [c for c in TASK_COLUMNS if c in worklist.columns] or list(worklist.columns[: len(TASK_COLUMNS)])
    head = worklist.iloc[:TOP_TASKS][columns]
    return {
        "columns": columns,
        "wrap": [c in FREE_TEXT for c in columns],
        "rows": [list(row) for row in head.itertuples(index=False)],
        "more": max(len(worklist) - TOP_TASKS, 0),
        "total": len(worklist),
        "xlsx_rows": XLSX_ROWS,
    }
