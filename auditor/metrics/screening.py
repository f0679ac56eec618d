"""Plausibility screening of every field a metric reads, rule or no rule.

A metric's flag may only rest on the rules that happen to look at its fields; an anomaly no rule
checks would leave it HIGH (tickets closed per day on tickets resolved before their first
response). So the metrics stage screens each field the chosen metrics read, whatever the packs say,
and a record that fails a screen counts as failing for every metric reading that field: in its
coverage, sensitivity, bound, reasons and worklist (rule id `plausibility.<screen>`). The screens
judge only what cannot be true of any CRM:

* `future`: a date or time of an event (its name says it happened: created, resolved, occurred...)
  after the as-of date (the end of its day); planned dates (end_date, close_date) may lie ahead;
* `too_early`: a date or time before 1970-01-01, earlier than any CRM record (birth dates are not
  screened);
* `order`: a date earlier than a date of an earlier step of the same record, or later than one of a
  later step, by what the column names say (`auditor.checks.kinds.timeline.step`: created < first
  response < resolved < closed; updated only follows created): a negative duration;
* `scale`: a score outside its scale (NPS 0-10, CSAT 1-5);
* `outlier`: an amount or a count more than 6 robust z-scores (median and MAD of log10, per currency
  for money) from the bulk of its column, in a group of at least 20 values; or 6 robust z-scores and
  100 times (or a hundredth of) the median of the records of its kind (each enum column of at most
  12 values: a cost among its category's; a lost decimal separator, not a big month).

They never change the metric's value: the records stay in it, and the confidence machinery says how
far they could move it. Screens find nothing in a clean export, so they never lower a flag there.

Below the screens' certainty lie the `suspects`: an amount or a count unusual for its column, more
robust z-scores above the bulk (log10, in the base currency; also among the records of its kind)
than a sample of the column's size would show by chance (at most a 5% chance that any of its values
gets there, `SUSPECT_ALPHA`), and five times every other value of its group (`SUSPECT_GAP`). A
suspect may be true (a record deal) or a typo (a campaign's revenue typed 1,000 times too large, 3
robust z from a column spread over two decades), so it fails no record by itself: a metric counts its
suspects as failing only when they move it beyond the HIGH threshold (`evaluate.py`), so that a sum,
mean or ratio that rests on a few implausible values is never HIGH.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from auditor.checks.kinds import outlier
from auditor.checks.kinds.timeline import name_words, step
from auditor.metrics.activity import RID
from auditor.metrics.common import CODE, id_codes, rows_coded, rows_holding
from auditor.model import ENTITIES, DType, Role
from auditor.money import Money

EARLIEST = pd.Timestamp("1970-01-01")
OUTLIER_Z = 6.0
MIN_COUNT = 20
MAX_KINDS = 12
KIND_DECADES = 2.0
"""an amount judged among its kind is screened only when it is also 100 times (or a hundredth of) its
kind's median: a lost decimal separator or extra zeros, not a big month of a tight category"""
SUSPECT_ALPHA = 0.05
"""the chance that a column whose values all come from its bulk (log-normal) has any suspect"""
SUSPECT_GAP = 5.0
"""a suspect is at least this many times every other value of its group (half a decade apart): a value
with extra zeros or a lost decimal separator lands far beyond the bulk, while the largest values of a
long tail follow one another closely (a campaign delivered to ten times the median, three times the
next one, is the top of its tail)"""
SUSPECT_RULE = "plausibility.influence"
COLUMNS = ["entity", "record_id", "field", "rule_id"]
PAST_EVENTS = frozenset(
    (
        "created",
        "opened",
        "submitted",
        "received",
        "ordered",
        "sent",
        "responded",
        "response",
        "replied",
        "acknowledged",
        "assigned",
        "resolved",
        "converted",
        "won",
        "delivered",
        "shipped",
        "paid",
        "completed",
        "fulfilled",
        "closed",
        "cancelled",
        "canceled",
        "occurred",
        "entered",
        "updated",
        "modified",
    )
)
"""name words of a date that records an event that happened: such a date is never after as_of"""
RECORD_KEEPING = 0.5
"""timeline's rank of updated/modified: it follows created, and nothing else"""


