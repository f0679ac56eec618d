"""The part of the terminal summary that only the full audit has: the metrics' confidence at a
glance and the top of the worklist. One line per item, cut to the terminal's width: the full
text is in report.html and worklist.csv."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from auditor.metrics.render import FLAG_STYLE
from auditor.reports.mask import mask_findings
from auditor.result import AuditResult

TOP_TASKS = 10


def render(result: AuditResult, console: Console, *, mask: bool = False) -> None:
    _metrics(result, console)
    _tasks(result, console, mask)
    for line in (result.history or {}).get("regressions", []):
        console.print(f"[red]regression:[/] {escape(line)}")


def _metrics(result: AuditResult, console: Console) -> None:
    if not result.metrics:
        return
    counts = Counter(m.flag.name for m in result.metrics)
    shown = ", ".join(f"[{FLAG_STYLE[f]}]{counts[f]} {f}[/]" for f in FLAG_STYLE if counts[f])
    console.print(f"Metrics: {len(result.metrics)} computed: {shown}")
    doubtful = [m for m in result.metrics if m.flag.name not in ("HIGH", "NOT_EVALUATED")]
    absent = sorted(
        {f for m in result.metrics if m.flag.name == "NOT_EVALUATED" for w in m.worklist for f in w.get("fields", ())}
    )
    if absent:
        listed = ", ".join(absent[:12]) + (f" and {len(absent) - 12} more" if len(absent) > 12 else "")
        console.print(f"[dim]Not evaluated ({counts['NOT_EVALUATED']}): the export has no {escape(listed)}[/]")
    if not doubtful:
        return
    view = Table(show_header=True, box=None, pad_edge=False)
    view.add_column("metric", no_wrap=True, min_width=max(len(m.id) for m in doubtful))
    view.add_column("flag", no_wrap=True, min_width=len("UNRELIABLE"))
    view.add_column("why", no_wrap=True, overflow="ellipsis", max_width=_rest(console, view))
    order = list(FLAG_STYLE)
    for m in sorted(doubtful, key=lambda m: -order.index(m.flag.name)):
        style = FLAG_STYLE[m.flag.name]
        why = m.warning or (m.reasons[0] if m.reasons else "")
        view.add_row(m.id, f"[{style}]{m.flag.name}[/]", escape(why))
    console.print(view)


def _tasks(result: AuditResult, console: Console, mask: bool) -> None:
    worklist = result.worklist
    if worklist is None or not len(worklist):
        return
    fixable = int(worklist["auto_fixable"].eq("yes").sum())
    records = int(worklist["records"].sum()) if "records" in worklist else len(worklist)
    console.print(
        f"Worklist: {len(worklist):,} tasks on {records:,} records ({fixable:,} auto-fixable with `crm-audit fix`);"
        f" the first {TOP_TASKS}:"
    )
    top = worklist.head(TOP_TASKS)
    if "records" in top:  # a bulk task names its records in worklist_records.csv
        many = top["records"].gt(1)
        top = top.assign(record_id=top["record_id"].where(~many, top["records"].map("{:,} records".format)))
    if mask:
        top = mask_findings(top, value_columns=("current_value", "suggested_value"), text_column="issue")
    view = Table(show_header=True, box=None, pad_edge=False)
    # Only the sentence gives way on a narrow terminal: a cut record id is useless.
    for column, values in (("#", top["priority"]), ("entity", top["entity"]), ("record", top["record_id"])):
        width = max(len(column), *(len(str(v)) for v in values))
        view.add_column(column, no_wrap=True, min_width=width, justify="right" if column == "#" else "left")
    view.add_column("task", no_wrap=True, overflow="ellipsis", max_width=_rest(console, view))
    for task in top.itertuples(index=False):
        view.add_row(str(task.priority), str(task.entity), escape(str(task.record_id)), escape(str(task.issue)))
    console.print(view)


def _rest(console: Console, view: Table) -> int:
    """What the fixed columns leave of the terminal's width. Rich, asked to fit an over-long
    no-wrap column, squeezes the others to nothing instead, so the last column gets a cap."""
    used = sum((c.min_width or 0) + 2 for c in view.columns)
    return max(20, console.width - used - 2)
