"""Typed frames -> the export's text, and the atomic write of the export directory."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from auditor.model import ENTITIES, DType, Role
from auditor.synth.text import TEXT


def fmt_datetime(values: pd.Series | np.ndarray) -> pd.Series:
    arr = np.asarray(values, dtype="datetime64[s]")
    out = pd.Series(arr.astype(str), dtype=TEXT)
    return out.where(~np.isnat(arr), None)


def fmt_date(values: pd.Series | np.ndarray) -> pd.Series:
    arr = np.asarray(values, dtype="datetime64[s]").astype("datetime64[D]")
    out = pd.Series(arr.astype(str), dtype=TEXT)
    return out.where(~np.isnat(arr), None)


def fmt_number(values: pd.Series, decimals: int | None) -> pd.Series:
    """Money with 2 decimals (12500.00); other numbers as integers when whole (9, 45), else plain."""
    x = pd.to_numeric(values, errors="coerce").astype("float64")
    if decimals is not None:
        out = pd.Series(np.char.mod(f"%.{decimals}f", x.to_numpy()), dtype=TEXT)
    else:
        whole = np.isfinite(x) & (np.floor(x) == x)
        ints = pd.Series(np.char.mod("%d", np.where(whole, x, 0).astype("int64")), dtype=TEXT)
        out = ints.where(whole, x.astype(TEXT))
    return out.where(x.notna().to_numpy(), None)


def fmt_bool(values: pd.Series) -> pd.Series:
    b = pd.Series(values).astype("boolean")
    return pd.Series(np.where(b.fillna(False), "true", "false"), dtype=TEXT).where(b.notna().to_numpy(), None)


def to_text(entity: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The export's text for every canonical field of an entity, in model order (missing = None)."""
    ent = ENTITIES[entity]
    cols: dict[str, pd.Series] = {}
    for f in ent.fields:
        v = frame[f.name].reset_index(drop=True)
        if f.dtype is DType.DATETIME:
            s = fmt_datetime(v)
        elif f.dtype is DType.DATE:
            s = fmt_date(v)
        elif f.dtype in (DType.NUMBER, DType.INTEGER):
            s = fmt_number(v, 2 if f.role is Role.MONEY else None)
        elif f.dtype is DType.BOOL:
            s = fmt_bool(v)
        else:
            s = v.astype(TEXT).where(v.notna().to_numpy(), None)
        cols[f.name] = s.astype(TEXT)
    return pd.DataFrame(cols)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8, comma, header, quotes only where needed, empty cell for missing."""
    table = pa.Table.from_pandas(frame.astype(TEXT), preserve_index=False)
    table = table.cast(pa.schema([pa.field(c, pa.string()) for c in frame.columns]))
    # pyarrow quotes header names; canonical names never need quoting, so the header is written here
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    with open(path, "wb") as fh:
        fh.write((",".join(frame.columns) + "\n").encode("utf-8"))
        pacsv.write_csv(table, fh, write_options=options)


@contextmanager
def atomic_dir(out: Path) -> Iterator[Path]:
    """A temporary directory next to `out` that replaces `out` only if the block succeeds."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        os.replace(out, old)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


ProgressFn = Callable[[str, int, int], None]
