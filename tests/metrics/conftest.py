"""A tiny CRM, small enough that every metric can be computed by hand in the tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

AS_OF = "2026-10-31"
T = pd.Timestamp


def _dates(*values: str | None) -> pd.Series:
    return pd.to_datetime(pd.Series(values, dtype="object"), format="ISO8601").astype("datetime64[ns]")


def tiny_frames() -> dict[str, pd.DataFrame]:
    accounts = pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A3"],
            "name": ["Alfa", "Beta", "Gamma"],
            "segment": ["SMB", "Enterprise", "SMB"],
            "status": ["Customer", "Customer", "Prospect"],
            "owner": ["Anna", "Anna", "Bob"],
            "source": ["import", "web", "import"],
            "created_at": _dates("2024-01-01", "2024-02-01", "2026-10-20"),
            "updated_at": _dates("2026-10-01", "2026-10-02", "2026-10-30"),
        }
    )
    opportunities = pd.DataFrame(
        {
            "opportunity_id": ["O1", "O2", "O3", "O4", "O5", "O6"],
            "account_id": ["A1", "A1", "A2", "A3", "A2", "A1"],
            "stage": ["Closed Won", "Closed Won", "Closed Won", "Closed Lost", "Prospecting", "Closed Lost"],
            "amount": [1000.0, 500.0, 1000.0, 200.0, 300.0, 50.0],
            "currency": ["PLN", "EUR", "USD", "PLN", "PLN", "PLN"],
            "close_date": _dates("2026-03-01", "2025-06-01", "2026-10-01", "2026-05-01", None, "2026-04-01"),
            "loss_reason": [None, None, None, "Price", None, "Price"],
            "competitor": [None, None, None, "Zoho", None, "HubSpot"],
            "owner": ["Anna", "Anna", "Anna", "Bob", "Bob", "Bob"],
            "source": [None] * 6,
            "created_at": _dates(
                "2026-01-30T10:00", "2025-05-02", "2026-08-02T15:30", "2026-04-01", "2026-10-01", "2026-03-01"
            ),
            "updated_at": _dates(*["2026-10-15"] * 6),
        }
    )
    history = pd.DataFrame(
        {
            "history_id": ["H1", "H2", "H3", "H4", "H5", "H6"],
            "opportunity_id": ["O1", "O1", "O1", "O3", "O3", "O3"],
            "stage": ["Prospecting", "Proposal", "Closed Won", "Prospecting", "Proposal", "Closed Won"],
            "entered_at": _dates("2026-01-30", "2026-02-09", "2026-03-01", "2026-08-02", "2026-08-22", "2026-10-01"),
        }
    )
    costs = pd.DataFrame(
        {
            "cost_id": [f"K{i}" for i in range(1, 7)],
            "period": _dates("2026-01-01", "2026-02-01", "2025-10-01", "2026-03-01", "2026-04-01", "2026-05-01"),
            "category": ["sales", "marketing", "marketing", "retention", "loyalty", "staff"],
            "amount": [1000.0, 100.0, 999.0, 300.0, 100.0, 2000.0],
            "currency": ["PLN", "EUR", "PLN", "PLN", "GBP", "PLN"],
            "owner": ["Anna", "Bob", "Bob", None, "Anna", None],
        }
    )
    subscriptions = pd.DataFrame(
        {
            "subscription_id": ["SUB1", "SUB2", "SUB3", "SUB4"],
            "account_id": ["A1", "A2", "A3", "A1"],
            "mrr": [100.0, 200.0, 50.0, 80.0],
            "currency": ["PLN", "EUR", "PLN", "PLN"],
            "status": ["Active", "Cancelled", "Active", "Expired"],
            "start_date": _dates("2025-01-01", "2025-03-01", "2026-01-01", "2024-01-01"),
            "end_date": _dates("2026-12-31", "2026-02-28", "2026-12-31", "2025-06-30"),
            "cancelled_at": _dates(None, "2026-02-01", None, None),
            "renewed": pd.array([True, False, False, False], dtype="boolean"),
        }
    )
    surveys = pd.DataFrame(
        {
            "response_id": [f"S{i}" for i in range(1, 7)],
            "nps": [10, 9, 9, 7, 3, np.nan],
            "csat": [5, 4, 3, 2, np.nan, np.nan],
            "ces": [1, 2, 3, 6, np.nan, np.nan],
            "responded_at": _dates(*["2026-10-01"] * 6),
        }
    )
    leads = pd.DataFrame(
        {
            "lead_id": ["L1", "L2", "L3", "L4"],
            "status": ["Converted", "New", "Converted", "Working"],
            "created_at": _dates("2026-01-01T08:00", "2026-02-01T08:00", "2026-03-01T08:00", "2026-04-01T08:00"),
            "first_response_at": _dates("2026-01-01T10:00", "2026-02-01T12:00", "2026-03-01T14:00", None),
        }
    )
    campaigns = pd.DataFrame(
        {
            "campaign_id": ["CMP1", "CMP2"],
            "name": ["Spring", "Autumn"],
            "channel": ["Email", "Email"],
            "delivered": pd.array([100, 300], dtype="Int64"),
            "opened": pd.array([30, 60], dtype="Int64"),
            "clicked": pd.array([5, 15], dtype="Int64"),
            "unsubscribed": pd.array([1, 3], dtype="Int64"),
            "attributed_revenue": [1000.0, 100.0],
            "currency": ["PLN", "EUR"],
        }
    )
    tickets = pd.DataFrame(
        {
            "ticket_id": ["T1", "T2", "T3", "T4"],
            "status": ["Closed", "Closed", "Closed", "Open"],
            "opened_at": _dates("2026-10-01", "2026-09-01", "2026-01-01", "2026-10-20"),
            "resolved_at": _dates("2026-10-02", "2026-09-01T12:00", "2026-01-03", None),
            "contacts_needed": pd.array([1, 2, 1, pd.NA], dtype="Int64"),
        }
    )
    activities = pd.DataFrame(
        {
            "activity_id": ["ACT1", "ACT2", "ACT3"],
            "type": ["Call", "Email", "Meeting"],
            "occurred_at": _dates("2026-10-01", "2026-06-01", "2025-01-01"),
            "owner": ["Anna", "Anna", "Bob"],
        }
    )
    return {
        "accounts": accounts,
        "opportunities": opportunities,
        "opportunity_history": history,
        "costs": costs,
        "subscriptions": subscriptions,
        "surveys": surveys,
        "leads": leads,
        "campaigns": campaigns,
        "tickets": tickets,
        "activities": activities,
    }


@pytest.fixture
def tiny() -> dict[str, pd.DataFrame]:
    return tiny_frames()
