"""Duplicate detection on the real-world development sets, ours beside Splink 5 and recordlinkage, in one run.

    python benchmarks/bench_dedupe_realworld.py                                   # every set, every tool
    python benchmarks/bench_dedupe_realworld.py --sets restaurants patstat --tools ours splink --repeat 3
    make bench-dedupe-realworld ARGS='--sets febrl4_link --json build/realworld.json'

The sets are those of ../shared/datasets, prepared by benchmarks/_realworld.py (truth hidden, a config holding
only a column mapping): historical50k (people, dedupe, 50,578 rows), restaurants (organisations, dedupe one
table), restaurants_link (Zagat linked against Fodor's), patstat (company names, dedupe), febrl4_link (people,
link). Without ../shared/datasets the script says so and exits 0. Needs the `bench` extra (.venv-bench).

Each (set, tool) runs in a fresh subprocess (benchmarks/_realworld_run.py) so that its peak RSS is its own;
wall, CPU and peak RSS are the median of --repeat runs (bench_dedupe.median_of), the quality figures those
of the first successful run.

The figures (all against the true pairs of the set, by `_realworld.scores`):
- cluster P/R/F1: dedupe sets, every pair of records put in one cluster; linkage sets, the one link per export
  record (its best partner at or above the review threshold).
- pair P/R/F1: the pairs the tool lists as possible duplicates (ours: review and auto-merge bands; peers: match
  probability >= 0.5), before any clustering.
- auto-merge pairs and their precision: ours, its auto-merge band; peers, probability >= 0.95 (a comparable
  band; for linkage, the links at or above it). The line under the table checks ours against 0.995.
- blocking recall: the share of true pairs the tool compares at all (ours: the library's candidate pairs,
  recomputed in-process; "-" when the dedupe internals it calls have changed).
- wall s, CPU s: ours, the whole `crm-audit dedupe` subprocess (start-up, loading and writing the outputs
  included); peers, from the loaded frames to the predicted pairs and clusters (loading excluded).
  CPU counts every thread. Peak RSS: ours, the CLI process; peers, their run's process.

The peers' settings, in brief (details and reasons in _realworld_run.py):
- Splink 5, DuckDB (memory capped): historical50k exactly as Splink's deduplicate_50k_synthetic example
  (ForenameSurnameComparison, DateOfBirthComparison, PostcodeComparison, exact birth place and occupation with
  term frequencies; its 10 blocking rules; prior from its 3 deterministic rules at recall 0.6; u by random
  sampling, 1e7 pairs; EM on first+last name and on dob); febrl4_link as its febrl4 example's detailed model.
  restaurants*: Jaro-Winkler name (term frequencies) and address, exact city, phone digits and type; patstat:
  Jaro-Winkler on the cleaned name and on the name without legal forms, shared words (ArrayIntersectAtSizes)
  and an exploded-words blocking rule. Clusters: connected components at 0.95.
- recordlinkage 0.16: Index as a union of Block / SortedNeighbourhood keys (historical50k: Splink's example
  keys; patstat: also a shared-word block), Compare with Jaro-Winkler at 0.85-0.9 and exact matches,
  ECMClassifier(binarize=0.8) as its docs show. Clusters: connected components of the predicted matches.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _realworld as rw  # noqa: E402
import bench_dedupe  # noqa: E402
from bench_dedupe import fmt  # noqa: E402

TOOLS = ("ours", "splink", "recordlinkage")
PEERS = ("splink", "recordlinkage")
AUTO_PRECISION_GOAL = 0.995


def measure(tool: str, name: str, launcher: Path) -> dict:
    """One run through bench_dedupe.run_measured (Popen + wait4, the child's own peak RSS). That function
    launches HERE/_dedupe_run.py; `launcher` is a folder whose _dedupe_run.py is a link to _realworld_run.py,
    so the function is reused as it is instead of copied."""
    bench_dedupe.HERE = launcher
    result = bench_dedupe.run_measured(tool, name, timeout=0)  # run_measured does not use its timeout
    if "tool_peak_rss_mb" in result:
        # ours: the CLI's own peak; this run's process also held the in-process blocking-recall computation
        result["peak_rss_mb"] = result.pop("tool_peak_rss_mb")
    return result


def table(results: dict[tuple[str, str], dict]) -> str:
    head = [
        "set",
        "tool",
        "records",
        "cluster P",
        "cluster R",
        "cluster F1",
        "pair P",
        "pair R",
        "pair F1",
        "auto-merge pairs",
        "auto-merge P",
        "blocking recall",
        "wall s",
        "CPU s",
        "peak RSS MB",
    ]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (name, tool), r in results.items():
        if "error" in r:
            rows.append(f"| {name} | {tool} | {r['error']} |" + " |" * (len(head) - 3))
            continue
        cells = [
            name,
            tool,
            f"{r['records']:,}",
            fmt(r["cluster_precision"]),
            fmt(r["cluster_recall"]),
            f"**{fmt(r['cluster_f1'])}**",
            fmt(r["pair_precision"]),
            fmt(r["pair_recall"]),
            fmt(r["pair_f1"]),
            f"{r['auto_merge_pairs']:,}",
            fmt(r["auto_merge_precision"], ".4f"),
            fmt(r.get("blocking_recall")),
            fmt(r["wall_seconds"], ".1f"),
            fmt(r["cpu_seconds"], ".1f"),
            fmt(r["peak_rss_mb"], ",.0f"),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def verdicts(results: dict[tuple[str, str], dict], sets: list[str]) -> list[str]:
    """Per set: does ours reach the better peer's cluster F1, and is its auto-merge precision >= 0.995?"""
    lines = []
    for name in sets:
        ours = results.get((name, "ours"))
        if ours is None:
            continue
        if "error" in ours:
            lines.append(f"- {name}: ours failed ({ours['error']})")
            continue
        peers = [(t, results[(name, t)]) for t in PEERS if (name, t) in results and "error" not in results[(name, t)]]
        if peers:
            tool, best = max(peers, key=lambda p: p[1]["cluster_f1"])
            reach = "reaches" if ours["cluster_f1"] >= best["cluster_f1"] else "does NOT reach"
            f1 = f"ours cluster F1 {ours['cluster_f1']:.3f} {reach} the better peer's ({tool} {best['cluster_f1']:.3f})"
        else:
            f1 = f"ours cluster F1 {ours['cluster_f1']:.3f} (no peer result)"
        precision = ours["auto_merge_precision"]
        if precision is None:
            auto = "no auto-merge pairs"
        else:
            auto = (
                f"auto-merge precision {precision:.4f} {'>=' if precision >= AUTO_PRECISION_GOAL else '<'} "
                f"{AUTO_PRECISION_GOAL} ({'yes' if precision >= AUTO_PRECISION_GOAL else 'NO'})"
            )
        lines.append(f"- {name}: {f1}; {auto}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", nargs="+", choices=rw.SETS, default=list(rw.SETS))
    parser.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS))
    parser.add_argument("--repeat", type=int, default=1, help="runs per (set, tool); median wall, CPU, peak RSS")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args()
    if not rw.available():
        print(f"{rw.DATASETS} not found: the real-world sets are not on this machine, nothing to run.")
        return 0
    results: dict[tuple[str, str], dict] = {}
    with tempfile.TemporaryDirectory(prefix="crm-realworld-launch-") as tmp:
        launcher = Path(tmp)
        os.symlink(HERE / "_realworld_run.py", launcher / "_dedupe_run.py")
        for name in args.sets:
            for tool in args.tools:
                runs = [measure(tool, name, launcher) for _ in range(max(1, args.repeat))]
                results[(name, tool)] = bench_dedupe.median_of(runs)
                print(f"{name} {tool}: {json.dumps(results[(name, tool)])[:400]}", file=sys.stderr, flush=True)
    print(table(results))
    print()
    print("\n".join(verdicts(results, args.sets)))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({f"{n}/{t}": r for (n, t), r in results.items()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
