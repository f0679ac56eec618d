"""What every `crm-audit` command shares: the typer app, the consoles, the option types, progress and
the gate options. Each command lives in its own module beside this one (`auditor.commands`); `auditor.cli`
holds only the entry point."""

from __future__ import annotations

import gc
import os
import sys
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, get_args

import typer
from rich.console import Console, ConsoleDimensions
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperCommand, TyperGroup

from auditor import __version__
from auditor.errors import InputError
from auditor.redact import redact
from auditor.timing import Kernel, kernel_used, peak_mb

if TYPE_CHECKING:
    from auditor.config import AuditConfig
    from auditor.timing import Stopwatch


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
    """Help with real metavars (PATH, FILE, N...) and a usage line of plain argument names; the garbage
    collector resumed when the command starts (`pause_collector`)."""

    def invoke(self, ctx: Any) -> Any:
        resume_collector()
        return super().invoke(ctx)

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


def _checked_source(value: str) -> str:
    """A database URL that SQLAlchemy cannot parse (a port that is not a number...) is a usage error,
    named with its password masked, before anything is read."""
    # start-up time: the CLI registers every command; a command's modules load when it runs
    from auditor.sources.urls import is_database_url

    if not is_database_url(value):
        return value
    # start-up time: SQLAlchemy loads only for a database URL
    import sqlalchemy as sa

    try:
        sa.engine.make_url(value)
    except ValueError:  # SQLAlchemy's int() of the port
        raise typer.BadParameter(f"{redact(value)} is not a usable database URL: its port is not a number") from None
    except sa.exc.ArgumentError as err:
        raise typer.BadParameter(f"{redact(value)} is not a usable database URL ({redact(str(err))})") from None
    return value


PathArgument = Annotated[
    str,
    typer.Argument(
        metavar="PATH",
        help="export directory, file, or SQLAlchemy URL (sqlite:///crm.db)",
        callback=_checked_source,
    ),
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
TimingsOption = Annotated[
    bool, typer.Option("--timings", help="print the wall and CPU seconds of each stage to standard error")
]


def print_timings(watch: Stopwatch, total_wall: float, total_cpu: float) -> None:
    """The stages' seconds and the memory high-water mark as each ended, as a table on standard error
    (standard output may be a JSON or XML document)."""
    table = Table(title="time per stage", title_justify="left")
    # a stage's name may wrap on a narrow terminal, but between its words: none is cut short
    words = max((len(word) for name, *_ in watch.rows() for word in name.split()), default=0)
    table.add_column("stage", min_width=words)
    for column in ("wall s", "CPU s", "sys s", "faults", "share of wall", "peak MB so far"):
        table.add_column(column, justify="right")
    for name, wall, cpu, peak in watch.rows():
        share = wall / total_wall if total_wall > 0 else 0.0
        shown = "" if peak is None else f"{peak:,.0f}"
        table.add_row(name, f"{wall:.2f}", f"{cpu:.2f}", *_kernel_cells(watch.kernel.get(name)), f"{share:.0%}", shown)
    measured = sum(wall for name, wall, _, _ in watch.rows() if name not in watch.beside)
    table.add_row("other (config, rules, rendering)", f"{max(total_wall - measured, 0.0):.2f}", "", "", "", "", "")
    peak = peak_mb()
    shown = "" if peak is None else f"{peak:,.0f}"
    (system, faults), (their_system, their_faults) = kernel_used(), kernel_used("children")
    kernel = _kernel_cells((system + their_system, faults + their_faults))
    table.add_row("total (CPU with start-up)", f"{total_wall:.2f}", f"{total_cpu:.2f}", *kernel, "100%", shown)
    table.caption = "; ".join(
        f"{name} ran beside {other} in a process of its own (its wall seconds overlap; its CPU is in the total)"
        for name, other in watch.beside.items()
    )
    stderr.print(table)


def _kernel_cells(kernel: Kernel | None) -> tuple[str, str]:
    if kernel is None:
        return "", ""
    return f"{kernel[0]:.2f}", f"{kernel[1]:,}"


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


_COLLECTOR = {"paused": False}
"""Whether `pause_collector` paused the garbage collector, which `resume_collector` then resumes."""


def pause_collector() -> None:
    """The garbage collector paused while the program starts (auditor.cli.run), until its command starts
    (`resume_collector`): importing pandas, pyarrow and the auditor makes objects that live to the end, and
    the collector's passes over them were 0.10-0.12 of fixtures/acme's CPU s before its load stage. Only
    where the collector runs (a caller that turned it off keeps it off)."""
    if gc.isenabled():
        gc.disable()
        _COLLECTOR["paused"] = True


def resume_collector() -> None:
    """The collector resumed after `pause_collector`, what start-up made frozen out of its passes (`gc.freeze`,
    as Python's documentation advises before a fork): the modules, classes, config and rules live to the end, yet
    the collector walked them all in a young pass (all young: it was paused), in the next generation's and in a
    full pass during the checks, and each forked child walked them again in its own full pass, writing to pages
    it shares with its parent. Frozen, the full passes came no more often (synth300k's main line 5 either way),
    and the collector's CPU fell: fixtures/acme's main line 0.21-0.30 -> 0.07 s and its three children's 0.19 ->
    0.02 s, synth300k's main line 0.66 -> 0.26 s (BENCHMARKS.md, twenty-second session; the fifteenth session's
    freeze, reverted, froze again around the stages and unfroze after them). Nothing when it was not paused
    (`main()` called by a test: its caller's objects are not frozen). The young generation is collected every
    YOUNG_OBJECTS net allocations, not every 700 (Python's default)."""
    if _COLLECTOR["paused"]:
        _COLLECTOR["paused"] = False
        gc.freeze()
        gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])
        gc.enable()


