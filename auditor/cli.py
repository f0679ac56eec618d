"""The `crm-audit` command line. Parses arguments, calls the API, renders, exits. No logic.

Exit codes: 0 the gate passed, 1 the gate failed, 2 bad usage or unreadable input (one line,
no traceback), 3 an internal error (a bug: rerun with CRM_AUDIT_DEBUG=1 for the traceback).
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from auditor.errors import AuditorError

if TYPE_CHECKING:
    from auditor.config import AuditConfig

app = typer.Typer(
    name="crm-audit",
    help="Audit CRM data: rule checks, accuracy scores and a CI gate.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
stdout = Console(highlight=False, soft_wrap=False)
stderr = Console(stderr=True, highlight=False)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    junit = "junit"


class FailOn(StrEnum):
    error = "error"
    warning = "warning"
    never = "never"


# `check` and `audit` take the same engine options (validated by auditor.engines.validate)
EngineOption = Annotated[str, typer.Option(help="where the audit runs: pandas (in-process) or spark")]
SparkMasterOption = Annotated[str | None, typer.Option(help="Spark master URL (default local[*])")]


def interactive() -> bool:
    """Progress bars only for a person at a terminal; CI logs stay quiet."""
    return stderr.is_terminal and not os.environ.get("CI")


@contextmanager
def progress_reporter():
    if not interactive():
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    ) as bar:
        tasks: dict[str, int] = {}

        def report(label: str, done: int, total: int) -> None:
            stage = label.split(" ", 1)[0]
            if stage not in tasks:
                tasks[stage] = bar.add_task(label, total=total)
            bar.update(tasks[stage], description=label, completed=done, total=total)

        yield report


def gate_config(path: str, config: Path | None, fail_under: float | None, fail_on: FailOn | None) -> AuditConfig:
    """The audit config of `path` (or --config) with the gate options of the command line on top."""
    from auditor.pipeline import resolve_config

    audit_config = resolve_config(path, config)
    if fail_under is not None:
        audit_config.gate.fail_under = fail_under
    if fail_on is not None:
        audit_config.gate.fail_on = fail_on.value
    return audit_config


@app.command()
def check(
    path: Annotated[str, typer.Argument(help="export directory, file, or SQLAlchemy URL (sqlite:///crm.db)")],
    config: Annotated[Path | None, typer.Option("--config", "-c", help="audit config YAML")] = None,
    rules: Annotated[list[Path] | None, typer.Option("--rules", "-r", help="extra rule pack (repeatable)")] = None,
    fail_under: Annotated[float | None, typer.Option(help="fail when the overall score is below this (0-100)")] = None,
    fail_on: Annotated[FailOn | None, typer.Option(help="fail on findings of this severity or worse")] = None,
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="what to print")] = OutputFormat.text,
    out: Annotated[Path | None, typer.Option(help="write result.json, findings.csv, junit.xml here")] = None,
    show_mapping: Annotated[bool, typer.Option(help="print the column mapping and notes")] = False,
    mask_pii: Annotated[
        bool | None,
        typer.Option(
            "--mask-pii/--no-mask-pii",
            help="mask emails, phones and names in the summary and JUnit (default: on when CI is set)",
        ),
    ] = None,
    ge_suite: Annotated[
        list[Path] | None,
        typer.Option("--ge-suite", help="Great Expectations suite JSON to run as part of the audit (repeatable)"),
    ] = None,
    engine: EngineOption = "pandas",
    spark_master: SparkMasterOption = None,
) -> None:
    """Check an export against the rule packs and judge the gate (exit 0 pass, 1 fail, 2 bad input)."""
    from auditor.engines import run_check
    from auditor.io import output_folder, write_text
    from auditor.reports import findings_csv, json_report, junit, text
    from auditor.reports.mask import masking_enabled

    output_folder(out)
    mask = masking_enabled(mask_pii)
    audit_config = gate_config(path, config, fail_under, fail_on)
    with progress_reporter() as report:
        result = run_check(
            path,
            audit_config,
            engine=engine,
            master=spark_master,
            extra_rules=rules or (),
            progress=report,
            ge_suites=ge_suite or (),
        )
    if out is not None:
        write_text(out / "result.json", json_report.render(result))
        findings_csv.write(result.findings, out / "findings.csv")
        write_text(out / "junit.xml", junit.render(result, mask=mask))
    if output is OutputFormat.json:
        sys.stdout.write(json_report.render(result))
    elif output is OutputFormat.junit:
        sys.stdout.write(junit.render(result, mask=mask))
    else:
        if show_mapping:
            render_mapping(result.tables)
        text.render(result, stdout, show_notes=show_mapping, mask=mask)
        if out is not None:
            stdout.print(f"[dim]wrote {out}/result.json, findings.csv, junit.xml[/]")
    raise typer.Exit(result.exit_code)


def render_mapping(tables: list[dict]) -> None:
    from rich.table import Table

    for table in tables:
        detected = table.get("detection")
        why = (
            f"; {detected['reason']}, confidence {detected['confidence']:.2f}"
            + (f", {detected['crm']} export" if detected.get("crm") else "")
            if detected
            else ""
        )
        view = Table(
            title=f"{table['source']} -> {table['entity']} ({table['rows']:,} rows{why})", title_justify="left"
        )
        for column in ("column", "field", "how", "confidence"):
            view.add_column(column)
        for c in table["columns"]:
            view.add_row(c["source_column"], c["field"] or "-", c["how"], f"{c['confidence']:.2f}")
        stdout.print(view)


@app.command()
def mapping(
    path: Annotated[str, typer.Argument(help="export directory, file, or SQLAlchemy URL")],
    config: Annotated[Path | None, typer.Option("--config", "-c", help="audit config YAML")] = None,
    output: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.text,
    entity: Annotated[
        str | None, typer.Option("--entity", "-e", help="the entity PATH holds (a single file only)")
    ] = None,
) -> None:
    """Show how each file maps to an entity and each column to a field, and what is ignored."""
    import json

    from auditor.pipeline import resolve_config
    from auditor.sources import load_export
    from auditor.sources.loader import one_file_as

    options = resolve_config(path, config).source_options()
    if entity is not None:
        options = one_file_as(options, path, entity)
    export = load_export(path, options)
    if output is OutputFormat.json:
        sys.stdout.write(json.dumps({"tables": export.summary(), "notes": export.notes}, indent=2) + "\n")
        return
    render_mapping(export.summary())
    for note in export.notes:
        stdout.print(f"[dim]note: {note}[/]")


@app.command("rules")
def list_rules(
    rules: Annotated[list[Path] | None, typer.Option("--rules", "-r", help="extra rule pack (repeatable)")] = None,
    kinds: Annotated[bool, typer.Option("--kinds", help="list the rule kinds instead")] = False,
) -> None:
    """List the rules of the core pack (plus --rules packs), or the rule kinds with their parameters."""
    from rich.table import Table

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


@app.command()
def synth(
    out: Annotated[Path, typer.Option(help="directory to write the export to")],
    rows: Annotated[int, typer.Option(min=10, help="number of contacts; other entities scale with it")] = 2000,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same export)")] = 7,
    as_of: Annotated[str, typer.Option(help="the export's 'today' (YYYY-MM-DD)")] = "2026-10-31",
    defect_rate: Annotated[float, typer.Option(min=0.0, max=1.0, help="share of records given defects")] = 0.04,
    duplicate_rate: Annotated[float, typer.Option(min=0.0, max=1.0, help="share of records duplicated")] = 0.05,
) -> None:
    """Generate a realistic CRM export with known defects and duplicates, and its ground truth."""
    import datetime as dt

    from auditor.io import output_folder
    from auditor.synth import generate

    output_folder(out)
    try:
        day = dt.date.fromisoformat(as_of)
    except ValueError:
        raise typer.BadParameter(f"{as_of!r} is not a date (YYYY-MM-DD)", param_hint="--as-of") from None
    with progress_reporter() as report:
        summary = generate(
            rows, seed, out, as_of=day, defect_rate=defect_rate, duplicate_rate=duplicate_rate, progress=report
        )
    stdout.print(f"wrote {out}: " + ", ".join(f"{n:,} {e}" for e, n in summary.counts.items()))


@app.command()
def dedupe(
    path: Annotated[str, typer.Argument(help="export directory, file, or SQLAlchemy URL")],
    entity: Annotated[str, typer.Option("--entity", "-e", help="contacts, accounts, leads or any contact-like entity")],
    out: Annotated[Path, typer.Option(help="write pairs.csv, clusters.csv, merge_plan.csv, findings.csv here")],
    config: Annotated[Path | None, typer.Option("--config", "-c", help="audit config YAML (dedupe: section)")] = None,
    against: Annotated[
        str | None, typer.Option(help="existing base: find rows of PATH that duplicate records already in it")
    ] = None,
    fail_on_duplicates: Annotated[
        FailOn,
        typer.Option(help="exit 1 on duplicates in the auto-merge band (error), also the review band (warning), never"),
    ] = FailOn.error,
) -> None:
    """Find duplicate records (or, with --against, import rows duplicating existing records) and write a merge plan."""
    from auditor.config import find_config
    from auditor.dedupe import find_duplicates, link, load_dedupe_config, load_entity, summary_lines, write_outputs
    from auditor.io import output_folder

    output_folder(out)
    audit_config, settings = load_dedupe_config(config if config is not None else find_config(path))
    table = load_entity(path, entity, audit_config)
    with progress_reporter() as report:
        if against is not None:
            result = link(table, load_entity(against, entity, audit_config), settings)
        else:
            result = find_duplicates({entity: table}, settings, entities=(entity,), progress=report, strict=True)
    written = write_outputs(result, out)
    for line in summary_lines(result):
        stdout.print(line)
    stdout.print(f"[dim]wrote {out}/" + ", ".join(written) + "[/]")
    raise typer.Exit(result.exit_code(fail_on_duplicates.value))


class MetricsFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
def metrics(
    path: Annotated[str, typer.Argument(help="export directory, file, or SQLAlchemy URL")],
    config: Annotated[Path | None, typer.Option("--config", "-c", help="audit config YAML (metrics: section)")] = None,
    period: Annotated[str | None, typer.Option(help="2026-Q3, 2026-07 or 2026 (default: 12 months to as_of)")] = None,
    output: Annotated[MetricsFormat, typer.Option("--format", "-f", help="what to print")] = MetricsFormat.text,
    metric: Annotated[list[str] | None, typer.Option("--metric", "-m", help="only this metric id (repeatable)")] = None,
    clusters: Annotated[Path | None, typer.Option(help="duplicate clusters CSV: entity, record_id, cluster_id")] = None,
    by: Annotated[
        list[str] | None,
        typer.Option("--by", help="also break each metric down by this column of its entity (repeatable)"),
    ] = None,
) -> None:
    """Compute the CRM metrics, each with an interval, a confidence flag and the reasons for it."""
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
    if output is MetricsFormat.json:
        sys.stdout.write(to_json(results))
    else:
        stdout.print(table(results, f"Metrics of {path}" + (f" ({period})" if period else "")))


@app.command("export-ge")
def export_ge(
    out: Annotated[Path, typer.Option(help="directory for <entity>.json suites and unsupported.json/.md")],
    rules: Annotated[list[Path] | None, typer.Option("--rules", "-r", help="extra rule pack (repeatable)")] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="audit config (packs, as_of)")] = None,
    no_core: Annotated[bool, typer.Option("--no-core", help="leave out the core pack")] = False,
    exact_only: Annotated[
        bool, typer.Option("--exact-only", help="leave out expectations that only approximate their rule")
    ] = False,
) -> None:
    """Write rule packs as Great Expectations (GX Core 1.x) suites, one per entity; list what GX cannot express."""
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


@app.command()
def init(
    path: Annotated[str, typer.Argument(help="export directory, file, or SQLAlchemy URL")],
    out: Annotated[Path | None, typer.Option(help="where to write (default: PATH/crm-audit.yaml)")] = None,
    force: Annotated[bool, typer.Option("--force", help="overwrite an existing file")] = False,
) -> None:
    """Write a commented starter crm-audit.yaml from what the auditor detects in the export, to edit."""
    from auditor.interop.starter import write_starter

    written = write_starter(path, out, force=force)
    stdout.print(f"wrote {written}: check it, edit it, then run crm-audit check {path}")


def _load_commands() -> None:
    from auditor.commands import load_all

    load_all()


_load_commands()


def main(argv: list[str] | None = None) -> int:
    try:
        # Standalone mode: typer reports usage errors itself (exit 2) and ends with SystemExit.
        app(args=argv, prog_name="crm-audit")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 2)
    except AuditorError as error:
        for i, line in enumerate(str(error).splitlines()):
            sys.stderr.write(("crm-audit: error: " if i == 0 else "  ") + line.strip() + "\n")
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as bug:
        if os.environ.get("CRM_AUDIT_DEBUG"):
            raise
        sys.stderr.write(
            f"crm-audit: internal error: {type(bug).__name__}: {bug} "
            "(rerun with CRM_AUDIT_DEBUG=1 for the traceback, and please report it)\n"
        )
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
