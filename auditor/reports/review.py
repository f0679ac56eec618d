"""The duplicate review page: review.html, one self-contained file opened from disk (no server).

Each review-band pair is shown side by side, field by field, with its evidence as a waterfall of
weights (the prior, then each comparison's bits, to the match weight and probability), as in
Splink's comparison viewer. A person labels it with the keyboard (m match, n not a match, s skip,
arrows or j/k to move); the labels stay in the browser's localStorage and "Export labels.csv"
downloads them for `crm-audit dedupe --labels labels.csv` (auditor.dedupe.labels reads them).

Two steps, so that the page can be rendered again from an output directory alone:
`review_data` gathers the pairs, the model's prior and the two records' values into review.json
(written beside pairs.csv by `crm-audit dedupe` and `audit`), and `render` turns that into HTML.
Every CRM value reaches the page through Jinja2's autoescaping; the one script and the one
stylesheet are allowed by their sha256 hashes in a strict Content-Security-Policy.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment
from markupsafe import Markup

from auditor.checks.engine import record_ids
from auditor.errors import InputError
from auditor.io import write_text
from auditor.model import ENTITIES
from auditor.reports.templating import page_environment

DATA_FILE = "review.json"
PAGE_FILE = "review.html"
REVIEW_LIMIT = 2000
"""Pairs shown on one page, strongest first; the rest are counted (and all are in pairs.csv)."""
SPOT_CHECKS = 50
"""Auto-merge pairs sampled into review.json, for `crm-audit review --spot-check N`."""
TEXT_CHARS = 200
"""Values longer than this are cut: a free-text field can hold megabytes."""
FORMAT_VERSION = 1


def _text(value: Any) -> str | None:
    """A record value as the page shows it (None when empty)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        text = value.date().isoformat() if value == value.normalize() else value.isoformat()
    elif isinstance(value, float | np.floating):
        text = f"{float(value):.10g}"
    else:
        text = str(value)
    text = text.strip()
    if not text:
        return None
    return text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 1] + "…"


def _records(table: Any, entity: str, wanted: set[str]) -> tuple[list[str], dict[str, dict[str, str | None]]]:
    """The columns and the values of the records of `table` whose ids are in `wanted`."""
    if table is None:
        return [], {}
    frame = table.frame.reset_index(drop=True)
    rows = table.row_numbers.reset_index(drop=True)
    if entity in ENTITIES:
        ids = record_ids(ENTITIES[entity], frame, rows).reset_index(drop=True).astype(str)
    else:
        ids = pd.Series([f"row:{r}" for r in rows], dtype=object)
    hit = ids.isin(wanted).to_numpy()
    columns = [str(c) for c in frame.columns]
    out: dict[str, dict[str, str | None]] = {}
    for rid, values in zip(ids[hit], frame.loc[hit].itertuples(index=False), strict=True):
        out.setdefault(rid, {c: _text(v) for c, v in zip(columns, values, strict=True)})
    return columns, out


def _level(evidence: str, name: str, levels: list[str]) -> str | None:
    """The level of comparison `name` named in a pair's evidence text ("email exact (+10.6), ...")."""
    if not levels:
        return None
    hit = _level_pattern(name, tuple(levels)).search(evidence)
    return hit.group(1) if hit else None


@cache
def _level_pattern(name: str, levels: tuple[str, ...]) -> re.Pattern[str]:
    """The pattern `_level` searches for, made once per comparison (not once per pair and comparison: 77,000
    escapes and patterns for the 2,000 pairs of a million contacts)."""
    alternatives = "|".join(re.escape(x) for x in sorted(levels, key=len, reverse=True))
    return re.compile(rf"(?:^|, ){re.escape(name)} ({alternatives}) \([+-]?\d")


def _bits(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 3)


