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
def acme_result(acme):
    from auditor.dedupe import DedupeSettings, find_duplicates

    return find_duplicates(acme.tables, DedupeSettings())
