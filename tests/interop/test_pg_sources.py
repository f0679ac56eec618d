"""CRM tables in a real PostgreSQL server, read through SQLAlchemy, audit exactly like the CSV export.

The server comes from `CRM_AUDIT_PG_URL` (set by `.ci/run`) or is started the same way `.ci/run`
starts it; see conftest.py. Each test gets its own database.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from auditor.config import load_config
from auditor.pipeline import check
from auditor.sources import SourceOptions, load_export
from auditor.sources.sql_reader import display_url

ACME = Path(__file__).resolve().parents[2] / "fixtures" / "acme"
ORDER = ["entity", "record_id", "field", "rule_id"]


def _upload(url: str, frames: dict[str, pd.DataFrame]) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for name, frame in frames.items():
            plain = frame.astype("object").where(frame.notna(), None)
            plain.to_sql(name, conn, index=False, dtype=dict.fromkeys(plain.columns, sa.Text()), chunksize=5000)
    engine.dispose()


def _comparable(findings: pd.DataFrame) -> pd.DataFrame:
    """`file` names the source (CSV path or URL#table) and `row` its line (CSV) or row (SQL): they
    differ by design. A record without a primary key is named by its row (`row:N`), and a SQL
    table's rows have no order, so those findings are compared by everything but that name."""
    out = findings.drop(columns=["file", "row"])
    out.loc[out["record_id"].str.startswith("row:"), "record_id"] = "row:?"
    out = out.astype("object").where(out.notna(), None)
    return out.sort_values(list(out.columns), key=lambda c: c.astype(str)).reset_index(drop=True)


@pytest.fixture(scope="module")
def acme_raw() -> dict[str, pd.DataFrame]:
    """The acme export as the CSV reader sees it: strings, missing cells missing."""
    return {name: table.raw for name, table in load_export(ACME).tables.items()}


def test_pg_acme_findings_equal_the_csv_export(pg_url: str, acme_raw: dict[str, pd.DataFrame], acme_csv_result) -> None:
    # Tables named like a team's warehouse, mapped to entities in the config.
    tables = {f"crm_{name}": name for name in acme_raw}
    _upload(pg_url, {f"crm_{name}": frame for name, frame in acme_raw.items()})
    config = load_config(ACME / "crm-audit.yaml")
    config.tables = tables
    config.chunk_size = 700

    from_db = check(pg_url, config)
    from_csv = acme_csv_result

    assert sorted(t["entity"] for t in from_db.tables) == sorted(acme_raw)
    assert all(t["source"].startswith(display_url(pg_url) + "#crm_") for t in from_db.tables)
    assert len(from_db.findings) == len(from_csv.findings) > 1000
    pd.testing.assert_frame_equal(_comparable(from_db.findings), _comparable(from_csv.findings))
    assert from_db.scores.overall == pytest.approx(from_csv.scores.overall)
    assert [(o.rule_id, o.status, o.failed) for o in from_db.outcomes] == [
        (o.rule_id, o.status, o.failed) for o in from_csv.outcomes
    ]
    assert from_db.gate.passed == from_csv.gate.passed


def test_pg_typed_columns_read_like_their_text(pg_url: str) -> None:
    """Native PostgreSQL types (timestamps, numeric, integer, boolean, NULL) become the strings a
    CSV would hold, so the model types them the same way; tables are found by name."""
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "create table opportunities (opportunity_id text primary key, account_id text, stage text,"
                " amount numeric(12, 2), probability integer, close_date date, created_at timestamp,"
                " won boolean)"
            )
        )
        conn.execute(
            sa.text(
                "insert into opportunities values"
                " ('O1', 'A1', 'Closed Won', 1200.50, 100, '2026-03-01', '2026-01-02 10:30:00', true),"
                " ('O2', 'A1', 'Closed Won', NULL, NULL, NULL, '2026-01-05 08:00:00', NULL)"
            )
        )
        conn.execute(sa.text('create table "Audit Log" (what text)'))
    engine.dispose()
    export = load_export(pg_url)
    table = export.tables["opportunities"]
    assert table.raw["amount"].tolist()[0] == "1200.5"
    assert table.frame["amount"].tolist()[0] == 1200.5
    assert table.frame["close_date"].tolist()[0] == pd.Timestamp("2026-03-01")
    assert table.frame["created_at"].tolist()[1] == pd.Timestamp("2026-01-05 08:00")
    assert pd.isna(table.raw["amount"].tolist()[1]) and pd.isna(table.frame["close_date"].tolist()[1])
    assert any("Audit Log: skipped" in note for note in export.notes)
    result = check(pg_url, load_config(None))
    won = result.findings[result.findings["rule_id"] == "opportunities.won.amount"]
    assert won["record_id"].tolist() == ["O2"]


def test_pg_password_never_shown(pg_url: str) -> None:
    url = sa.engine.make_url(pg_url).set(password="s3cret-pass")
    assert "s3cret-pass" not in display_url(url.render_as_string(hide_password=False))


@pytest.mark.parametrize("rows", [200_000])
def test_pg_large_table_read_in_chunks_with_progress(pg_url: str, rows: int) -> None:
    rng = np.random.default_rng(1)
    ids = np.char.add("C", np.arange(rows).astype(str))
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text("create table contacts (contact_id text, last_name text, email text, created_at text)"))
        raw = conn.connection.dbapi_connection  # COPY: the quickest way to load 200,000 rows
        with raw.cursor() as cursor, cursor.copy("COPY contacts FROM STDIN") as copy:
            names = rng.choice(["Nowak", "Kowalski", "Smith", "Lee"], rows)
            for i in range(rows):
                copy.write_row((ids[i], names[i], f"{ids[i].lower()}@example.com", "2026-01-01 00:00:00"))
    engine.dispose()
    seen: list[str] = []
    export = load_export(pg_url, SourceOptions(chunk_size=50_000), lambda message, done, total: seen.append(message))
    table = export.tables["contacts"]
    assert len(table.raw) == rows
    assert table.raw["contact_id"].iloc[-1] == f"C{rows - 1}"
    chunks = [m for m in seen if m.startswith("reading table contacts:")]
    assert chunks == [f"reading table contacts: {n} rows" for n in range(50_000, rows + 1, 50_000)]


def test_pg_unreachable_server_is_one_input_error(tmp_path: Path) -> None:
    from auditor.errors import InputError

    with pytest.raises(InputError, match=r"nobody:\*\*\*@127\.0\.0\.1:1/none: cannot list tables"):
        load_export("postgresql+psycopg://nobody:pw@127.0.0.1:1/none")
