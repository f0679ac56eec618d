"""`crm-audit diff`: what changed between two recorded runs (by default the last two)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from auditor.commands.app import app, stdout
from auditor.commands.history import HISTORY_HELP, ListFormat

if TYPE_CHECKING:
    from auditor.diff import RunDiff
    from auditor.runs import RunSummary

TOP_FIELDS = 10
TITLES = {
    "newly failing": "Rules newly failing",
    "fixed": "Rules fixed",
    "findings changed": "Rules with more or fewer findings",
    "status changed": "Rules whose status changed",
}


@app.command()
def diff(
    run_a: Annotated[
        str | None, typer.Argument(metavar="RUN_A", help="earlier run id or prefix (default: the second-last run)")
    ] = None,
    run_b: Annotated[
        str | None, typer.Argument(metavar="RUN_B", help="later run id or prefix (default: the last run)")
    ] = None,
    history: Annotated[str | None, typer.Option("--history", metavar="LOCATION", help=HISTORY_HELP)] = None,
    output: Annotated[ListFormat, typer.Option("--format", "-f", help="what to print")] = ListFormat.text,
) -> None:
    """Compare two runs: score changes, rules newly failing or fixed, findings per rule, metrics."""
    # start-up time: the CLI registers every command; a command's modules load when it runs
    from auditor.diff import compare
    from auditor.history import History

    with History.open(history, create=False) as store:
        before, after = store.pair(run_a, run_b)
    changes = compare(before, after)
    if output is ListFormat.json:
        sys.stdout.write(json.dumps(changes.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        render(changes)


def _run(r: RunSummary) -> str:
    # start-up time: the CLI registers every command; a command's modules load when it runs
    from auditor.runs import short_time

    verdict = "[green]PASS[/]" if r.passed else "[red]FAIL[/]"
    return f"run {r.run_id[:8]} ({short_time(r.started_at)} UTC, {escape(r.input)}, {verdict})"


def _delta(value: float | None, digits: int = 2, *, higher_is_better: bool = True) -> str:
    if value is None:
        return ""
    better = value > 0 if higher_is_better else value < 0
    colour = "dim" if value == 0 else "green" if better else "red"
    return f"[{colour}]{value:+.{digits}f}[/]"


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def render(changes: RunDiff) -> None:
    # start-up time: the CLI registers every command; a command's modules load when it runs
    from auditor.metrics.render import show

    stdout.print(f"{_run(changes.before)}\n -> {_run(changes.after)}")
    overall = changes.overall
    stdout.print(f"overall score {_score(overall.before)} -> {_score(overall.after)} {_delta(overall.delta)}")

    scores = Table(title="Scores", title_justify="left", box=box.SIMPLE_HEAD)
    for column in ("score", "before", "after", "change"):
        scores.add_column(column, justify="left" if column == "score" else "right", no_wrap=True)
    fields = sorted((s for s in changes.scores if s.key.field), key=lambda s: -abs(s.delta or 0))[:TOP_FIELDS]
    for s in [*(s for s in changes.scores if not s.key.field), *fields]:
        scores.add_row(escape(s.key.label), _score(s.before), _score(s.after), _delta(s.delta))
    stdout.print(scores)

    # One table per kind of change, so that no column repeats it and long rule ids fit 80 columns.
    for kind, title in TITLES.items():
        rows = [r for r in changes.rules if r.change == kind]
        if not rows:
            continue
        rules = Table(title=f"{title} ({len(rows)})", title_justify="left", box=box.SIMPLE_HEAD)
        rules.add_column("rule", overflow="fold")
        rules.add_column("severity", no_wrap=True)
        if kind == "status changed":
            rules.add_column("status", no_wrap=True)
        rules.add_column("records failing", justify="right", no_wrap=True)
        rules.add_column("findings", justify="right", no_wrap=True)
        for r in rows:
            status = (
                [f"{r.status_before or 'absent'} -> {r.status_after or 'absent'}"] if kind == "status changed" else []
            )
            delta = _delta(r.findings_after - r.findings_before, 0, higher_is_better=False)
            rules.add_row(
                escape(r.rule_id),
                r.severity,
                *status,
                f"{r.failed_before:,} -> {r.failed_after:,}",
                f"{r.findings_before:,} -> {r.findings_after:,} {delta}",
            )
        stdout.print(rules)
    if not changes.rules:
        stdout.print("[dim]no rule changed status or finding count[/]")

    if changes.metrics:
        metrics = Table(title="Metrics", title_justify="left", box=box.SIMPLE_HEAD)
        for column in ("metric", "before", "after", "change", "confidence"):
            metrics.add_column(column, overflow="fold")
        for m in changes.metrics:
            metrics.add_row(
                escape(m.metric_id),
                show(m.before, ""),
                show(m.after, ""),
                "" if m.delta is None else f"{m.delta:+.4g}",
                f"{m.confidence_before or '-'} -> {m.confidence_after or '-'}",
            )
        stdout.print(metrics)