def screen(
    tables: Mapping[str, pd.DataFrame],
    reads: Mapping[str, Iterable[str]],
    as_of: pd.Timestamp,
    findings: pd.DataFrame | None = None,
    coded: Callable[[str], tuple[np.ndarray, pa.Array]] | None = None,
) -> pd.DataFrame:
    """A finding (entity, record_id, field, rule_id) per record and field that fails a screen, for the
    fields `reads` names per entity. `findings`: the rules' findings; a date a rule reports is not the
    other side of an `order` screen (the rule has judged the pair and said which date is wrong: a first
    response logged before the ticket was opened is the response's finding, not the opening's).
    `coded(entity)`: its table's record ids hashed (`common.id_codes`), when the caller has them; findings
    with their CODE (`common.code_findings`, from the same codes) find their rows without a lookup."""
    found = []
    end = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
    for entity, names in reads.items():
        frame = tables.get(entity)
        if entity not in ENTITIES or frame is None or not len(frame):
            continue
        reported = _reported(entity, frame, findings, coded)
        dates = _Dates(frame, end)  # each date column read as the order screen compares it, once per table
        for name in sorted(set(names)):
            if name not in frame.columns or not ENTITIES[entity].has_field(name):
                continue
            for screen_name, failing in _screens(entity, name, frame, dates, reported):
                if failing.any():
                    ids = frame.loc[failing.to_numpy(bool), RID]
                    found.append(
                        pd.DataFrame(
                            {"entity": entity, "record_id": ids.to_numpy(), "field": name, "rule_id": screen_name}
                        )
                    )
    return pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=COLUMNS)


def _reported(
    entity: str,
    frame: pd.DataFrame,
    findings: pd.DataFrame | None,
    coded: Callable[[str], tuple[np.ndarray, pa.Array]] | None,
) -> dict[str, np.ndarray]:
    """field -> the rows of `entity` a rule reports on that field."""
    if findings is None or not len(findings):
        return {}
    mine = findings[findings["entity"] == entity]
    if not len(mine):
        return {}
    codes, ids = coded(entity) if coded else id_codes(frame[RID])
    if CODE in mine.columns:
        return {str(name): rows_coded(codes, len(ids), found.to_numpy()) for name, found in mine.groupby("field")[CODE]}
    return {str(name): rows_holding(codes, ids, records) for name, records in mine.groupby("field")["record_id"]}


def _screens(
    entity: str, name: str, frame: pd.DataFrame, dates: _Dates, reported: Mapping[str, np.ndarray]
) -> Iterable[tuple[str, pd.Series]]:
    spec = ENTITIES[entity].field(name)
    values = frame[name]
    if spec.dtype in (DType.DATE, DType.DATETIME) and pd.api.types.is_datetime64_any_dtype(values.dtype):
        if "birth" in name:
            return
        if _records_an_event(name):
            yield "plausibility.future", values >= dates.end
        yield "plausibility.too_early", values < EARLIEST
        yield "plausibility.order", _out_of_order(entity, name, dates, reported)
    elif spec.role is Role.SCORE and spec.scale and pd.api.types.is_numeric_dtype(values.dtype):
        low, high = spec.scale
        yield "plausibility.scale", (values < low) | (values > high)
    elif spec.role in (Role.MONEY, Role.COUNT) and pd.api.types.is_numeric_dtype(values.dtype):
        currency = [spec.currency_field] if spec.currency_field and spec.currency_field in frame.columns else []
        decades = outlier.decades(values)
        failing = np.abs(robust_z_of(decades, group_codes(frame, currency))[0]) > OUTLIER_Z
        for kind in _kinds(entity, frame):
            z, median = robust_z_of(decades, group_codes(frame, [*currency, kind]))
            failing |= (np.abs(decades - median) >= KIND_DECADES) & (np.abs(z) > OUTLIER_Z)
        yield "plausibility.outlier", pd.Series(failing, index=frame.index)


