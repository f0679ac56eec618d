"""`crm-audit review DIR`: the duplicate review page (review.html) of an output directory of
`crm-audit dedupe` or `audit`, rendered again from its review.json (auditor.reports.review)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from auditor.commands.app import app, stdout


@app.command()
def review(
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="the --out directory of crm-audit dedupe or crm-audit audit")
    ],
    spot_check: Annotated[
        int,
        typer.Option(
            metavar="N",
            min=0,
            help="also show N pairs drawn at random from the auto-merge band (up to 50), so that the labels "
            "measure its precision too",
        ),
    ] = 0,
) -> None:
    """Write DIR/review.html: label the review-band duplicate pairs in a browser, export labels.csv for --labels."""
    # start-up time: the CLI registers every command; a command's modules load when it runs
    from auditor.reports.review import review_directory

    page, data = review_directory(directory, spot_check)
    count = len(data["pairs"]) + min(spot_check, len(data.get("spot_checks", [])))
    stdout.print(f"{count:,} pair{'' if count == 1 else 's'} to review", markup=False, highlight=False)
    stdout.print(f"wrote {page}: open it in a browser (m match, n not a match, s skip), then Export labels.csv")
