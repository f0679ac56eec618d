"""Full-audit benchmark: `crm-audit audit` end to end (load, checks, duplicates, scores, metrics,
worklist, every report written), wall time and peak memory.

- fixtures/acme (20,613 rows in 11 tables): median of --repeat runs, beside a baseline measured
  in the same run: reading the same CSV files with plain `pandas.read_csv` (the floor any
  pandas-based tool pays), so the ratio survives a noisy shared machine.
- 1,000,000 synthetic contacts with their accounts and opportunities (the contacts, accounts and
  opportunities tables of `auditor.synth.generate(1_000_000, seed=12)`, the same export the
  duplicate-detection benchmark uses, generated once into benchmarks/data/synth1m), one run by
  default; the same baseline beside it.

Each audit runs as a child process (`python -m auditor audit ... --no-history`), so its peak
resident memory and CPU time are the child's own (getrusage RUSAGE_CHILDREN of a tiny wrapper
process). CPU time (user + system) is reported beside wall time because the machine is shared:
on a loaded machine wall time measures the neighbours.

The load average (1, 5 and 15 minutes) is printed from before and after the runs: on a shared
machine it says how far the wall times measure the neighbours. "start-up and the rest" is the audit's
CPU outside the timed stages (imports, config, the terminal summary).

`--writers EXPORT` times the writing alone: the export is audited once in this process, then every file of
the audit is written `--repeat` times one writer after the other (each writer's median wall and CPU seconds
are printed) and, alternating with those, `--repeat` times with the writers side by side on threads, as
`crm-audit audit` writes them (the whole writing's median wall, and CPU of the process: every thread).

Usage:  .venv/bin/python benchmarks/bench_audit.py [--repeat 5] [--skip-1m] [--repeat-1m 1]
        .venv/bin/python benchmarks/bench_audit.py --writers EXPORT [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

# Run the command in a grandchild and print its wall time and peak RSS: RUSAGE_CHILDREN of the
# wrapper then holds exactly that one process.
WRAPPER = r"""
import json, resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
                  "peak_mb": usage.ru_maxrss / 1024, "exit": code.returncode,
                  "stderr": code.stderr[-6000:]}))
"""

BASELINE = r"""
import pathlib, sys, pandas as pd
for name in sys.argv[1:]:
    for path in sorted(pathlib.Path(name).glob("*.csv")):
        pd.read_csv(path, dtype=str, keep_default_na=False)
"""


def measure(argv: list[str]) -> dict:
    done = subprocess.run([sys.executable, "-c", WRAPPER, *argv], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def audit_run(export: Path, out: Path) -> dict:
    argv = [sys.executable, "-m", "auditor", "audit", str(export), "--out", str(out), "--no-history", "--timings"]
    result = measure(argv)
    if result["exit"] not in (0, 1):
        raise SystemExit(f"audit of {export} failed (exit {result['exit']}):\n{result['stderr']}")
    result["stages"] = stages_of(result["stderr"])
    return result


def stages_of(stderr: str) -> dict[str, tuple[float, float, float | None]]:
    """stage -> (wall, CPU) seconds and the memory high-water mark (MB) as it ended, from the `--timings`
    table the audit printed on standard error."""
    out = {}
    for line in stderr.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if len(cells) == 5 and cells[1] and cells[2] and not cells[0].startswith(("total", "other")):
            try:
                peak = float(cells[4].replace(",", "")) if cells[4] else None
                out[cells[0]] = (float(cells[1]), float(cells[2]), peak)
            except ValueError:
                continue
    return out


def baseline_run(export: Path) -> dict:
    return measure([sys.executable, "-c", BASELINE, str(export)])


def rows_of(export: Path) -> int:
    total = 0
    for path in export.glob("*.csv"):
        with path.open("rb") as handle:
            total += sum(1 for _ in handle) - 1
    return total


def contacts_accounts_opportunities(source: Path, target: Path) -> Path:
    """The three tables the issue names, linked (not copied) into their own export directory."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("contacts.csv", "accounts.csv", "opportunities.csv", "crm-audit.yaml"):
        link = target / name
        if (source / name).exists() and not link.exists():
            link.symlink_to(source / name)
    return target


def series(runs: list[dict]) -> dict:
    stages = [r["stages"] for r in runs if r.get("stages")]
    per_stage = {
        name: {
            "wall": statistics.median(s[name][0] for s in stages if name in s),
            "cpu": statistics.median(s[name][1] for s in stages if name in s),
            "peak_mb": max((s[name][2] for s in stages if name in s and s[name][2] is not None), default=None),
        }
        for name in (stages[0] if stages else {})
    }
    if per_stage:
        rest = [r["cpu_seconds"] - sum(cpu for _, cpu, _ in r["stages"].values()) for r in runs if r.get("stages")]
        per_stage["start-up and the rest"] = {"wall": None, "cpu": statistics.median(rest), "peak_mb": None}
    return {
        "stages": per_stage,
        "median_seconds": statistics.median(r["seconds"] for r in runs),
        "runs_seconds": [round(r["seconds"], 2) for r in runs],
        "median_cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs),
        "peak_mb": max(r["peak_mb"] for r in runs),
    }


