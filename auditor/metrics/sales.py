"""Sales metrics the metric language cannot say: the cycle per stage (the time between a deal's consecutive history
rows). Conversion, win rate, deal size, the sales cycle, lead response time, the funnel and lost deals are
definitions in `metrics/core.yaml`. Source of truth: `auditor/synth/truth.py`, which computes
truth/metrics.json with these functions on the clean data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from auditor.metrics.common import STAGES, Params, days, text
from auditor.metrics.registry import Tables, metric


@metric(
    "sales_cycle_by_stage",
    "Sales cycle per stage (days in stage)",
    "days",
    "distribution",
    {"opportunity_history": ["opportunity_id", "stage", "entered_at"]},
    additive=False,
)
def sales_cycle_by_stage(t: Tables, p: Params) -> dict[str, float]:
    """Per open stage, the mean number of days a deal spent in it: from entered_at of the stage
    to entered_at of the deal's next history row (rows ordered by entered_at per opportunity);
    stages a deal is still in are left out."""
    h = t["opportunity_history"]
    h = pd.DataFrame({"o": text(h["opportunity_id"]), "s": text(h["stage"]), "at": h["entered_at"]}).dropna()
    # ordered by deal, then entry, as a stable sort of (opportunity_id, entered_at) orders them: ids sorted
    # as codes, not compared as text (0.6 s for 400,000 rows), and the same order keeps each mean's sum
    deal = pd.factorize(h["o"], sort=True)[0]
    order = np.lexsort((h["at"].to_numpy(), deal))
    h, deal = h.iloc[order], deal[order]
    same_deal = np.zeros(len(deal), dtype=bool)
    same_deal[:-1] = deal[1:] == deal[:-1]
    nxt = h["at"].shift(-1).where(same_deal)
    h = h.assign(d=days(nxt, h["at"])).dropna(subset=["d"])
    mean = h.groupby("s")["d"].mean()
    return {s: float(mean[s]) for s in STAGES if s in mean.index}
