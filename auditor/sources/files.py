"""Reading a file's bytes with the errors a person can act on."""

from __future__ import annotations

import bz2
import gzip
import lzma
import zlib
from collections.abc import Callable
from pathlib import Path

from auditor.errors import InputError

COMPRESSIONS: dict[str, Callable[[bytes], bytes]] = {
    ".gz": gzip.decompress,
    ".bz2": bz2.decompress,
    ".xz": lzma.decompress,
}
"""Compressed single files are read as the file inside (`log.csv.gz` is a CSV)."""


def reason(error: BaseException) -> str:
    """A library's error message on one line: pyarrow's and openpyxl's may end in, or hold, line breaks."""
    return " ".join(str(error).split())


def data_suffix(path: Path) -> str:
    """The suffix that says the format, under a compression suffix: `.csv` for `log.csv.gz`."""
    suffixes = [s.lower() for s in path.suffixes]
    if len(suffixes) >= 2 and suffixes[-1] in COMPRESSIONS:
        return suffixes[-2]
    return suffixes[-1] if suffixes else ""


def data_stem(path: Path) -> str:
    """The name without its format and compression suffixes: `log` for `log.csv.gz`."""
    return path.stem[: -len(data_suffix(path))] if path.suffix.lower() in COMPRESSIONS else path.stem


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
    decompress = COMPRESSIONS.get(path.suffix.lower())
    if decompress is not None:
        try:
            data = decompress(data)
        except (OSError, EOFError, lzma.LZMAError, zlib.error, ValueError) as err:
            raise InputError(f"cannot decompress {path.suffix} file: {reason(err)}", file=source) from None
        if not data:
            raise InputError("file is empty once decompressed", file=source)
    return data
