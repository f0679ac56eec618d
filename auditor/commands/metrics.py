"""`crm-audit metrics`: the CRM metrics of an export, each with its confidence flag and reasons."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from auditor.commands.app import ConfigOption, PathArgument, PeriodOption, TextOrJson, app, progress_reporter, stdout


@app.command()
def metrics(
    path: PathArgument,
    config: ConfigOption = None,
    period: PeriodOption = None,
    output: Annotated[TextOrJson, typer.Option("--format", "-f", help="what to print")] = TextOrJson.text,
    metric: Annotated[
        list[str] | None, typer.Option("--metric", "-m", metavar="ID", help="only this metric id (repeatable)")
    ] = None,
    clusters: Annotated[
        Path | None, typer.Option(metavar="FILE", help="duplicate clusters CSV: entity, record_id, cluster_id")
    ] = None,
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by", metavar="COLUMN", help="also break each metric down by this column of its entity (repeatable)"
        ),
    ] = None,
) -> None:
    """Compute the CRM metrics, each with an interval, a confidence flag and the reasons for it."""
    # start-up time: the CLI registers every command; a command's modules load when it runs
    from auditor.metrics.evaluate import read_clusters
    from auditor.metrics.render import table, to_json
    from auditor.pipeline import metrics as run_metrics
    from auditor.pipeline import resolve_config

    audit_config = resolve_config(path, config)
    with progress_reporter() as report:
        _, results = run_metrics(
            path,
            audit_config,
            period=period,
            clusters=read_clusters(clusters) if clusters is not None else None,
            metric_ids=metric,
            progress=report,
            by=by or (),
        )
    if output is TextOrJson.json:
        sys.stdout.write(to_json(results))
    else:
        stdout.print(table(results, f"Metrics of {path}" + (f" ({period})" if period else "")))
