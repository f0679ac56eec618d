"""The terminal summary (rich): the verdict first, then scores, the worst rules, and notes."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from auditor.reports.mask import mask_findings
from auditor.result import AuditResult

TOP_RULES = 15


def _score_style(score: float | None) -> str:
    if score is None:
        return "dim"
    return "green" if score >= 90 else "yellow" if score >= 75 else "red"


def render(result: AuditResult, console: Console, *, show_notes: bool = False, mask: bool = False) -> None:
    """`mask`: emails, phones and person names in the example messages masked (auditor.reports.mask)."""
    verdict = "[bold green]PASS[/]" if result.gate.passed else "[bold red]FAIL[/]"
    overall = result.scores.overall
    console.print(
        f"{verdict}  hygiene score [{_score_style(overall)}]{overall}[/] / 100   "
        f"({result.shown_input}, as of {result.as_of:%Y-%m-%d}, {result.duration_seconds:.1f}s)"
    )
    for reason in result.gate.reasons:
        console.print(f"  [red]x[/] {reason}")

    tables = Table(title="Entities", title_justify="left")
    for column in ("entity", "source", "records", "with findings", "score"):
        tables.add_column(column, justify="right" if column in ("records", "with findings", "score") else "left")
    sources = {t["entity"]: t["source"] for t in result.tables}
    for name, score in result.scores.entities.items():
        tables.add_row(
            name,
            sources.get(name, ""),
            f"{score.records:,}",
            f"{score.records_with_findings:,}",
            f"[{_score_style(score.score)}]{score.score}[/]",
        )
    console.print(tables)

    if result.scores.dimensions:
        dims = Table(title="Dimensions", title_justify="left")
        for name in result.scores.dimensions:
            dims.add_column(name, justify="right")
        dims.add_row(*(f"[{_score_style(s)}]{s}[/]" for s in result.scores.dimensions.values()))
        console.print(dims)

    failing = sorted(
        (o for o in result.outcomes if o.status == "failed"),
        key=lambda o: (-{"error": 2, "warning": 1, "info": 0}[o.severity.value], -o.failed),
    )
    if failing:
        # A list, not a table: rule ids are long and examples longer; a table squeezes one of them.
        console.print(f"[italic]Failing rules ({len(failing)})[/]")
        examples = result.findings.drop_duplicates("rule_id")
        examples = (mask_findings(examples) if mask else examples).set_index("rule_id")["message"]
        for o in failing[:TOP_RULES]:
            colour = {"error": "red", "warning": "yellow"}.get(o.severity.value, "dim")
            console.print(f"  [{colour}]{o.severity.value:<7}[/] {o.failed:>7,}/{o.evaluated:<7,} [bold]{o.rule_id}[/]")
            console.print(f"  {'':<7} {'':>15}  [dim]{escape(str(examples.get(o.rule_id, '')))}[/]")
        if len(failing) > TOP_RULES:
            console.print(f"  [dim]... and {len(failing) - TOP_RULES} more; see findings.csv or --format json[/]")

    skipped = [o for o in result.outcomes if o.status == "not_evaluated"]
    if skipped:
        console.print(
            f"[dim]{len(skipped)} rules not evaluated (missing tables or columns); "
            "--format json lists them with reasons[/]"
        )
    for issue in result.structural:
        console.print(f"[red]![/] {issue.file}: {issue.message}")
    if show_notes:
        for note in result.notes:
            console.print(f"[dim]note: {note}[/]")
    elif result.notes:
        count = len(result.notes)
        console.print(f"[dim]{count} notes on how the files were read and mapped: --show-mapping prints them[/]")
