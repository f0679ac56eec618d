"""User adoption and data-entry quality the metric language cannot say (each reads every entity, or the audit's
findings as the pseudo-table `findings`): records per owner and per source, defective records per owner and per
source (who enters bad data, so the admin knows whom to train). Activities per owner is a definition in
`metrics/core.yaml`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from auditor.lookups import is_in
from auditor.metrics.common import Params, counts, kept, text
from auditor.metrics.language import PART_FROM_ROWS
from auditor.metrics.registry import Tables, metric
from auditor.model import ENTITIES, Role
from auditor.sources.table import record_ids as table_record_ids

RID = "_rid"
"""Column the evaluation adds to every frame: the record id the findings use (pk or row:N)."""

# Cost and order lines are ledger rows rather than records a user owns or imports; leaving them out
# also keeps these metrics evaluated on exports without them (an absent input entity stops a metric).
_LEDGERS = ("costs", "orders")
OWNED = tuple(n for n, e in ENTITIES.items() if e.has_field("owner") and n not in _LEDGERS)
SOURCED = tuple(n for n, e in ENTITIES.items() if e.fields_with_role(Role.SOURCE) and n not in _LEDGERS)


def record_ids(frame: pd.DataFrame, entity: str) -> pd.Series:
    """The ids the evaluation gave the frame, else the findings' naming with rows counted from line 2."""
    if RID in frame.columns:
        return frame[RID]
    return table_record_ids(ENTITIES[entity], frame, pd.Series(np.arange(len(frame)) + 2, index=frame.index))


def _stack(t: Tables, entities: tuple[str, ...], by: str, findings: bool, p: Params | None = None) -> pd.DataFrame:
    """(key, defective) for every record of `entities` that has a `by` value."""
    parts = []
    f = t.get("findings")
    for e in entities:
        frame = t.get(e)
        if frame is None or by not in frame.columns or not len(frame):
            continue
        part = pd.DataFrame({"key": text(frame[by])}, index=frame.index)
        if findings:
            part["bad"] = _defective(e, frame, f, p)
        parts.append(part)
    if not parts:
        return pd.DataFrame({"key": pd.Series([], dtype=object), "bad": pd.Series([], dtype=bool)})
    return pd.concat(parts, ignore_index=True).dropna(subset=["key"])


KEPT_DEFECTIVE = 64
"""the defective records of a table kept per run (`_defective`): per entity, for its table, the table with duplicates
merged and without a metric's failing records, under the audit's findings (the owners' and the sources' metrics read
the same tables)"""


def _defective(e: str, frame: pd.DataFrame, f: pd.DataFrame | None, p: Params | None) -> np.ndarray:
    """Whether each record of `frame` has a finding in `f`. Kept per run for the same table and findings objects when
    the table has fewer than PART_FROM_ROWS rows: the owners' and the sources' metrics, each computed on the tables
    and on the tables with duplicates merged, looked up the same records among the same findings 36 times on
    fixtures/acme, and a large table's flags are not worth holding it for."""

    def made() -> np.ndarray:
        bad = _ids_of(f, p).get(e, _NO_IDS) if f is not None and len(f) else _NO_IDS
        return is_in(text(record_ids(frame, e)), bad)

    if p is None or len(frame) >= PART_FROM_ROWS:
        return made()
    return kept(p, _defective, (frame, f), e, made, KEPT_DEFECTIVE)


_NO_IDS = pd.Series([], dtype=object)


def _ids_of(f: pd.DataFrame, p: Params | None) -> dict[str, pd.Series]:
    """The record ids of the findings of each entity: one pass over the findings, where each entity's ids were
    selected by a comparison of every finding's entity (kept per run for the same findings object)."""

    def made() -> dict[str, pd.Series]:
        return {str(e): ids for e, ids in f["record_id"].groupby(text(f["entity"]), sort=False)}

    return made() if p is None else kept(p, _ids_of, (f,), None, made)


@metric(
    "records_per_owner",
    "Records created per owner",
    "records",
    "distribution",
    {e: ["owner"] for e in OWNED},
    params=(),
)
def records_per_owner(t: Tables, p: Params) -> dict[str, int]:
    """Number of records (accounts, contacts, leads, deals, activities, tickets, surveys,
    subscriptions, campaigns) per owner; records without owner left out."""
    return counts(_stack(t, OWNED, "owner", False)["key"])


@metric(
    "records_per_source",
    "Records per source",
    "records",
    "distribution",
    {e: ["source"] for e in SOURCED},
    params=(),
)
def records_per_source(t: Tables, p: Params) -> dict[str, int]:
    """Number of records of every entity with a source, per source (import, web form...)."""
    return counts(_stack(t, SOURCED, "source", False)["key"])


def _defect_share(t: Tables, entities: tuple[str, ...], by: str, p: Params) -> dict[str, float]:
    s = _stack(t, entities, by, True, p)
    share = s.groupby("key")["bad"].mean()
    return {str(k): float(v) for k, v in share.sort_index().items()}


@metric(
    "defects_per_owner",
    "Defective records per owner",
    "share of records",
    "distribution",
    {**{e: ["owner"] for e in OWNED}, "findings": ["record_id"]},
    params=(),
    additive=False,
)
def defects_per_owner(t: Tables, p: Params) -> dict[str, float]:
    """Per owner: the share of the owner's records with at least one finding of the audit."""
    return _defect_share(t, OWNED, "owner", p)


@metric(
    "defects_per_source",
    "Defective records per source",
    "share of records",
    "distribution",
    {**{e: ["source"] for e in SOURCED}, "findings": ["record_id"]},
    params=(),
    additive=False,
)
def defects_per_source(t: Tables, p: Params) -> dict[str, float]:
    """Per source: the share of the source's records with at least one finding of the audit."""
    return _defect_share(t, SOURCED, "source", p)
