"""The real-world development sets of ../shared/datasets as exports a user would hand to `crm-audit dedupe`.

Each set is written once into a work folder as CSV files with the truth hidden (the answer columns
dropped, ids that leak the answer replaced by row numbers) and an audit config holding only a column
mapping: which file is which entity and which column is which field. Nothing in a config is tuned to
its set; the configs of one entity kind differ only in the column names of their files.

    prepare(name, work) -> Prepared(path, entity, against, config, truth)
    score_output(prepared, out_dir) -> {cluster_precision, cluster_recall, cluster_f1, pair_..., auto_merge_...}

Truth is a set of record-id pairs (sorted tuples of the ids written into the export).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
SETS = ("historical50k", "restaurants", "restaurants_link", "patstat", "febrl4_link")


@dataclass
class Prepared:
    name: str
    path: Path
    """the export to audit (a folder or one file)"""
    entity: str
    config: Path
    truth: set[tuple[str, str]]
    against: Path | None = None
    """linkage: the existing base the export is matched against"""
    frames: tuple[pd.DataFrame, ...] = ()
    """the written tables (for the peers), with the truth hidden"""
    id_column: str = "id"


def available() -> bool:
    return DATASETS.is_dir()


SHUFFLE_SEED = 20261204


def _shuffled(frame: pd.DataFrame, *truth: pd.Series) -> tuple[pd.DataFrame, ...]:
    """Rows in a random (seeded) order: the published files list a duplicate next to its original, and a
    matcher that breaks ties by row order would be helped by it."""
    order = np.random.default_rng(SHUFFLE_SEED).permutation(len(frame))
    return (frame.iloc[order].reset_index(drop=True), *(t.iloc[order].reset_index(drop=True) for t in truth))


def _pairs_of_groups(ids: pd.Series, groups: pd.Series) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for _, g in ids.groupby(groups.to_numpy()):
        out.update(tuple(sorted(p)) for p in itertools.combinations(g.astype(str), 2))
    return out


def _write(folder: Path, files: dict[str, pd.DataFrame], config: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in files.items():
        frame.to_csv(folder / name, index=False)
    path = folder / "crm-audit.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _historical(work: Path) -> Prepared:
    raw = pd.read_csv(DATASETS / "splink_historical_50k" / "historical_figures_with_errors_50k.csv.gz", dtype=str)
    (raw,) = _shuffled(raw)
    # unique_id is <cluster>-<n>: it would leak the answer
    frame = raw.drop(columns=["cluster", "unique_id"]).assign(person_id=[f"p{k}" for k in range(len(raw))])
    frame = frame[["person_id", *[c for c in frame.columns if c != "person_id"]]]
    truth = _pairs_of_groups(frame["person_id"], raw["cluster"])
    config = {
        "sources": {"files": {"people.csv": "contacts"}},
        "mapping": {
            "contacts": {
                "person_id": "contact_id",
                "first_name": "first_name",
                "surname": "last_name",
                "dob": "birth_date",
                "birth_place": "city",
                "postcode_fake": "postal_code",
                "full_name": None,
                "first_and_surname": None,
            }
        },
        "extra_fields": {
            "contacts": {
                "gender": {"role": "text", "compare": "exact"},
                "occupation": {"role": "text", "compare": "exact"},
            }
        },
    }
    folder = work / "historical50k"
    cfg = _write(folder, {"people.csv": frame}, config)
    return Prepared(
        "historical50k", folder / "people.csv", "contacts", cfg, truth, frames=(frame,), id_column="person_id"
    )


RESTAURANT_MAPPING = {
    "id": "account_id",
    "name": "name",
    "addr": "street",
    "city": "city",
    "phone": "phone",
    "type": "industry",
}


def _restaurants(work: Path) -> Prepared:
    raw = pd.read_csv(DATASETS / "restaurants_fodors_zagat" / "restaurant_dude.csv", dtype=str, skipinitialspace=True)
    klass = raw.pop("class").str.strip().str.strip("'")
    raw, klass = _shuffled(raw, klass)
    # the published ids number a duplicate right after its original: new ids in the shuffled order
    raw["id"] = [f"r{k}" for k in range(len(raw))]
    truth = _pairs_of_groups(raw["id"], klass)
    config = {"sources": {"files": {"restaurants.csv": "accounts"}}, "mapping": {"accounts": RESTAURANT_MAPPING}}
    folder = work / "restaurants"
    cfg = _write(folder, {"restaurants.csv": raw}, config)
    return Prepared("restaurants", folder / "restaurants.csv", "accounts", cfg, truth, frames=(raw,))


def _restaurants_link(work: Path) -> Prepared:
    base = DATASETS / "restaurants_fodors_zagat"
    fodors = pd.read_csv(base / "fodors.csv", dtype=str)
    zagat = pd.read_csv(base / "zagats.csv", dtype=str)
    matches = pd.read_csv(base / "matches_fodors_zagats.csv", dtype=str)
    # the published ids run in step (Zagat 219-330 match Fodor's 534-645): new ids in shuffled orders
    (fodors,) = _shuffled(fodors)
    (zagat,) = _shuffled(zagat)
    new_f = dict(zip(fodors["id"], [f"f{k}" for k in range(len(fodors))], strict=True))
    new_z = dict(zip(zagat["id"], [f"z{k}" for k in range(len(zagat))], strict=True))
    fodors["id"], zagat["id"] = fodors["id"].map(new_f), zagat["id"].map(new_z)
    truth = {
        tuple(sorted((new_f[f], new_z[z]))) for f, z in zip(matches["fodors_id"], matches["zagats_id"], strict=True)
    }
    config = {
        "sources": {"files": {"fodors.csv": "accounts", "zagats.csv": "accounts"}},
        "mapping": {"accounts": RESTAURANT_MAPPING},
    }
    folder = work / "restaurants_link"
    cfg = _write(folder, {"fodors.csv": fodors, "zagats.csv": zagat}, config)
    return Prepared(
        "restaurants_link",
        folder / "zagats.csv",
        "accounts",
        cfg,
        truth,
        against=folder / "fodors.csv",
        frames=(zagat, fodors),
    )


def _patstat(work: Path) -> Prepared:
    ref = pd.read_csv(DATASETS / "patstat_nl_companies" / "patstat_reference.csv", dtype=str)
    (ref,) = _shuffled(ref)
    ref["person_id"] = [f"a{k}" for k in range(len(ref))]  # the published ids follow the name order
    frame = ref[["person_id", "person_name"]]
    truth = _pairs_of_groups(frame["person_id"], ref["leuven_id"])
    config = {
        "sources": {"files": {"applicants.csv": "accounts"}},
        "mapping": {"accounts": {"person_id": "account_id", "person_name": "name"}},
    }
    folder = work / "patstat"
    cfg = _write(folder, {"applicants.csv": frame}, config)
    return Prepared(
        "patstat", folder / "applicants.csv", "accounts", cfg, truth, frames=(frame,), id_column="person_id"
    )


FEBRL_MAPPING = {
    "rec_id": "contact_id",
    "given_name": "first_name",
    "surname": "last_name",
    "address_1": "street",
    "suburb": "city",
    "postcode": "postal_code",
    "date_of_birth": "birth_date",
}
FEBRL_EXTRA = {
    "street_number": {"role": "text", "compare": "exact"},
    "address_2": {"role": "text", "compare": "text"},
    "state": {"role": "text", "compare": "exact"},
    "soc_sec_id": {"role": "text", "compare": "exact"},
}


def _febrl4_link(work: Path) -> Prepared:
    base = DATASETS / "febrl4_people"
    frames = []
    for name in ("dataset4a.csv", "dataset4b.csv"):
        (f,) = _shuffled(pd.read_csv(base / name, dtype=str, skipinitialspace=True))
        frames.append(f)
    keys = [f["rec_id"].str.extract(r"rec-(\d+)-")[0] for f in frames]
    # rec-<k>-org / rec-<k>-dup-0 leak the answer: new ids a<row> and b<row>
    for prefix, f in zip("ab", frames, strict=True):
        f["rec_id"] = [f"{prefix}{k}" for k in range(len(f))]
    pos_b = pd.Series(frames[1]["rec_id"].to_numpy(), index=keys[1].to_numpy())
    truth = {tuple(sorted((a, pos_b[k]))) for a, k in zip(frames[0]["rec_id"], keys[0], strict=True) if k in pos_b}
    config = {
        "sources": {"files": {"dataset4a.csv": "contacts", "dataset4b.csv": "contacts"}},
        "mapping": {"contacts": FEBRL_MAPPING},
        "extra_fields": {"contacts": FEBRL_EXTRA},
    }
    folder = work / "febrl4_link"
    cfg = _write(folder, {"dataset4a.csv": frames[0], "dataset4b.csv": frames[1]}, config)
    return Prepared(
        "febrl4_link",
        folder / "dataset4b.csv",
        "contacts",
        cfg,
        truth,
        against=folder / "dataset4a.csv",
        frames=(frames[1], frames[0]),
        id_column="rec_id",
    )


PREPARE: dict[str, Callable[[Path], Prepared]] = {
    "historical50k": _historical,
    "restaurants": _restaurants,
    "restaurants_link": _restaurants_link,
    "patstat": _patstat,
    "febrl4_link": _febrl4_link,
}


def prepare(name: str, work: Path) -> Prepared:
    return PREPARE[name](work)


def prf(pred: set, truth: set) -> tuple[float, float, float]:
    tp = len(pred & truth)
    p = tp / len(pred) if pred else 0.0
    r = tp / len(truth) if truth else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def sorted_pairs(a: Iterable, b: Iterable) -> set[tuple[str, str]]:
    return {tuple(sorted((str(x), str(y)))) for x, y in zip(a, b, strict=True)}


def cluster_pairs(clusters: pd.DataFrame) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for _, g in clusters.groupby("cluster_id"):
        out.update(tuple(sorted(p)) for p in itertools.combinations(g["record_id"].astype(str), 2))
    return out


def scores(prepared: Prepared, clustered: set, pairs: set, auto: set, compared: set | None = None) -> dict:
    """The figures of one run: cluster pairs (or, in linkage, the links), pairs at or above the review
    threshold, the auto-merge band's pairs on their own, and the share of true pairs compared."""
    truth = prepared.truth
    out: dict = {"true_pairs": len(truth)}
    for label, pred in (("cluster", clustered), ("pair", pairs)):
        p, r, f = prf(pred, truth)
        out |= {f"{label}_precision": p, f"{label}_recall": r, f"{label}_f1": f, f"{label}_predicted": len(pred)}
    out["auto_merge_pairs"] = len(auto)
    out["auto_merge_precision"] = len(auto & truth) / len(auto) if auto else None
    if compared is not None:
        out["blocking_recall"] = len(compared & truth) / len(truth) if truth else 0.0
    return out


