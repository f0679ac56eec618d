"""The registry of rule kinds: one module per kind in this package, each defining `KIND`."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from functools import cache
from typing import Any

import pandas as pd

from auditor.checks.base import RuleKind
from auditor.checks.expectations import NONE, GxMapping
from auditor.errors import did_you_mean


@cache
def registry() -> dict[str, RuleKind]:
    kinds: dict[str, RuleKind] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        kind: RuleKind = module.KIND
        if kind.name in kinds:
            raise RuntimeError(f"two rule kinds are named {kind.name!r}")
        kinds[kind.name] = kind
    return kinds


def get_kind(name: str) -> RuleKind:
    """The kind called `name`; a KeyError that suggests the closest name on a typo."""
    kinds = registry()
    if name in kinds:
        return kinds[name]
    hint = did_you_mean(name, kinds, cutoff=0.7, aside=False)
    raise KeyError(f"unknown rule kind {name!r}{hint} (known: {', '.join(sorted(kinds))})")


def gx_mapping(kind: str, params: Mapping[str, Any], entity: str, name: str, as_of: pd.Timestamp | None) -> GxMapping:
    """How a rule of `kind` on field `name` is said in Great Expectations (`RuleKind.gx`)."""
    found = registry().get(kind)
    if found is None or found.gx is None:
        return GxMapping(NONE, f"no GX expectation for the {kind!r} kind")
    return found.gx(params, entity, name, as_of)
