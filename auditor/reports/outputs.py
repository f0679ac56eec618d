"""Every file of a full audit, rendered from one AuditResult into one directory. Each file is
written atomically; none recomputes anything."""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.beside import Pending, beside, can_fork, usable_cpus
from auditor.csvtext import LINE_END
from auditor.io import atomic_open, synced_once, write_text
from auditor.result import AuditResult
from auditor.staging import staged
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
    workers: int | None = None,
    stages: Stopwatch | None = None,
    ahead: Ahead | None = None,
) -> list[str]:
    """result.json, findings.csv, worklist.csv, worklist_records.csv, imports/ (bulk fixes, ready to
    import), worklist.xlsx, report.html, junit.xml and the duplicate pairs/clusters/merge plan under
    duplicates/ (with review.json, and review.html when a pair is in the review band). `mask` masks
    personal data in the files CI systems show in their logs (junit.xml). `between` runs after each
    writer of a file per finding or record (`crm-audit audit`: auditor.pipeline.hand_back_memory): what
    one writer freed is given back before the next, not stacked under its peak (on a million copies of
    one contact, result.json left 330 MB freed but held). `timings`: each file's seconds, as a stage of
    its own (benchmarks/bench_audit.py --writers); side by side on threads, a writer's CPU is its own
    thread's. `workers`: 2 writes in two lanes side by side (the default where the process may use two
    CPUs and the result has enough findings: default_workers), 1 one file after the other. Where a
    process may fork (auditor.beside) the second lane is a forked process, whose own seconds and memory
    high-water mark `stages` gets as "writing reports, second CPU"; elsewhere it is a thread. `ahead`: the
    files `write_ahead` began into `out`, waited for here (and written here if its process failed). Returns
    the paths written, relative to `out`, in the same order either way."""
    out = Path(out)
    jobs = _writers(result, out, mask)
    try:
        mine = [k for k, job in enumerate(jobs) if ahead is None or job.name not in ahead.names]
        if (workers or default_workers(result)) <= 1:
            done = {k: _run(jobs[k], between, timings, time.process_time) for k in mine}
        else:
            # where the other lane's largest files are written ahead, result.json and worklist.csv join it: the
            # lanes even out
            moved = JOINS_THE_OTHER_LANE if ahead is not None else ()
            here = [k for k in mine if jobs[k].large and jobs[k].name not in moved]
            lanes = [here, [k for k in mine if k not in here]]
            if can_fork():
                done = _in_two_processes(jobs, lanes, out, between, timings, stages)
            else:
                done = _on_two_threads(jobs, lanes, between, timings)
        if ahead is not None:
            done |= ahead.written(jobs, timings, stages)
    except BaseException:
        if ahead is not None:
            ahead.cancel()
        raise
    return [path for k in range(len(jobs)) for path in done[k]]


JOINS_THE_OTHER_LANE = ("result.json", "worklist.csv")
"""Large writers that go to the second lane when `write_ahead` has taken its largest (findings.csv, duplicates/,
review.*): at a million contacts the main line's lane was result.json, worklist.csv (1.1-1.4 CPU s each) and the
workbook (its rows 4-4.5 s, its deflate on a thread of the second CPU) against the second lane's 1.7 s; with
worklist.csv moved, 5.7 s wall (7.5 CPU with the deflate) against 3.3 (2.6 CPU). The workbook alone keeps the
main line's lane (and both its threads busy); result.json there with it held the second CPU to one lane's work,
and it makes the findings summary report.html shows in the same process (`_Once`). The summed memory of the
writing stays under the audit's peak, which is the duplicate search's (3.2 GB there, the writing's 2.6)."""
AHEAD_STAGE = "writing findings and duplicates"
"""`--timings`' name of the forked process that writes what needs no worklist (`write_ahead`): its row is
`second_cpu(AHEAD_STAGE)`, beside the worklist stage"""


