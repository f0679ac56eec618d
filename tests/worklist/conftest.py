import copy

import pandas as pd
import pytest


@pytest.fixture(scope="session")
def acme_audit(acme_audit):
    """The full audit of fixtures/acme (checks, duplicates, metrics and the worklist): the suite's shared
    one (tests/conftest.py), as a shallow copy, since some tests here swap its findings for a moment."""
    return copy.copy(acme_audit)


@pytest.fixture(scope="module")
def worklist(acme_audit) -> pd.DataFrame:
    """Its tasks (WORKLIST_COLUMNS)."""
    return acme_audit.worklist


@pytest.fixture(scope="module")
def records(acme_audit) -> pd.DataFrame:
    """Its tasks' records (RECORD_COLUMNS)."""
    return acme_audit.worklist_records
