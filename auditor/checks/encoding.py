"""`<entity>.encoding.mixed`: records a reader decoded in another encoding than the rest of their file.

A UTF-8 export with a few rows pasted from a cp1250 one is read row by row, each in its own encoding
(`auditor.sources.encoding.mixed_encoding`), so nothing turns into mojibake; but such a row is where a
letter may still be wrong (a single-byte guess), and the system that wrote it mixes encodings. Each one
is a finding, like an unparsable date: one per cell holding a letter beyond ASCII (the cells the other
encoding could have changed), or one on the record's first column when none does.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from auditor.checks.base import Dimension, Severity
from auditor.model import Entity

KIND = "encoding"
ORIGIN = "auditor.sources"
SEVERITY = Severity.WARNING
DIMENSION = Dimension.VALIDITY
MESSAGE = "{field}: row read as {encoding}, unlike most of its file; check its letters"


def rule_id(entity: str) -> str:
    return f"{entity}.encoding.mixed"


def encoding_findings(
    entity: Entity, table: object, ids: pd.Series, files: Callable[[pd.Index], np.ndarray | str]
) -> pd.DataFrame | None:
    """The findings of `table`'s rows read in another encoding than their file's; None when it has none."""
    read_as: pd.Series | None = getattr(table, "read_as", None)
    if read_as is None or not read_as.notna().any():
        return None
    raw: pd.DataFrame = table.raw  # type: ignore[attr-defined]
    odd = read_as.notna().to_numpy()
    odd_rows = np.flatnonzero(odd)
    positions, columns = [], []
    for at, column in enumerate(raw.columns):
        cells = raw[column].to_numpy(dtype=object)[odd]
        beyond_ascii = np.fromiter((isinstance(v, str) and not v.isascii() for v in cells), bool, len(cells))
        positions.append(odd_rows[beyond_ascii])
        columns.append(np.full(int(beyond_ascii.sum()), at))
    # a row whose other-encoding bytes sat in a column no field keeps is reported on its first column
    bare = np.setdiff1d(odd_rows, np.concatenate(positions)) if positions else odd_rows
    rows = np.concatenate([*positions, bare])
    at = np.concatenate([*columns, np.zeros(len(bare), dtype=np.int64)])
    order = np.lexsort((at, rows))
    rows, fields = rows[order], np.asarray(raw.columns, dtype=object)[at[order]]
    index = raw.index[rows]
    values = [raw.at[i, f] for i, f in zip(index, fields, strict=True)]
    encodings = read_as.loc[index].astype(str).to_numpy()
    messages = [MESSAGE.format(field=f, encoding=e) for f, e in zip(fields, encodings, strict=True)]
    frame: pd.DataFrame = table.frame  # type: ignore[attr-defined]
    owner = frame.loc[index, "owner"] if "owner" in frame.columns else pd.Series(None, index=index, dtype="object")
    return pd.DataFrame(
        {
            "entity": entity.name,
            "record_id": ids.loc[index].to_numpy(),
            "field": fields,
            "rule_id": rule_id(entity.name),
            "severity": SEVERITY.value,
            "dimension": DIMENSION.value,
            "message": messages,
            "value": pd.Series(values, dtype="object").where(pd.notna(values), None).to_numpy(),
            "suggested_value": None,
            "owner": owner.astype("object").to_numpy(),
            "file": files(index),
            "row": table.row_numbers.loc[index].astype("int64").to_numpy(),  # type: ignore[attr-defined]
        }
    )
