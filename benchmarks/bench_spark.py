"""The rule checks on Spark (local mode) beside the pandas engine, on synthetic contacts.

    .venv/bin/python benchmarks/bench_spark.py                       # 1M and 10M contacts
    .venv/bin/python benchmarks/bench_spark.py --sizes 1000000 --repeat 3
    .venv/bin/python benchmarks/bench_spark.py --sizes 10000000 --masters 'local[2]' --memory 4g
    .venv/bin/python benchmarks/bench_spark.py --sizes 10000000 --pandas-max 10000000 --masters   # pandas only

A run stops when a rule failed to run or the engines disagree on the number of findings.

Data: `benchmarks/_contacts.py` generates 1,000,000 contacts (with 50,000 accounts and 250,000
activities) in seconds with numpy; larger sizes repeat those contacts with each copy's ids and
e-mail local parts made distinct (`C00000001` -> `C00000001-3`, `jan@x.pl` -> `jan.3@x.pl`), so the
defect mix per copy is that of the 1M set and uniqueness, foreign keys and staleness still have work to
do. Generating 10M rows directly would hold ~10 GB of Python strings. Everything is written as
Parquet (row groups of 500,000), the format a data lake holds; duplicate detection is off
(`dedupe: false`): this measures the checks.

Each run is a fresh process (a fresh JVM for Spark); peak memory is the peak of the summed RSS of
that process and all its children (the JVM and Spark's Python workers), sampled every 0.2 s.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _contacts import DATA_DIR, ensure_export

BASE_ROWS = 1_000_000
ROW_GROUP = 500_000
CONFIG = "as_of: 2026-10-31\ndefault_region: PL\ndedupe: false\n"


def build(rows: int, log=print) -> Path:
    """The Parquet export of `rows` contacts (a multiple of 1M, or fewer), cached under benchmarks/data."""
    out = DATA_DIR / f"spark-contacts-{rows}"
    stamp = out.with_name(out.name + ".json")
    if stamp.exists():
        return out
    base = ensure_export(BASE_ROWS if rows >= BASE_ROWS else rows, log=log)
    out.mkdir(parents=True, exist_ok=True)
    read = {name: _read_strings(base / f"{name}.csv") for name in ("accounts", "contacts", "activities")}
    for name in ("accounts", "activities"):
        pq.write_table(read[name], out / f"{name}.parquet", row_group_size=ROW_GROUP)
    contacts = read["contacts"]
    copies = max(rows // len(contacts), 1)
    log(f"writing {copies} cop{'y' if copies == 1 else 'ies'} of {len(contacts):,} contacts to {out}")
    with pq.ParquetWriter(out / "contacts.parquet", contacts.schema) as writer:
        for k in range(copies):
            writer.write_table(_copy(contacts, k), row_group_size=ROW_GROUP)
    (out / "crm-audit.yaml").write_text(CONFIG)
    stamp.write_text(json.dumps({"rows": copies * len(contacts), "base": str(base)}))
    return out


def _read_strings(path: Path) -> pa.Table:
    """The CSV as written, every cell a string (no type inference turns dates into timestamps)."""
    with open(path, newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    strings = pacsv.ConvertOptions(column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=True)
    return pacsv.read_csv(path, convert_options=strings)


def _copy(contacts: pa.Table, k: int) -> pa.Table:
    if k == 0:
        return contacts
    ids = pc.binary_join_element_wise(contacts["contact_id"], pa.scalar(str(k)), "-")
    email = pc.replace_substring_regex(contacts["email"], pattern="@", replacement=f".{k}@", max_replacements=1)
    table = contacts.set_column(contacts.schema.get_field_index("contact_id"), "contact_id", ids)
    return table.set_column(table.schema.get_field_index("email"), "email", email)


# -- one run in a child process ---------------------------------------------------------------------


def measure(cmd: list[str]) -> dict:
    """Run `cmd` in a fresh process: the JSON object its last output line holds, plus the process's wall time
    and the peak RSS and CPU time of its whole process tree (the JVM and Spark's Python workers included)."""
    started = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    peak, cpu = _watch(child)
    out, _ = child.communicate()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {child.returncode}")
    result = json.loads(out.strip().splitlines()[-1])
    result["process_seconds"] = round(time.perf_counter() - started, 1)
    result["peak_rss_mb"] = round(peak / 1024, 0)
    result["cpu_s"] = round(cpu, 1)
    return result


def run_once(engine: str, path: Path, master: str | None, memory: str) -> dict:
    """The check pipeline on `engine` in a fresh process: its time, findings, memory and CPU."""
    cmd = [sys.executable, __file__, "--child", engine, str(path), "--master", master or "", "--memory", memory]
    result = measure(cmd)
    if result["errors"]:
        raise SystemExit(f"{engine} on {path}: rules failed to run: {', '.join(result['errors'])}")
    return result


def _watch(child: subprocess.Popen) -> tuple[int, float]:
    """Sample the tree every 0.2 s: the peak of its summed RSS (kB), and the CPU seconds of every process
    seen in it (each process's last sample: on a shared, loaded machine CPU says more than wall time)."""
    peak = [0]
    cpu: dict[int, float] = {}

    def sample() -> None:
        while child.poll() is None:
            rss = 0
            for pid, (kb, seconds) in _tree(child.pid).items():
                rss += kb
                cpu[pid] = seconds
            peak[0] = max(peak[0], rss)
            time.sleep(0.2)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    child.wait()
    thread.join()
    return peak[0], sum(cpu.values())


_TICK = os.sysconf("SC_CLK_TCK")


def _tree(root: int) -> dict[int, tuple[int, float]]:
    """pid -> (RSS kB, user + system CPU seconds) for `root` and all its descendants."""
    parents: dict[int, int] = {}
    usage: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # after the command: state ppid ... utime (12th) stime (13th) ... rss pages (22nd)
        parents[int(entry)] = int(fields[1])
        pages = int(fields[21])
        usage[int(entry)] = (pages * os.sysconf("SC_PAGE_SIZE") // 1024, (int(fields[11]) + int(fields[12])) / _TICK)
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [p for p, parent in parents.items() if parent == pid and p not in tree]
        tree.update(children)
        frontier.extend(children)
    return {p: usage[p] for p in tree if p in usage}


def child(engine: str, path: str, master: str, memory: str) -> None:
    from auditor.engines import get_engine
    from auditor.pipeline import check, resolve_config

    os.environ["CRM_AUDIT_SPARK_DRIVER_MEMORY"] = memory
    config = resolve_config(path, None)
    clock = time.perf_counter()
    if engine == "spark":
        from auditor.engines.spark import spark_session

        spark_session(master or None)  # the JVM's start-up is not the audit's time
        clock = time.perf_counter()
    result = check(path, config, engine=get_engine(engine, master or None))
    seconds = time.perf_counter() - clock
    rows = sum(t["rows"] for t in result.tables)
    # a rule that failed to run has no findings: a count that looks fine would hide it
    errors = [o.rule_id for o in result.outcomes if o.status == "error"]
    print(json.dumps({"seconds": round(seconds, 1), "findings": len(result.findings), "rows": rows, "errors": errors}))


# -- the benchmark ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--pandas-max", type=int, default=1_000_000, help="largest size the pandas engine runs")
    parser.add_argument(
        "--masters", nargs="*", default=["local[2]", "local[1]"], help="Spark masters to compare (none: pandas only)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per (engine, size) up to 1M rows")
    parser.add_argument("--repeat-large", type=int, default=1, help="runs per (engine, size) above 1M rows")
    parser.add_argument("--memory", default="6g", help="Spark driver memory")
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--master", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, args.master, args.memory)
        return
    rows = []
    for size in args.sizes:
        path = build(size)
        repeat = args.repeat if size <= BASE_ROWS else args.repeat_large
        runs = [("pandas", None)] if size <= args.pandas_max else []
        # one executor count beside the other only where the run is short enough to repeat
        runs += [("spark", m) for m in (args.masters if size <= BASE_ROWS else args.masters[:1])]
        baseline = None
        findings: set[int] = set()
        for engine, master in runs:
            measured = [run_once(engine, path, master, args.memory) for _ in range(repeat)]
            findings.update(m["findings"] for m in measured)
            if len(findings) > 1:
                raise SystemExit(f"{size:,} rows: the runs disagree on the number of findings: {sorted(findings)}")
            seconds = statistics.median(m["seconds"] for m in measured)
            baseline = baseline or seconds
            row = {
                "rows": measured[0]["rows"],
                "engine": engine if master is None else f"spark {master}",
                "runs": repeat,
                "median_s": seconds,
                "min_s": min(m["seconds"] for m in measured),
                "max_s": max(m["seconds"] for m in measured),
                "peak_rss_mb": max(m["peak_rss_mb"] for m in measured),
                "cpu_s": statistics.median(m["cpu_s"] for m in measured),
                "findings": measured[0]["findings"],
                "vs_first": round(seconds / baseline, 2),
            }
            print(json.dumps(row), flush=True)
            rows.append(row)
    print("\n| rows (all tables) | engine | runs | median s | min-max s | CPU s | peak RSS MB | findings | vs first |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['rows']:,} | {r['engine']} | {r['runs']} | {r['median_s']} | {r['min_s']}-{r['max_s']} |"
            f" {r['cpu_s']} | {r['peak_rss_mb']:,.0f} | {r['findings']:,} | {r['vs_first']} |"
        )


if __name__ == "__main__":
    main()
