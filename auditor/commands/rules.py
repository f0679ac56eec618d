"""`crm-audit rules`: the rules of the core pack (and any --rules packs), or the rule kinds."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from auditor.commands.app import RulesOption, app, stdout


@app.command("rules")
def list_rules(
    rules: RulesOption = None,
    kinds: Annotated[bool, typer.Option("--kinds", help="list the rule kinds instead")] = False,
) -> None:
    """List the rules of the core pack (plus --rules packs), or the rule kinds with their parameters."""

    # start-up time: the CLI registers every command; a command's modules load when it runs
    from auditor.checks.kinds import registry
    from auditor.checks.packs import load_rules

    if kinds:
        view = Table(title="Rule kinds", title_justify="left")
        for column in ("kind", "dimension", "parameters", "summary"):
            view.add_column(column, overflow="fold")
        for kind in sorted(registry().values(), key=lambda k: k.name):
            view.add_row(kind.name, kind.dimension.value, ", ".join(p.name for p in kind.params), kind.summary)
        stdout.print(view)
        return
    view = Table(title="Rules", title_justify="left")
    view.add_column("id", no_wrap=True)
    for column in ("kind", "entity", "fields", "severity", "dimension"):
        view.add_column(column, overflow="fold")
    for rule in load_rules(rules or ()):
        view.add_row(rule.id, rule.kind, rule.entity, ", ".join(rule.fields), rule.severity.value, rule.dimension.value)
    stdout.print(view)