def score_output(prepared: Prepared, out: Path) -> dict:
    """Scores of a `crm-audit dedupe` output folder."""
    read = lambda name: pd.read_csv(out / name, dtype=str, keep_default_na=False)  # noqa: E731
    pairs = read("pairs.csv")
    if prepared.against is not None:
        links = read("links.csv")
        clustered = sorted_pairs(links["record_id"], links["other_id"]) if len(links) else set()
        listed = pairs[pairs["band"] != "distinct"]
        auto_links = links[links["band"] == "auto_merge"] if len(links) else links
        auto = sorted_pairs(auto_links["record_id"], auto_links["other_id"]) if len(auto_links) else set()
    else:
        clusters = read("clusters.csv")
        clustered = cluster_pairs(clusters) if len(clusters) else set()
        listed = pairs[pairs["band"] != "distinct"]
        auto_pairs = pairs[pairs["band"] == "auto_merge"]
        auto = sorted_pairs(auto_pairs["id_a"], auto_pairs["id_b"])
    return scores(prepared, clustered, sorted_pairs(listed["id_a"], listed["id_b"]), auto)


def truth_frame(prepared: Prepared) -> pd.DataFrame:
    """The true pairs as a frame (id_a < id_b), for inspection."""
    a, b = zip(*sorted(prepared.truth), strict=True) if prepared.truth else ((), ())
    return pd.DataFrame({"id_a": np.array(a, dtype=object), "id_b": np.array(b, dtype=object)})
