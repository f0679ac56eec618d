"""The metric registry: one entry per metric, found by id (with a suggestion on a typo).

A metric is a pure, vectorized function `compute(tables, params) -> value` over the typed
frames (entity -> DataFrame), registered with `@metric(...)` in the module of its family
(`sales.py`, `support.py`, `activity.py`), or a definition of the metric language
(`language.py`) in the bundled pack `metrics/core.yaml`, compiled to the same Metric. The decorator
declares everything the confidence rules need: the entity fields the metric reads, the
records it is about (its scope), its unit and how it aggregates. The docstring of the
function is the metric's formula and source of truth (README "Metrics" is built from it).

A compute function returns a plain value (a number, None, or a dict for a distribution such
as the funnel) or an `Estimate` that also carries what the statistical interval needs
(`proportion`, `mean_of`, `median_of`, `nps_of`, `ratio`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from auditor.errors import did_you_mean

Tables = Mapping[str, pd.DataFrame]
Value = float | int | dict[str, float] | None
Grouped = Callable[[Tables, Any, Sequence[np.ndarray]], list[Any]]
"""(tables, params, row positions of each group of the primary entity) -> the metric's result per group"""

KINDS = ("proportion", "mean", "median", "nps", "ratio", "count", "sum", "distribution")
"""How a metric aggregates: decides its interval and whether it is extensive (count, sum,
distribution of counts or sums: it grows with the number of records)."""


@dataclass(frozen=True)
class Estimate:
    """A metric value with what its interval needs."""

    value: float | None
    n: int
    """sample size: the records (or units: accounts, deliveries) the value averages over"""
    successes: float | None = None
    """for a proportion: the count of the numerator"""
    sample: np.ndarray | None = None
    """for a mean, median or NPS: the observations"""
    scale: float = 1.0
    """a proportion reported on another scale (CSAT in percent: 100)"""
    pairs: np.ndarray | None = None
    """for a ratio of two sums over the same records: each record's numerator and denominator (n x 2)"""
    derivation: Derivation | None = None
    """for a derived value (`derived:` of the metric language): what its interval is propagated from"""


@dataclass(frozen=True)
class Derivation:
    """A derived value's operands (metrics and measures, each once, in the order written: its kind and its
    estimate) and its expression recomputed on other values of them (None where it is undefined)."""

    operands: tuple[tuple[str, Estimate], ...]
    recompute: Callable[[Sequence[float | None]], float | None]