@dataclass
class Ahead:
    """The files of an audit that need neither its worklist nor its gate (findings.csv, duplicates/, review.*),
    being written by a forked process (`write_ahead`)."""

    pending: Pending[tuple[dict[str, list[str]], Stopwatch]]
    names: frozenset[str]
    """the writers it took"""
    beside: str
    """the main line's stage it began beside"""

    def written(self, jobs: list[_Writer], timings: Stopwatch | None, stages: Stopwatch | None) -> dict[int, list[str]]:
        """The paths it wrote, by their writer's place in `jobs` (the audit's writers), once it is done; a process
        that failed has its files written here, where their error is raised."""
        paths, watch = self.pending.result()
        if timings is not None:
            timings.merge(watch)
        if stages is not None:
            self.pending.timed(stages, AHEAD_STAGE, beside=self.beside)
        return {k: paths[job.name] for k, job in enumerate(jobs) if job.name in self.names}

    def cancel(self) -> None:
        """Stop the process (the main line failed or was interrupted): it must not write into a folder that is
        being removed, nor outlive the audit."""
        self.pending.cancel()


def write_ahead(
    result: AuditResult,
    out: str | Path,
    *,
    mask: bool = False,
    between: Callable[[], None] | None = None,
) -> Ahead | None:
    """Begin writing findings.csv, duplicates/ and review.json/review.html into `out` in a forked process, while
    the main line goes on (plans the worklist, decides the gate); `write_audit_outputs(..., ahead=)` writes the
    rest and waits for them. They read only the findings, the duplicates and the loaded tables, which nothing
    after the metrics changes: at a million contacts 4.7-5.0 CPU s the second CPU, idle while the worklist is
    planned, takes off the writing's wall. None where the writers would not run side by side anyway
    (`default_workers`: a small result, or no fork to be had): then they are all written at the end. The
    process writes inside a `synced_once` of its own (the main line's sync lists only its own files)."""
    out = Path(out)
    if not can_fork() or default_workers(result) <= 1:
        return None
    jobs = [job for job in _writers(result, out, mask) if job.ahead]

    def theirs() -> tuple[dict[str, list[str]], Stopwatch]:
        watch = Stopwatch()
        with synced_once(out):
            paths = {job.name: _run(job, between, watch, time.process_time) for job in jobs}
        return paths, watch

    return Ahead(beside(theirs), frozenset(job.name for job in jobs), beside="worklist")


def _in_two_processes(
    jobs: list[_Writer],
    lanes: list[list[int]],
    out: Path,
    between: Callable[[], None] | None,
    timings: Stopwatch | None,
    stages: Stopwatch | None,
) -> dict[int, list[str]]:
    """The large writers here, the others in a forked process beside (auditor.beside): each lane has a CPU
    and an interpreter lock of its own. Threads shared one lock, which the writers' Python (templates,
    pandas' own steps, the rows' joins) holds about half of their time. A lane beside that fails is written
    again here, where its error is raised; a failure here stops the lane beside."""

    def theirs() -> tuple[dict[int, list[str]], Stopwatch]:
        watch = Stopwatch()
        # its files on disk before it says they are written: the sync of this process's folder does not list them
        with synced_once(out):
            paths = {k: _run(jobs[k], between, watch, time.process_time) for k in lanes[1]}
        return paths, watch

    pending = beside(theirs)
    try:
        # every thread of this process is this lane's: the workbook's deflate counts as the workbook's
        done = {k: _run(jobs[k], between, timings, time.process_time) for k in lanes[0]}
    except BaseException:
        pending.cancel()
        raise
    paths, watch = pending.result()
    if timings is not None:
        timings.merge(watch)
    if stages is not None:
        pending.timed(stages, "writing reports", beside="writing reports")
    return done | paths


