"""A small export of 60 contacts, some of them duplicates, whose full audit writes every kind of output file
in a fraction of a second: shared by the tests of the staged output folder and of the writers."""

from __future__ import annotations

from pathlib import Path

from auditor.pipeline import audit
from auditor.result import AuditResult


def small_audit(folder: Path) -> AuditResult:
    """The full audit of the small export, written into `folder`."""
    rows = ["contact_id,first_name,last_name,email,phone,created_at"]
    rows += [
        f"C{i},Ann,Lee{i % 7},ann{i % 9}@example.com,+4860100{i:04d},2026-0{1 + i % 9}-1{i % 10}" for i in range(60)
    ]
    (folder / "contacts.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return audit(folder)