def _num(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if np.isnan(x) else x


def proportion(successes: float, n: float, scale: float = 1.0) -> Estimate:
    """successes / n (Wilson interval); None when n is 0."""
    n = int(n)
    return Estimate(scale * successes / n if n else None, n, successes=float(successes), scale=scale)


def mean_of(values: pd.Series | np.ndarray) -> Estimate:
    """Mean of the present values (bootstrap interval)."""
    a = _present(values)
    return Estimate(float(a.mean()) if len(a) else None, len(a), sample=a)


def median_of(values: pd.Series | np.ndarray) -> Estimate:
    """Median of the present values (bootstrap interval)."""
    a = _present(values)
    return Estimate(float(np.median(a)) if len(a) else None, len(a), sample=a)


def nps_of(scores: pd.Series | np.ndarray) -> Estimate:
    """100 x (share 9-10 - share 0-6) of the present scores (NPS variance interval)."""
    a = _present(scores)
    if not len(a):
        return Estimate(None, 0, sample=a)
    return Estimate(float(100 * ((a >= 9).mean() - (a <= 6).mean())), len(a), sample=a)


def ratio(
    numerator: float | None, denominator: float | None, n: int | None = None, pairs: np.ndarray | None = None
) -> Estimate:
    """numerator / denominator; None when the denominator is 0 or missing. An interval (bootstrap over
    records) only when `pairs` gives each record's numerator and denominator."""
    num, den = _num(numerator), _num(denominator)
    value = num / den if num is not None and den else None
    return Estimate(value, int(n if n is not None else (den or 0)), pairs=pairs)


def _present(values: pd.Series | np.ndarray) -> np.ndarray:
    a = pd.Series(values).to_numpy(dtype="float64", na_value=np.nan) if len(values) else np.empty(0)
    return a[~np.isnan(a)]


def value_of(result: Any) -> Value:
    """The plain value of what a compute function returned (numpy scalars become Python numbers)."""
    if isinstance(result, Estimate):
        result = result.value
    if isinstance(result, dict):
        return {str(k): _plain(v) for k, v in result.items()}
    return _plain(result)


def _plain(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    f = float(v)
    return None if np.isnan(f) else f


@dataclass(frozen=True)
class Scope:
    """The records of an entity a metric is about ("closed deals"): a label and a row mask."""

    label: str
    mask: Callable[[pd.DataFrame], pd.Series]
    fields: tuple[str, ...] = ()
    """the fields the mask reads: a record outside the scope with a finding on one of them may
    belong to it (a misspelt stage), so it counts among the scope's records"""
    dated: Callable[[pd.DataFrame, Any], pd.Series] | None = None
    """the mask on a frame and the run's Params, when the scope depends on the window (subscriptions
    active at its start): `Metric.in_period` binds it to the window of a run"""

    def in_period(self, params: Any) -> Scope:
        """The scope with its mask bound to `params`' window (itself when it does not depend on one)."""
        if self.dated is None:
            return self
        dated = self.dated
        return replace(self, mask=lambda frame: dated(frame, params))


@dataclass(frozen=True)
class Metric:
    id: str
    title: str
    unit: str
    kind: str
    inputs: dict[str, tuple[str, ...]]
    """entity -> the fields the metric reads; the first entity is the primary one"""
    compute: Callable[[Tables, Any], Any]
    params: tuple[str, ...] = ("period",)
    breakdowns: dict[str, str] = field(default_factory=dict)
    """breakdown name -> column of the primary entity ("month": "close_date"; "segment":
    "account_id->segment" reads the segment of the referenced account)"""
    scope: dict[str, Scope] = field(default_factory=dict)
    family: str = ""
    truth_key: str | None = None
    """key of the metric in truth/metrics.json (its id unless None)"""
    additive: bool | None = None
    """True when the value grows with the number of records (counts, sums, distributions of
    them); default: by kind"""
    min_n: int | None = None
    """breakdown groups with fewer records (or observations) are left out; None: the settings'
    `breakdown_min_n`"""
    description: str | None = None
    """the formula of a metric defined in YAML (`language.py`); a Python metric's is its docstring"""
    grouped: Grouped | None = None
    """the metric on each group of the primary entity's rows at once (row positions per group, each in the table's
    order): the same results as `compute` on tables whose primary entity holds only that group's rows, with the
    work on the whole table done once (the language's single measures); None: `compute` per group"""
    spans: tuple[tuple[str, str], ...] = ()
    """(start, end) date columns of the primary entity whose difference the metric reads (a sales cycle
    is close_date - created_at): a failing record that knows one end takes the other as its own known end
    plus a passing record's duration (`impute.like_their_kind`), not a date of some other record's life"""
    per: str | None = None
    """the column of the primary entity whose groups' totals a mean or median reads (`per: account_id`): a
    failing record's unknown cells are taken from records in groups of its group's size"""

    @property
    def formula(self) -> str:
        return " ".join((self.description or self.compute.__doc__ or "").split())

    @property
    def primary(self) -> str:
        return next(iter(self.inputs))

    def reads(self, entity: str) -> set[str]:
        """The columns of `entity` the metric reads: its inputs and its scope's fields."""
        scope = self.scope.get(entity)
        return {*self.inputs.get(entity, ()), *(scope.fields if scope else ())}

    def in_period(self, params: Any) -> Metric:
        """The metric with its scopes bound to `params`' window (`Scope.dated`)."""
        if all(s.dated is None for s in self.scope.values()):
            return self
        return replace(self, scope={e: s.in_period(params) for e, s in self.scope.items()})

    @property
    def extensive(self) -> bool:
        if self.additive is not None:
            return self.additive
        return self.kind in ("count", "sum", "distribution")


_REGISTRY: dict[str, Metric] = {}


def metric(
    id: str,
    title: str,
    unit: str,
    kind: str,
    inputs: dict[str, list[str] | tuple[str, ...]],
    *,
    params: tuple[str, ...] = ("period",),
    breakdowns: dict[str, str] | None = None,
    scope: dict[str, Scope] | None = None,
    truth_key: str | None = None,
    additive: bool | None = None,
    spans: tuple[tuple[str, str], ...] = (),
) -> Callable[[Callable[[Tables, Any], Any]], Callable[[Tables, Any], Any]]:
    """Register `compute` as metric `id`. The function's docstring is its formula and source."""
    if kind not in KINDS:
        raise ValueError(f"metric {id}: kind {kind!r} is not one of {KINDS}")

    def register(compute: Callable[[Tables, Any], Any]) -> Callable[[Tables, Any], Any]:
        if id in _REGISTRY:
            raise ValueError(f"metric {id!r} is registered twice")
        if not (compute.__doc__ or "").strip():
            raise ValueError(f"metric {id!r}: the docstring must give the formula")
        _REGISTRY[id] = Metric(
            id=id,
            title=title,
            unit=unit,
            kind=kind,
            inputs={e: tuple(f) for e, f in inputs.items()},
            compute=compute,
            params=params,
            breakdowns=dict(breakdowns or {}),
            scope=dict(scope or {}),
            family=compute.__module__.rsplit(".", 1)[-1],
            truth_key=truth_key,
            additive=additive,
            spans=spans,
        )
        return compute

    return register


CORE_PACK = Path(__file__).resolve().parents[1] / "_metrics" / "core.yaml"
"""The built-in metrics the metric language says exactly (`metrics/core.yaml`)."""


def _load() -> None:
    from auditor.metrics import activity, sales, support  # noqa: F401

    if not _PACK_LOADED:
        _load_core_pack()


_PACK_LOADED: list[bool] = []


def _load_core_pack() -> None:
    # the language compiles to this module's Metric: imported here, after the registry exists
    from auditor.metrics.language import compile_metrics
    from auditor.yamlfile import read_yaml

    _PACK_LOADED.append(True)
    definitions = read_yaml(CORE_PACK, "metric pack")[0]["metrics"]
    for m in compile_metrics(definitions, builtins=dict(_REGISTRY), where="metrics/core.yaml").values():
        if m.id in _REGISTRY:
            raise ValueError(f"metric {m.id!r} is registered twice")
        _REGISTRY[m.id] = m


FAMILIES = ("customers", "sales", "marketing", "support", "activity")


def registry() -> dict[str, Metric]:
    """Every metric by id, family by family (in FAMILIES order), then in registration order."""
    _load()
    order = sorted(_REGISTRY.values(), key=lambda m: FAMILIES.index(m.family) if m.family in FAMILIES else 99)
    return {m.id: m for m in order}


def get_metric(id: str) -> Metric:
    """The metric `id`; a KeyError suggesting the closest id on a typo."""
    known = registry()
    if id in known:
        return known[id]
    raise KeyError(f"unknown metric {id!r}{did_you_mean(id, known, cutoff=0.5, aside=False)}")