def _on_two_threads(
    jobs: list[_Writer], lanes: list[list[int]], between: Callable[[], None] | None, timings: Stopwatch | None
) -> dict[int, list[str]]:
    """The two lanes on threads (where no process may fork). A failure stops both lanes before their next
    writer; the first failure in the files' order is raised, as when they were written one by one."""
    done: dict[int, list[str]] = {}
    failed: list[tuple[int, BaseException]] = []

    def lane(writers: list[int]) -> None:
        for k in writers:
            if failed:  # a writer failed (or the run was interrupted): none starts after it
                return
            try:
                done[k] = _run(jobs[k], between, timings, time.thread_time)
            except BaseException as error:
                failed.append((k, error))
                return

    with ThreadPoolExecutor(len(lanes), thread_name_prefix="writer") as pool:
        # each in a copy of this context: auditor.io.synced_once's folder is a context variable
        running = [pool.submit(contextvars.copy_context().run, lane, writers) for writers in lanes]
        try:
            for future in running:
                future.result()
        except BaseException as interrupted:  # in this thread (Ctrl-C): the lanes stop after their writer
            failed.append((-1, interrupted))
            raise
    if failed:  # the first failure in the files' order, as when they were written one by one
        raise min(failed, key=lambda failure: failure[0])[1]
    return done


class AuditFolder:
    """A full audit's output folder, staged (`auditor.staging.staged`) from when its first files are begun
    (`begin`, before the worklist is planned) until every file is written (`write`), then swapped into place;
    removed, the process writing ahead stopped first, when the run fails in between."""

    def __init__(self, out: Path, *, mask: bool = False, between: Callable[[], None] | None = None) -> None:
        self.out, self.mask, self.between = out, mask, between
        self._open = contextlib.ExitStack()
        self._stage: Path | None = None
        self._ahead: Ahead | None = None

    def __enter__(self) -> AuditFolder:
        return self

    def __exit__(self, *failure: Any) -> bool:
        return self._open.__exit__(*failure)

    def begin(self, result: AuditResult) -> None:
        """Stage the folder and begin writing what needs neither the worklist nor the gate (`write_ahead`)."""
        self._stage = self._open.enter_context(staged(self.out))
        self._ahead = write_ahead(result, self._stage, mask=self.mask, between=self.between)
        if self._ahead is not None:
            self._open.callback(self._ahead.cancel)  # run before the staged folder is removed

    def write(self, result: AuditResult, stages: Stopwatch | None = None) -> list[str]:
        """Every file (`write_audit_outputs`), then the folder swapped into place; the paths written."""
        if self._stage is None:  # begun by no one: everything is written now
            self._stage = self._open.enter_context(staged(self.out))
        written = write_audit_outputs(
            result, self._stage, mask=self.mask, between=self.between, stages=stages, ahead=self._ahead
        )
        self._open.close()
        return written


WRITERS = 2
"""Lanes of writers side by side: the second core. As threads their Arrow kernels, zlib and file writes
release the GIL and their Python parts (templates, pandas' own steps) share it; a forked lane shares
nothing."""


SIDE_BY_SIDE_FROM = 100_000
"""findings from which a result's files are written side by side on threads: below it the threads cost more
than they save (fixtures/acme, 2,350 findings: its writing took 1.45 s wall one after the other, 1.71 s side
by side)"""
FORKED_FROM = 1_000
"""findings from which a result's files are written side by side where the second lane is a forked process
(auditor.beside.can_fork), which shares no lock with this one: fixtures/acme's writing took 0.52-0.62 CPU s
one after the other, 0.36-0.40 here and 0.29-0.30 beside (the fork, and what each lane loads and makes for
itself, 0.1-0.2 s more in all); smaller results are written in less than a fork and a second lane cost."""


def default_workers(result: AuditResult | None = None) -> int:
    """WRITERS, or fewer when this process may use fewer CPUs; 1 for a `result` with fewer than FORKED_FROM
    findings (SIDE_BY_SIDE_FROM where the lanes are threads)."""
    if result is not None and len(result.findings) < (FORKED_FROM if can_fork() else SIDE_BY_SIDE_FROM):
        return 1
    return max(1, min(WRITERS, usable_cpus()))


@dataclass(frozen=True)
class _Writer:
    """One writer: its name as timed, what it writes (returning the paths written, relative to `out`),
    whether `between` runs after it (a writer of a file per finding or record), and whether it is `large`:
    it holds a chunk of its widest rows as text at once (the workbook's sheets, the worklist's evidence,
    result.json's findings: 250-650 MB each on a million contacts, the others under 200), so the large
    ones write one after the other in their own lane, the rest beside them: writing side by side adds at
    most one smaller writer's memory to the peak."""

    name: str
    write: Callable[[], list[str]]
    frees: bool = False
    large: bool = False
    ahead: bool = False
    """it needs neither the worklist nor the gate (`write_ahead`)"""


