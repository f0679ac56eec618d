"""A table is typed on a thread while the next file is read; what the load returns and raises is as before."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from auditor.errors import InputError
from auditor.sources import loader
from auditor.sources.loader import load_export


def _two_tables(tmp_path: Path) -> Path:
    (tmp_path / "accounts.csv").write_text("account_id,name\nA1,Acme\nA2,Beta\n", encoding="utf-8")
    (tmp_path / "contacts.csv").write_text("contact_id,first_name,email\nC1,Ann,ann@example.com\n", encoding="utf-8")
    return tmp_path


def test_the_first_table_is_typed_while_the_second_file_is_read(tmp_path, monkeypatch):
    typing_began = threading.Event()
    typed_during_read: list[bool] = []
    table, read_file = loader._table, loader.read_file

    def table_marking(*args, **kwargs):
        typing_began.set()
        return table(*args, **kwargs)

    def read_waiting(file, source, options):
        if file.name == "contacts.csv":  # read second: the accounts' table is typed meanwhile (code before: never)
            typed_during_read.append(typing_began.wait(timeout=10))
        return read_file(file, source, options)

    monkeypatch.setattr(loader, "_table", table_marking)
    monkeypatch.setattr(loader, "read_file", read_waiting)
    export = load_export(_two_tables(tmp_path))
    assert typed_during_read == [True]
    assert list(export.tables) == ["accounts", "contacts"]
    assert export.tables["accounts"].raw["name"].tolist() == ["Acme", "Beta"]


def test_a_file_that_cannot_be_read_is_the_error_met_before_an_earlier_table_that_cannot_be_typed(
    tmp_path, monkeypatch
):
    """As when every file was read before any table was typed (the code before passes it too)."""
    read_file = loader.read_file

    def table_failing(read, *args, **kwargs):
        raise InputError("cannot be typed", file=read.source)

    def read_failing_second(file, source, options):
        if file.name == "contacts.csv":
            raise InputError("cannot be read", file=source)
        return read_file(file, source, options)

    monkeypatch.setattr(loader, "_table", table_failing)
    monkeypatch.setattr(loader, "read_file", read_failing_second)
    with pytest.raises(InputError, match="cannot be read") as raised:
        load_export(_two_tables(tmp_path))
    assert raised.value.file.endswith("contacts.csv")
