"""`crm-audit audit`: the full audit (checks, duplicates, scores, metrics, worklist) with every
report written to one directory, the run kept in the history, and the gate as the exit code."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from auditor.commands.app import (
    ConfigOption,
    EngineOption,
    FailOnOption,
    FailUnderOption,
    FormatOption,
    LabelsOption,
    MaxAnnotationsOption,
    OutputFormat,
    PathArgument,
    PeriodOption,
    RulesOption,
    SparkMasterOption,
    TimingsOption,
    app,
    claim_output,
    gate_config,
    print_timings,
    progress_reporter,
    refuse_contradictions,
    stdout,
)
from auditor.timing import cpu_with_children


@app.command()
def audit(
    path: PathArgument,
    out: Annotated[
        Path,
        typer.Option(metavar="DIR", help="write result.json, worklist.csv/.xlsx, report.html, junit.xml here"),
    ],
    config: ConfigOption = None,
    rules: RulesOption = None,
    period: PeriodOption = None,
    fail_under: FailUnderOption = None,
    fail_on: FailOnOption = None,
    history: Annotated[
        str | None,
        typer.Option(
            metavar="LOCATION",
            help="run history: SQLite file or SQLAlchemy URL (default .crm-audit/history.sqlite)",
        ),
    ] = None,
    no_history: Annotated[bool, typer.Option("--no-history", help="do not read or record run history")] = False,
    fail_on_regression: Annotated[
        float | None,
        typer.Option(
            min=0,
            max=100,
            help="fail when the score drops by more than POINTS against the last passing run, "
            "or a new error-level rule fails",
            metavar="POINTS",
        ),
    ] = None,
    mask_pii: Annotated[
        bool | None,
        typer.Option(
            "--mask-pii/--no-mask-pii",
            help="mask emails, phones and names in CI-visible output (default: on when the CI variable is set)",
        ),
    ] = None,
    output: FormatOption = OutputFormat.text,
    max_annotations: MaxAnnotationsOption = 10,
    engine: EngineOption = "pandas",
    spark_master: SparkMasterOption = None,
    labels: LabelsOption = None,
    timings: TimingsOption = False,
) -> None:
    """Run the full audit and write every report; exit 0 when the gate passes, 1 when it fails, 2 on bad input."""
    # start-up time: the CLI registers every command; a command's modules load when it runs
    from auditor import pipeline
    from auditor.engines import get_engine
    from auditor.io import output_folder
    from auditor.reports import audit_summary, github, text
    from auditor.reports.mask import masking_enabled
    from auditor.reports.outputs import AUDIT_OUTPUTS, AuditFolder

    clock = time.perf_counter()  # the time printed covers everything up to the reports written
    refuse_contradictions(
        ("--no-history", no_history, "--fail-on-regression", fail_on_regression is not None),
        ("--no-history", no_history, "--history", history is not None),
    )
    chosen = get_engine(engine, spark_master)  # before reading the config: a usage error is reported first
    if not no_history:
        from auditor.history import check_location, track  # SQLAlchemy loads only for a history (start-up)

        check_location(history)  # a history it cannot write to is refused before the audit, not after
    output_folder(out)
    claim_output(path, out, AUDIT_OUTPUTS)
    audit_config = gate_config(path, config, fail_under, fail_on)
    if labels is not None:
        # start-up time: the CLI registers every command; a command's modules load when it runs
        from auditor.dedupe.labels import audit_with_labels

        audit_with_labels(audit_config, labels)
    mask = masking_enabled(mask_pii)
    # staged before the worklist is planned: a forked process writes there meanwhile what needs no worklist
    with AuditFolder(out, mask=mask, between=pipeline.hand_back_memory) as folder:
        with progress_reporter() as report:
            result = pipeline.audit(
                path,
                audit_config,
                engine=chosen,
                period=period,
                extra_rules=rules or (),
                progress=report,
                before_worklist=folder.begin,
            )
        result.duration_seconds = time.perf_counter() - clock  # the files say so too: metrics and worklist included
        if not no_history:
            with result.timings.stage("history"):
                track(result, history_url=history, fail_on_regression=fail_on_regression)
        with result.timings.stage("writing reports"):
            written = folder.write(result, stages=result.timings)
    result.duration_seconds = time.perf_counter() - clock  # and what the terminal shows, the writing too
    if output in (OutputFormat.json, OutputFormat.junit):  # the file just written: rendering twice costs seconds
        with (out / ("result.json" if output is OutputFormat.json else "junit.xml")).open(encoding="utf-8") as written:
            shutil.copyfileobj(written, sys.stdout)
    else:
        if output is OutputFormat.github:
            sys.stdout.write(github.render(result, mask=mask, limit=max_annotations))
            sys.stdout.flush()
        text.render(result, stdout, mask=mask)
        audit_summary.render(result, stdout, mask=mask)
        if labels is not None and result.duplicates is not None:
            # start-up time: the CLI registers every command; a command's modules load when it runs
            from auditor.dedupe.labels import report_lines

            for line in report_lines(result.duplicates.stats):
                stdout.print(line, markup=False, highlight=False)
        stdout.print(f"[dim]wrote {out}/: {', '.join(written)} ({result.duration_seconds:.1f}s in all)[/]")
    if timings:
        print_timings(result.timings, time.perf_counter() - clock, cpu_with_children())
    raise typer.Exit(result.exit_code)
