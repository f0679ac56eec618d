"""Metrics benchmark: are the confidence flags honest, and how fast are the metrics at scale?

Calibration: synthetic exports (`auditor.synth.generate`) over many seeds and defect rates; each
is audited and its metrics computed (`auditor.pipeline.metrics`, duplicate clusters from the
export's truth/duplicates.csv, i.e. a perfect duplicate detector; the audit's own duplicate
detection is switched off to keep the run short), and each metric's value is compared with
truth/metrics.json (the value on the clean data). Targets: a metric within 2% (relative) of the
truth is flagged HIGH in at least 90% of cases; a metric off by more than 10% is never HIGH.

Timing: `evaluate_metrics` on 1,000,000 contacts + 1,000,000 opportunities (+ 250,000 accounts)
built directly with numpy, with 2% of the records carrying findings and 3% in duplicate
clusters; median of 3 runs.

Usage:  .venv/bin/python benchmarks/bench_metrics.py [--seeds 20] [--rows 1000] [--jobs 2]
        [--rates 0 0.02 0.05 0.1 0.2] [--settings '{"shift_high": 0.03}'] [--own-clusters] [--skip-calibration]
        [--skip-timing]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from auditor.metrics import evaluate_metrics, registry
from auditor.metrics.confidence import distance


def one_case(args: tuple[int, float, int, dict | None, bool]) -> list[dict]:
    from auditor.pipeline import metrics, resolve_config
    from auditor.synth import generate

    seed, rate, rows, settings, own_clusters = args
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "export"
        generate(rows, seed, out, defect_rate=rate, duplicate_rate=0.05)
        truth = json.loads((out / "truth" / "metrics.json").read_text())
        clusters = None
        config = resolve_config(out, None)
        if not own_clusters:
            clusters = pd.read_csv(out / "truth" / "duplicates.csv", dtype=str, keep_default_na=False)
            config.dedupe = None
        if settings:
            config.metrics = {**(config.metrics or {}), **settings}
        _, results = metrics(out, config, clusters=clusters, breakdowns=False)
    cases = []
    known = registry()
    for r in results:
        key = known[r.id].truth_key or r.id
        if key not in truth:
            continue
        cases.append(
            {
                "seed": seed,
                "rate": rate,
                "metric": r.id,
                "error": distance(r.value, truth[key]),
                "flag": r.confidence,
                "reason": r.reasons[0] if r.reasons else "",
                "coverage": r.coverage,
                "sensitivity": r.sensitivity,
                "duplicates": r.duplicates,
                "bound": r.bound,
                "reasons": " | ".join(r.reasons),
            }
        )
    return cases


def calibration(
    seeds: int, rates: list[float], rows: int, jobs: int, settings: dict | None = None, own_clusters: bool = False
) -> pd.DataFrame:
    todo = [(seed, rate, rows, settings, own_clusters) for rate in rates for seed in range(1, seeds + 1)]
    cases: list[dict] = []
    started = time.perf_counter()
    with ProcessPoolExecutor(jobs) as pool:
        for i, part in enumerate(pool.map(one_case, todo), 1):
            cases.extend(part)
            if i % 10 == 0:
                print(f"  {i}/{len(todo)} exports ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return pd.DataFrame(cases)


def calibration_table(cases: pd.DataFrame) -> str:
    c = cases.assign(close=cases["error"] <= 0.02, far=cases["error"] > 0.10, high=cases["flag"].eq("HIGH"))

    def row(name: str, g: pd.DataFrame) -> str:
        close, far = g[g["close"]], g[g["far"]]
        share = f"{close['high'].mean():.1%}" if len(close) else "-"
        return (
            f"| {name} | {len(g)} | {len(close)} | {share} | {len(far)} | {int(far['high'].sum())} |"
            f" {(g['flag'] == 'HIGH').mean():.0%} |"
        )

    lines = [
        "| metric | cases | within 2% | HIGH when within 2% | off > 10% | HIGH when off > 10% | HIGH overall |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [row(m, g) for m, g in c.groupby("metric", sort=False)]
    lines.append(row("**all metrics**", c))
    by_rate = [
        "",
        "| defect rate | cases | within 2% | HIGH when within 2% | off > 10% | HIGH when off > 10% | HIGH overall |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    by_rate += [row(f"{r:g}", g) for r, g in c.groupby("rate")]
    return "\n".join(lines + by_rate)


def big_frames(n: int = 1_000_000, seed: int = 0) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, pd.DataFrame]:
    """1M contacts, 1M opportunities, 250k accounts shaped like the synthetic export."""
    rng = np.random.default_rng(seed)
    as_of = pd.Timestamp("2026-10-31")
    n_acc = n // 4
    text = pd.StringDtype("pyarrow", na_value=np.nan)
    acc_ids = pd.array([f"A{i:07d}" for i in range(n_acc)], dtype=text)
    owners = np.array([f"Owner {i}" for i in range(20)], dtype=object)
    sources = np.array(["import", "web form", "integration", "manual", "event"], dtype=object)
    days = lambda k, lo, hi: pd.to_timedelta(rng.integers(lo, hi, k), unit="D")  # noqa: E731
    accounts = pd.DataFrame(
        {
            "account_id": acc_ids,
            "segment": pd.array(rng.choice(["SMB", "Mid-Market", "Enterprise"], n_acc, p=[0.6, 0.3, 0.1]), dtype=text),
            "status": pd.array(rng.choice(["Prospect", "Customer", "Churned"], n_acc, p=[0.5, 0.4, 0.1]), dtype=text),
            "owner": pd.array(rng.choice(owners, n_acc), dtype=text),
            "source": pd.array(rng.choice(sources, n_acc), dtype=text),
            "created_at": as_of - days(n_acc, 30, 1100),
            "updated_at": as_of - days(n_acc, 0, 30),
        }
    )
    contacts = pd.DataFrame(
        {
            "contact_id": pd.array([f"C{i:07d}" for i in range(n)], dtype=text),
            "account_id": pd.array(np.asarray(acc_ids)[rng.integers(0, n_acc, n)], dtype=text),
            "owner": pd.array(rng.choice(owners, n), dtype=text),
            "source": pd.array(rng.choice(sources, n), dtype=text),
            "created_at": as_of - days(n, 30, 1100),
            "updated_at": as_of - days(n, 0, 60),
        }
    )
    stage = rng.choice(
        ["Prospecting", "Qualification", "Proposal", "Negotiation", "Closed Won", "Closed Lost"],
        n,
        p=[0.09, 0.06, 0.06, 0.04, 0.24, 0.51],
    )
    created = as_of - days(n, 20, 1100)
    closed = np.isin(stage, ["Closed Won", "Closed Lost"])
    close_date = (created.normalize() + days(n, 20, 120)).where(closed)
    lost = stage == "Closed Lost"
    opportunities = pd.DataFrame(
        {
            "opportunity_id": pd.array([f"O{i:07d}" for i in range(n)], dtype=text),
            "account_id": pd.array(np.asarray(acc_ids)[rng.integers(0, n_acc, n)], dtype=text),
            "stage": pd.array(stage, dtype=text),
            "amount": np.round(rng.lognormal(10, 1, n), 2),
            "currency": pd.array(rng.choice(["PLN", "EUR", "USD", "GBP"], n, p=[0.5, 0.3, 0.1, 0.1]), dtype=text),
            "close_date": close_date.where(close_date <= as_of),
            "loss_reason": pd.array(np.where(lost, rng.choice(["Price", "Timing", "Competitor"], n), None), dtype=text),
            "competitor": pd.array(np.where(lost, rng.choice(["Salesforce", "HubSpot", "Zoho"], n), None), dtype=text),
            "owner": pd.array(rng.choice(owners, n), dtype=text),
            "source": pd.array(rng.choice(sources, n), dtype=text),
            "created_at": created,
            "updated_at": as_of - days(n, 0, 30),
        }
    )
    frames = {"accounts": accounts, "contacts": contacts, "opportunities": opportunities}
    bad_c = rng.choice(n, n // 50, replace=False)
    bad_o = rng.choice(n, n // 50, replace=False)
    findings = pd.concat(
        [
            pd.DataFrame(
                {
                    "entity": "contacts",
                    "record_id": contacts["contact_id"].to_numpy()[bad_c],
                    "field": "email",
                    "rule_id": "contacts.email.format",
                }
            ),
            pd.DataFrame(
                {
                    "entity": "opportunities",
                    "record_id": opportunities["opportunity_id"].to_numpy()[bad_o],
                    "field": rng.choice(["amount", "close_date", "stage"], len(bad_o)),
                    "rule_id": "opportunities.synthetic",
                }
            ),
        ],
        ignore_index=True,
    )
    dup = rng.choice(n_acc, (n_acc * 3 // 100) // 2 * 2, replace=False)
    clusters = pd.DataFrame(
        {
            "entity": "accounts",
            "record_id": np.asarray(acc_ids)[dup],
            "cluster_id": np.repeat(np.arange(len(dup) // 2), 2),
        }
    )
    return frames, findings, clusters


def timing(repeats: int = 3) -> str:
    frames, findings, clusters = big_frames()
    lines = [f"| run | median of {repeats} (s) | runs (s) |", "|---|---:|---|"]
    for label, kwargs in (
        ("values + confidence (all metrics)", {"breakdowns": False}),
        ("values + confidence + breakdowns", {"breakdowns": True}),
    ):
        runs = []
        for _ in range(repeats):
            started = time.perf_counter()
            evaluate_metrics(frames, findings, as_of="2026-10-31", clusters=clusters, **kwargs)
            runs.append(time.perf_counter() - started)
        lines.append(f"| {label} | {statistics.median(runs):.2f} | {', '.join(f'{r:.2f}' for r in runs)} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--rates", type=float, nargs="+", default=[0, 0.02, 0.05, 0.1, 0.2])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("build/bench_metrics"))
    parser.add_argument(
        "--settings", type=json.loads, default=None, help="metrics thresholds as JSON, e.g. '{\"shift_high\": 0.03}'"
    )
    parser.add_argument(
        "--own-clusters", action="store_true", help="the audit's own duplicate detection instead of the truth clusters"
    )
    parser.add_argument("--skip-calibration", action="store_true")
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--repeats", type=int, default=3, help="timing runs per variant (the median is reported)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.skip_calibration:
        cases = calibration(args.seeds, args.rates, args.rows, args.jobs, args.settings, args.own_clusters)
        cases.to_csv(args.out / "calibration_cases.csv", index=False)
        print(f"## Calibration ({args.seeds} seeds x defect rates {args.rates}, {args.rows} rows)\n")
        print(calibration_table(cases))
    if not args.skip_timing:
        print("\n## 1,000,000 contacts + 1,000,000 opportunities\n")
        print(timing(args.repeats))


if __name__ == "__main__":
    main()
