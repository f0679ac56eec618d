"""Reading a folder of files never imports SQLAlchemy: the SQL reader (and its start-up cost) loads only
for a database URL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys
from auditor.sources import load_export
export = load_export(sys.argv[1])
assert list(export.tables) == ["contacts"], list(export.tables)
print("sqlalchemy" in sys.modules)
"""


def test_a_folder_of_files_loads_without_sqlalchemy(tmp_path: Path) -> None:
    (tmp_path / "contacts.csv").write_text("contact_id,email\nC1,a@b.pl\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False", done.stderr


def test_a_database_url_still_reads_through_sqlalchemy(tmp_path: Path) -> None:
    import sqlite3

    database = tmp_path / "crm.db"
    with sqlite3.connect(database) as connection:
        connection.execute("create table contacts (contact_id text, email text)")
        connection.execute("insert into contacts values ('C1', 'a@b.pl')")
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, f"sqlite:///{database}"], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "True", done.stderr
