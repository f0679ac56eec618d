"""`crm-audit synth`: a realistic synthetic CRM export with injected, known defects and
duplicates, and its ground truth (truth/defects.csv, truth/duplicates.csv, truth/metrics.json).

    from auditor.synth import generate
    summary = generate(rows=2000, seed=7, out="fixtures/acme")
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from auditor.model import ENTITIES
from auditor.synth.anomalies import inject_anomalies
from auditor.synth.clean import generate_clean
from auditor.synth.defects import Injector, inject
from auditor.synth.duplicates import make_duplicates
from auditor.synth.output import atomic_dir, to_text, write_csv
from auditor.synth.reference import GENERATED, evaluate, record_ids
from auditor.synth.text import TEXT
from auditor.synth.truth import as_json_ready, compute, config_text

__all__ = ["SynthSummary", "generate"]

DEFAULT_AS_OF = date(2026, 10, 31)
ProgressFn = Callable[[str, int, int], None]


@dataclass
class SynthSummary:
    out: Path
    rows: int
    seed: int
    as_of: date
    counts: dict[str, int] = field(default_factory=dict)
    """Records per entity in the export (duplicate copies included)."""
    defects: dict[str, int] = field(default_factory=dict)
    """truth/defects.csv rows per rule id."""
    duplicates: dict[str, int] = field(default_factory=dict)
    """Duplicate copies per corruption type (a copy with two corruptions counts for both)."""
    clusters: int = 0
    non_duplicates: int = 0
    paths: dict[str, Path] = field(default_factory=dict)


def generate(
    rows: int,
    seed: int,
    out: str | Path,
    *,
    as_of: date = DEFAULT_AS_OF,
    defect_rate: float = 0.04,
    duplicate_rate: float = 0.05,
    anomaly_rate: float = 0.0,
    progress: ProgressFn | None = None,
) -> SynthSummary:
    """Generate the export into `out` (replaced atomically) and return what it contains.
    `anomaly_rate` > 0 adds plausibility anomalies no rule reports (`auditor.synth.anomalies`),
    listed in truth/anomalies.csv."""
    if rows < 50:
        raise ValueError("rows must be at least 50")
    if not 0 <= defect_rate < 0.5 or not 0 <= duplicate_rate < 0.5 or not 0 <= anomaly_rate < 0.5:
        raise ValueError("defect_rate, duplicate_rate and anomaly_rate must be in [0, 0.5)")
    steps = 7

    def step(name: str, i: int) -> None:
        if progress:
            progress(name, i, steps)

    out = Path(out)
    stamp = pd.Timestamp(as_of)
    step("clean data", 1)
    clean = generate_clean(rows, seed, as_of)
    step("metrics", 2)
    metrics = as_json_ready(compute(clean.frames, stamp))
    step("defects", 3)
    text = {name: to_text(name, clean.frames[name]) for name in GENERATED}
    inj = Injector(text, clean.frames, clean.reserved, np.random.default_rng([seed, 1]), stamp, defect_rate)
    inject(inj)
    frames = _apply(inj)
    anomalies = inject_anomalies(frames, inj.used, np.random.default_rng([seed, 3]), anomaly_rate)
    rids = {e: record_ids(frames[e], ENTITIES[e].primary_key).to_numpy() for e in GENERATED}
    injected = [(e, rids[e][p], f, r, i) for e, p, f, r, i in inj.truth.rows]
    labels = {(e, rids[e][p]): i for (e, p), i in inj.labels.items()}
    frames["activities"] = frames["activities"].drop(index=sorted(inj.drop["activities"])).reset_index(drop=True)
    step("duplicates", 4)
    used = {e: set(u) for e, u in inj.used.items()}
    dups = make_duplicates(frames, used, np.random.default_rng([seed, 2]), duplicate_rate, stamp)
    for e, copies in dups.copies.items():
        frames[e] = pd.concat([frames[e], copies], ignore_index=True)
    step("truth", 5)
    computed = evaluate(frames, stamp)
    in_cluster = {(e, rid) for e, rid, _, _ in dups.clusters}
    computed_rows = [
        (e, rid, f, r, labels.get((e, rid)) or ("duplicate" if (e, rid) in in_cluster else "cascade"))
        for e, rid, f, r in computed.itertuples(index=False)
    ]
    truth = pd.DataFrame(
        injected + dups.defects + computed_rows, columns=["entity", "record_id", "field", "rule_id", "injection"]
    )
    order = {e: i for i, e in enumerate(GENERATED)}
    truth = truth.sort_values(
        ["entity", "record_id", "field", "rule_id"],
        key=lambda s: s.map(order) if s.name == "entity" else s,
        kind="stable",
    ).reset_index(drop=True)
    clusters = pd.DataFrame(dups.clusters, columns=["entity", "record_id", "cluster_id", "corruption"])
    anomaly_truth = pd.DataFrame(
        [(e, rids[e][p], f, screen, kind) for e, p, f, screen, kind in anomalies],
        columns=["entity", "record_id", "field", "screen", "injection"],
    )

    summary = SynthSummary(out=out, rows=rows, seed=seed, as_of=as_of)
    summary.counts = {e: len(frames[e]) for e in GENERATED}
    summary.defects = dict(sorted(Counter(truth["rule_id"]).items()))
    summary.duplicates = dict(sorted(Counter(c for cs in clusters["corruption"] if cs for c in cs.split(";")).items()))
    summary.clusters = clusters["cluster_id"].nunique()
    summary.non_duplicates = clean.non_duplicates
    step("write", 6)
    with atomic_dir(out) as tmp:
        for e in GENERATED:
            write_csv(frames[e], tmp / f"{e}.csv")
        (tmp / "truth").mkdir()
        write_csv(truth, tmp / "truth" / "defects.csv")
        write_csv(clusters, tmp / "truth" / "duplicates.csv")
        if anomaly_rate > 0:
            write_csv(anomaly_truth, tmp / "truth" / "anomalies.csv")
        (tmp / "truth" / "metrics.json").write_text(
            json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (tmp / "crm-audit.yaml").write_text(config_text(as_of), encoding="utf-8")
        (tmp / "README.md").write_text(_readme(summary, defect_rate, duplicate_rate), encoding="utf-8")
    summary.paths = {e: out / f"{e}.csv" for e in GENERATED} | {
        "defects": out / "truth" / "defects.csv",
        "duplicates": out / "truth" / "duplicates.csv",
        "metrics": out / "truth" / "metrics.json",
        "config": out / "crm-audit.yaml",
        "readme": out / "README.md",
    }
    step("done", 7)
    return summary


def _apply(inj: Injector) -> dict[str, pd.DataFrame]:
    """The text frames with every recorded edit applied (one assignment per column)."""
    frames = {e: f.copy() for e, f in inj.text.items()}
    for (entity, col), edits in inj.edits.items():
        s = frames[entity][col].copy()
        pos = np.fromiter(edits, dtype=int)
        s.iloc[pos] = pd.Series(list(edits.values()), dtype=TEXT).to_numpy()
        frames[entity][col] = s
    return frames


def _readme(s: SynthSummary, defect_rate: float, duplicate_rate: float) -> str:
    lines = [
        "# Synthetic CRM export (crm-audit synth)",
        "",
        "A realistic CRM export (Polish and international companies, people, deals, activities, support",
        "tickets, surveys, subscriptions, campaigns and costs) with injected, known defects and duplicates.",
        "It is generated; every name, number and address is made up.",
        "",
        "Generated with:",
        "",
        "```",
        f"crm-audit synth --rows {s.rows} --seed {s.seed} --out {s.out.name} --as-of {s.as_of.isoformat()} "
        f"--defect-rate {defect_rate} --duplicate-rate {duplicate_rate}",
        "```",
        "",
        "- `<entity>.csv`: one file per entity, canonical column names, UTF-8, dates `YYYY-MM-DD`,",
        "  datetimes `YYYY-MM-DDTHH:MM:SS`, empty cell = missing.",
        "- `crm-audit.yaml`: the audit config (as_of, default phone region, the rates the data was made with).",
        "- `truth/defects.csv`: every finding the core rule pack must report (entity, record_id, field, rule_id,",
        "  injection). A record without a primary key is named `row:<line in the file>`.",
        "- `truth/duplicates.csv`: duplicate clusters (the original has an empty corruption).",
        "- `truth/metrics.json`: metric values on the clean data, before any defect or duplicate (PLN).",
        "",
        "## Records per entity",
        "",
        "| entity | records |",
        "|---|---:|",
        *[f"| {e} | {n:,} |" for e, n in s.counts.items()],
        "",
        "## Defects per rule id",
        "",
        "| rule id | findings |",
        "|---|---:|",
        *[f"| {r} | {n:,} |" for r, n in s.defects.items()],
        "",
        f"## Duplicates ({s.clusters:,} clusters)",
        "",
        "| corruption | copies |",
        "|---|---:|",
        *[f"| {c} | {n:,} |" for c, n in s.duplicates.items()],
        "",
        f"Hard non-duplicates (same common name at another company, relatives sharing a home phone): "
        f"{s.non_duplicates} contacts, not listed in duplicates.csv.",
        "",
    ]
    return "\n".join(lines)
