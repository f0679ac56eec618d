"""`crm-audit fix`: the safe, deterministic fixes applied to a copy of the export, with a change log."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from auditor.commands.app import ConfigOption, app, progress_reporter, stdout
from auditor.redact import redact


class FixLevel(StrEnum):
    safe = "safe"


@app.command()
def fix(
    path: Annotated[str, typer.Argument(metavar="PATH", help="export directory or file")],
    out: Annotated[Path, typer.Option(metavar="DIR", help="write the fixed copy (with --apply) and changes.csv here")],
    apply: Annotated[
        FixLevel | None,
        typer.Option(help="write the fixed copy; without it only changes.csv is written (a dry run)"),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Fix whitespace, letter case, phone numbers (E.164), country, currency and postal codes in a copy
    of the export; the input is never changed."""
    # start-up time: the CLI registers every command; a command's modules load when it runs
    from auditor.fix import CHANGES_FILE
    from auditor.io import output_folder
    from auditor.pipeline import fix_export, resolve_config

    output_folder(out)
    with progress_reporter() as report:
        result = fix_export(
            path,
            resolve_config(path, config),
            out,
            apply=apply is not None,
            level=(apply or FixLevel.safe).value,
            progress=report,
        )
    per_rule = result.per_rule()
    verb = "applied" if result.applied else "planned (dry run: nothing but the change log written)"
    stdout.print(f"{len(result.changes):,} safe changes {verb} in {len(set(result.changes['file'])):,} files")
    for rule_id, count in sorted(per_rule.items(), key=lambda kv: -kv[1]):
        stdout.print(f"  {count:>7,}  {rule_id}")
    if result.skipped:
        stdout.print(f"{result.skipped:,} planned changes left out: the file's cell did not hold the loaded value")
    stdout.print(f"change log: {result.out / CHANGES_FILE}")
    if result.applied:
        stdout.print(f"fixed copy: {result.out} ({len(result.written):,} files); re-audit it with crm-audit check")
    else:
        stdout.print(f"to write the fixed copy: crm-audit fix {redact(path)} --out {out} --apply safe")
