"""Reading a file's bytes with the errors a person can act on."""

from __future__ import annotations

from pathlib import Path

from auditor.errors import InputError


def read_bytes(path: Path, source: str) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", file=source) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", file=source) from None
    except OSError as err:
        raise InputError(f"cannot read file: {err.strerror or err}", file=source) from None
    if not data:
        raise InputError("file is empty", file=source)
    return data
