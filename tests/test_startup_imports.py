"""Start-up imports only what the command needs (issue 17): each case runs in a fresh interpreter, so
a module imported by an earlier test cannot hide one that the command imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

UNUSED_BY_CSV = ("email_validator", "charset_normalizer", "pyarrow.parquet", "pyarrow.acero")
"""What an audit of UTF-8 CSV files whose addresses the e-mail patterns decide never calls: the library behind
those patterns, the guesser of a single-byte code page, Arrow's Parquet reader, Arrow's query engine (pandas'
grouped reductions of Arrow text run it: the duplicate search's clusters named by their smallest id did)."""
HEAVY = ("pandas", "pyarrow", "pandera", "sqlalchemy", "openpyxl", "jinja2", "scipy", "pyspark", "hypothesis")

PROBE = """
import json, sys
argv = sys.argv[1:]
if argv == ["--import-only"]:
    import auditor
else:
    from auditor.cli import main
    sys.argv = ["crm-audit", *argv]
    try:
        main()
    except SystemExit:
        pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in HEAVY_NAMES)))
print(json.dumps(sorted(m for m in sys.modules if m in UNUSED_NAMES)))
""".replace("HEAVY_NAMES", repr(set(HEAVY))).replace("UNUSED_NAMES", repr(set(UNUSED_BY_CSV)))


CHECKOUT = Path(__file__).resolve().parents[1]


def heavy_imports(*argv: str, cwd: Path) -> set[str]:
    return _imports(*argv, cwd=cwd)[0]


def _imports(*argv: str, cwd: Path) -> tuple[set[str], set[str]]:
    """(the top-level heavy packages the command imported, the modules of UNUSED_BY_CSV it imported), with this
    checkout's `auditor` first on the path: the probe runs in a temporary folder, where a relative PYTHONPATH (a
    worktree's `PYTHONPATH=.`) would name nothing and the installed package (another checkout's) would be imported
    instead."""
    paths = [str(CHECKOUT), *(str(Path(p).resolve()) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)]
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
        timeout=300,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
    )
    *_, heavy, unused = done.stdout.strip().splitlines()
    return {name.split(".")[0] for name in json.loads(heavy)}, set(json.loads(unused))


@pytest.fixture
def export(tmp_path: Path) -> Path:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "contacts.csv").write_text(
        "contact_id,email,created_at\nC1,a@b.pl,2024-01-02\nC2,b@c.pl,2024-02-03\n", encoding="utf-8"
    )
    return folder


def test_import_auditor_loads_no_data_library(tmp_path: Path) -> None:
    assert heavy_imports("--import-only", cwd=tmp_path) == set()


def test_help_loads_no_data_library(tmp_path: Path) -> None:
    assert heavy_imports("--help", cwd=tmp_path) == set()


def test_an_audit_of_csv_files_without_history_loads_only_what_it_uses(export: Path, tmp_path: Path) -> None:
    imported, unused = _imports("audit", str(export), "--out", str(tmp_path / "out"), "--no-history", cwd=tmp_path)
    assert {"pandas", "pandera"} <= imported, imported  # the probe sees what the audit imports, checks included
    # SQLAlchemy is for a history or a database source, openpyxl for an .xlsx source (XlsxWriter writes);
    # pyspark and hypothesis (both in the dev venv) are what pandera would load because they are installed
    assert imported.isdisjoint({"sqlalchemy", "openpyxl", "pyspark", "hypothesis"}), imported
    assert unused == set(), unused
    assert (tmp_path / "out" / "worklist.xlsx").exists()


def test_a_check_loads_no_writer_of_the_full_audit(export: Path, tmp_path: Path) -> None:
    imported = heavy_imports("check", str(export), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert "pandas" in imported, imported
    assert imported.isdisjoint({"sqlalchemy", "openpyxl", "jinja2"}), imported


def test_mapping_loads_no_scipy(export: Path, tmp_path: Path) -> None:
    """The config's `dedupe:` settings come from the duplicate detection package (which needs no scipy either)."""
    imported = heavy_imports("mapping", str(export), cwd=tmp_path)
    assert "pandas" in imported and "scipy" not in imported, imported


def test_dedupe_loads_no_pandera(tmp_path: Path) -> None:
    """Duplicate detection runs no rule: the findings' schema and the check engine's pandera stay unloaded."""
    folder = tmp_path / "people"
    folder.mkdir()
    (folder / "contacts.csv").write_text(
        "contact_id,first_name,last_name,email\nC1,Anna,Nowak,a@b.pl\nC2,Anna,Nowak,a@b.pl\nC3,Jan,Kowal,j@k.pl\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    imported, unused = _imports("dedupe", str(folder), "--entity", "contacts", "--out", str(out), cwd=tmp_path)
    assert (out / "pairs.csv").exists() and "C1" in (out / "clusters.csv").read_text(encoding="utf-8")
    assert "pandas" in imported, imported
    assert imported.isdisjoint({"pandera", "sqlalchemy", "openpyxl", "scipy"}), imported
    assert unused == set(), unused
