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
from typing import TYPE_CHECKING, Annotated, Any, get_args

import typer
from rich.console import Console, ConsoleDimensions
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from typer.core import TyperCommand, TyperGroup

from auditor import __version__
from auditor.errors import AuditorError, InputError

try:  # typer 0.2x carries its own copy of click; earlier releases use click itself
    from typer._click import exceptions as usage_errors
except ImportError:  # pragma: no cover
    from click import exceptions as usage_errors  # type: ignore[no-redef]

if TYPE_CHECKING:
    from auditor.config import AuditConfig

COMMAND_ORDER = (
    "audit",
    "check",
    "metrics",
    "dedupe",
    "review",
    "fix",
    "profile",
    "mapping",
    "init",
    "rules",
    "history",
    "diff",
    "synth",
    "export-ge",
)
"""How `crm-audit --help` lists the commands: by how often they are used. Others follow, by name."""

WIDE = 4096
"""Console width when standard output is not a terminal (a CI log, a file): nothing is cut or wrapped."""


def _metavar(param: Any) -> str:
    """A metavar for a parameter declared without one: never typer's `<bool>`, `<list[Path]>` or `{path}`."""
    if getattr(param, "is_flag", False):
        return ""
    if param.param_type_name == "argument":
        return (param.name or "value").upper()
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None:  # typer on click: click's own type names (TEXT, INTEGER, PATH...)
        choices = getattr(param.type, "choices", None)
        return "|".join(map(str, choices)) if choices else param.type.name.upper()
    if descriptor.is_choice:
        return "|".join(str(c) for c in descriptor.choices or ())
    annotation = descriptor.annotation
    if descriptor.is_list:
        (annotation,) = get_args(annotation) or (str,)
    return {int: "N", float: "NUMBER", Path: "PATH"}.get(annotation, "TEXT")


def _no_type(ctx: Any) -> None:
    return None


def _tidy(params: list) -> list:
    for param in params:
        if param.metavar is None:
            param.metavar = _metavar(param)
        if param.param_type_name == "argument":
            # typer prints an argument's type (`<str>`) beside its name: the metavar says it all
            param.display_type_rich = _no_type
    return params


class Command(TyperCommand):
    """Help with real metavars (PATH, FILE, N...) and a usage line of plain argument names."""

    def get_params(self, ctx: Any) -> list:
        return _tidy(super().get_params(ctx))

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                pieces.append(param.metavar if param.required else f"[{param.metavar}]")
        return pieces


class Group(TyperGroup):
    """The commands in COMMAND_ORDER, and the group's own options with real metavars."""

    def list_commands(self, ctx: Any) -> list[str]:
        names = list(super().list_commands(ctx))
        rank = {name: i for i, name in enumerate(COMMAND_ORDER)}
        return sorted(names, key=lambda name: (rank.get(name, len(rank)), name))

    def get_params(self, ctx: Any) -> list:
        return _tidy(super().get_params(ctx))


app = typer.Typer(
    name="crm-audit",
    help="Audit CRM data: rule checks, accuracy scores and a CI gate.",
    cls=Group,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class _Output(Console):
    """Standard output: as wide as the terminal on a terminal; elsewhere (a CI log, a pipe, a
    file) WIDE, so that no path, rule id, number or reason is cut at rich's default 80 columns."""

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        return size if self.is_terminal or self._width is not None else ConsoleDimensions(WIDE, size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]


stdout = _Output(highlight=False, soft_wrap=False)
stderr = Console(stderr=True, highlight=False)


def _show_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"crm-audit {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="print the version and exit"),
    ] = False,
) -> None:
    """Audit CRM data: rule checks, accuracy scores and a CI gate."""


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    junit = "junit"
    github = "github"


class TextOrJson(StrEnum):
    text = "text"
    json = "json"


class FailOn(StrEnum):
    error = "error"
    warning = "warning"
    never = "never"


