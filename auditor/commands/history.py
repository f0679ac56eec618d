"""`crm-audit history`: the runs kept in the run history, newest first."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from auditor.commands.app import app, stdout

HISTORY_HELP = "run history: SQLite file or SQLAlchemy URL (default $CRM_AUDIT_HISTORY or .crm-audit/history.sqlite)"


class ListFormat(StrEnum):
    text = "text"
    json = "json"


@app.command("history")
def list_runs(
    history: Annotated[str | None, typer.Option("--history", metavar="LOCATION", help=HISTORY_HELP)] = None,
    limit: Annotated[int, typer.Option(min=1, metavar="N", help="show at most N runs")] = 20,
    input: Annotated[
        str | None, typer.Option("--input", metavar="PATH", help="only runs of this export path or URL")
    ] = None,
    output: Annotated[ListFormat, typer.Option("--format", "-f", help="what to print")] = ListFormat.text,
) -> None:
    """List the recorded runs (newest first): id, time, input, score, gate verdict, findings."""

    # start-up time: the CLI registers every command; a command's modules load when it runs
    from auditor.history import History
    from auditor.runs import short_time

    with History.open(history, create=False) as store:
        runs = store.runs(limit, input=input)
        location = store.location
    if output is ListFormat.json:
        sys.stdout.write(json.dumps({"history": location, "runs": [r.to_dict() for r in runs]}, indent=2) + "\n")
        return
    # A light box and no version column: a CI log is 80 columns wide (--format json has it all).
    view = Table(
        title=f"Runs in {escape(location)}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    for column in ("run", "started (UTC)", "as of", "score", "gate", "findings", "errors", "input"):
        view.add_column(
            column,
            justify="right" if column in ("score", "findings", "errors") else "left",
            no_wrap=column != "input",
            overflow="fold",
        )
    for r in runs:
        view.add_row(
            r.run_id[:8],
            short_time(r.started_at),
            r.as_of,
            "-" if r.overall is None else f"{r.overall:.2f}",
            "[green]PASS[/]" if r.passed else "[red]FAIL[/]",
            f"{r.findings:,}",
            f"{r.errors:,}",
            escape(r.input),
        )
    stdout.print(view)
