"""Support metrics the metric language cannot say: cases closed per day (a count over a window of 90 days, or
the period's days). Cases handled, time to resolution and first-contact resolution are definitions in
`metrics/core.yaml`. Source of truth: `auditor/synth/truth.py` (same functions on the clean data)."""

from __future__ import annotations

from auditor.metrics.common import Params, within
from auditor.metrics.registry import Estimate, Scope, Tables, metric

_RESOLVED = {"tickets": Scope("resolved tickets", lambda f: f["resolved_at"].notna(), ("resolved_at",))}


@metric(
    "tickets_closed_per_day",
    "Support cases closed per day",
    "tickets per day",
    "count",  # of tickets, per day of a fixed window: what may change it is which tickets count
    {"tickets": ["resolved_at"]},
    breakdowns={"owner": "owner", "channel": "channel", "priority": "priority"},
    scope=_RESOLVED,
)
def tickets_closed_per_day(t: Tables, p: Params) -> Estimate:
    """Tickets with resolved_at in the last 90 days (as_of - 90 days < resolved_at <= end of
    as_of) / 90; with --period, resolved in the period / its days."""
    start, end = p.recent(90)
    closed = int(within(t["tickets"]["resolved_at"], start, end).sum())
    return Estimate(closed / round((end - start).total_seconds() / 86400), closed)
