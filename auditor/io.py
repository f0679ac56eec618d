"""Atomic output: every file is written to a temporary sibling and renamed into place, so a
reader (or a crash) never sees half a report."""

from __future__ import annotations

import contextlib
import ctypes
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from auditor.csvtext import FORMULA_PREFIXES, KnownCategories, csv_lines
from auditor.errors import InputError


def user_cache(name: str) -> Path:
    """A folder of the auditor's under the user's cache directory: `$XDG_CACHE_HOME/crm-auditor/<name>`, by default
    under ~/.cache."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "crm-auditor" / name


def output_folder(path: str | Path | None) -> Path | None:
    """`path` as a folder to write into: an InputError (exit 2) when it is an existing file, raised before
    any work is done."""
    if path is None:
        return None
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError("--out is a file; give a folder to write into (it is created when missing)", file=str(path))
    return path


_SYNCED_AT_END: ContextVar[tuple[Path, list[Path]] | None] = ContextVar("synced_at_end", default=None)
"""The folder whose files `atomic_open` leaves to `synced_once`, and the files written into it so far."""


@contextlib.contextmanager
def synced_once(folder: Path) -> Iterator[None]:
    """Files `atomic_open` writes into `folder` inside the block reach the disk together when it ends, not
    one `fsync` each: a staged run's 63 files waited 0.2-0.5 s for as many journal commits, one sync of
    the folder's file system takes a few milliseconds. Nothing is synced when the block raises."""
    written: list[Path] = []
    token = _SYNCED_AT_END.set((Path(folder), written))
    try:
        yield
    finally:
        _SYNCED_AT_END.reset(token)
    if not _syncfs(folder):
        for path in written:
            _fsync(path)
        _fsync(folder)


def _syncfs(folder: Path) -> bool:
    """Linux syncfs(2) of the file system holding `folder`; False where the C library has none."""
    try:
        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, TypeError, AttributeError):  # no C library to ask (Windows), or one without it (macOS)
        return False
    fd = os.open(folder, os.O_RDONLY)
    try:
        if function(fd) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), str(folder))
    finally:
        os.close(fd)
    return True


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_open(
    path: str | Path, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = None
) -> Iterator[IO]:
    """`path` written through a temporary sibling renamed into place once complete and on disk (inside
    `synced_once`, on disk when its block ends)."""
    path = Path(path)
    deferred = _SYNCED_AT_END.get()
    later = deferred is not None and deferred[0] in path.parents
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # a lone surrogate (a JSON source's "\ud800") cannot be UTF-8: it is written as its escape, visibly
        text = "b" not in mode
        with os.fdopen(
            fd,
            mode,
            encoding=encoding if text else None,
            errors="backslashreplace" if text else None,
            newline=newline,
        ) as handle:
            yield handle
            handle.flush()
            if not later:
                os.fsync(handle.fileno())
        # mkstemp creates 0600; a report should get the permissions any new file would get
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
        if deferred is not None and later:
            deferred[1].append(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_text(path: str | Path, text: str) -> None:
    with atomic_open(path) as handle:
        handle.write(text)


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix cells a spreadsheet would run as a formula with a quote (CSV injection).

    Values come from the audited data, which anyone who can type into the CRM controls.
    """
    out = frame.copy()
    for column in out.columns:
        dtype = out[column].dtype
        # a category's cells are its texts too: "=HYPERLINK(...)" as a category runs as well as any
        if (
            pd.api.types.is_object_dtype(dtype)
            or pd.api.types.is_string_dtype(dtype)
            or isinstance(dtype, pd.CategoricalDtype)
        ):
            text = out[column].astype("object")
            risky = _formulas(text.to_numpy())
            out[column] = text.where(~risky, "'" + text.astype(str)) if risky.any() else text
    return out


def _formulas(values: np.ndarray) -> np.ndarray:
    """Whether each value is a text a spreadsheet would run, tested once per distinct value (a column of a
    chunk repeats its entity, rule and message on every row), or per value when they are not hashable."""
    try:
        codes, uniques = pd.factorize(values)
    except TypeError:
        codes, uniques = np.arange(len(values)), values
    starts = [isinstance(v, str) and v.startswith(FORMULA_PREFIXES) for v in uniques]
    return np.append(np.array(starts, dtype=bool), False)[codes]


CHUNK_ROWS = 50_000
"""Rows a writer renders at a time, at most: what it holds beyond the frame itself stays this size, however
many rows there are (a million findings are not copied, nor rendered as one string)."""
CHUNK_BYTES = 8 << 20
"""Text a writer makes at a time, about: a chunk of wide rows is cut to fewer than CHUNK_ROWS. 50,000 tasks
of a million contacts' worklist are 145 MB of CSV (their merge plans and evidence), and a chunk's columns,
fields and lines held together took 500 MB (580 MB for the workbook's rows)."""
FIRST_CHUNK_ROWS = 1_000
"""Rows of a writer's first chunk, before it knows how wide its rows are."""


class Chunks:
    """Consecutive row ranges `(start, stop)` over `rows` rows, each of about CHUNK_BYTES of text: the
    first FIRST_CHUNK_ROWS rows, then as many as the bytes per row written so far allow (`wrote`), at most
    `most`. The rows' text is the same whichever way they are cut."""

    def __init__(self, rows: int, most: int = CHUNK_ROWS) -> None:
        self.rows, self.most = rows, most
        self.done = self.size = 0

    def __iter__(self) -> Iterator[tuple[int, int]]:
        start = 0
        while start < self.rows:
            stop = min(start + self._next(), self.rows)
            yield start, stop
            start = self.done = stop

    def wrote(self, size: int) -> None:
        """The text made of the last range, in bytes or characters."""
        self.size += size

    def _next(self) -> int:
        if not self.done:
            return max(1, min(self.most, FIRST_CHUNK_ROWS))
        if not self.size:
            return max(1, self.most)
        return max(1, min(self.most, CHUNK_BYTES * self.done // self.size))


def write_csv(
    frame: pd.DataFrame,
    path: str | Path,
    order: Sequence[int] | None = None,
    shown: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> None:
    """Every CSV the auditor writes: atomically, with formula cells neutralised, a chunk at a time (Chunks), as
    pandas' to_csv writes it (auditor.csvtext makes the lines column-wise where it can); `order`: the rows'
    positions in the order to write them (default: as they are); `shown`: what each chunk is written as."""
    rows = len(frame) if order is None else len(order)
    chunks = Chunks(rows, CHUNK_ROWS)
    known: KnownCategories = {}  # a coded column's fields, made once for the file
    with atomic_open(path, "wb") as handle:
        for start, stop in chunks if rows else [(0, 0)]:  # no rows: the header alone
            part = frame.iloc[start:stop] if order is None else frame.iloc[order[start:stop]]
            part = shown(part) if shown is not None else part
            lines = csv_lines(part, known)
            if lines is None:
                chunks.wrote(handle.write(_encoded(neutralise_formulas(part).to_csv(index=False, header=start == 0))))
                continue
            if start == 0:
                handle.write(_encoded(part.iloc[:0].to_csv(index=False)))
            chunks.wrote(handle.write(lines))


def _encoded(text: str) -> bytes:
    """As atomic_open's text files write it: a lone surrogate as its escape."""
    return text.encode("utf-8", "backslashreplace")
