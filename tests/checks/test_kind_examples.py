"""Every rule kind's own examples: the values it declares passing pass, the failing ones fail."""

from __future__ import annotations

import pandas as pd
import pytest

from auditor.checks.base import CheckContext, Example, RuleKind
from auditor.checks.kinds import get_kind, registry
from auditor.model import ENTITIES, DType

CASES = [(kind, i, example) for kind in registry().values() for i, example in enumerate(kind.examples)]


def _typed(values: pd.Series, dtype: DType) -> pd.Series:
    """What the loader makes of text in a typed field: unparseable text becomes missing."""
    if values.dtype != object and not pd.api.types.is_string_dtype(values.dtype):
        return values
    if dtype in (DType.DATE, DType.DATETIME):
        return pd.to_datetime(values, format="ISO8601", errors="coerce")
    if dtype in (DType.NUMBER, DType.INTEGER):
        return pd.to_numeric(values, errors="coerce")
    return values


def example_context(example: Example) -> tuple[pd.Series, CheckContext]:
    entity = ENTITIES[example.entity]
    values = list(example.passes) + list(example.fails)
    raw = pd.DataFrame(
        {example.field: pd.Series(values), **{k: pd.Series(v) for k, v in example.extra_columns.items()}}
    )
    frame = raw.copy()
    if entity.has_field(example.field):
        frame[example.field] = _typed(raw[example.field], entity.field(example.field).dtype)
    tables = {name: pd.DataFrame({k: pd.Series(v) for k, v in cols.items()}) for name, cols in example.tables.items()}
    tables[example.entity] = frame
    ctx = CheckContext(
        entity=entity, frame=frame, raw=raw, tables=tables, as_of=pd.Timestamp("2026-10-31"), default_region="PL"
    )
    return frame[example.field], ctx


def test_every_kind_has_examples() -> None:
    assert all(kind.examples for kind in registry().values())


@pytest.mark.parametrize(("kind", "number", "example"), CASES, ids=[f"{k.name}-{i}" for k, i, _ in CASES])
def test_examples(kind: RuleKind, number: int, example: Example) -> None:
    values, ctx = example_context(example)
    result = kind.check(values, example.params, ctx)
    assert result.index.equals(values.index)
    n = len(example.passes)
    failed_passes = [v for v, ok in zip(example.passes, result.iloc[:n], strict=True) if not ok]
    passed_fails = [v for v, ok in zip(example.fails, result.iloc[n:], strict=True) if ok]
    assert not failed_passes, f"{kind.name} rejects {failed_passes}"
    assert not passed_fails, f"{kind.name} accepts {passed_fails}"


def test_unknown_kind_suggests_the_closest_name() -> None:
    with pytest.raises(KeyError, match="did you mean 'required'"):
        get_kind("requried")
