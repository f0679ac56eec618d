"""`crm-audit dedupe`: duplicate records of one entity (or linkage of two files), with pairs, clusters and a
merge plan."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from auditor.commands.app import (
    ConfigOption,
    FailOn,
    LabelsOption,
    PathArgument,
    app,
    claim_output,
    progress_reporter,
    stdout,
)
from auditor.errors import InputError


@app.command()
def dedupe(
    path: PathArgument,
    entity: Annotated[
        str,
        typer.Option("--entity", "-e", metavar="ENTITY", help="contacts, accounts, leads or any contact-like entity"),
    ],
    out: Annotated[
        Path, typer.Option(metavar="DIR", help="write pairs.csv, clusters.csv, merge_plan.csv, findings.csv here")
    ],
    config: ConfigOption = None,
    against: Annotated[
        str | None,
        typer.Option(metavar="PATH", help="existing base: find rows of PATH that duplicate records already in it"),
    ] = None,
    fail_on_duplicates: Annotated[
        FailOn,
        typer.Option(help="exit 1 on duplicates in the auto-merge band (error), also the review band (warning), never"),
    ] = FailOn.error,
    labels: LabelsOption = None,
) -> None:
    """Find duplicate records (or, with --against, import rows duplicating existing records) and write a merge plan."""
    # start-up time: the CLI registers every command; a command's modules load when it runs
    from auditor.config import find_config, load_dedupe_config
    from auditor.dedupe import find_duplicates, link
    from auditor.dedupe.labels import with_labels
    from auditor.io import output_folder
    from auditor.reports.duplicates import summary_lines, write_outputs
    from auditor.reports.outputs import DEDUPE_OUTPUTS
    from auditor.reports.review import write_dedupe_review
    from auditor.sources.loader import load_entity
    from auditor.staging import staged

    output_folder(out)
    if labels is not None and against is not None:
        raise InputError("--labels decides pairs within one table; a linkage (--against) does not use labels yet")
    audit_config, settings = load_dedupe_config(config if config is not None else find_config(path))
    settings = with_labels(settings, labels)
    claim_output(path, out, DEDUPE_OUTPUTS)  # before the export is loaded
    table = load_entity(path, entity, audit_config.source_options())
    with progress_reporter() as report:
        if against is not None:
            existing = load_entity(against, entity, audit_config.source_options())
            result = link(table, existing, settings)
            sides = {entity: (table, existing)}
        else:
            result = find_duplicates({entity: table}, settings, entities=(entity,), progress=report, strict=True)
            sides = {entity: (table, table)}
    with staged(out) as stage:
        written = write_outputs(result, stage)
        written += write_dedupe_review(result, stage, sides=sides)
    for line in summary_lines(result):
        stdout.print(line)
    stdout.print(f"[dim]wrote {out}/" + ", ".join(written) + "[/]")
    raise typer.Exit(result.exit_code(fail_on_duplicates.value))
