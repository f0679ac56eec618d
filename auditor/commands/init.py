"""`crm-audit init`: a commented starter crm-audit.yaml from what the auditor detects in an export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from auditor.commands.app import PathArgument, app, stdout
from auditor.redact import redact


@app.command()
def init(
    path: PathArgument,
    out: Annotated[
        Path | None, typer.Option(metavar="FILE", help="where to write (default: PATH/crm-audit.yaml)")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="overwrite an existing file")] = False,
) -> None:
    """Write a commented starter crm-audit.yaml from what the auditor detects in the export, to edit."""
    # start-up time: the CLI registers every command; a command's modules load when it runs
    from auditor.interop.starter import write_starter

    written = write_starter(path, out, force=force)
    stdout.print(f"wrote {written}: check it, edit it, then run crm-audit check {redact(path)}", markup=False)