def robust_z_of(decades: np.ndarray, groups: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(each value's robust z-score within its group, NaN where its group is not judged; each row's group median)
    of `decades` (`outlier.decades`), grouped by `groups` (`group_codes`): `outlier.robust_z(values, log=True,
    groups=groups, min_count=MIN_COUNT)` and the group medians of the same pass (`outlier.grouped_robust_z`)."""
    codes, distinct = pd.factorize(groups.to_numpy())
    return outlier.grouped_robust_z(decades, codes, len(distinct), MIN_COUNT)


def group_codes(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """One integer per distinct combination of the columns' values (a missing value is the empty one):
    the rows of a group share it. Integers, not the values joined as text: a million rows are grouped
    in a few milliseconds, and a robust z-score depends only on who shares a group."""
    combined = np.zeros(len(frame), dtype=np.int64)
    for column in columns:
        codes, uniques = pd.factorize(frame[column])
        # values are grouped by their text, as written: missing and "" are one group, and so are 1 and "1"
        texts = ["", *("" if pd.isna(u) else str(u) for u in uniques.tolist())]
        text_codes, distinct = pd.factorize(np.array(texts, dtype=object))
        combined = combined * len(distinct) + text_codes[codes + 1]
    return pd.Series(combined, index=frame.index)


def _kinds(entity: str, frame: pd.DataFrame) -> list[str]:
    """The entity's enum columns with at most MAX_KINDS values: an amount is also judged among the
    records of its kind (a cost among the costs of its category), whose amounts may span a narrower
    range than the whole column's (staff costs and loyalty costs differ tenfold, so a staff cost typed
    1,000 times too large is not far from the column's bulk, but is from its category's)."""
    return [f for f in sorted(kind_fields(entity)) if f in frame.columns and frame[f].nunique() <= MAX_KINDS]


def kind_fields(entity: str) -> set[str]:
    """The model's enum fields of `entity`, by which the `outlier` screen also groups an amount or a
    count (the Spark engine projects them with a metric that reads one)."""
    return {f.name for f in ENTITIES[entity].fields if f.role is Role.ENUM}


def screened_amounts(entity: str) -> set[str]:
    """The model's amount and count fields of `entity` (those the `outlier` screen judges)."""
    return {f.name for f in ENTITIES[entity].fields if f.role in (Role.MONEY, Role.COUNT)}


def suspects(tables: Mapping[str, pd.DataFrame], reads: Mapping[str, Iterable[str]], money: Money) -> pd.DataFrame:
    """A row (entity, record_id, field, rule_id `plausibility.influence`) per amount or count of the
    fields `reads` names that is unusual for its column or its kind (module docstring): a candidate,
    not a finding."""
    found = []
    for entity, names in reads.items():
        frame = tables.get(entity)
        if entity not in ENTITIES or frame is None or not len(frame):
            continue
        for name in sorted(set(names) & screened_amounts(entity)):
            if name not in frame.columns or not pd.api.types.is_numeric_dtype(frame[name].dtype):
                continue
            unusual = _unusual(entity, name, frame, money)
            if unusual.any():
                ids = frame.loc[unusual, RID].to_numpy()
                found.append(pd.DataFrame({"entity": entity, "record_id": ids, "field": name, "rule_id": SUSPECT_RULE}))
    return pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=COLUMNS)


def _unusual(entity: str, name: str, frame: pd.DataFrame, money: Money) -> np.ndarray:
    """Whether each value lies further above its column's bulk, or its kind's, than chance allows (z
    beyond the (1 - SUSPECT_ALPHA / m) normal quantile, m the values judged over all the groupings;
    Bonferroni: 40 campaigns need 3.0 robust z, a million deals 5.3) and SUSPECT_GAP times the other
    values of its group. Only above: a sum, a mean or a ratio rests on its large values, and a
    value typed too small cannot hold it."""
    spec = ENTITIES[entity].field(name)
    values = frame[name].astype("float64")
    if spec.currency_field and spec.currency_field in frame.columns:
        # in one currency, so that a column in two currencies is one bulk, not two
        values = money.to_base(values, frame[spec.currency_field])
    groupings = (group_codes(frame, []), *(group_codes(frame, [kind]) for kind in _kinds(entity, frame)))
    decades = outlier.decades(values)
    scores = [robust_z_of(decades, groups)[0] for groups in groupings]
    judged = sum(int((~np.isnan(z)).sum()) for z in scores)
    if not judged:
        return np.zeros(len(frame), dtype=bool)
    limit = NormalDist().inv_cdf(1 - SUSPECT_ALPHA / judged)
    out = np.zeros(len(frame), dtype=bool)
    for groups, z in zip(groupings, scores, strict=True):
        beyond = z > limit
        if not beyond.any():
            continue  # nothing stands beyond: nothing to compare with the rest of its group
        # the top of a continuous tail is no typo: a suspect stands apart from the rest of its group
        rest = values.where(~beyond).groupby(groups, sort=False).transform("max")
        out |= beyond & (values >= SUSPECT_GAP * rest).to_numpy(bool)
    return out


