"""Support metrics: cases handled, closed per day, time to resolution, first-contact resolution.
Source of truth: `auditor/synth/truth.py` (same functions on the clean data)."""

from __future__ import annotations

from auditor.metrics.common import Params, hours, within
from auditor.metrics.registry import Estimate, Scope, Tables, median_of, metric, proportion

_BREAKDOWNS = {"owner": "owner", "channel": "channel", "priority": "priority", "month": "opened_at"}
_RESOLVED = {"tickets": Scope("resolved tickets", lambda f: f["resolved_at"].notna(), ("resolved_at",))}


@metric(
    "tickets_handled", "Support cases handled", "tickets", "count", {"tickets": ["ticket_id"]}, breakdowns=_BREAKDOWNS
)
def tickets_handled(t: Tables, p: Params) -> int:
    """Number of tickets (all time)."""
    return len(t["tickets"])


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


@metric(
    "time_to_resolution_hours",
    "Time to resolution",
    "hours",
    "median",
    {"tickets": ["opened_at", "resolved_at"]},
    breakdowns=_BREAKDOWNS,
    scope=_RESOLVED,
    spans=(("opened_at", "resolved_at"),),
)
def time_to_resolution_hours(t: Tables, p: Params) -> Estimate:
    """Median of resolved_at - opened_at in hours over resolved tickets."""
    tk = t["tickets"]
    return median_of(hours(tk["resolved_at"], tk["opened_at"]))


@metric(
    "first_contact_resolution_rate",
    "First-contact resolution rate",
    "share",
    "proportion",
    {"tickets": ["resolved_at", "contacts_needed"]},
    breakdowns=_BREAKDOWNS,
    scope=_RESOLVED,
)
def first_contact_resolution_rate(t: Tables, p: Params) -> Estimate:
    """Resolved tickets (resolved_at present) with contacts_needed == 1 / resolved tickets."""
    tk = t["tickets"]
    resolved = tk["resolved_at"].notna()
    one = (tk["contacts_needed"].astype("float64") == 1) & resolved
    return proportion(one.sum(), resolved.sum())
