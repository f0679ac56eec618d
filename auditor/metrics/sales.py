"""Sales metrics the metric language cannot say: the cycle per stage (the time between a deal's consecutive history
rows). Conversion, win rate, deal size, the sales cycle, lead response time, the funnel and lost deals are
definitions in `metrics/core.yaml`. Source of truth: `auditor/synth/truth.py`, which computes
truth/metrics.json with these functions on the clean data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from auditor.metrics.common import STAGES, Params, days, kept, probe_of, text
from auditor.metrics.language import PART_FROM_ROWS
from auditor.metrics.registry import Tables, metric

KEPT_SPANS = 4
"""the days in stage kept per run (`_spans`): the table's own, its stage probes' (a missing stage leaves rows out,
a stage where one was missing adds them), and the table without its failing records"""


@metric(
    "sales_cycle_by_stage",
    "Sales cycle per stage (days in stage)",
    "days",
    "distribution",
    {"opportunity_history": ["opportunity_id", "stage", "entered_at"]},
    additive=False,
)
def sales_cycle_by_stage(t: Tables, p: Params | None) -> dict[str, float]:
    """Per open stage, the mean number of days a deal spent in it: from entered_at of the stage
    to entered_at of the deal's next history row (rows ordered by entered_at per opportunity);
    stages a deal is still in are left out."""
    # (the docstring is the metric's formula in the reports.) The days in each row's stage do not read the stage,
    # only which rows have one: a bound's probe of the stage (`common.probe_of`, seven per bound) finds them made
    # once per table and rows (`_spans`) and only regroups them by its stages: the same days in the same order, so
    # the same means to the last bit. A probe of the deal or the entry date reorders the rows and is made whole.
    h = t["opportunity_history"]
    deal, stage, at = text(h["opportunity_id"]), text(h["stage"]), h["entered_at"]
    rows = (deal.notna() & stage.notna() & at.notna()).to_numpy(bool)
    probe = probe_of(p, h) if p is not None else None
    base = probe.base if probe is not None and probe.column == "stage" else h
    if p is None or (base is h and len(h) >= PART_FROM_ROWS):
        kept_rows, spent = _spans(deal, at, rows)  # a large table's arrays (or its probe's copy) are not held
    else:
        key = np.packbits(rows).tobytes()
        kept_rows, spent = kept(p, _spans, (base,), key, lambda: _spans(deal, at, rows), KEPT_SPANS)
    mean = pd.DataFrame({"s": stage.iloc[kept_rows], "d": spent}).groupby("s")["d"].mean()
    return {s: float(mean[s]) for s in STAGES if s in mean.index}


def _spans(deal: pd.Series, at: pd.Series, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the positions of the history rows that have a next row of their deal, in the order of (deal, entry), and
    the days from each one's entry to the next's): of the `rows` that have a deal, a stage and an entry."""
    at = at[rows]
    # ordered by deal, then entry, as a stable sort of (opportunity_id, entered_at) orders them: ids sorted
    # as codes, not compared as text (0.6 s for 400,000 rows), and the same order keeps each mean's sum
    codes = pd.factorize(deal[rows], sort=True)[0]
    order = np.lexsort((at.to_numpy(), codes))
    at, codes = at.iloc[order], codes[order]
    same_deal = np.zeros(len(codes), dtype=bool)
    same_deal[:-1] = codes[1:] == codes[:-1]
    spent = days(at.shift(-1).where(same_deal), at).to_numpy()
    has = ~np.isnan(spent)
    return np.flatnonzero(rows)[order][has], spent[has]
