"""`crm-audit synth`: a synthetic CRM export with known, documented defects and its ground truth."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from auditor.commands.app import app, progress_reporter, stdout


@app.command()
def synth(
    out: Annotated[Path, typer.Option(metavar="DIR", help="directory to write the export to")],
    rows: Annotated[
        int, typer.Option(min=10, metavar="N", help="number of contacts; other entities scale with it")
    ] = 2000,
    seed: Annotated[int, typer.Option(metavar="N", help="random seed (same seed, same export)")] = 7,
    as_of: Annotated[str, typer.Option(metavar="YYYY-MM-DD", help="the export's 'today'")] = "2026-10-31",
    defect_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, metavar="SHARE", help="share of records given defects")
    ] = 0.04,
    duplicate_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, metavar="SHARE", help="share of records duplicated")
    ] = 0.05,
    anomaly_rate: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            metavar="SHARE",
            help="share of records given anomalies no rule reports (impossible durations, far dates, amounts x1000)",
        ),
    ] = 0.0,
) -> None:
    """Generate a realistic CRM export with known defects and duplicates, and its ground truth."""

    # start-up time: the CLI registers every command; a command's modules load when it runs
    from auditor.io import output_folder
    from auditor.synth import generate

    output_folder(out)
    try:
        day = dt.date.fromisoformat(as_of)
    except ValueError:
        raise typer.BadParameter(f"{as_of!r} is not a date (YYYY-MM-DD)", param_hint="--as-of") from None
    with progress_reporter() as report:
        summary = generate(
            rows,
            seed,
            out,
            as_of=day,
            defect_rate=defect_rate,
            duplicate_rate=duplicate_rate,
            anomaly_rate=anomaly_rate,
            progress=report,
        )
    stdout.print(f"wrote {out}: " + ", ".join(f"{n:,} {e}" for e, n in summary.counts.items()))
