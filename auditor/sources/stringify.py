"""Typed columns (from Parquet, JSON, SQL, Excel cells) back to strings, so every source looks alike."""

from __future__ import annotations

import json
import math
from datetime import date, datetime

import numpy as np
import pandas as pd


def to_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell a str or NA; column names and index unchanged."""
    out = pd.DataFrame(index=frame.index)
    for position in range(frame.shape[1]):
        out[position] = _column(frame.iloc[:, position])
    out.columns = frame.columns
    return out


def _column(s: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        text = s.map({True: "true", False: "false"}, na_action="ignore")
    elif pd.api.types.is_integer_dtype(s):
        # unsigned stays unsigned: a uint64 above 2**63 does not fit Int64
        text = s.astype("UInt64" if pd.api.types.is_unsigned_integer_dtype(s) else "Int64").astype("str")
    elif pd.api.types.is_float_dtype(s):
        text = s.map(_number, na_action="ignore")
    elif isinstance(s.dtype, pd.DatetimeTZDtype):
        text = s.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    elif pd.api.types.is_datetime64_any_dtype(s):
        text = s.dt.strftime("%Y-%m-%d %H:%M:%S")
    elif pd.api.types.is_string_dtype(s) and not pd.api.types.is_object_dtype(s):
        text = s
    else:
        text = s.map(_scalar, na_action="ignore")
    return text.astype("str").mask(s.isna() if not pd.api.types.is_object_dtype(s) else s.map(_missing))


def _number(value: float) -> str:
    # integral floats come from nullable integer columns and spreadsheets: "12" not "12.0"
    return str(int(value)) if math.isfinite(value) and value.is_integer() and abs(value) < 1e15 else repr(value)


def _scalar(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (dict, list, tuple, np.ndarray)):
        return json.dumps(value, ensure_ascii=False, default=_json_default)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _json_default(value: object) -> object:
    """Parquet's lists arrive as numpy arrays (inside structs too), its binary values as bytes."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _missing(value: object) -> bool:
    if isinstance(value, (list, dict, tuple, np.ndarray)):
        return False
    return bool(pd.isna(value))
