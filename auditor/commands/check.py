"""`crm-audit check`: the rule checks, duplicates, scores and gate of an export, rendered for people or CI."""

from __future__ import annotations

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
    MaxAnnotationsOption,
    OutputFormat,
    PathArgument,
    RulesOption,
    SparkMasterOption,
    TimingsOption,
    app,
    claim_output,
    gate_config,
    print_timings,
    progress_reporter,
    render_mapping,
    stdout,
)
from auditor.timing import cpu_with_children


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
    timings: TimingsOption = False,
) -> None:
    """Check an export against the rule packs and judge the gate (exit 0 pass, 1 fail, 2 bad input)."""
    # start-up time: the CLI registers every command; a command's modules load when it runs
    from auditor import pipeline
    from auditor.engines import get_engine
    from auditor.io import atomic_open, output_folder, write_text
    from auditor.reports import findings_csv, github, json_report, junit, text
    from auditor.reports.mask import masking_enabled
    from auditor.reports.outputs import CHECK_OUTPUTS
    from auditor.staging import staged

    clock = time.perf_counter()
    chosen = get_engine(engine, spark_master)  # before reading the config: a usage error is reported first
    output_folder(out)
    if out is not None:
        claim_output(path, out, CHECK_OUTPUTS)
    mask = masking_enabled(mask_pii)
    audit_config = gate_config(path, config, fail_under, fail_on)
    with progress_reporter() as report:
        result = pipeline.check(
            path,
            audit_config,
            engine=chosen,
            extra_rules=rules or (),
            progress=report,
            ge_suites=ge_suite or (),
        )
    if out is not None:
        with result.timings.stage("writing reports"), staged(out) as stage:
            with atomic_open(stage / "result.json") as handle:
                json_report.write(result, handle)
            findings_csv.write(result.findings, stage / "findings.csv")
            write_text(stage / "junit.xml", junit.render(result, mask=mask))
    if output is OutputFormat.json:
        json_report.write(result, sys.stdout)
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
    if timings:
        print_timings(result.timings, time.perf_counter() - clock, cpu_with_children())
    raise typer.Exit(result.exit_code)
