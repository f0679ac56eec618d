"""`crm-audit mapping`: how each column of an export was mapped onto the CRM entities."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from auditor.commands.app import ConfigOption, PathArgument, TextOrJson, app, render_mapping, stdout


@app.command()
def mapping(
    path: PathArgument,
    config: ConfigOption = None,
    output: Annotated[TextOrJson, typer.Option("--format", "-f", help="what to print")] = TextOrJson.text,
    entity: Annotated[
        str | None, typer.Option("--entity", "-e", metavar="ENTITY", help="the entity PATH holds (a single file only)")
    ] = None,
) -> None:
    """Show how each file maps to an entity and each column to a field, and what is ignored."""

    # start-up time: the CLI registers every command; a command's modules load when it runs
    from auditor.pipeline import resolve_config
    from auditor.sources import load_export
    from auditor.sources.loader import one_file_as

    options = resolve_config(path, config).source_options()
    if entity is not None:
        options = one_file_as(options, path, entity)
    export = load_export(path, options)
    if output is TextOrJson.json:
        sys.stdout.write(json.dumps({"tables": export.summary(), "notes": export.notes}, indent=2) + "\n")
        return
    render_mapping(export.summary())
    for note in export.notes:
        stdout.print(f"[dim]note: {note}[/]")