def review_data(dup: Any, tables: Mapping[str, Any] | None = None, *, sides: Mapping[str, Any] | None = None) -> dict:
    """review.json's content: the review-band pairs of a DedupeResult (strongest first, at most
    REVIEW_LIMIT), each with its evidence per comparison and the two records' values.

    `tables`: entity -> Table holding the pairs' records (a Spark result brings them in
    `dup.member_rows`). `sides`: entity -> (table of id_a, table of id_b) for a linkage (`--against`)."""
    tables = dict(tables or {})
    pairs = dup.pairs
    review = pairs[pairs["band"] == "review"] if len(pairs) else pairs
    shown = review.head(REVIEW_LIMIT).assign(_spot=False)
    # a random sample of the auto-merge band, for spot checks of its precision (`render(spot_checks=N)`)
    auto = pairs[pairs["band"] == "auto_merge"] if len(pairs) else pairs
    if len(auto):
        sample = auto.sample(n=min(SPOT_CHECKS, len(auto)), random_state=0).sort_index()
        shown = pd.concat([shown, sample.assign(_spot=True)])
    settings = dup.settings
    entities: dict[str, Any] = {}
    out_pairs: list[dict[str, Any]] = []
    spots: list[dict[str, Any]] = []
    clusters = dup.clusters
    cluster_of: dict[tuple[str, str], str] = {}
    sizes: dict[tuple[str, str], int] = {}
    if len(clusters):
        # the clusters of the pairs shown, whole: a dict of every member took a second on a million contacts
        shown_ids = set(shown["id_a"].astype(str)) | set(shown["id_b"].astype(str)) if len(shown) else set()
        near = clusters[clusters["record_id"].astype(str).isin(shown_ids)]
        clusters = clusters[clusters["cluster_id"].isin(near["cluster_id"])]
        members = zip(near["entity"], near["record_id"].astype(str), strict=True)
        cluster_of = dict(zip(members, near["cluster_id"].astype(str), strict=True))
        sizes = clusters.groupby(["entity", "cluster_id"]).size().to_dict()
    for entity, rows in shown.groupby("entity", sort=False) if "entity" in shown.columns else ():
        stats = dup.stats.get(entity) or next(
            (s for k, s in dup.stats.items() if k.split("~")[0] == entity and "model" in s), {}
        )
        model = stats.get("model", {})
        comparisons = model.get("comparisons", {})
        names = [c for c in comparisons] or [
            c.removesuffix("_weight") for c in rows.columns if c.endswith("_weight") and c != "match_weight"
        ]
        prior = float(stats.get("prior", model.get("match_share", 0.5)) or 0.5)
        prior_bits = math.log2(prior / (1 - prior)) if 0 < prior < 1 else 0.0
        left, right = (sides or {}).get(entity, (None, None))
        left = left if left is not None else tables.get(entity, dup.member_rows.get(entity))
        right = right if right is not None else left
        ids_a = set(rows["id_a"].astype(str))
        ids_b = set(rows["id_b"].astype(str))
        cols_a, rec_a = _records(left, entity, ids_a if right is not left else ids_a | ids_b)
        cols_b, rec_b = (cols_a, rec_a) if right is left else _records(right, entity, ids_b)
        entities[entity] = {
            "match_share": prior,
            "prior_bits": round(prior_bits, 3),
            "comparisons": {c: list(comparisons.get(c, {}).get("levels", [])) for c in names},
            "columns": list(dict.fromkeys(cols_a + cols_b)),
        }
        for row in rows.to_dict("records"):
            evidence = str(row.get("evidence") or "")
            fields = []
            for name in names:
                bits = _bits(row.get(f"{name}_weight"))
                level = _level(evidence, name, entities[entity]["comparisons"][name]) if bits is not None else None
                fields.append({"name": name, "level": level or ("missing" if bits is None else ""), "bits": bits})
            a, b = str(row["id_a"]), str(row["id_b"])
            cluster = cluster_of.get((entity, a)) or cluster_of.get((entity, b))
            (spots if row["_spot"] else out_pairs).append(
                {
                    "entity": entity,
                    "id_a": a,
                    "id_b": b,
                    "match_probability": float(row["match_probability"]),
                    "match_weight": float(row["match_weight"]),
                    "band": str(row["band"]),
                    "cannot_link": str(row.get("cannot_link") or "") if not pd.isna(row.get("cannot_link")) else "",
                    "names_swapped": row.get("names_swapped") is True,
                    "evidence": evidence,
                    "fields": fields,
                    # the duplicate cluster the pair is part of, if any (its records may be merged together)
                    "cluster": cluster,
                    "cluster_size": int(sizes.get((entity, cluster), 0)) if cluster else 0,
                    "a": rec_a.get(a, {}),
                    "b": rec_b.get(b, {}),
                }
            )
    return {
        "version": FORMAT_VERSION,
        "thresholds": {"auto_merge": settings.auto_merge, "review": settings.review},
        "penalty": settings.penalty,
        "review_pairs": len(review),
        "shown": len(out_pairs),
        "entities": entities,
        "pairs": out_pairs,
        "spot_checks": spots,
    }


