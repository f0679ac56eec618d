"""auditor.redact: one redaction of every URL the tool prints or writes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.redact import redact

SCHEMES = ["postgresql", "postgresql+psycopg", "mysql+pymysql", "mssql+pyodbc", "snowflake", "https"]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("postgresql+psycopg://ann:S3cret@db:5432/crm", "postgresql+psycopg://ann:***@db:5432/crm"),
        ("postgresql://ann:p@ss/w:rd@db/crm", "postgresql://ann:***@db/crm"),  # not percent-encoded
        ("postgresql://ann@corp.example:pw@db/crm", "postgresql://ann@corp.example:***@db/crm"),
        (
            "postgresql://db/crm?sslpassword=x&application_name=a",
            "postgresql://db/crm?sslpassword=***&application_name=a",
        ),
        ("snowflake://acct/db?token=abc", "snowflake://acct/db?token=***"),
        (
            "cannot reach mysql://u:pw@h/d and postgresql://v:pw2@k/e.",
            "cannot reach mysql://u:***@h/d and postgresql://v:***@k/e.",
        ),
    ],
)
def test_credentials_are_masked(text: str, shown: str) -> None:
    assert redact(text) == shown


@pytest.mark.parametrize(
    "text",
    [
        "exports/2026-11",
        "/home/ann/crm export/contacts.csv",
        "sqlite:///crm.db",
        "sqlite:////var/data/a@b.db",
        "postgresql://ann@db:5432/crm",
        "postgresql://ann:@db/crm",
        "a=b and c=d",
    ],
)
def test_what_holds_no_secret_is_unchanged(text: str) -> None:
    assert redact(text) == text


@given(
    scheme=st.sampled_from(SCHEMES),
    user=st.text(st.characters(codec="utf-8", exclude_characters=":/@ \t\r\n\x0b\x0c"), max_size=8),
    secret=st.text(st.characters(codec="utf-8", exclude_characters=" \t\r\n\x0b\x0c"), min_size=1, max_size=24),
    host=st.sampled_from(["db", "10.0.0.7:5432", "[::1]:5432", "warehouse.example"]),
    before=st.sampled_from(["", "error: ", "(", "'"]),
)
def test_no_password_survives(scheme: str, user: str, secret: str, host: str, before: str) -> None:
    password = f"PW{secret}"
    url = f"{scheme}://{user}:{password}@{host}/crm"
    assert password not in redact(f"{before}{url} failed")
