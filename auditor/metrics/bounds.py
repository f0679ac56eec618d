"""How far can the failing records move a metric, whatever their true values are?

A finding says a value is wrong, not what it should be. Coverage (the share of records that
pass) is a proxy for the harm that does; this module measures the harm directly: for each field
the metric reads, the failing values of that field are replaced all at once by each value the
field could plausibly hold, and the metric is recomputed. The largest relative moves of the value
of each field over these substitutions, upward and downward, summed over the fields in the same
direction, are the bound (the larger sum): the failing values of different fields may sit in
different records, so in the worst case their moves add, but only when they push the same way.

The values a field is tried with ("probes"), by its type in the model:

| field | probes |
|---|---|
| enum | every allowed value, and missing |
| bool | true, false, missing |
| score | the ends of its scale (NPS 0 and 10), and missing |
| currency | every currency with a rate to the base currency (`currency:` in the config), and missing |
| other number, money, count | the smallest and largest passing value (each one when at most 10), and missing |
| date, datetime | the smallest and largest passing value, just inside each end of the metric's window, and missing |
| text, keys, owner... | missing, and a value of its own for every failing record (a key to nothing shared) |

This is what makes a finding harmless: a status typo on a subscription whose end date lies far
outside the window moves no renewal rate whatever the status is, and the bound shows it (0),
while the same typo on a subscription ending inside the window may (it might be Cancelled).
Giving every failing value of a field the same probe is the worst case when each record's
contribution moves the same way with it (counts, shares, sums and means over records). A median is
not such a sum: its worst case is exact from order statistics (`median_bound`), with no probes.

A probe changes one column at its failing rows and nothing else, so a metric of the metric language is not made
again from the whole table for each (`_told`): its values and conditions that do not read the column are made once,
those that read it on the changed rows alone, and the metric is reduced from them (counts, sums, means, shares,
NPS, ratios and derived values of them). What is reduced over groups of rows (medians, `per:` totals, Pareto shares,
distinct counts) is still reduced over the whole table per probe, and the Python metrics are recomputed whole.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import numpy as np
import pandas as pd

from auditor.metrics.activity import RID
from auditor.metrics.common import Params, arrow_text, kept, probing, put_text
from auditor.metrics.confidence import distance
from auditor.metrics.language import PART_FROM_ROWS
from auditor.metrics.registry import Metric, value_of
from auditor.model import ENTITIES, DType, Field, Role

FEW_VALUES = 10
"""a number field with at most this many distinct passing values is tried with each of them"""


def probes(
    entity: str, name: str, column: pd.Series, failing: np.ndarray, params: Params, questioned: np.ndarray | None = None
) -> Iterator[Any]:
    """The values the failing cells of `entity.name` are tried with (a scalar, or an array with
    one value per failing cell); None for missing. The passing values are those of cells no rule
    questions (`questioned`: the cells with a finding on the field, in the metric's scope or not):
    a contacts_needed of -1 or 250 outside the scope would otherwise be the smallest and largest,
    and a share of tickets solved in one contact would never be tried with 1."""
    model = ENTITIES[entity]
    # a column the model does not have (a defined metric reads it): probed by its values' type
    spec = model.field(name) if model.has_field(name) else Field(name, _role_of(column))
    yield None
    if spec.role is Role.ENUM and spec.allowed:
        yield from spec.allowed
        return
    if spec.dtype is DType.BOOL:
        yield from (True, False)
        return
    if spec.role is Role.SCORE and spec.scale:
        yield from (float(spec.scale[0]), float(spec.scale[1]))
        return
    if spec.role is Role.CURRENCY:
        yield from params.money.rates
        return
    passing = column[~(failing if questioned is None else failing | questioned)].dropna()
    if spec.dtype in (DType.NUMBER, DType.INTEGER, DType.DATE, DType.DATETIME):
        distinct = passing.unique() if spec.dtype in (DType.NUMBER, DType.INTEGER) else ()
        if 0 < len(distinct) <= FEW_VALUES:
            # a metric may count one value (contacts_needed == 1), not only move with the ends
            yield from sorted(distinct)
        elif len(passing):
            yield passing.min()
            yield passing.max()
        if spec.dtype in (DType.DATE, DType.DATETIME):
            yield params.start + pd.Timedelta(days=1)
            yield params.end.normalize()
        return
    yield np.array([f"~probe~{i}" for i in range(int(failing.sum()))], dtype=object)


def _role_of(column: pd.Series) -> Role:
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return Role.DATETIME
    if pd.api.types.is_bool_dtype(column.dtype):
        return Role.BOOL
    if pd.api.types.is_numeric_dtype(column.dtype):
        return Role.NUMBER
    return Role.TEXT


def _substitute(column: pd.Series, failing: np.ndarray, probe: Any) -> pd.Series:
    if probe is None and arrow_text(column):
        return put_text(column, failing, None)  # Arrow's where set the cells one chunk at a time through pandas
    if probe is None:
        return column.where(~failing)
    if isinstance(probe, (str, np.ndarray)) and arrow_text(column):
        # text stays Arrow text: as Python objects, a million values were copied out for every probe, and the
        # metric then compared and grouped them as objects
        return put_text(column, failing, probe)
    out = column.astype("object") if isinstance(probe, (str, np.ndarray)) else column.copy()
    if isinstance(probe, bool):
        out = out.astype("boolean")
    out.iloc[np.flatnonzero(failing)] = probe
    return out


def bound(
    m: Metric,
    tables: Mapping[str, pd.DataFrame],
    params: Params,
    value: Any,
    failing: Mapping[tuple[str, str], np.ndarray],
    compute: Callable[[Metric, Mapping[str, pd.DataFrame], Params], Any],
    questioned: Mapping[tuple[str, str], np.ndarray] | None = None,
    read: Mapping[tuple[str, str], tuple[pd.Series, np.ndarray]] | None = None,
) -> tuple[float, str]:
    """(the largest relative move of `value` when the failing cells of every (entity, field) ->
    failing-row mask in `failing` take, field by field, the probe that moves it most in one direction,
    the field and probe that moved it most). The fields' moves add up in the worst case only when
    they go the same way: a number's bound is the larger of the summed upward and the summed downward
    moves (a close date that could lengthen a median and a stage that could shorten it cannot do both
    at once); a distribution has no direction, so its moves all add up.

    `read`: (entity, field) -> (the column with the failing cells its rules read taken at their reading,
    the cells read): a cell a rule reads ("closed won" as Closed Won) holds its reading in every probe of
    its field, as a fix would, and only the other failing cells are tried with each probe. Trying a
    misspelt won stage as Closed Lost had doubled the bound of a count of new customers."""
    up = down = worst = 0.0
    what = ""
    for (entity, name), failing_cells in failing.items():
        if not failing_cells.any() or name == RID:
            continue
        frame = tables[entity]
        column, taken = (read or {}).get((entity, name), (frame[name], None))
        mask = failing_cells if taken is None else failing_cells & ~taken
        field_up = field_down = 0.0
        told = (questioned or {}).get((entity, name))
        trials = probes(entity, name, column, mask, params, told) if mask.any() else iter([None])
        changed = np.flatnonzero(failing_cells if taken is None else mask | taken)
        for probe in trials:
            probed = dict(tables)
            probed[entity] = _probed_table(params, frame, name, column, mask, probe)
            with _told(params, probed[entity], frame, name, changed):
                moved = value_of(compute(m, probed, params))
            move = distance(moved, value)
            if finite_numbers(moved, value) and moved < value:
                field_down = max(field_down, move)
            elif finite_numbers(moved, value) and moved > value:
                field_up = max(field_up, move)
            else:
                field_up, field_down = max(field_up, move), max(field_down, move)
            if move > worst:
                shown = "missing" if probe is None else "its own" if isinstance(probe, np.ndarray) else probe
                said = f" = {_show(shown)}" if mask.any() else " as its rules read it"
                worst, what = move, f"{entity}.{name}{said}"
        up += field_up
        down += field_down
    return max(up, down), what


KEPT_PROBES = 256
"""the probed tables kept per run (`_probed_table`): tables of fewer than PART_FROM_ROWS rows only, so at most a few
hundred copies of one column of 50,000 rows (fixtures/acme's 20 bounds made 131 distinct probes)"""


def _probed_table(
    params: Params, frame: pd.DataFrame, name: str, column: pd.Series, mask: np.ndarray, probe: Any
) -> pd.DataFrame:
    """`frame` with `column`'s cells at `mask` set to `probe`, as the column `name`. For a table of fewer than
    PART_FROM_ROWS rows, made once per run for the same frame object, field, cells, probe and column values
    (`common.kept`, the column compared by value: a reading's column is made anew per metric): the metrics of one
    table share their failing cells (fixtures/acme's 358 probes were 131 distinct), and on the same probed table
    the metric language keeps what it made for the metric before (`language._Runtime._probed`), and `kept`
    operands (a derived metric's clv for clv / cac) are found again. A larger table's probe is made anew, as
    before: a million rows' copy per probe is not held."""

    def made() -> pd.DataFrame:
        return frame.assign(**{name: _substitute(column, mask, probe)})

    if len(frame) >= PART_FROM_ROWS:
        return made()
    key = (name, np.packbits(mask).tobytes(), _probe_key(probe))
    held, table = kept(params, _probed_table, (frame,), key, lambda: (column, made()), KEPT_PROBES)
    return table if held is column or held.equals(column) else made()


def _probe_key(probe: Any) -> tuple[Any, ...]:
    """A probe as a key: its type beside its value (True == 1 == 1.0, but a column set to each is not the same), and
    a value of its own per failing cell by their number (`probes` makes them from it alone)."""
    if isinstance(probe, np.ndarray):
        return ("its own", len(probe))
    return (type(probe), probe)


PART_AT_MOST = 0.5
"""a probe whose changed rows are more than half its table's is computed whole: made on the changed rows and put into
the base table's values, it would cost more than the whole"""


def _told(
    params: Params, probed: pd.DataFrame, base: pd.DataFrame, name: str, changed: np.ndarray
) -> AbstractContextManager[None]:
    """While the metric is computed on `probed` (`base` but for column `name` at the rows `changed`), the metric
    language is told so (`common.probing`): its values and conditions are then made once on `base` and again on the
    changed rows alone, not on the whole table per probe (`language._Runtime._probed`), and the metric is reduced
    from them as before (the same values in the same order: counts, sums, means, shares, NPS and ratios and derived
    values of them to the last bit). Not told: a column whose type the probe changed (a row's value may depend on
    its column's type), and a probe of more than half the rows. What the language does not make (the Python
    metrics: the sales cycle per stage, activities) is recomputed whole, and what is reduced over groups of rows
    (medians, `per:` totals and their means, Pareto shares, distinct counts and first dates per value) is still
    reduced over the whole table per probe, from the values made as above; a median whose failing records are all
    its own is bounded by order statistics instead (`median_bound`)."""
    if probed[name].dtype != base[name].dtype or not len(changed) or len(changed) > PART_AT_MOST * len(base):
        return nullcontext()
    return probing(params, probed, base, name, changed)


def finite_numbers(*values: Any) -> bool:
    """Whether every value is a finite int or float (not a bool, a None or a distribution)."""
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values)


def _show(v: Any) -> str:
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def median_bound(passing: np.ndarray, failing: int, value: float, known: np.ndarray | None = None) -> tuple[float, str]:
    """(the largest relative move of the median `value` when `failing` records of its population may
    hold any value or none at all, and those with a `known` value may each be in or out of it, the
    move): the median of the passing values with every free failing value above them all, and the
    known ones that raise it; or below, and those that lower it. Order statistics, not probes: a
    failing record can push a median by one rank at most, whichever of its fields is wrong, so the
    worst case of k of them is one number, where probing field by field moves one field's records at
    a time (a deal with neither a stage nor a close date could be a won deal of any length: no
    single field's probe puts it in). inf when the free failing records are half the values or more."""
    known = np.asarray(known if known is not None else [], dtype="float64")
    ranked = np.asarray(passing, dtype="float64")
    up = _highest_median(np.concatenate([ranked, np.full(failing, np.inf)]), known)
    down = -_highest_median(np.concatenate([-ranked, np.full(failing, np.inf)]), -known)
    moves = {"above": distance(up, value), "below": distance(down, value)}
    side = max(moves, key=moves.__getitem__)
    what = f"{failing:,} failing values {side} every other" if failing else "failing records"
    if len(known):
        what += f", {len(known):,} with a known value in or out"
    return moves[side], what


def _highest_median(fixed: np.ndarray, optional: np.ndarray) -> float:
    """The highest median of `fixed` with any of `optional` added. Adding a value at or above the
    median never lowers it and one below never raises it, so the best choice is the j largest, for
    the largest j whose j-th largest is at or above the median with the j - 1 larger ones (a
    condition that holds up to some j and never after): found by bisection."""
    larger = np.sort(optional)[::-1]

    def median(j: int) -> float:
        values = np.concatenate([fixed, larger[:j]])
        return float(np.median(values)) if len(values) else math.nan

    lo, hi = 0, len(larger)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if larger[mid - 1] >= median(mid - 1):
            lo = mid
        else:
            hi = mid - 1
    return median(lo)
