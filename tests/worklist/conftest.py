from pathlib import Path

import pytest

ACME = Path(__file__).resolve().parents[2] / "fixtures" / "acme"


@pytest.fixture(scope="session")
def acme_audit():
    """The full audit of fixtures/acme (checks, duplicates, metrics and the worklist)."""
    from auditor.pipeline import audit

    return audit(ACME)