def _records_an_event(name: str) -> bool:
    """Whether the column's name says something happened (created, resolved_at, occurred_at), not a
    plan that may lie ahead (end_date, close_date of an open deal, renewal_date)."""
    return not PAST_EVENTS.isdisjoint(name_words(name))


def order_fields(entity: str) -> set[str]:
    """The model's date fields of `entity` whose names place them in a process (the `order` screen
    compares a field with these, whichever the metrics read; the Spark engine projects them too)."""
    return {
        f.name
        for f in ENTITIES[entity].fields
        if f.dtype in (DType.DATE, DType.DATETIME) and "birth" not in f.name and step(f.name) is not None
    }


def _out_of_order(entity: str, name: str, dates: _Dates, reported: Mapping[str, np.ndarray]) -> pd.Series:
    """The records whose `name` lies on the wrong side of another date field of an ordered step that no
    rule reports on that record. `dates`: the table's date columns as the screen reads them, shared by its columns
    (`_Dates`)."""
    frame = dates.frame
    failing = pd.Series(False, index=frame.index)
    columns = [
        c
        for c in sorted(order_fields(entity))
        if c in frame.columns and pd.api.types.is_datetime64_any_dtype(frame[c].dtype)
    ]
    ranks = {c: step(c) for c in columns}
    rank = ranks.get(name)
    if rank is None:
        return failing
    # as the timeline rule reads them: updated/modified only follows created; created is a process
    # step only when the table has no other start (a ticket's opened time starts its process)
    other_start = any(r == 0 and "created" not in c for c, r in ranks.items())
    for other in columns:
        other_rank = ranks[other] if other != name else None
        if other_rank is None or other_rank == rank:
            continue
        if RECORD_KEEPING in (rank, other_rank) and {rank, other_rank} != {0, RECORD_KEEPING}:
            continue
        if other_start and RECORD_KEEPING not in (rank, other_rank) and "created" in (name + other):
            continue
        # normalizing is per value, so a reported date left out of the normalized dates is as left out before
        read = "days" if dates.read(name, "time") != dates.read(other, "time") else "dates"
        mine_, theirs_ = dates.read(name, read), dates.read(other, read)
        if other in reported:
            theirs_ = theirs_.where(~reported[other])
        wrong = (mine_ < theirs_) if rank > other_rank else (mine_ > theirs_)
        failing |= wrong.fillna(False).astype(bool)
    return failing


class _Dates:
    """A table's date columns as the order screen reads them, each made once per screen run: a column is compared
    with every other date of its process, and each pair read both columns anew (36 readings of 8 columns on
    fixtures/acme, the has-time test a pass over each)."""

    def __init__(self, frame: pd.DataFrame, end: pd.Timestamp) -> None:
        self.frame, self.end = frame, end
        self._held: dict[tuple[str, str], Any] = {}

    def read(self, name: str, how: str) -> Any:
        """Column `name` read `how`: "dates", comparable (`_comparable`); "days", those normalized; "time", whether
        it holds times."""
        key = (name, how)
        if key not in self._held:
            if how == "dates":
                self._held[key] = _comparable(self.frame[name], self.end)
            elif how == "days":
                self._held[key] = self.read(name, "dates").dt.normalize()
            else:
                self._held[key] = _has_time(self.frame[name])
        return self._held[key]


def _comparable(values: pd.Series, end: pd.Timestamp) -> pd.Series:
    """A future date is `future`'s finding; the order it breaks follows from it."""
    return values.where(values < end)


def _has_time(values: pd.Series) -> bool:
    present = values.dropna()
    return bool(len(present)) and bool((present != present.dt.normalize()).any())


def reads_of(metrics: Iterable[object]) -> dict[str, set[str]]:
    """entity -> every field the metrics read."""
    out: dict[str, set[str]] = {}
    for m in metrics:
        for entity in getattr(m, "inputs", {}):
            out.setdefault(entity, set()).update(m.reads(entity))  # type: ignore[attr-defined]
    return out
