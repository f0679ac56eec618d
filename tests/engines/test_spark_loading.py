"""What the Spark engine reads from a folder: the same files as the pandas loader, with the same notes."""

from __future__ import annotations

import gzip
import lzma
import shutil
from pathlib import Path

import pytest

from auditor.errors import InputError
from auditor.sources import load_export
from auditor.sources.table import SourceOptions

ACME = Path(__file__).resolve().parents[2] / "fixtures" / "acme"


def test_an_unreadable_stray_is_skipped_but_an_entity_file_is_an_error(spark, tmp_path: Path) -> None:
    from auditor.engines.spark.load import load_tables

    folder = tmp_path / "plain"
    folder.mkdir()
    shutil.copy(ACME / "contacts.csv", folder / "contacts.csv")
    (folder / "readme.txt").write_bytes(b"")
    (folder / "notes.xlsx").write_bytes(b"not a workbook")
    notes: list[str] = []
    assert list(load_tables(spark, folder, SourceOptions(), notes)) == ["contacts"]
    assert any("readme.txt: skipped, cannot be read" in n for n in notes)
    assert any("notes.xlsx: skipped, cannot be read" in n for n in notes)
    (folder / "accounts.csv").write_bytes(b"")
    with pytest.raises(InputError) as error:
        load_tables(spark, folder, SourceOptions(), [])
    assert error.value.file.endswith("accounts.csv")


def test_a_gzip_csv_is_read_through_spark(spark, tmp_path: Path) -> None:
    from auditor.engines.spark.load import load_tables

    folder = tmp_path / "gz"
    folder.mkdir()
    (folder / "contacts.csv.gz").write_bytes(gzip.compress((ACME / "contacts.csv").read_bytes()))
    tables = load_tables(spark, folder, SourceOptions(), [])
    assert list(tables) == ["contacts"]
    assert tables["contacts"].count == len(load_export(ACME / "contacts.csv").tables["contacts"].frame)
    # Spark decompresses gzip and bzip2 itself; an xz file named like an entity is an error that says so
    (folder / "accounts.csv.xz").write_bytes(lzma.compress((ACME / "accounts.csv").read_bytes()))
    with pytest.raises(InputError, match=r"reads CSV compressed with \.gz or \.bz2, not \.xz"):
        load_tables(spark, folder, SourceOptions(), [])
