"""Whether a source is a database URL: asked of every source before anything is read, so it lives apart
from the SQL reader (auditor.sources.sql_reader), whose SQLAlchemy import costs start-up time a folder of
files never needs."""

from __future__ import annotations


def is_database_url(path: str) -> bool:
    return "://" in path and not path.startswith("file://")