def _writers(result: AuditResult, out: Path, mask: bool) -> list[_Writer]:
    """The audit's writers, in the order their files are listed."""
    # start-up time: `check` does not load the audit's writers
    from auditor.reports import findings_csv, html, json_report, junit, worklist_csv, xlsx

    summary = _Once(result.findings_summary)

    def result_json() -> list[str]:
        with atomic_open(out / "result.json") as handle:
            # the platform's line end is "\n": nothing of what goes to handle is translated on its way to the file
            json_report.write(result, handle, raw=handle.buffer if LINE_END == "\n" else None, summary=summary())
        return ["result.json"]

    def findings() -> list[str]:
        findings_csv.write(result.findings, out / "findings.csv")
        return ["findings.csv"]

    def tasks() -> list[str]:
        worklist_csv.write(result.worklist, out / "worklist.csv")
        return ["worklist.csv"]

    def records() -> list[str]:
        worklist_csv.write_records(result.worklist_records, out / "worklist_records.csv")
        return ["worklist_records.csv"]

    def imports() -> list[str]:
        folder = out / worklist_csv.IMPORTS
        return (
            [f"{folder.name}/"] if worklist_csv.write_imports(result.worklist, result.worklist_records, folder) else []
        )

    def workbook() -> list[str]:
        xlsx.write(result, out / "worklist.xlsx")
        return ["worklist.xlsx"]

    def report() -> list[str]:
        write_text(out / "report.html", html.render(result, summary()))
        return ["report.html"]

    def junit_xml() -> list[str]:
        write_text(out / "junit.xml", junit.render(result, mask=mask))
        return ["junit.xml"]

    jobs = [
        _Writer("result.json", result_json, frees=True, large=True),
        _Writer("findings.csv", findings, frees=True, ahead=True),
    ]
    if result.worklist is not None:
        jobs.append(_Writer("worklist.csv", tasks, large=True))
        if result.worklist_records is not None:
            jobs += [_Writer("worklist_records.csv", records, frees=True), _Writer("imports/", imports)]
        jobs.append(_Writer("worklist.xlsx", workbook, frees=True, large=True))
    jobs += [_Writer("report.html", report), _Writer("junit.xml", junit_xml)]
    if result.duplicates is not None:
        jobs += _duplicate_writers(result, out)
    return jobs


class _Once:
    """`make()`'s value, made by the first call (of either lane) and shared: result.json and report.html show the
    same findings summary, whose distinct records of a million contacts' findings took 0.15 CPU s each time."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make, self._lock, self._made = make, threading.Lock(), False
        self._value: Any = None

    def __call__(self) -> Any:
        with self._lock:
            if not self._made:
                self._value, self._made = self._make(), True
            return self._value


def _duplicate_writers(result: AuditResult, out: Path) -> list[_Writer]:
    """duplicates/: pairs, clusters, merge plan (its findings are in findings.csv already), review.json, and
    review.html beside report.html (crm-audit review renders it again from review.json)."""
    # start-up time: only an audit with duplicates writes them, and its review page loads jinja2
    from auditor.reports.duplicates import write_outputs
    from auditor.reports.review import write_dedupe_review

    dup = result.duplicates

    def tables() -> list[str]:
        return [f"duplicates/{name}" for name in write_outputs(dup, out / "duplicates", include_findings=False)]

    def review() -> list[str]:
        return write_dedupe_review(dup, out, tables=result.data, data_dir=out / "duplicates")

    return [_Writer("duplicates/*.csv", tables, ahead=True), _Writer("review.json, review.html", review, ahead=True)]


def _run(
    job: _Writer, between: Callable[[], None] | None, timings: Stopwatch | None, cpu: Callable[[], float]
) -> list[str]:
    with timings.stage(job.name, cpu=cpu) if timings is not None else contextlib.nullcontext():
        paths = job.write()
    if job.frees and between is not None:
        between()
    return paths
