"""`crm-audit export-ge`: the rule packs as Great Expectations suites."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from auditor.commands.app import RulesOption, app, stdout


@app.command("export-ge")
def export_ge(
    out: Annotated[Path, typer.Option(metavar="DIR", help="directory for ENTITY.json suites and unsupported.json/.md")],
    rules: RulesOption = None,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", metavar="FILE", help="audit config (packs, as_of)")
    ] = None,
    no_core: Annotated[bool, typer.Option("--no-core", help="leave out the core pack")] = False,
    exact_only: Annotated[
        bool, typer.Option("--exact-only", help="leave out expectations that only approximate their rule")
    ] = False,
) -> None:
    """Write rule packs as Great Expectations (GX Core 1.x) suites, one per entity; list what GX cannot express."""
    # start-up time: the CLI registers every command; a command's modules load when it runs
    from auditor.checks.packs import load_rules
    from auditor.config import load_config
    from auditor.interop.ge import export_suites, write_export
    from auditor.io import output_folder

    output_folder(out)
    audit_config = load_config(config)
    packs = [*audit_config.rule_paths, *(rules or ())]
    loaded = load_rules(
        packs, include_core=audit_config.core_rules and not no_core, extra_fields=audit_config.extra_field_names
    )
    export = export_suites(loaded, audit_config.as_of, include_approximate=not exact_only)
    written = write_export(export, out)
    table = export.parity_table()
    counts = {p: sum(r["parity"] == p for r in table) for p in ("exact", "approximate", "none")}
    stdout.print(
        f"{len(table)} rules: {counts['exact']} exact, {counts['approximate']} approximate, "
        f"{counts['none']} without a GX equivalent (see {out / 'unsupported.md'})"
    )
    stdout.print(f"[dim]wrote {', '.join(str(w) for w in written)}[/]")
