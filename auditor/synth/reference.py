"""Reference evaluation of the cross-record rules of the core pack (unique, foreign_key,
staleness, outlier) on the final export text.

Whether a record breaks one of these depends on every other record, so the truth for them
is computed on the finished tables rather than recorded per injection: a collision makes
both records fail, a deleted activity can make a contact stale, a currency typo moves an
amount out of its outlier group. The semantics follow the rule kinds' documentation.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from auditor.model import ENTITIES
from auditor.synth.text import TEXT
from auditor.yamlfile import read_yaml

CORE_PACK = Path(__file__).resolve().parents[2] / "rules" / "core.yaml"
COMPUTED_KINDS = ("unique", "foreign_key", "staleness", "outlier")
NOT_GENERATED = ("orders",)
"""Model entities the generator does not make (order lines): no file, no defects, no truth."""
GENERATED = tuple(e for e in ENTITIES if e not in NOT_GENERATED)
"""The entities of a synthetic export, in model order."""


@cache
def core_rules() -> tuple[dict[str, Any], ...]:
    """The core pack's rules over the generated entities: the rules the truth files cover."""
    rules = read_yaml(CORE_PACK, "rule pack")[0]["rules"]
    return tuple(r for r in rules if r["entity"] in GENERATED)


def parse_datetime(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, format="ISO8601", errors="coerce")


def parse_number(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce")


def record_ids(frame: pd.DataFrame, pk: str) -> pd.Series:
    """The primary key, or `row:<line in the file>` for a record without one (the header is line 1)."""
    rows = "row:" + pd.Series(np.arange(len(frame)) + 2, index=frame.index).astype(TEXT)
    return frame[pk].where(~_blank(frame[pk]), rows)


def _blank(values: pd.Series) -> pd.Series:
    return values.isna() | values.astype(TEXT).str.strip().eq("")


def _when(frame: pd.DataFrame, when: dict[str, Any] | None) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for col, cond in (when or {}).items():
        if isinstance(cond, dict) and "not_in" in cond:
            mask &= ~frame[col].isin(cond["not_in"]).fillna(False)
        else:
            mask &= frame[col].isin(cond).fillna(False)
    return mask


def evaluate(frames: dict[str, pd.DataFrame], as_of: pd.Timestamp) -> pd.DataFrame:
    """Findings (entity, record_id, field, rule_id) of the computed kinds on text frames."""
    out: list[pd.DataFrame] = []
    for rule in core_rules():
        if rule["kind"] not in COMPUTED_KINDS:
            continue
        entity = rule["entity"]
        frame = frames[entity]
        pk = ENTITIES[entity].primary_key
        applies = _when(frame, rule.get("when"))
        for field in rule["fields"]:
            fail = _fails(rule, field, frame, frames, as_of) & applies
            if fail.any():
                out.append(
                    pd.DataFrame(
                        {
                            "entity": entity,
                            "record_id": record_ids(frame, pk)[fail].to_numpy(),
                            "field": field,
                            "rule_id": rule["id"],
                        }
                    )
                )
    cols = ["entity", "record_id", "field", "rule_id"]
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=cols)


def _fails(
    rule: dict[str, Any], field: str, frame: pd.DataFrame, frames: dict[str, pd.DataFrame], as_of: pd.Timestamp
) -> pd.Series:
    kind = rule["kind"]
    values = frame[field]
    present = ~_blank(values)
    if kind == "unique":
        key = values.astype(TEXT).str.strip()
        if rule.get("case_sensitive", True) is False:
            key = key.str.lower()
        return present & key.duplicated(keep=False) & present
    if kind == "foreign_key":
        target = ENTITIES[ENTITIES[rule["entity"]].field(field).references]  # type: ignore[index]
        keys = frames[target.name][target.primary_key]
        return present & ~values.isin(keys[~_blank(keys)])
    if kind == "staleness":
        pk = ENTITIES[rule["entity"]].primary_key
        act = frames["activities"]
        occurred = parse_datetime(act["occurred_at"])
        latest = occurred.groupby(act[rule["activity_key"]]).max()
        touch = pd.concat(
            [parse_datetime(frame["created_at"]), parse_datetime(frame["updated_at"]), frame[pk].map(latest)], axis=1
        ).max(axis=1)
        return (as_of - touch) > pd.Timedelta(days=rule["days"])
    if kind == "outlier":
        x = parse_number(values)
        group = frame[rule["group_by"]]
        fail = pd.Series(False, index=frame.index)
        ok = x > 0
        logx = np.log10(x.where(ok).astype("float64").clip(lower=1e-300))
        for _, idx in logx[ok].groupby(group[ok]).groups.items():
            g = logx.loc[idx]
            if len(g) < 20:
                continue
            med = g.median()
            mad = (g - med).abs().median()
            if mad == 0:
                continue
            z = 0.6745 * (g - med) / mad
            fail.loc[idx] = z.abs() > rule["threshold"]
        return fail
    raise ValueError(kind)


def robust_z(frame: pd.DataFrame, field: str, group_by: str) -> pd.Series:
    """|robust z| of log10(field) within its group (NaN where not evaluated); used to check that
    clean values stay far below the outlier threshold and injected ones far above it."""
    x = parse_number(frame[field])
    ok = x > 0
    logx = np.log10(x.where(ok).astype("float64").clip(lower=1e-300))
    z = pd.Series(np.nan, index=frame.index)
    for _, idx in logx[ok].groupby(frame[group_by][ok]).groups.items():
        g = logx.loc[idx]
        mad = (g - g.median()).abs().median()
        if len(g) >= 20 and mad > 0:
            z.loc[idx] = (0.6745 * (g - g.median()) / mad).abs()
    return z