YOUNG_OBJECTS = 10_000
"""Net allocations of objects the collector tracks (lists, dicts, tuples, instances) between two of its passes over
the young generation, where Python's default is 700. The stages make many short-lived small objects (pandas' and
Arrow's wrappers around each of thousands of calls): fixtures/acme's main line had 190 young passes, 17 of the middle
generation and a full one, 0.05-0.08 CPU s; with 10,000, 10 young passes and no other, 0.025-0.03 s. The older
generations keep their thresholds (a pass of each per 10 of the younger). A cycle of garbage may wait this many
allocations longer to be freed; garbage without a cycle is freed at once by reference counting, as before."""


def refuse_contradictions(*pairs: tuple[str, bool, str, bool]) -> None:
    """A usage error (exit 2) for the first pair of options given together that cannot both hold
    (`--no-history` and `--fail-on-regression`: the regression gate needs the history), rather than
    one of them silently ignored."""
    for first, first_given, second, second_given in pairs:
        if first_given and second_given:
            raise typer.BadParameter(f"cannot be given with {first}", param_hint=second)


def claim_output(path: str, out: Path, ours: tuple[str, ...]) -> None:
    """Before any work: `out` is a folder a run may replace whole (auditor.staging), and not inside the
    export folder `path`, whose next audit would read the reports as data; else an InputError (exit 2)."""
    # start-up time: the CLI registers every command; a command's modules load when it runs
    from auditor.sources.urls import is_database_url
    from auditor.staging import claim

    if not is_database_url(path) and Path(path).is_dir():
        export, target = Path(path).resolve(), out.resolve()
        if target == export or export in target.parents:
            raise InputError(
                f"--out is inside the export folder {path}: the next audit would read the reports as data; "
                "write them outside it",
                file=str(out),
            )
    claim(out, ours)


def gate_config(path: str, config: Path | None, fail_under: float | None, fail_on: FailOn | None) -> AuditConfig:
    """The audit config of `path` (or --config) with the gate options of the command line on top."""
    # start-up time: the CLI registers every command; a command's modules load when it runs
    from auditor.pipeline import resolve_config

    audit_config = resolve_config(path, config)
    if fail_under is not None:
        audit_config.gate.fail_under = fail_under
    if fail_on is not None:
        audit_config.gate.fail_on = fail_on.value
    return audit_config


def render_mapping(tables: list[dict]) -> None:
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
