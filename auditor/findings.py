"""The findings frame, owned in one place: one row per (record, field, rule) that failed, written by the
check engine, duplicate detection and the reference checks, and read by the scores, the metrics'
confidence, the worklist and every report.

`FINDINGS` states its columns as a pandera schema. The stages build the frame with whole-column
operations and do not validate it on every run (that would cost more than some checks); the tests
validate what each stage writes, so a stage that adds, drops or retypes a column fails there.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as arrow
import pyarrow.compute as pc

from auditor.checks.base import Dimension, Severity
from auditor.pandera_api import pandera_pandas

if TYPE_CHECKING:
    import pandera.pandas as pa

FINDING_COLUMNS = (
    "entity",
    "record_id",
    "field",
    "rule_id",
    "severity",
    "dimension",
    "message",
    "value",
    "suggested_value",
    "owner",
    "file",
    "row",
)


def __getattr__(name: str) -> Any:
    if name == "FINDINGS":  # built on first use: pandera's import is 0.2-0.4 s that `crm-audit dedupe` never needs
        return _schema()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def _schema() -> pa.DataFrameSchema:
    pa = pandera_pandas()  # start-up time: only the tests validate findings against the schema

    def text(nullable: bool = False) -> pa.Column:
        """A text column: every present value a non-empty str (the loader's raw text, not a parsed number)."""
        return pa.Column(
            checks=pa.Check(lambda s: s.map(lambda v: isinstance(v, str) and v != ""), element_wise=False),
            nullable=nullable,
        )

    return pa.DataFrameSchema(
        {
            "entity": text(),
            "record_id": text(),
            "field": text(),
            "rule_id": text(),
            "severity": pa.Column(checks=pa.Check.isin([s.value for s in Severity])),
            "dimension": pa.Column(checks=pa.Check.isin([d.value for d in Dimension])),
            "message": text(),
            "value": pa.Column(nullable=True),
            "suggested_value": pa.Column(nullable=True),
            "owner": text(nullable=True),
            "file": text(),
            # the line of the record in its file (the header is line 1) or its row in a database table
            "row": pa.Column("int64", checks=pa.Check.ge(1)),
        },
        strict=True,
        ordered=True,
        name="findings",
    )


def empty_findings() -> pd.DataFrame:
    """A findings frame with no rows and the columns' types."""
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in FINDING_COLUMNS})
    frame["row"] = frame["row"].astype("int64")
    return frame


