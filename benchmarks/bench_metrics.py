"""Metrics benchmark: are the confidence flags honest, and how fast are the metrics at scale?

Calibration: synthetic exports (`auditor.synth.generate`) over many seeds and defect rates; each
is audited and its metrics computed (`auditor.pipeline.metrics`, duplicate clusters from the
export's truth/duplicates.csv, i.e. a perfect duplicate detector; the audit's own duplicate
detection is switched off to keep the run short), and each metric's value is compared with
truth/metrics.json (the value on the clean data). Targets: a metric within 2% (relative) of the
truth is flagged HIGH in at least 90% of cases; a metric off by more than 10% is never HIGH.
Three sources of metrics are scored: the Python built-ins, the bundled metric pack
(metrics/core.yaml) and user definitions (DEFINED below, as a config's metrics.define; their truth
is the same definition computed on the export's clean data, `auditor.synth.clean`).
`--anomaly-rates` also injects plausibility anomalies no rule reports (`auditor.synth.anomalies`:
impossible durations, future and too-early dates, amounts 1,000x too large).

Timing: `evaluate_metrics` on 1,000,000 contacts + 1,000,000 opportunities (+ 250,000 accounts)
built directly with numpy, with 2% of the records carrying findings and 3% in duplicate
clusters; median of 3 runs.

Usage:  .venv/bin/python benchmarks/bench_metrics.py [--seeds 20] [--rows 1000] [--jobs 2]
        [--rates 0 0.02 0.05 0.1 0.2] [--anomaly-rates 0] [--settings '{"shift_high": 0.03}'] [--own-clusters]
        [--metrics u_won_customers new_customers]
        [--skip-calibration] [--skip-timing]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd

# the auditor of this script's own tree: Python puts benchmarks/ first on the path, and the editable
# install would otherwise import the main checkout's, whichever tree (a worktree, a `git archive`) runs
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auditor.metrics import evaluate_metrics, registry
from auditor.metrics.confidence import Flag, MetricsSettings, distance

DEFINED = {
    "u_won_revenue": {"sum": "opportunities.amount", "filter": "stage == Closed Won"},
    "u_won_customers": {"count": "distinct opportunities.account_id where stage == Closed Won"},
    "u_top20_share": {"top_share": "opportunities.amount where stage == Closed Won", "per": "account_id"},
    "u_loss_share": {
        "share": "opportunities where stage == Closed Lost",
        "filter": "stage in [Closed Won, Closed Lost]",
    },
    "u_median_cycle_days": {
        "median": "days(opportunities.close_date - opportunities.created_at)",
        "filter": "stage == Closed Won",
    },
    "u_mean_resolution_hours": {"mean": "hours(tickets.resolved_at - tickets.opened_at)"},
    "u_promoter_share": {"share": "surveys where nps >= 9", "filter": "nps is not missing"},
    "u_costs_in_window": {"sum": "costs.amount", "window": "period"},
    "u_revenue_per_delivery": {"ratio": "sum(campaigns.attributed_revenue) / sum(campaigns.delivered)"},
    "u_cancelled_in_window": {"count": "subscriptions where cancelled_at in window"},
    "u_median_per_customer": {"median": "opportunities.amount where stage == Closed Won", "per": "account_id"},
    "u_revenue_to_costs": {"derived": "revenue / sum(costs.amount)", "window": "period"},
    "u_renewed_terms": {"count": "subscriptions where renewed == true and end_date - 1 year in window"},
}
"""user-defined metrics a config could hold (README "Defining your own metrics"), one per kind"""


def defined_truth(rows: int, seed: int, defined: dict) -> dict:
    """Each defined metric on the clean data the export was made from (the generator's first step)."""
    from auditor.metrics import Params, value_of
    from auditor.metrics.evaluate import prepare
    from auditor.synth import DEFAULT_AS_OF
    from auditor.synth.clean import generate_clean
    from auditor.synth.truth import synth_money

    clean = generate_clean(rows, seed, DEFAULT_AS_OF)
    money = synth_money()
    tables, _ = prepare(clean.frames, money=money)
    params = Params.make(pd.Timestamp(DEFAULT_AS_OF), money=money)
    return {mid: value_of(m.compute(tables, params)) for mid, m in defined.items()}


def one_case(args: tuple[int, float, int, dict | None, bool, float, tuple[str, ...]]) -> list[dict]:
    from auditor.metrics.language import compile_metrics
    from auditor.pipeline import metrics, resolve_config
    from auditor.synth import generate

    seed, rate, rows, settings, own_clusters, anomaly_rate, only = args
    defined = compile_metrics({k: v for k, v in DEFINED.items() if not only or k in only})
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "export"
        generate(rows, seed, out, defect_rate=rate, duplicate_rate=0.05, anomaly_rate=anomaly_rate)
        truth = json.loads((out / "truth" / "metrics.json").read_text())
        truth.update(defined_truth(rows, seed, defined))
        clusters = None
        config = resolve_config(out, None)
        config.defined_metrics = {**config.defined_metrics, **defined}
        if not own_clusters:
            clusters = pd.read_csv(out / "truth" / "duplicates.csv", dtype=str, keep_default_na=False)
            config.dedupe = None
        if settings:
            config.metrics = {**(config.metrics or {}), **settings}
        _, results = metrics(out, config, clusters=clusters, breakdowns=False, metric_ids=list(only) or None)
    cases = []
    known = registry()
    for r in results:
        builtin = known.get(r.id)
        key = (builtin.truth_key if builtin else None) or r.id
        if key not in truth or truth[key] is None:
            continue
        source = "defined" if r.id in defined else ("pack" if builtin and builtin.description else "built-in")
        cases.append(
            {
                "seed": seed,
                "rate": rate,
                "anomaly_rate": anomaly_rate,
                "source": source,
                "metric": r.id,
                "error": distance(r.value, truth[key]),
                # the signed error of a number (value - truth) / truth: which way an estimate of it points
                "signed_error": _signed(r.value, truth[key]),
                "value": r.value if isinstance(r.value, (int, float)) else None,
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


def _signed(value: object, reference: object) -> float | None:
    """(value - reference) / |reference| for two numbers; None for distributions, a missing value, a reference of 0."""
    if not isinstance(value, (int, float)) or not isinstance(reference, (int, float)) or not reference:
        return None
    return (float(value) - float(reference)) / abs(float(reference))


def calibration(
    seeds: int,
    rates: list[float],
    rows: int,
    jobs: int,
    settings: dict | None = None,
    own_clusters: bool = False,
    anomaly_rates: list[float] | None = None,
    only: tuple[str, ...] = (),
) -> pd.DataFrame:
    todo = [
        (seed, rate, rows, settings, own_clusters, anomaly, only)
        for anomaly in anomaly_rates or [0.0]
        for rate in rates
        for seed in range(1, seeds + 1)
    ]
    cases: list[dict] = []
    started = time.perf_counter()
    with ProcessPoolExecutor(jobs) as pool:
        for i, part in enumerate(pool.map(one_case, todo), 1):
            cases.extend(part)
            if i % 10 == 0:
                print(f"  {i}/{len(todo)} exports ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return pd.DataFrame(cases)


def scored(cases: pd.DataFrame) -> pd.DataFrame:
    """The cases with what the tables count: within 2% of the truth (`close`), more than 10% off (`far`), HIGH."""
    return cases.assign(close=cases["error"] <= 0.02, far=cases["error"] > 0.10, high=cases["flag"].eq("HIGH"))


def calibration_table(cases: pd.DataFrame) -> str:
    c = scored(cases)

    def row(name: str, g: pd.DataFrame) -> str:
        close, far, high = g[g["close"]], g[g["far"]], g[g["high"]]
        share = f"{close['high'].mean():.1%}" if len(close) else "-"
        worst = f"{high['error'].max():.1%}" if len(high) and high["error"].notna().any() else "-"
        meets = "" if len(close) < 20 else (" yes" if close["high"].mean() >= 0.9 else " **no**")
        return (
            f"| {name} | {len(g)} | {len(close)} | {share}{meets} | {len(far)} | {int(far['high'].sum())} |"
            f" {worst} | {(g['flag'] == 'HIGH').mean():.0%} |"
        )

    head = (
        "| {} | cases | within 2% | HIGH when within 2% (>= 90% with 20+ cases?) | off > 10% | HIGH when off > 10% |"
        " worst HIGH error | HIGH overall |"
    )
    rule = "|---|---:|---:|---:|---:|---:|---:|---:|"
    lines = [head.format("metric"), rule]
    for source in ("built-in", "pack", "defined"):
        part = c[c["source"] == source]
        lines += [row(f"{m} ({source})", g) for m, g in part.groupby("metric", sort=False)]
    lines += [row(f"**all {source}**", c[c["source"] == source]) for source in ("built-in", "pack", "defined")]
    lines.append(row("**all metrics**", c))
    by_rate = ["", head.format("defect rate, anomaly rate"), rule]
    by_rate += [row(f"{r:g}, {a:g}", g) for (r, a), g in c.groupby(["rate", "anomaly_rate"])]
    return "\n".join(lines + by_rate)


MOVE = re.compile(r"\(([+-]?\d+(?:\.\d+)?)%\)")
FURTHER = re.compile(r"could move it a further (\d+(?:\.\d+)?)%")
CHANGES = re.compile(r"changes (\d+(?:\.\d+)?)% of its distribution")
INTERVAL = re.compile(r"^\d+% interval (\S+) to (\S+) \(n = ")
ONLY = re.compile(r"^based on only ([\d,]+) records")
JUDGED = ", which is judged: left out, a record would take its part out of"


def evidence_terms(reasons: str) -> tuple[float, float] | None:
    """(s, u) of the sensitivity reason the audit writes (`evaluate`): s the largest move the failing records
    make (excluded, or their unknown cells taken from their kind; the latter alone where the reason says it is
    judged) relative to the value it moves to, u how far their unknown true values could move it further (one
    standard error; inf for a count of none that any of them may join). (0, 0) when every input record passes;
    None when no reason speaks of the failing records."""
    parts = str(reasons).split(" | ")
    said = next((p for p in parts if p.startswith("excluding them")), None)
    if said is None:
        return (0.0, 0.0) if any(p.startswith("all ") and "pass the rules" in p for p in parts) else None
    # a move is written relative to the value read ("from A to B (+p%)"); the flag and the truth judge it
    # relative to the cleaner value B: |p| / |1 + p|
    said_moves = MOVE.findall(said)
    if JUDGED in said:  # a mean or median of groups' totals judges the fill's move alone, its last
        said_moves = said_moves[-1:]
    moves = [abs(p) / abs(1 + p) if p != -1 else math.inf for p in (float(x) / 100 for x in said_moves)]
    # a distribution's change is a distance from the cleaner distribution already
    moves += [float(x) / 100 for x in CHANGES.findall(said)]
    further = FURTHER.search(said)
    unbounded = "any of the" in said and "may count" in said
    return max(moves, default=0.0), math.inf if unbounded else float(further.group(1)) / 100 if further else 0.0


def evidence(reasons: str) -> float | None:
    """P(the value is within 2% of its clean value) as the flag's own evidence puts it: the error taken as normal,
    centred on s with standard deviation u (`evidence_terms`), so a case is judged on exactly what a reader is
    told. None when the reasons do not speak of the failing records."""
    terms = evidence_terms(reasons)
    if terms is None:
        return None
    s, u = terms
    if u == 0:
        return float(s <= 0.02)
    normal = NormalDist()
    return normal.cdf((0.02 - s) / u) - normal.cdf((-0.02 - s) / u)


def evidence_table(cases: pd.DataFrame) -> str:
    """Per metric with 20+ cases within 2% below the 90% line: what the flag's evidence expected (the mean of
    `evidence` over the cases it speaks of) against how often the value was within 2%, and how many of the
    within-2% cases that are not HIGH had evidence below one half (HIGH for them would promise more than the
    evidence holds)."""
    c = scored(cases).assign(p=cases["reasons"].map(evidence))
    lines = [
        "| metric | HIGH when within 2% | evidence: expected within 2% | observed within 2% | misses | misses with"
        " evidence < 0.5 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, g in c.groupby("metric", sort=True):
        close = g[g["close"]]
        if len(close) < 20 or close["high"].mean() >= 0.9:
            continue
        spoken = g[g["p"].notna()]
        misses = close[~close["high"]]
        expected = f"{spoken['p'].mean():.1%}" if len(spoken) else "-"
        observed = f"{spoken['close'].mean():.1%}" if len(spoken) else "-"
        lines.append(
            f"| {name} | {close['high'].mean():.1%} of {len(close)} | {expected} | {observed} | {len(misses)} |"
            f" {int((misses['p'] < 0.5).sum())} |"
        )
    return "\n".join(lines)


def _number(shown: str) -> float:
    """A number as `evaluate._fmt` writes it: 1,234 / 4.7% (a share, 0.047) / 2.47."""
    return float(shown.rstrip("%").replace(",", "")) / (100 if shown.endswith("%") else 1)


def held_by(case: pd.Series, settings: MetricsSettings | None = None) -> list[str]:
    """The signals that keep a case below HIGH, read off its reasons and numbers as the flag judged them
    (`MetricsSettings`): sensitivity (s, u and the bound, `evidence_terms`), coverage (a coverage reason the bound
    did not clear), sample size, interval, freshness, duplicates, suspects, a currency without a rate. Read from
    rounded percentages, so a shift written as 2.0% may be either side of the line."""
    settings = settings or MetricsSettings()
    held: list[str] = []
    terms = evidence_terms(case["reasons"])
    bound = None if pd.isna(case["bound"]) else float(case["bound"])
    for said in str(case["reasons"]).split(" | "):
        cleared = "whatever their true values, they move it at most" in said
        if said.startswith("excluding them"):
            s, u = terms or (0.0, 0.0)
            if settings.sensitivity_flag(s, u, bound, imputed=said.startswith("excluding them (")) < Flag.HIGH:
                held.append("sensitivity")
        elif not cleared and (
            "against a count of" in said or (" fail rules on " in said and case["coverage"] < settings.coverage_high)
        ):
            held.append("coverage")
        elif (only := ONLY.match(said)) and int(only.group(1).replace(",", "")) < settings.sample_high:
            held.append("sample size")
        elif (ci := INTERVAL.match(said)) and case.get("value"):
            half = (_number(ci.group(2)) - _number(ci.group(1))) / 2
            if settings.interval_flag(half / abs(float(case["value"]))) < Flag.HIGH:
                held.append("interval")
        elif said.startswith("stale:"):
            held.append("freshness")
        elif said.startswith("merging") and case["duplicates"] > settings.shift_high:
            held.append("duplicates")
        elif "far from the bulk of their column" in said:
            held.append("suspects")
        elif "without a rate to" in said:
            held.append("currency rate")
    return list(dict.fromkeys(held))


HELD = ("sensitivity", "coverage", "sample size", "interval", "freshness", "duplicates")


def held_table(cases: pd.DataFrame) -> str:
    """Per metric with 20+ cases within 2% below the 90% line: its misses (within 2%, not HIGH) by the signals that
    kept each below HIGH (`held_by`; a miss held by two signals counts under both), how many the sensitivity held
    alone, and how many had evidence below one half."""
    c = scored(cases).assign(p=cases["reasons"].map(evidence))
    lines = [
        f"| metric | HIGH when within 2% | misses | {' | '.join(HELD)} | other | sensitivity alone | evidence < 0.5 |",
        "|---|---:|---:|" + "---:|" * (len(HELD) + 3),
    ]
    for name, g in c.groupby("metric", sort=True):
        close = g[g["close"]]
        if len(close) < 20 or close["high"].mean() >= 0.9:
            continue
        misses = close[~close["high"]]
        held = [held_by(case) for _, case in misses.iterrows()]
        counts = [sum(signal in h for h in held) for signal in HELD]
        other = sum(1 for h in held if not set(h) & set(HELD))
        alone = sum(1 for h in held if h == ["sensitivity"])
        lines.append(
            f"| {name} | {int(close['high'].sum())} / {len(close)} | {len(misses)} | "
            + " | ".join(map(str, counts))
            + f" | {other} | {alone} | {int((misses['p'] < 0.5).sum())} |"
        )
    return "\n".join(lines)


def reliability_table(cases: pd.DataFrame) -> str:
    """Is the evidence itself honest? The cases with failing records whose reasons speak of them (evidence strictly
    between 0 and 1), in bins of `evidence`: the mean evidence against the share within 2%, and the share HIGH.
    A calibrated evidence has the two close in every bin; an honest flag is HIGH where the evidence is above one
    half ("probably within 2%") and not below it."""
    c = scored(cases).assign(p=cases["reasons"].map(evidence))
    c = c[c["p"].gt(0) & c["p"].lt(1)]
    lines = ["| evidence | cases | mean evidence | within 2% | HIGH |", "|---|---:|---:|---:|---:|"]
    for lo, hi in ((0, 0.1), (0.1, 0.3), (0.3, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1)):
        g = c[c["p"].gt(lo) & c["p"].le(hi)]
        if len(g):
            lines.append(
                f"| {lo:g}-{hi:g} | {len(g)} | {g['p'].mean():.1%} | {g['close'].mean():.1%} | {g['high'].mean():.1%} |"
            )
    return "\n".join(lines)


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


def export_timing(path: Path, repeats: int = 3) -> str:
    """The metrics stage on a generator export (`crm-audit synth`): audited once (load and rules; the
    audit's duplicate detection off, the export's truth clusters instead), then every metric with its
    confidence computed `repeats` times (`pipeline.compute_metrics`, as `crm-audit metrics` does after
    the audit); the baseline in the same run is reading the export's CSV files with plain
    `pandas.read_csv(dtype=str)`."""
    from auditor import check
    from auditor.pipeline import compute_metrics, resolve_config

    config = resolve_config(path, None)
    config.dedupe = None
    clusters = pd.read_csv(path / "truth" / "duplicates.csv", dtype=str, keep_default_na=False)
    files = sorted(path.glob("*.csv"))
    reads = []
    for _ in range(repeats):
        started = time.perf_counter()
        rows = sum(len(pd.read_csv(f, dtype=str)) for f in files)
        reads.append(time.perf_counter() - started)
    started = time.perf_counter()
    result = check(path, config)
    audit_s = time.perf_counter() - started
    sizes = ", ".join(f"{len(t.frame):,} {name}" for name, t in result.data.items())
    read = statistics.median(reads)
    lines = [
        f"export: {path} ({rows:,} rows in {len(files)} files: {sizes}); {len(result.findings):,} findings;"
        f" audit (load + rules) {audit_s:.1f} s, once",
        "",
        f"| run | median of {repeats} (s) | runs (s) | ratio to read_csv |",
        "|---|---:|---|---:|",
        f"| pandas.read_csv(dtype=str) of every file | {read:.2f} | {', '.join(f'{r:.2f}' for r in reads)} | 1.0 |",
    ]
    for label, breakdowns in (("every metric, values + confidence", False), ("+ breakdowns", True)):
        runs = []
        for _ in range(repeats):
            started = time.perf_counter()
            got = compute_metrics(result, config, clusters=clusters, breakdowns=breakdowns)
            runs.append(time.perf_counter() - started)
        median = statistics.median(runs)
        lines.append(
            f"| {label} ({len(got)} metrics) | {median:.2f} | {', '.join(f'{r:.2f}' for r in runs)} |"
            f" {median / read:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--rates", type=float, nargs="+", default=[0, 0.02, 0.05, 0.1, 0.2])
    parser.add_argument(
        "--anomaly-rates", type=float, nargs="+", default=[0.0], help="plausibility anomalies (auditor.synth.anomalies)"
    )
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--metrics", nargs="+", default=[], help="only these metric ids (default: every metric)")
    parser.add_argument("--out", type=Path, default=Path("build/bench_metrics"))
    parser.add_argument(
        "--settings", type=json.loads, default=None, help="metrics thresholds as JSON, e.g. '{\"shift_high\": 0.03}'"
    )
    parser.add_argument(
        "--own-clusters", action="store_true", help="the audit's own duplicate detection instead of the truth clusters"
    )
    parser.add_argument("--skip-calibration", action="store_true")
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument(
        "--export", type=Path, default=None, help="time the metrics stage on this generator export instead"
    )
    parser.add_argument("--repeats", type=int, default=3, help="timing runs per variant (the median is reported)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.skip_calibration:
        cases = calibration(
            args.seeds,
            args.rates,
            args.rows,
            args.jobs,
            args.settings,
            args.own_clusters,
            args.anomaly_rates,
            tuple(args.metrics),
        )
        cases.to_csv(args.out / "calibration_cases.csv", index=False)
        print(
            f"## Calibration ({args.seeds} seeds x defect rates {args.rates} x anomaly rates {args.anomaly_rates},"
            f" {args.rows} rows)\n"
        )
        print(calibration_table(cases))
        print("\n### The flag's evidence against what happened (metrics below the line)\n")
        print(evidence_table(cases))
        print("\n### What keeps the misses below HIGH (metrics below the line)\n")
        print(held_table(cases))
        print("\n### Is the evidence itself honest? (cases with failing records, by evidence)\n")
        print(reliability_table(cases))
    if not args.skip_timing and args.export is not None:
        print(f"\n## The metrics stage on {args.export}\n")
        print(export_timing(args.export, args.repeats))
    elif not args.skip_timing:
        print("\n## 1,000,000 contacts + 1,000,000 opportunities\n")
        print(timing(args.repeats))


if __name__ == "__main__":
    main()