def write_review(data: dict, data_dir: str | Path, page_dir: str | Path | None = None) -> list[Path]:
    """review.json into `data_dir` and, when there is a pair to review, review.html into `page_dir`
    (default `data_dir`); both atomically. Returns the paths written."""
    data_path = Path(data_dir) / DATA_FILE
    write_text(data_path, json.dumps(data, ensure_ascii=False, indent=1))
    written = [data_path]
    if data["pairs"]:
        page = Path(page_dir if page_dir is not None else data_dir) / PAGE_FILE
        write_text(page, render(data))
        written.append(page)
    return written


def write_dedupe_review(
    dup: Any,
    out: str | Path,
    *,
    tables: Mapping[str, Any] | None = None,
    sides: Mapping[str, Any] | None = None,
    data_dir: str | Path | None = None,
) -> list[str]:
    """review.json (into `data_dir`, default `out`) and, when a pair is in the review band, review.html
    (into `out`) of a DedupeResult. Returns the paths written, relative to `out`."""
    out = Path(out)
    paths = write_review(review_data(dup, tables, sides=sides), data_dir if data_dir is not None else out, out)
    return [str(p.relative_to(out)) for p in paths]


def find_data(directory: str | Path) -> Path:
    """review.json of an output directory of `crm-audit dedupe` (DIR/review.json) or `audit`
    (DIR/duplicates/review.json); an InputError when neither is there."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError("not a directory; give the --out directory of crm-audit dedupe or audit", file=str(directory))
    for candidate in (directory / DATA_FILE, directory / "duplicates" / DATA_FILE):
        if candidate.is_file():
            return candidate
    raise InputError(
        f"no {DATA_FILE} here nor in duplicates/; run crm-audit dedupe or audit with --out {directory} first",
        file=str(directory),
    )


def review_directory(directory: str | Path, spot_checks: int = 0) -> tuple[Path, dict]:
    """Write DIR/review.html from the review.json of an output directory (with `spot_checks` sampled
    auto-merge pairs, see `render`). Returns (page, data)."""
    source = find_data(directory)
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(f"cannot read the review data: {error}", file=str(source)) from None
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION or "pairs" not in data:
        raise InputError(
            f"not review data of this version (version {FORMAT_VERSION}); run crm-audit dedupe again", file=str(source)
        )
    page = Path(directory) / PAGE_FILE
    write_text(page, render(data, spot_checks))
    return page, data


# --- rendering -------------------------------------------------------------------------------------

CHART_WIDTH = 420
"""Width of the waterfall's bars in px (the labels are beside them, in HTML)."""


