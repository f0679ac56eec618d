"""Every file of a full audit, rendered from one AuditResult into one directory. Each file is
written atomically; none recomputes anything."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

from auditor.io import atomic_open, write_text
from auditor.result import AuditResult
from auditor.timing import Stopwatch

AUDIT_OUTPUTS = (
    "result.json",
    "findings.csv",
    "worklist.csv",
    "worklist_records.csv",
    "imports",
    "worklist.xlsx",
    "report.html",
    "junit.xml",
    "duplicates",
    "review.html",
)
"""Every name a full audit may write into its folder (auditor.staging: a folder holding only these is a
run's, to be replaced whole by the next)."""
CHECK_OUTPUTS = ("result.json", "findings.csv", "junit.xml")
DEDUPE_OUTPUTS = (
    "pairs.csv",
    "clusters.csv",
    "merge_plan.csv",
    "findings.csv",
    "links.csv",
    "review.json",
    "review.html",
)
"""The files `crm-audit check --out` writes; DEDUPE_OUTPUTS those of `crm-audit dedupe --out`."""


def write_audit_outputs(
    result: AuditResult,
    out: str | Path,
    *,
    mask: bool = False,
    between: Callable[[], None] | None = None,
    timings: Stopwatch | None = None,
) -> list[str]:
    """result.json, findings.csv, worklist.csv, worklist_records.csv, imports/ (bulk fixes, ready to
    import), worklist.xlsx, report.html, junit.xml and the duplicate pairs/clusters/merge plan under
    duplicates/ (with review.json, and review.html when a pair is in the review band). `mask` masks
    personal data in the files CI systems show in their logs (junit.xml). `between` runs after each
    writer of a file per finding or record (`crm-audit audit`: auditor.pipeline.hand_back_memory): what
    one writer freed is given back before the next, not stacked under its peak (on a million copies of
    one contact, result.json left 330 MB freed but held). `timings`: each file's seconds, as a stage of
    its own (benchmarks/bench_audit.py --writers). Returns the paths written, relative to `out`."""
    from auditor.reports import (  # start-up time: `check` does not load the audit's writers
        findings_csv,
        html,
        json_report,
        junit,
        worklist_csv,
        xlsx,
    )

    out = Path(out)
    between = between or (lambda: None)
    timed = timings.stage if timings is not None else _untimed
    with timed("result.json"), atomic_open(out / "result.json") as handle:
        json_report.write(result, handle)
    between()
    with timed("findings.csv"):
        findings_csv.write(result.findings, out / "findings.csv")
    between()
    written = ["result.json", "findings.csv"]
    if result.worklist is not None:
        with timed("worklist.csv"):
            worklist_csv.write(result.worklist, out / "worklist.csv")
        written.append("worklist.csv")
        if result.worklist_records is not None:
            with timed("worklist_records.csv"):
                worklist_csv.write_records(result.worklist_records, out / "worklist_records.csv")
            written.append("worklist_records.csv")
            between()
            with timed("imports/"):
                imported = worklist_csv.write_imports(
                    result.worklist, result.worklist_records, out / worklist_csv.IMPORTS
                )
            if imported:
                written.append(f"{worklist_csv.IMPORTS}/")
        with timed("worklist.xlsx"):
            xlsx.write(result, out / "worklist.xlsx")
        written.append("worklist.xlsx")
        between()
    with timed("report.html"):
        write_text(out / "report.html", html.render(result))
    with timed("junit.xml"):
        write_text(out / "junit.xml", junit.render(result, mask=mask))
    written += ["report.html", "junit.xml"]
    if result.duplicates is not None:
        from auditor.reports.duplicates import write_outputs  # start-up time: only an audit with duplicates

        # its findings are in findings.csv already
        with timed("duplicates/*.csv"):
            names = write_outputs(result.duplicates, out / "duplicates", include_findings=False)
        written += [f"duplicates/{name}" for name in names]
        from auditor.reports.review import write_dedupe_review  # start-up time: jinja2 only when pairs are written

        # the review page beside report.html, its data beside pairs.csv (crm-audit review renders it again)
        with timed("review.json, review.html"):
            written += write_dedupe_review(result.duplicates, out, tables=result.data, data_dir=out / "duplicates")
    return written


@contextlib.contextmanager
def _untimed(name: str) -> Iterator[None]:
    yield