# `check` and `audit` take the same engine options (validated by auditor.engines.validate)
EngineOption = Annotated[
    str, typer.Option(metavar="pandas|spark", help="where the audit runs: pandas (in-process) or spark")
]
SparkMasterOption = Annotated[str | None, typer.Option(metavar="URL", help="Spark master URL (default local[*])")]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", metavar="FILE", help="audit config YAML (default: PATH/crm-audit.yaml if there)"),
]
RulesOption = Annotated[
    list[Path] | None, typer.Option("--rules", "-r", metavar="FILE", help="extra rule pack (repeatable)")
]
FailUnderOption = Annotated[
    float | None,
    typer.Option(min=0, max=100, metavar="SCORE", help="fail when the overall score is below SCORE (0-100)"),
]
FailOnOption = Annotated[
    FailOn | None, typer.Option(help="fail on findings of this severity or worse (default: the config's, error)")
]
PathArgument = Annotated[
    str, typer.Argument(metavar="PATH", help="export directory, file, or SQLAlchemy URL (sqlite:///crm.db)")
]
FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="text, json, junit, or github (GitHub Actions annotations and the text)"),
]
PeriodOption = Annotated[
    str | None, typer.Option(metavar="PERIOD", help="metrics period: 2026-Q3, 2026-07 or 2026 (default: 12 months)")
]
LabelsOption = Annotated[
    Path | None,
    typer.Option(
        metavar="FILE",
        help="labels.csv from review.html (entity,id_a,id_b,label): pairs decided as labelled, "
        "learnt from, and each band's precision measured",
    ),
]
MaxAnnotationsOption = Annotated[
    int,
    typer.Option(
        min=0,
        metavar="N",
        help="--format github: at most N annotations of each severity (GitHub shows 10 per step)",
    ),
]


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
    path: PathArgument,
    config: ConfigOption = None,
    rules: RulesOption = None,
    fail_under: FailUnderOption = None,
    fail_on: FailOnOption = None,
    output: FormatOption = OutputFormat.text,
    out: Annotated[
        Path | None, typer.Option(metavar="DIR", help="write result.json, findings.csv, junit.xml here")
    ] = None,
    show_mapping: Annotated[bool, typer.Option("--show-mapping", help="print the column mapping and notes")] = False,
    mask_pii: Annotated[
        bool | None,
        typer.Option(
            "--mask-pii/--no-mask-pii",
            help="mask emails, phones and names in the summary and JUnit (default: on when CI is set)",
        ),
    ] = None,
    ge_suite: Annotated[
        list[Path] | None,
        typer.Option(
            "--ge-suite", metavar="FILE", help="Great Expectations suite JSON to run as part of the audit (repeatable)"
        ),
    ] = None,
    max_annotations: MaxAnnotationsOption = 10,
    engine: EngineOption = "pandas",
    spark_master: SparkMasterOption = None,
) -> None:
    """Check an export against the rule packs and judge the gate (exit 0 pass, 1 fail, 2 bad input)."""
    from auditor.engines import run_check
    from auditor.io import output_folder, write_text
    from auditor.reports import findings_csv, github, json_report, junit, text
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
        if output is OutputFormat.github:
            sys.stdout.write(github.render(result, mask=mask, limit=max_annotations))
            sys.stdout.flush()
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
    path: PathArgument,
    config: ConfigOption = None,
    output: Annotated[TextOrJson, typer.Option("--format", "-f", help="what to print")] = TextOrJson.text,
    entity: Annotated[
        str | None, typer.Option("--entity", "-e", metavar="ENTITY", help="the entity PATH holds (a single file only)")
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
    if output is TextOrJson.json:
        sys.stdout.write(json.dumps({"tables": export.summary(), "notes": export.notes}, indent=2) + "\n")
        return
    render_mapping(export.summary())
    for note in export.notes:
        stdout.print(f"[dim]note: {note}[/]")


@app.command("rules")
def list_rules(
    rules: RulesOption = None,
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
    from auditor.config import find_config
    from auditor.dedupe import find_duplicates, link, load_dedupe_config, load_entity, summary_lines, write_outputs
    from auditor.dedupe.labels import with_labels
    from auditor.io import output_folder
    from auditor.reports.review import write_dedupe_review

    output_folder(out)
    if labels is not None and against is not None:
        raise InputError("--labels decides pairs within one table; a linkage (--against) does not use labels yet")
    audit_config, settings = load_dedupe_config(config if config is not None else find_config(path))
    settings = with_labels(settings, labels)
    table = load_entity(path, entity, audit_config)
    with progress_reporter() as report:
        if against is not None:
            existing = load_entity(against, entity, audit_config)
            result = link(table, existing, settings)
            sides = {entity: (table, existing)}
        else:
            result = find_duplicates({entity: table}, settings, entities=(entity,), progress=report, strict=True)
            sides = {entity: (table, table)}
    written = write_outputs(result, out)
    written += write_dedupe_review(result, out, sides=sides)
    for line in summary_lines(result):
        stdout.print(line)
    stdout.print(f"[dim]wrote {out}/" + ", ".join(written) + "[/]")
    raise typer.Exit(result.exit_code(fail_on_duplicates.value))


@app.command()
def metrics(
    path: PathArgument,
    config: ConfigOption = None,
    period: PeriodOption = None,
    output: Annotated[TextOrJson, typer.Option("--format", "-f", help="what to print")] = TextOrJson.text,
    metric: Annotated[
        list[str] | None, typer.Option("--metric", "-m", metavar="ID", help="only this metric id (repeatable)")
    ] = None,
    clusters: Annotated[
        Path | None, typer.Option(metavar="FILE", help="duplicate clusters CSV: entity, record_id, cluster_id")
    ] = None,
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by", metavar="COLUMN", help="also break each metric down by this column of its entity (repeatable)"
        ),
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
    if output is TextOrJson.json:
        sys.stdout.write(to_json(results))
    else:
        stdout.print(table(results, f"Metrics of {path}" + (f" ({period})" if period else "")))


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
    path: PathArgument,
    out: Annotated[
        Path | None, typer.Option(metavar="FILE", help="where to write (default: PATH/crm-audit.yaml)")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="overwrite an existing file")] = False,
) -> None:
    """Write a commented starter crm-audit.yaml from what the auditor detects in the export, to edit."""
    from auditor.interop.starter import write_starter

    written = write_starter(path, out, force=force)
    stdout.print(f"wrote {written}: check it, edit it, then run crm-audit check {path}")


