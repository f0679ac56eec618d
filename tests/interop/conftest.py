"""Shared fixtures of the interop tests: a PostgreSQL server and one Great Expectations context.

PostgreSQL: `CRM_AUDIT_PG_URL` names a server (`.ci/run` starts one and sets it). Without it the
tests start a throw-away server the same way `.ci/run` does (`.ci/postgres.sh`) when the
PostgreSQL binaries are installed, and stop it afterwards; otherwise they are skipped with the
reason, except in CI (`CI` or `CRM_AUDIT_PG_REQUIRED` set), where a missing server fails them.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
PG_UNAVAILABLE = "PostgreSQL not available: set CRM_AUDIT_PG_URL or run .ci/run"
LOCAL_PORT = "54339"


def _required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("CRM_AUDIT_PG_REQUIRED"))


def _unavailable(reason: str) -> None:
    if _required():
        pytest.fail(f"{reason} (CI must not skip the PostgreSQL tests)", pytrace=False)
    pytest.skip(reason)


def _have_binaries() -> bool:
    return bool(glob.glob("/usr/lib/postgresql/*/bin/initdb") or shutil.which("initdb"))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The URL of a PostgreSQL server whose user may create databases."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("PostgreSQL driver not installed: pip install 'crm-auditor[pg]'")
    url = os.environ.get("CRM_AUDIT_PG_URL")
    started: Path | None = None
    if not url:
        if not _have_binaries() or (os.geteuid() == 0 and shutil.which("runuser") is None):
            _unavailable(PG_UNAVAILABLE)
        # not under pytest's private temp dir: as root, the server runs as `postgres` and must reach it
        base = Path(tempfile.mkdtemp(prefix="crm-audit-pg-"))
        base.chmod(0o755)
        started = base / "data"
        run = subprocess.run(
            [str(ROOT / ".ci" / "postgres.sh"), "start", str(started)],
            capture_output=True,
            text=True,
            env={**os.environ, "CRM_AUDIT_PG_PORT": LOCAL_PORT},
            stdin=subprocess.DEVNULL,
            check=False,
        )
        if run.returncode != 0:
            _unavailable(f"{PG_UNAVAILABLE} (.ci/postgres.sh failed: {run.stderr.strip()[-500:]})")
        url = run.stdout.strip().splitlines()[-1].split("=", 1)[1]
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
    except sa.exc.SQLAlchemyError as err:
        _unavailable(f"{PG_UNAVAILABLE} (cannot connect to {url}: {err.__class__.__name__})")
    try:
        yield url
    finally:
        if started is not None:
            subprocess.run([str(ROOT / ".ci" / "postgres.sh"), "stop", str(started)], capture_output=True, check=False)
            shutil.rmtree(started.parent, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty database on the server, dropped afterwards."""
    import sqlalchemy as sa

    name = f"crm_audit_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(pg_server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def gx_context():
    """One ephemeral Great Expectations context for the whole session (GX is slow to import)."""
    pytest.importorskip("great_expectations", reason="great-expectations not installed: pip install 'crm-auditor[ge]'")
    from auditor.interop.ge import ephemeral_context

    return ephemeral_context()


@pytest.fixture(scope="session")
def acme_csv_result(acme_audit):
    """The audit of fixtures/acme from its CSV files with its crm-audit.yaml: the suite's shared one
    (tests/conftest.py; an audit takes seconds). Read-only."""
    return acme_audit
