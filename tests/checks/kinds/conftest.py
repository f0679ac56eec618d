"""Helpers for the format and text-hygiene kind tests: run a kind on a small frame."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
import pytest

from auditor.checks.base import CheckContext, Example
from auditor.checks.kinds import get_kind
from auditor.model import ENTITIES


def frame(field: str, values: Sequence[Any], **columns: Sequence[Any]) -> pd.DataFrame:
    data = {field: pd.Series(list(values), dtype="str")}
    data.update({k: pd.Series(list(v), dtype="str") for k, v in columns.items()})
    return pd.DataFrame(data)


def context(df: pd.DataFrame, entity: str = "contacts", default_region: str = "PL") -> CheckContext:
    return CheckContext(
        entity=ENTITIES[entity],
        frame=df,
        raw=df,
        tables={entity: df},
        as_of=pd.Timestamp("2026-10-31"),
        default_region=default_region,
    )


Runner = Callable[..., list[bool]]


@pytest.fixture(scope="session")
def run() -> Runner:
    """run(kind, values, params=None, field="value", default_region="PL", **columns) -> pass flags."""

    def _run(
        kind: str,
        values: Sequence[Any],
        params: Mapping[str, Any] | None = None,
        field: str = "value",
        default_region: str = "PL",
        **columns: Sequence[Any],
    ) -> list[bool]:
        df = frame(field, values, **columns)
        result = get_kind(kind).check(df[field], params or {}, context(df, default_region=default_region))
        assert result.index.equals(df.index)
        assert result.dtype == bool
        return result.tolist()

    return _run


@pytest.fixture(scope="session")
def suggest() -> Callable[..., list[Any]]:
    """suggest(kind, values, params=None, **columns) -> suggestions, None where NA."""

    def _suggest(
        kind: str, values: Sequence[Any], params: Mapping[str, Any] | None = None, **columns: Sequence[Any]
    ) -> list[Any]:
        df = frame("value", values, **columns)
        suggest_fn = get_kind(kind).suggest
        assert suggest_fn is not None
        out = suggest_fn(df["value"], params or {}, context(df))
        assert out.index.equals(df.index)
        return [None if pd.isna(v) else v for v in out]

    return _suggest


def check_examples(kind: str) -> None:
    """Every Example of the kind: passes pass, fails fail."""
    examples: tuple[Example, ...] = get_kind(kind).examples
    assert examples, f"{kind} has no examples"
    for ex in examples:
        values = [*ex.passes, *ex.fails]
        df = frame(ex.field, values, **ex.extra_columns)
        assert ENTITIES[ex.entity].has_field(ex.field)
        got = get_kind(kind).check(df[ex.field], ex.params, context(df, entity=ex.entity)).tolist()
        expected = [True] * len(ex.passes) + [False] * len(ex.fails)
        wrong = [v for v, g, e in zip(values, got, expected, strict=True) if g != e]
        assert not wrong, f"{kind} example misjudged: {wrong}"


@pytest.fixture(scope="session")
def examples_hold() -> Callable[[str], None]:
    return check_examples