def _load_commands() -> None:
    from auditor.commands import load_all

    load_all()
    for command in app.registered_commands:  # every command's help with real metavars (Command)
        if command.cls in (None, TyperCommand):
            command.cls = Command


_load_commands()


def _option_name(param: Any) -> str:
    if param.param_type_name == "argument":
        return param.metavar or (param.name or "argument").upper()
    names = [*param.opts]
    return max(names, key=len) if names else f"--{param.name}"


def _bad_value(error: Any) -> str:
    """What is wrong with the value, in words: typer's wording is pydantic's ("Input should be a
    valid number", "Value error, ..."), which names no value and reads like a stack trace."""
    param = error.param
    cause = error.__cause__
    details = cause.errors() if hasattr(cause, "errors") else []
    if not details:
        return error.message
    detail = details[0]
    given, kind, limits = detail.get("input"), detail.get("type", ""), detail.get("ctx") or {}
    choices = getattr(getattr(param, "type_descriptor", None), "choices", None)
    if choices:
        return f"{given!r} is not one of {', '.join(str(c) for c in choices)}"
    if kind.startswith("int"):
        return f"{given!r} is not a whole number"
    if kind.startswith(("float", "decimal")):
        return f"{given!r} is not a number"
    bounds = {
        "greater_than_equal": "at least {ge}",
        "greater_than": "more than {gt}",
        "less_than_equal": "at most {le}",
        "less_than": "less than {lt}",
    }
    if kind in bounds:
        shown = {k: f"{v:g}" if isinstance(v, int | float) else v for k, v in limits.items()}
        return f"{given} is out of range: it must be {bounds[kind].format(**shown)}"
    if kind.startswith("date"):
        return f"{given!r} is not a date (YYYY-MM-DD)"
    return f"{given!r} is not a valid {param.metavar or 'value'}"


def usage_message(error: Any) -> str:
    """One line for a usage error of the command line: what is wrong, then where to look."""
    ctx = getattr(error, "ctx", None)
    where = f" (see {ctx.command_path} --help)" if ctx is not None else ""
    param = getattr(error, "param", None)
    if isinstance(error, usage_errors.MissingParameter) and param is not None:
        what = f"{_option_name(param)} is missing"
        if param.help:
            what += f": {param.help}"
    elif isinstance(error, usage_errors.BadParameter) and (param is not None or error.param_hint):
        hint = error.param_hint if param is None else _option_name(param)
        hint = hint if isinstance(hint, str) else " / ".join(hint)
        what = f"{hint}: {_bad_value(error) if param is not None else error.message}"
    elif isinstance(error, usage_errors.NoSuchOption):
        what = f"no option {error.option_name}"
        if error.possibilities:
            what += f"; did you mean {' or '.join(sorted(error.possibilities))}?"
    else:
        what = error.format_message()
        if what.startswith("No such command"):  # "No such command 'chekc'. Did you mean 'check'?"
            what = what.replace("No such command", "no command", 1).replace(". Did you mean", "; did you mean", 1)
            where = " (crm-audit --help lists them)"
        else:
            what = what[:1].lower() + what[1:]
    return " ".join(f"{what.rstrip('.')}{where}".split())


def main(argv: list[str] | None = None) -> int:
    try:
        # Not standalone: usage errors come back here, to be reported as one line (exit 2).
        done = app(args=argv, prog_name="crm-audit", standalone_mode=False)
        return done if isinstance(done, int) else 0
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 2)
    except usage_errors.NoArgsIsHelpError as help_text:
        sys.stdout.write(help_text.format_message() + "\n")
        return 2
    except usage_errors.UsageError as error:
        sys.stderr.write(f"crm-audit: error: {usage_message(error)}\n")
        return 2
    except typer.Abort:
        sys.stderr.write("crm-audit: aborted\n")
        return 130
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