def compact(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with each text column as Python objects, one object per distinct value: the same message,
    rule, file or owner on a million rows is stored once, plus a pointer per row. Arrow strings (pandas'
    default) store every row's bytes: the findings of a million copies of one contact took 2.5 GB.
    Missing values keep their own objects (None, NaN, NA), so the frame reads and writes the same."""
    return pd.DataFrame({column: compact_column(frame[column]) for column in frame.columns}, copy=False)


def compact_column(series: pd.Series) -> pd.Series:
    """`series` as `compact` holds it: text and objects as one object per distinct value, other types as they are."""
    if series.dtype != object and not isinstance(series.dtype, pd.StringDtype):
        return series
    return pd.Series(shared_values(series), index=series.index, dtype=object)


def shared_values(series: pd.Series) -> np.ndarray:
    """A text column's values as an object array holding one str per distinct value (see compact)."""
    codes, uniques = pd.factorize(series)
    if isinstance(series.dtype, pd.StringDtype):  # no str per row made on the way: its one missing value
        return np.append(np.asarray(uniques, dtype=object), series.dtype.na_value)[codes]
    values = series.to_numpy(dtype=object, copy=True)
    present = codes >= 0
    values[present] = np.asarray(uniques, dtype=object)[codes[present]]
    return values


AT_ONCE = 100_000
"""Findings up to which `concat_findings` joins the parts in one `pd.concat`: parts and whole held together
are a few megabytes, and taking a column out of each part costs more than the checks of a small export."""


def concat_findings(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """`pd.concat(parts, ignore_index=True)`; beyond `AT_ONCE` findings one column at a time, each taken
    out of the parts once placed: the parts and the whole are never both held (on a million copies of one
    contact, 600 MB twice), and the parts are left without columns."""
    if len(parts) == 1:
        return parts[0].reset_index(drop=True)
    if sum(map(len, parts)) <= AT_ONCE:
        return pd.concat(parts, ignore_index=True)
    columns = {}
    for column in dict.fromkeys(c for part in parts for c in part.columns):
        pieces = [part.pop(column) if column in part else pd.Series(np.nan, index=part.index) for part in parts]
        columns[column] = pd.concat(pieces, ignore_index=True)
    return pd.DataFrame(columns, copy=False)


# --- a column of many rows and few values: codes, factorized and sorted without a hash table of its rows ---


FACTORIZE_ROWS = 1 << 20
"""Rows factorize hashes at a time."""


def factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`pd.factorize(values)`: a code per row (first-appearance order, -1 where missing) and the distinct
    values, FACTORIZE_ROWS rows at a time. pandas sizes its hash table by the rows: 40 bytes a row for
    text, 60 for integers, while it runs (a million copies of one contact: 7 million rows, 300 MB for a
    column of five distinct values); here by the rows of a chunk and the distinct values."""
    if len(values) <= FACTORIZE_ROWS:
        codes, uniques = pd.factorize(values)
        return codes, np.asarray(uniques, dtype=values.dtype if values.dtype != object else object)
    dtype = values.dtype if values.dtype != object else object
    known = pd.Index(np.empty(0, dtype=dtype), dtype=dtype)
    codes = np.empty(len(values), dtype=np.int64)
    for start in range(0, len(values), FACTORIZE_ROWS):
        part, uniques = pd.factorize(values[start : start + FACTORIZE_ROWS])
        uniques = np.asarray(uniques, dtype=dtype)
        # every Index built with the dtype said: pandas infers text from objects otherwise, and Arrow text
        # cannot hold a lone surrogate (a JSON source's "\ud800")
        found = known.get_indexer(pd.Index(uniques, dtype=dtype)) if len(known) else np.full(len(uniques), -1)
        new = found < 0
        found[new] = len(known) + np.arange(int(new.sum()))
        known = pd.Index(np.concatenate([known.to_numpy(), uniques[new]]), dtype=dtype)
        codes[start : start + len(part)] = np.append(found, -1)[part]
    return codes, known.to_numpy()


def codes_of(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(a code per row, -1 where missing; the distinct values as objects) of a coded or plain column."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(), np.asarray(values.cat.categories, dtype=object)
    return factorize(values.to_numpy(dtype=object))


def sort_ranks(values: pd.Series) -> np.ndarray:
    """Each row's place among the column's distinct values sorted, missing ones last (as sort_values places
    them): a coded or plain text column is sorted on these, its distinct values ranked, not its rows."""
    codes, uniques = codes_of(values)
    return np.append(sort_codes(uniques), len(uniques)).astype(np.int32)[codes]


def sort_codes(values: np.ndarray) -> np.ndarray:
    """Integer codes in the order of the sorted values, missing ones last (as sort_values places them):
    the cells are sorted on these, not on a frame of their text."""
    codes, uniques = factorize(np.asarray(values, dtype=object))
    return np.append(_places(uniques), len(uniques)).astype(np.int32)[codes]


def _places(distinct: Any) -> np.ndarray:
    """Each of the distinct values' place among them sorted. Texts alone are sorted by Arrow, whose order of UTF-8
    bytes is Python's order of code points: Python's sort of a million contacts' 245,000 distinct record ids was
    0.2 CPU s of findings.csv. Other values, and text Arrow cannot hold (a lone surrogate, from a JSON source's
    "\\ud800"), by Python's sort."""
    if pd.api.types.infer_dtype(distinct, skipna=False) == "string":
        try:
            texts = arrow.array(np.asarray(distinct, dtype=object), type=arrow.string())
        except (arrow.ArrowException, UnicodeError):
            pass
        else:
            return pc.rank(texts, "ascending", tiebreaker="first").to_numpy() - 1
    return pd.factorize(distinct, sort=True)[0]
