"""A PostgreSQL source given with a password: every file the audit writes and every line it prints is
searched for the password, which must appear nowhere (reports show `user:***@host`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from auditor.cli import main
from auditor.sources import load_export

ACME = Path(__file__).resolve().parents[2] / "fixtures" / "acme"
PASSWORD = "Pw-4f9c1e-never-shown"
ROWS = 100
TABLES = ("accounts", "contacts")


@pytest.fixture
def url_with_password(pg_url: str) -> str:
    """The first rows of the acme accounts and contacts in a fresh database (enough for findings, duplicates
    and a worklist), and its URL with a password: the test server trusts local connections, so any connects."""
    export = load_export(ACME)
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        for name in TABLES:
            raw: pd.DataFrame = export.tables[name].raw.head(ROWS)
            plain = raw.astype("object").where(raw.notna(), None)
            plain.to_sql(name, conn, index=False, dtype=dict.fromkeys(plain.columns, sa.Text()), chunksize=5000)
    engine.dispose()
    return sa.engine.make_url(pg_url).set(password=PASSWORD).render_as_string(hide_password=False)


def _leaks(folder: Path) -> list[str]:
    return [str(f) for f in folder.rglob("*") if f.is_file() and PASSWORD.encode() in f.read_bytes()]


def test_no_output_and_no_printed_line_shows_the_password(
    url_with_password: str, tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import zipfile

    monkeypatch.chdir(tmp_path)
    history = f"{url_with_password}?application_name=crm-audit-history"
    runs = [
        ["audit", url_with_password, "--out", "full", "--history", history, "--format", "github"],
        ["audit", url_with_password, "--out", "again", "--history", history, "--fail-on-regression", "1", "-f", "json"],
        ["init", url_with_password, "--out", "starter.yaml"],
        ["fix", url_with_password, "--out", "fixed"],
        ["history", "--history", history],
        ["check", url_with_password.replace(":5", ":x5"), "--format", "json"],  # a port that is no number
    ]
    printed = []
    for argv in runs:
        code = main(argv)
        out, err = capfd.readouterr()
        assert code in (0, 1, 2), (argv[0], code, err)
        printed.append(out + err)
    assert "***@" in printed[0] and "***@" in printed[1], "the URL is shown, its password masked"
    assert [i for i, text in enumerate(printed) if PASSWORD in text] == []
    assert _leaks(tmp_path) == []
    for book in tmp_path.rglob("*.xlsx"):  # compressed: the bytes above do not show it
        with zipfile.ZipFile(book) as parts:
            assert not [n for n in parts.namelist() if PASSWORD.encode() in parts.read(n)], book
    assert (tmp_path / "full" / "result.json").is_file() and (tmp_path / "full" / "worklist.xlsx").is_file()
    engine = sa.create_engine(history)  # the run history, kept in the same server
    with engine.connect() as conn:
        runs = conn.execute(sa.text("select input, config, gate_json from crm_audit_runs")).all()
    engine.dispose()
    assert len(runs) == 2 and all("***@" in run.input for run in runs)
    assert not [run for run in runs if PASSWORD in " ".join(str(value) for value in run)]
