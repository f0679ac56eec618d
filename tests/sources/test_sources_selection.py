"""Loading does what the config says: with `sources.files` only the files it names are read, and files
lying beside the export (an answer key, a notes file) change nothing; without it, a file of unknown name
that cannot be read is skipped with a note, while one named like an entity is an error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from auditor import check, load_config
from auditor.cli import main
from auditor.errors import InputError
from auditor.sources import load_export

ACME = Path(__file__).resolve().parents[2] / "fixtures" / "acme"


def _export(folder: Path, *, strays: bool) -> Path:
    folder.mkdir()
    for name in ("contacts.csv", "surveys.csv"):
        shutil.copy(ACME / name, folder / name)
    (folder / "crm-audit.yaml").write_text(
        "as_of: 2026-10-31\nsources:\n  files: {contacts.csv: contacts, surveys.csv: surveys}\n", encoding="utf-8"
    )
    if strays:
        # an answer key with the survey export's own headers, and prose that is no CSV at all
        shutil.copy(ACME / "surveys.csv", folder / "answer_key.csv")
        (folder / "notes.txt").write_text('He said "hello, world\n"unbalanced\x00 quote\n', encoding="utf-8")
    return folder


def test_files_beside_the_export_change_nothing(tmp_path: Path) -> None:
    clean = check(_export(tmp_path / "clean", strays=False))
    with_strays = check(_export(tmp_path / "strays", strays=True))
    assert [t["source"].rsplit("/", 1)[-1] for t in with_strays.tables] == ["contacts.csv", "surveys.csv"]
    assert len(with_strays.findings) == len(clean.findings) > 0
    assert with_strays.scores.overall == clean.scores.overall
    ignored = [n for n in with_strays.notes if "ignored, not listed in sources.files" in n]
    assert sorted(Path(n.split(":")[0]).name for n in ignored) == ["answer_key.csv", "notes.txt"]


def test_a_pattern_that_matches_nothing_is_a_note(tmp_path: Path) -> None:
    folder = _export(tmp_path / "x", strays=False)
    config = load_config(folder / "crm-audit.yaml")
    config.files = {**config.files, "deals_*.csv": "opportunities"}
    export = load_export(folder, config.source_options())
    assert any("nothing matches 'deals_*.csv' of sources.files" in n for n in export.notes)


def test_without_sources_files_an_unreadable_stray_is_skipped_but_an_entity_file_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    shutil.copy(ACME / "contacts.csv", folder / "contacts.csv")
    (folder / "readme.txt").write_bytes(b"")
    export = load_export(folder)
    assert list(export.tables) == ["contacts"]
    assert any("readme.txt: skipped, cannot be read" in n for n in export.notes)
    (folder / "accounts.csv").write_bytes(b"")
    with pytest.raises(InputError) as error:
        load_export(folder)
    assert error.value.file.endswith("accounts.csv")


def test_mapping_of_one_file_takes_its_entity(tmp_path: Path, capsys) -> None:
    single = tmp_path / "export_2026.csv"
    shutil.copy(ACME / "contacts.csv", single)
    assert main(["mapping", str(single), "--entity", "contacts", "--format", "json"]) == 0
    assert '"entity": "contacts"' in capsys.readouterr().out
    assert main(["mapping", str(single), "--entity", "contact"]) == 2
    assert "did you mean 'contacts'" in capsys.readouterr().err
    assert main(["mapping", str(tmp_path), "--entity", "contacts"]) == 2
    assert "is not a file" in capsys.readouterr().err
