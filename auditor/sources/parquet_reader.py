"""Parquet files, read with pyarrow and turned into strings like every other source."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from auditor.errors import InputError
from auditor.sources.files import read_bytes, reason
from auditor.sources.raw import RawRead, dedupe_headers
from auditor.sources.stringify import to_strings


def read_parquet(path: Path, source: str) -> RawRead:
    # start-up time: an export of CSV files never needs Arrow's Parquet module (0.01 s to import)
    import pyarrow.parquet as pq

    read_bytes(path, source)
    try:
        table = pq.read_table(path)
        # text that is not UTF-8 is read without complaint and fails wherever it is first used
        table.validate(full=True)
    except (pa.ArrowException, OSError) as err:
        raise InputError(f"not a readable Parquet file ({reason(err)})", file=source) from None
    names, notes = dedupe_headers(table.column_names, source)
    frame = to_strings(table.rename_columns(names).to_pandas())
    return RawRead(
        name=path.stem,
        source=source,
        frame=frame.reset_index(drop=True),
        row_numbers=np.arange(1, len(frame) + 1),
        format="parquet",
        notes=notes,
    )