def _waterfall(pair: dict, entity: dict, penalty: float) -> dict[str, Any]:
    """The waterfall's steps: prior, each comparison, the joint-field adjustment, a cannot-link penalty,
    then the total; each with its bits and its bar's x and width on a common scale."""
    steps = [{"label": "prior", "detail": f"match share {entity['match_share']:.3g}", "bits": entity["prior_bits"]}]
    for f in pair["fields"]:
        if f["bits"] is None:
            continue
        level = f["level"] if len(f["level"]) <= 32 else f["level"][:31] + "…"
        steps.append({"label": f["name"], "detail": level, "bits": f["bits"]})
    penalised = -penalty if pair["cannot_link"] else 0.0
    rest = pair["match_weight"] - sum(s["bits"] for s in steps) - penalised
    if abs(rest) >= 0.05:
        steps.append({"label": "one place or site counted once", "detail": "", "bits": rest})
    if pair["cannot_link"]:
        steps.append({"label": "cannot-link", "detail": pair["cannot_link"], "bits": penalised})
    running, spans = 0.0, []
    for s in steps:
        spans.append((running, running + s["bits"]))
        running += s["bits"]
    ends = [0.0] + [x for span in spans for x in span] + [pair["match_weight"]]
    low, high = min(ends), max(ends)
    scale = CHART_WIDTH / (high - low) if high > low else 1.0

    def x(v: float) -> float:
        return round((v - low) * scale, 1)

    for s, (start, end) in zip(steps, spans, strict=True):
        s["x"], s["width"] = x(min(start, end)), max(round(abs(end - start) * scale, 1), 1.0)
        s["kind"] = "prior" if s["label"] == "prior" else ("up" if s["bits"] >= 0 else "down")
        s["shown"] = f"{s['bits']:+.1f}"
    total = {
        "x": x(min(0.0, pair["match_weight"])),
        "width": max(round(abs(pair["match_weight"]) * scale, 1), 1.0),
        "bits": pair["match_weight"],
        "zero": x(0.0),
    }
    return {"steps": steps, "total": total, "width": CHART_WIDTH}


@cache
def _environment() -> Environment:
    return page_environment()


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _shown_level(field: dict | None, a: str | None, b: str | None) -> dict | None:
    """A compared field as its row shows it: a field without bits whose two values are there was not
    counted (e.g. a name-made e-mail local part at two domains says nothing beyond the names)."""
    if field is None or field["bits"] is not None or a is None or b is None:
        return field
    return {**field, "level": "not counted"}


def render(data: dict, spot_checks: int = 0) -> str:
    """review.html from review data (`review_data`); `spot_checks`: that many sampled auto-merge pairs
    after the review-band pairs, so that the labels measure the auto-merge band's precision too."""
    env = _environment()
    css = env.loader.get_source(env, "review.css")[0]
    script = env.loader.get_source(env, "review.js")[0]
    pairs = []
    chosen = data["pairs"] + data.get("spot_checks", [])[: max(spot_checks, 0)]
    for n, pair in enumerate(chosen, start=1):
        entity = data["entities"][pair["entity"]]
        compared = {f["name"]: f for f in pair["fields"]}
        # the compared fields first, in the model's order, then the others
        order = [c for c in compared if c in entity["columns"]] + [c for c in entity["columns"] if c not in compared]
        columns = [c for c in order if pair["a"].get(c) is not None or pair["b"].get(c) is not None]
        rows = [
            {
                "column": c,
                "a": pair["a"].get(c),
                "b": pair["b"].get(c),
                "same": pair["a"].get(c) == pair["b"].get(c),
                "field": _shown_level(compared.get(c), pair["a"].get(c), pair["b"].get(c)),
            }
            for c in columns
        ]
        pairs.append(
            {
                **pair,
                "n": n,
                "key": f"{pair['entity']}|{pair['id_a']}|{pair['id_b']}",
                # what keeps it out of the auto-merge band ("conflicting identity: review only"...)
                "why": "; ".join(pair["evidence"].split("; ")[1:]),
                "rows": rows,
                "waterfall": _waterfall(pair, entity, data.get("penalty", 0.0)),
            }
        )
    store = hashlib.sha256("\n".join(p["key"] for p in pairs).encode("utf-8")).hexdigest()[:16]
    # Our own script and stylesheet, not data: marked safe so that escaping does not change what the hashes cover.
    return env.get_template("review.html.j2").render(
        css=Markup(css),
        css_hash=_sha256(css),
        script=Markup(script),
        script_hash=_sha256(script),
        store=f"crm-audit-review-{store}",
        pairs=pairs,
        data=data,
        entities=sorted(data["entities"]),
        spots=len(chosen) - len(data["pairs"]),
    )
