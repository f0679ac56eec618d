"""`crm-audit profile`: what each column holds, and the rules its data keeps, as a rule pack to review."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from auditor.commands.app import ConfigOption, PathArgument, app, progress_reporter, stdout

if TYPE_CHECKING:
    from auditor.profile import ColumnProfile, ExportProfile, TableProfile

SHOWN_VALUE = 16
"""Characters of a value shown in the text tables (--format json has them whole)."""


class ProfileFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
def profile(
    path: PathArgument,
    config: ConfigOption = None,
    entity: Annotated[
        str | None, typer.Option("--entity", "-e", metavar="ENTITY", help="the entity PATH holds (a single file only)")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="FILE", help="write the suggested rules here as a rule pack (a new file)"),
    ] = None,
    output: Annotated[ProfileFormat, typer.Option("--format", "-f", help="what to print")] = ProfileFormat.text,
) -> None:
    """Profile every column (type, empties, distinct and top values, range, flagged values) and suggest rules."""
    # imported when the command runs, not when the CLI starts (start-up time of every other command)
    from auditor.errors import InputError
    from auditor.io import write_text
    from auditor.pipeline import resolve_config
    from auditor.profile import profile_export

    if out is not None and out.exists():
        raise InputError("--out already exists; give a new file for the suggested pack", file=str(out))
    audit_config = resolve_config(path, config)
    with progress_reporter() as report:
        result = profile_export(path, audit_config, entity=entity, progress=report)
    if out is not None:
        write_text(out, result.pack_yaml(out.name))
    if output is ProfileFormat.json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
        return
    render(result, out)


def render(result: ExportProfile, out: Path | None) -> None:
    for table in result.tables:
        stdout.print(_table(table))
    _suggestions(result)
    active, extra = len(result.pack_rules), len(result.suggestions) - len(result.pack_rules)
    lines = [f"{len(result.suggestions)} suggested rule{'s' if len(result.suggestions) != 1 else ''}"]
    if extra:
        lines[0] += f": {active} on model fields, {extra} on columns no field maps to"
        how = "the pack holds the snippet and their rules, commented out" if out else "--out writes the snippet"
        lines.append(f"the config must declare those under `extra_fields:` before a pack may name them: {how}")
    if out is not None:
        lines.append(f"wrote {escape(str(out))}: review it before you use it")
    elif result.suggestions:
        lines.append("write them as a rule pack with --out pack.yaml, then review it")
    for line in lines:
        stdout.print(line)


def _table(table: TableProfile) -> Any:
    view = Table(
        title=f"{escape(table.source)} -> {table.entity} ({table.rows:,} rows)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    view.add_column("column", overflow="fold", max_width=28)
    view.add_column("type", no_wrap=True)
    view.add_column("empty", justify="right", no_wrap=True)
    view.add_column("distinct", justify="right", no_wrap=True)
    view.add_column("top values / range", overflow="fold", ratio=2)
    view.add_column("flagged", overflow="fold", ratio=1)
    for c in table.columns:
        view.add_row(
            _name(c),
            c.type,
            _share(c.null_share) if c.rows and c.field is not None else "-",
            f"{c.distinct:,}",
            _values(c),
            _flagged(c),
        )
    return view


def _share(share: float) -> str:
    """0% and 100% only when exact: one empty cell in 992 is 0.1%, not 0%."""
    if share in (0, 1):
        return f"{share:.0%}"
    return f"{min(max(share, 0.001), 0.999):.1%}"


def _name(column: ColumnProfile) -> str:
    if column.field is None:
        return f"{escape(column.column)} [dim](ignored)[/]"
    if column.how == "kept":
        return f"{escape(column.column)} [dim](no field)[/]"
    if column.field == column.column:
        return escape(column.column)
    return f"{escape(column.column)} [dim]-> {escape(column.field)}[/]"


def _values(column: ColumnProfile) -> str:
    if column.field is None or not column.top:
        return ""
    if column.distinct == column.rows - column.empty and column.distinct > 1:
        top = "[dim]all distinct[/]"
    else:
        top = ", ".join(f"{_short(v)} {n:,}" for v, n in column.top[:3])
        top += f" [dim]+{column.distinct - 3:,}[/]" if column.distinct > 3 else ""
    if column.minimum is None:
        return top
    return f"{top}; {escape(str(column.minimum))}..{escape(str(column.maximum))}"


def _short(value: str) -> str:
    shown = value if len(value) <= SHOWN_VALUE else value[: SHOWN_VALUE - 1] + "…"
    return escape(repr(shown))


def _flagged(column: ColumnProfile) -> str:
    parts = []
    for f in column.flagged:
        values = ", ".join(f"{_short(v)} {n:,}" for v, n in f.values[:2])
        more = f" [dim]+{f.distinct - 2:,}[/]" if f.distinct > 2 else ""
        parts.append(f"{f.kind}: {values}{more}")
    return "; ".join(parts)


def _suggestions(result: ExportProfile) -> None:
    # start-up time: the CLI registers every command; a command's modules load when it runs
    from auditor.profile import yaml_line

    if not result.suggestions:
        return
    view = Table(title="Suggested rules", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    view.add_column("field", overflow="fold")
    view.add_column("kind", no_wrap=True)
    view.add_column("parameters", overflow="fold")
    view.add_column("why", overflow="fold")
    for s in result.suggestions:
        params = ", ".join(f"{k}: {_list(v) if isinstance(v, list) else yaml_line(v)}" for k, v in s.params.items())
        field = escape(f"{s.entity}.{s.field}") + ("*" if s.declare is not None else "")
        view.add_row(field, s.kind, escape(params), escape(s.reason))
    stdout.print(view)
    if any(s.declare is not None for s in result.suggestions):
        stdout.print("[dim]* a column no field maps to: the config must declare it under `extra_fields:`[/]")


def _list(values: list) -> str:
    shown = ", ".join(str(v) for v in values[:6])
    return f"[{shown}{f', … {len(values) - 6} more' if len(values) > 6 else ''}]"
