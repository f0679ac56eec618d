from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def acme():
    from auditor.pipeline import resolve_config
    from auditor.sources import load_export

    path = ROOT / "fixtures" / "acme"
    return load_export(path, resolve_config(path, None).source_options())


@pytest.fixture(scope="session")
def acme_result(acme_audit):
    """find_duplicates(acme.tables, DedupeSettings()): the duplicate stage of the suite's shared audit of
    fixtures/acme (tests/conftest.py), whose config leaves the dedupe settings at their defaults."""
    from auditor.dedupe import DedupeSettings
    from auditor.pipeline import resolve_config

    assert resolve_config(ROOT / "fixtures" / "acme", None).dedupe == DedupeSettings()
    return acme_audit.duplicates