def bench(name: str, export: Path, repeat: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        audits = [audit_run(export, Path(tmp) / f"run{i}") for i in range(repeat)]
        written = sorted(p.name for p in (Path(tmp) / "run0").iterdir())
    baselines = [baseline_run(export) for _ in range(repeat)]
    ours, base = series(audits), series(baselines)
    return {
        "data": name,
        "rows": rows_of(export),
        "audit": ours,
        "read_csv_baseline": base,
        "ratio_to_baseline": ours["median_seconds"] / base["median_seconds"],
        "written": written,
    }


def writers(export: Path, repeat: int) -> dict[str, dict[str, float]]:
    """writer -> median wall and CPU seconds of writing its files, over `repeat` writings of one audit, one
    writer after the other; then "all, one after the other" and "all, side by side" (the writers on
    `default_workers()` threads): the whole writing's wall and the process's CPU, the two alternating."""
    from auditor import pipeline
    from auditor.reports.outputs import default_workers, write_audit_outputs
    from auditor.timing import Stopwatch

    result = pipeline.audit(export, pipeline.resolve_config(export, None))
    runs = []
    together = f"all, side by side ({default_workers()} threads)"
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeat):
            watch = Stopwatch()
            with watch.stage("all, one after the other"):
                write_audit_outputs(
                    result, Path(tmp) / f"serial{i}", between=pipeline.hand_back_memory, timings=watch, workers=1
                )
            with watch.stage(together):
                write_audit_outputs(result, Path(tmp) / f"threads{i}", between=pipeline.hand_back_memory)
            runs.append(watch.stages)
    return {
        name: {
            "wall": statistics.median(r[name][0] for r in runs),
            "cpu": statistics.median(r[name][1] for r in runs),
        }
        for name in runs[0]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs on fixtures/acme (with --writers: writings)")
    parser.add_argument("--repeat-1m", type=int, default=1, help="runs on 1,000,000 contacts")
    parser.add_argument("--skip-1m", action="store_true")
    parser.add_argument("--writers", type=Path, metavar="EXPORT", help="time each writer on this export instead")
    args = parser.parse_args()
    if args.writers is not None:
        load_before = os.getloadavg()
        times = writers(args.writers, args.repeat)
        print(f"load average (1, 5, 15 min): before {_loads(load_before)}, after {_loads(os.getloadavg())}")
        print(f"| writer ({args.writers}, median of {args.repeat}) | wall s | CPU s |\n|---|---|---|")
        for name, t in times.items():
            print(f"| {name} | {t['wall']:.2f} | {t['cpu']:.2f} |")
        return

    load_before = os.getloadavg()
    results = [bench("fixtures/acme", ROOT / "fixtures" / "acme", args.repeat)]
    if not args.skip_1m:
        from _dedupe_run import synth_path

        subset = contacts_accounts_opportunities(synth_path("synth1m"), ROOT / "benchmarks" / "data" / "audit1m")
        results.append(bench("1M contacts + accounts + opportunities", subset, args.repeat_1m))
    load_after = os.getloadavg()
    print(f"machine: {platform.machine()}, {platform.python_version()}, {platform.platform()}")
    print(f"load average (1, 5, 15 min): before {_loads(load_before)}, after {_loads(load_after)}")
    for r in results:
        a, b = r["audit"], r["read_csv_baseline"]
        print(
            f"{r['data']}: {r['rows']:,} rows; audit median {a['median_seconds']:.2f} s {a['runs_seconds']} "
            f"(CPU {a['median_cpu_seconds']:.2f} s), peak {a['peak_mb']:.0f} MB; "
            f"read_csv baseline {b['median_seconds']:.2f} s (CPU {b['median_cpu_seconds']:.2f} s) "
            f"(audit / baseline = {r['ratio_to_baseline']:.1f}x); wrote {', '.join(r['written'])}"
        )
        if a["stages"]:
            print("| stage | wall s (median) | CPU s (median) | peak MB when it ended (max) |\n|---|---|---|---|")
            for stage, t in a["stages"].items():
                wall = "" if t["wall"] is None else f"{t['wall']:.2f}"
                peak = "" if t["peak_mb"] is None else f"{t['peak_mb']:,.0f}"
                print(f"| {stage} | {wall} | {t['cpu']:.2f} | {peak} |")
    print(json.dumps({"load_average": {"before": load_before, "after": load_after}, "results": results}, indent=2))


def _loads(loads: tuple[float, float, float]) -> str:
    return ", ".join(f"{x:.2f}" for x in loads)


if __name__ == "__main__":
    main()
