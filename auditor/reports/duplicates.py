"""The outputs of duplicate detection: its CSV files and the lines a person reads after a run."""

from __future__ import annotations

from pathlib import Path

from auditor.dedupe import DedupeResult
from auditor.dedupe.labels import summary_lines as label_lines
from auditor.io import write_csv


def write_outputs(result: DedupeResult, out: str | Path, *, include_findings: bool = True) -> list[str]:
    """pairs.csv, clusters.csv, merge_plan.csv, findings.csv (and links.csv when there are links),
    each written atomically with formula cells neutralised (auditor.io.write_csv). Returns the
    file names written. `include_findings=False` when the findings go to a findings.csv of their
    own (the full audit's)."""
    out = Path(out)
    frames = {"pairs.csv": result.pairs, "clusters.csv": result.clusters, "merge_plan.csv": result.merge_plan}
    if include_findings:
        frames["findings.csv"] = result.findings()
    if len(result.links) or not len(result.clusters):
        frames["links.csv"] = result.links
    for name, frame in frames.items():
        write_csv(frame, out / name)
    return list(frames)


def summary_lines(result: DedupeResult) -> list[str]:
    """What a person reads after a run: per entity, pairs compared, clusters and bands."""
    lines = []
    for name, s in result.stats.items():
        line = (
            f"{name}: {s['records']:,} records, {s['candidate_pairs']:,} pairs compared "
            f"(reduction ratio {s['reduction_ratio']:.4%})"
        )
        if "clusters" in s:
            line += f", {s['clusters']:,} duplicate clusters holding {s['duplicates']:,} duplicate records"
        if "linked" in s:
            line += f", {s['linked']:,} records match an existing one"
        lines.append(line)
        lines.extend(f"  warning: {w}" for w in s.get("warnings", []))
        if "labels" in s:
            lines.extend(label_lines(name, s["labels"]))
    lines.append(f"auto-merge band: {result.auto_merge_count:,} duplicate records")
    return lines
