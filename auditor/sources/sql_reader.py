"""Tables of a database (PostgreSQL, SQLite, anything SQLAlchemy speaks); nothing is ever written.

Tables are read in chunks of `chunk_size` rows (default 50,000) through a server-side cursor where
the driver has one (PostgreSQL), so that a large table never sits in memory twice: each chunk is
turned into strings, like every other source, before the next one is fetched. A URL's password
never appears in sources, notes or findings (`display_url`).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from auditor.errors import InputError
from auditor.sources.raw import RawRead, dedupe_headers
from auditor.sources.stringify import to_strings
from auditor.sources.urls import is_database_url

__all__ = ["connect", "display_url", "is_database_url", "read_table", "table_names"]

DEFAULT_CHUNK_SIZE = 50_000
_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^/\s]*@")
"""user:password@ in a URL: what display_url masks when SQLAlchemy cannot parse the URL."""


def display_url(url: str) -> str:
    """The URL as reports show it: the password masked, also in a URL SQLAlchemy cannot parse."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):
        return _PASSWORD.sub(r"\1***@", url)


def connect(url: str) -> sa.Engine:
    try:
        parsed = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError) as err:  # ValueError: a port that is no number
        raise InputError(f"not a database URL ({display_url(str(err))})", file=display_url(url)) from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if not database or database == ":memory:":
            raise InputError("an in-memory SQLite database holds no export", file=url)
        file = Path(database)
        if not file.is_file():
            # sqlite would silently create an empty database here
            raise InputError("no such database file", file=url)
        return sa.create_engine(
            "sqlite://", creator=lambda: sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)
        )
    try:
        return sa.create_engine(parsed)
    except (sa.exc.ArgumentError, ImportError) as err:
        raise InputError(f"cannot open database ({err})", file=display_url(url)) from None


def table_names(engine: sa.Engine, url: str) -> list[str]:
    try:
        return sa.inspect(engine).get_table_names()
    except sa.exc.SQLAlchemyError as err:
        raise InputError(
            f"cannot list tables ({err.__class__.__name__}: {getattr(err, 'orig', None) or err})", file=display_url(url)
        ) from None


def read_table(
    engine: sa.Engine, url: str, name: str, chunk_size: int | None, progress: Callable[[int], None] | None = None
) -> RawRead:
    source = f"{display_url(url)}#{name}"
    query = sa.select(sa.text("*")).select_from(sa.table(name))
    try:
        with engine.connect() as conn:
            chunks = [to_strings(chunk) for chunk in _chunks(conn, query, chunk_size, progress)]
    except sa.exc.SQLAlchemyError as err:
        raise InputError(
            f"cannot read table ({err.__class__.__name__}: {getattr(err, 'orig', None) or err})", file=source
        ) from None
    if chunks:
        frame = pd.concat(chunks, ignore_index=True)
    else:  # an empty table read in chunks yields no chunk at all, not even its columns
        frame = pd.DataFrame(columns=[c["name"] for c in sa.inspect(engine).get_columns(name)], dtype="str")
    names, notes = dedupe_headers(list(frame.columns), source)
    frame.columns = names
    return RawRead(
        name=name, source=source, frame=frame, row_numbers=np.arange(1, len(frame) + 1), format="sql", notes=notes
    )


def _chunks(
    conn: sa.Connection, query: sa.Select, chunk_size: int | None, progress: Callable[[int], None] | None
) -> Iterator[pd.DataFrame]:
    if chunk_size is None:
        chunk_size = DEFAULT_CHUNK_SIZE
    if chunk_size <= 0:  # 0: one read
        yield pd.read_sql(query, conn)
        return
    done = 0
    streaming = conn.execution_options(stream_results=True, max_row_buffer=chunk_size)
    for chunk in pd.read_sql(query, streaming, chunksize=chunk_size):
        done += len(chunk)
        if progress:
            progress(done)
        yield chunk
