"""`load_entity` (dedupe --entity): the one table asked for, exactly as the whole export's loading makes
it, without mapping and typing the other tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from auditor.errors import InputError
from auditor.pipeline import resolve_config
from auditor.sources import loader
from auditor.sources.loader import load_entity, load_export

ACME = Path(__file__).resolve().parents[2] / "fixtures" / "acme"


@pytest.mark.parametrize("entity", ["contacts", "leads"])
def test_the_table_is_the_one_the_whole_export_holds_and_only_it_is_typed(entity: str, monkeypatch) -> None:
    options = resolve_config(ACME, None).source_options()
    whole = load_export(ACME, options).tables[entity]
    typed: list[str] = []
    table_of = loader._table
    monkeypatch.setattr(
        loader, "_table", lambda read, detection, *rest: typed.append(read.source) or table_of(read, detection, *rest)
    )
    one = load_entity(ACME, entity, options)
    assert typed == [str(ACME / f"{entity}.csv")]
    pd.testing.assert_frame_equal(one.frame, whole.frame, check_exact=True)
    pd.testing.assert_frame_equal(one.raw, whole.raw, check_exact=True)
    pd.testing.assert_series_equal(one.row_numbers, whole.row_numbers)
    assert (one.source, one.columns, one.values) == (whole.source, whole.columns, whole.values)


def test_an_entity_the_export_lacks_is_named_beside_those_it_has(tmp_path: Path) -> None:
    for name in ("contacts.csv", "accounts.csv"):
        shutil.copy(ACME / name, tmp_path / name)
    with pytest.raises(InputError, match=r"no leads table found \(found: accounts, contacts\)"):
        load_entity(tmp_path, "leads", resolve_config(tmp_path, None).source_options())
    for name in ("contacts.csv", "accounts.csv"):
        (tmp_path / name).unlink()
    (tmp_path / "misc.csv").write_text("foo,bar\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="no file or table maps to a CRM entity"):
        load_entity(tmp_path, "leads", resolve_config(tmp_path, None).source_options())
