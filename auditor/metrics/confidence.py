"""How far a metric can be trusted: coverage, duplicates, sensitivity, sample size and interval,
freshness -> a flag HIGH / MEDIUM / LOW / UNRELIABLE with reasons written for a person.

Every signal is judged against thresholds in `MetricsSettings` (the `metrics:` section of the
audit config); the flag is the worst level any signal reaches:

| signal | HIGH | MEDIUM | LOW | else |
|---|---|---|---|---|
| coverage (1) | >= 0.90, or bound (6) <= 10% | >= 0.75 | >= 0.50 | UNRELIABLE |
| sensitivity (2) | s + u <= 2%, or s <= 2% and s + 2.576 u <= 10% | <= 5% | <= 15% | UNRELIABLE |
| duplicates (3) | <= 2% | <= 5% | <= 15% | UNRELIABLE |
| sample size n | >= 30 | >= 10 | >= 1 | UNRELIABLE (no data) |
| interval (4) | <= 1.0 | else MEDIUM | | |
| freshness (5) | <= 62 days | <= 183 days | else LOW | |

(1) share of the metric's input records (of its scope, e.g. closed deals; a record a rule puts in
doubt about belonging counted at its chance of belonging) with no finding on the fields it reads;
for a count of records, also the count against its failing records, count / (count + failing),
since each may count or not (7 cancellations and 1 cancelled subscription without a date among 150:
99% of the records, 7 / 8 of the count).
(2) s (shift): the relative change of the value when those failing records are excluded (counts
and sums are scaled back to the whole population, a record a rule puts in doubt about belonging
counted with the share of its table that belongs, a failing record whose every questioned cell its
rule reads counted as read; for averages, medians, shares and NPS the larger of that and the move
when their unknown cells are taken from passing records of their kind, `impute.py`, the latter alone
for a mean or median of groups' totals); u (unknown): for averages, medians, shares and
NPS, how far the failing records' unknown true values could move it, one standard error if they
are like the passing ones (se x sqrt(n) x sqrt(failing) / records, se the statistic's standard
error, from the bootstrap for means and medians; for a mean or median of groups' totals, in groups:
those holding failing records among its groups); for a count, one standard deviation of how many
failing records count, each with the passing records' rate by Laplace's rule of succession
(infinite for a count of 0 with failing records). The shift is measured, the unknown part is a
spread: HIGH needs the measured shift within 2% and the value within 10% of its clean value
at 99% (z = 2.576, `bound.confidence`) for the unknown part. The MEDIUM / LOW levels judge
shift + unknown, at most the bound (6) when it is computed (but never less than a shift measured by
exclusion alone).
(3) relative change of the value when duplicate clusters are merged; (4) the 95% interval's
half-width relative to the value; (5) days from the newest input record to as_of.
(6) bound: the largest relative move of the value when the failing values of a field it reads
are replaced by each value the field could hold (every allowed value, every known currency, the
ends of a scale, the smallest and largest passing value, the window's ends, missing:
`bounds.py`; a cell its rule reads holds its reading), summed over the fields it reads in the same
direction (the larger of the upward and the downward sums); for a median, from order statistics
(`bounds.median_bound`); computed when coverage or sensitivity is what holds the flag below HIGH.
Coverage is a proxy for the harm the failing records can do; the bound measures that harm, so a metric whose failing
records cannot move it by more than 10% (`bound.high`) whatever their true values is not
demoted for its coverage (a status typo on a subscription ending outside the window cannot move
a renewal rate), and its sensitivity estimate is never taken above that worst case.

The 10% and 2% are what HIGH promises (the value is probably within 2% of what clean data would
give, and the failing records cannot put it more than 10% away); 99% rather than 95% because
the promise is "never": at 95% the calibration (BENCHMARKS.md "Metrics") had an NPS 11.4% off
that would have been HIGH.

Intervals: Wilson score for proportions, the standard NPS variance (p9 + p6 - (p9 - p6)^2) / n
for NPS, a percentile bootstrap for means and medians and for a ratio of two sums over the same
records (each record's numerator and denominator resampled together; resampling at most 5,000
values, the spread rescaled by sqrt(m / n) for larger samples); for a derived value, its operands' intervals
propagated to first order (`propagated`). The interval is sampling uncertainty: it is reported, and demotes the
flag only when it is wider than the value itself allows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from enum import IntEnum
from statistics import NormalDist
from typing import Any

import numpy as np

from auditor.errors import ConfigError, did_you_mean
from auditor.metrics.registry import Derivation, Estimate

SECTIONS = {
    "coverage": ("high", "medium", "low"),
    "shift": ("high", "medium", "low"),
    "sample": ("high", "medium"),
    "interval": ("medium",),
    "bound": ("high", "confidence"),
    "freshness_days": ("medium", "low"),
    "bootstrap": ("resamples", "max_sample"),
}
"""Nested keys of the `metrics:` config section (`coverage: {high: 0.95}` = `coverage_high: 0.95`)."""
DEFINITION_KEYS = ("define", "packs")
"""keys of the `metrics:` section that hold metric definitions and packs, not thresholds"""


class Flag(IntEnum):
    NOT_EVALUATED = -1
    """the export lacks a table or a column the metric reads: no value, and no judgement of the data"""
    UNRELIABLE = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3


@dataclass
class MetricsSettings:
    """Thresholds of the confidence flag (see the module docstring for what each one judges)."""

    coverage_high: float = 0.90
    coverage_medium: float = 0.75
    coverage_low: float = 0.50
    shift_high: float = 0.02
    shift_medium: float = 0.05
    shift_low: float = 0.15
    bound_high: float = 0.10
    """the most the failing records may move a HIGH value: coverage below coverage_high does not
    lower the flag when, whatever their true values (bounds.py), they move it by at most this
    much; and a sensitivity whose unknown-values term is above shift_high is still HIGH when
    the exclusion shift is within shift_high and the unknown values, at bound_confidence, keep
    the value within this much"""
    bound_confidence: float = 0.99
    sample_high: int = 30
    sample_medium: int = 10
    interval_medium: float = 1.0
    """relative half-width of the interval above which the flag is at most MEDIUM"""
    freshness_medium_days: float = 62
    freshness_low_days: float = 183
    confidence_level: float = 0.95
    bootstrap_resamples: int = 400
    bootstrap_max_sample: int = 5000
    seed: int = 0
    breakdown_limit: int = 12
    """groups per breakdown (the largest; months: the latest)"""
    breakdown_min_n: int = 0
    """breakdown groups with fewer records (observations) than this are left out (a metric's own
    `min_n` overrides it)"""

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> MetricsSettings:
        """From the `metrics:` section of the audit config: nested (`coverage: {high: 0.9}`) or
        flat (`coverage_high: 0.9`) keys; a ConfigError names every bad key."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise ConfigError("`metrics` must be a mapping of thresholds", column="metrics")
        flat: dict[str, Any] = {}
        problems: list[str] = []
        known = {f.name for f in fields(cls)}
        for key, value in data.items():
            if key in DEFINITION_KEYS:
                continue  # metric definitions: auditor.metrics.language
            if key in SECTIONS and isinstance(value, dict):
                prefix = "freshness" if key == "freshness_days" else key
                for sub, v in value.items():
                    name = f"{prefix}_{sub}_days" if key == "freshness_days" else f"{prefix}_{sub}"
                    if sub not in SECTIONS[key]:
                        problems.append(_unknown(f"metrics.{key}.{sub}", sub, SECTIONS[key]))
                    else:
                        flat[name] = (f"metrics.{key}.{sub}", v)
            elif key in known:
                flat[key] = (f"metrics.{key}", value)
            else:
                problems.append(_unknown(f"metrics.{key}", key, [*known, *SECTIONS, *DEFINITION_KEYS]))
        settings = cls()
        for name, (label, value) in flat.items():
            default = getattr(settings, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                problems.append(f"{label}: expected a non-negative number, got {value!r}")
                continue
            setattr(settings, name, int(value) if isinstance(default, int) else float(value))
        if not problems:
            problems.extend(settings._order_problems())
        if problems:
            raise ConfigError("; ".join(problems), column=problems[0].split(":", 1)[0].split(" ")[0], problems=problems)
        return settings

    def _order_problems(self) -> list[str]:
        out = []
        if not self.coverage_high >= self.coverage_medium >= self.coverage_low:
            out.append("metrics.coverage: expected high >= medium >= low")
        if not self.shift_high <= self.shift_medium <= self.shift_low:
            out.append("metrics.shift: expected high <= medium <= low")
        if not 0 < self.confidence_level < 1:
            out.append("metrics.confidence_level: expected a number between 0 and 1")
        if not 0 < self.bound_confidence < 1:
            out.append("metrics.bound.confidence: expected a number between 0 and 1")
        if self.coverage_high > 1:
            out.append("metrics.coverage.high: expected a share between 0 and 1")
        return out

    @property
    def z(self) -> float:
        return _z(self.confidence_level)

    def sensitivity_flag(
        self, shift: float, unknown: float, bound: float | None = None, *, imputed: bool = False
    ) -> Flag:
        """The flag of the failing records' effect: `shift` the move of the value when they are
        excluded, `unknown` one standard error of their unknown true values, `bound` the most they
        can move it whatever those values are (None: not computed). HIGH when the move is within
        shift_high and, at bound_confidence, the unknown values keep the value within bound_high;
        otherwise judged on shift + unknown, at most the bound. A move measured by leaving the records
        out is a floor (a bound below it has missed a value they could hold); one `imputed` back to
        all records (counts and sums scaled, distinct counts extrapolated) is not: it gives the records
        values like the passing ones, which their own may rule out."""
        if shift <= self.shift_high and shift + _z(self.bound_confidence) * unknown <= self.bound_high:
            return Flag.HIGH
        total = shift + unknown
        if bound is None:
            return self.shift_flag(total)
        return self.shift_flag(min(total, bound if imputed else max(bound, shift)))

    def coverage_flag(self, coverage: float) -> Flag:
        return _level(coverage, self.coverage_high, self.coverage_medium, self.coverage_low, higher_is_better=True)

    def shift_flag(self, shift: float) -> Flag:
        return _level(shift, self.shift_high, self.shift_medium, self.shift_low, higher_is_better=False)

    def sample_flag(self, n: int) -> Flag:
        return _level(n, self.sample_high, self.sample_medium, 1, higher_is_better=True)

    def interval_flag(self, relative_half_width: float) -> Flag:
        return Flag.HIGH if relative_half_width <= self.interval_medium else Flag.MEDIUM

    def freshness_flag(self, age_days: float) -> Flag:
        if age_days <= self.freshness_medium_days:
            return Flag.HIGH
        return Flag.MEDIUM if age_days <= self.freshness_low_days else Flag.LOW


def _z(level: float) -> float:
    return NormalDist().inv_cdf(0.5 + level / 2)


def _unknown(label: str, key: str, choices: Any) -> str:
    return f"{label}: unknown key" + did_you_mean(key, choices, aside=False)


def _level(x: float, high: float, medium: float, low: float, *, higher_is_better: bool) -> Flag:
    if isinstance(x, float) and math.isnan(x):
        return Flag.UNRELIABLE
    ok = (lambda a, b: a >= b) if higher_is_better else (lambda a, b: a <= b)
    if ok(x, high):
        return Flag.HIGH
    if ok(x, medium):
        return Flag.MEDIUM
    if ok(x, low):
        return Flag.LOW
    return Flag.UNRELIABLE


def wilson(successes: float, n: int, z: float = 1.959964, scale: float = 1.0) -> tuple[float, float] | None:
    """Wilson score interval for successes / n (times `scale`); None for n = 0."""
    if n <= 0:
        return None
    p = successes / n
    d = 1 + z * z / n
    center = (p + z * z / (2 * n)) / d
    half = z / d * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return scale * max(0.0, center - half), scale * min(1.0, center + half)


def nps_interval(scores: np.ndarray, z: float = 1.959964) -> tuple[float, float] | None:
    """NPS +- z * 100 * sqrt((p9 + p6 - (p9 - p6)^2) / n), clipped to -100..100."""
    n = len(scores)
    if n == 0:
        return None
    promoters, detractors = float((scores >= 9).mean()), float((scores <= 6).mean())
    nps = promoters - detractors
    se = math.sqrt(max(promoters + detractors - nps * nps, 0.0) / n)
    return max(-100.0, 100 * (nps - z * se)), min(100.0, 100 * (nps + z * se))


def bootstrap(
    sample: np.ndarray,
    statistic: str,
    *,
    level: float = 0.95,
    resamples: int = 400,
    max_sample: int = 5000,
    seed: int = 0,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the mean or median, or of a ratio of sums (`sample`: n x 2,
    each record's numerator and denominator). Resamples of m = min(n, max_sample) records; for n > m
    the deviations from the centre are rescaled by sqrt(m / n)."""
    n = len(sample)
    if n < 2:
        return None
    rng = np.random.default_rng(seed)
    m = min(n, max_sample)
    idx = rng.integers(0, n, size=(resamples, m))
    draws = sample[idx]
    if statistic == "ratio":
        sums = draws.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            stats = sums[:, 0] / sums[:, 1]
        stats = stats[np.isfinite(stats)]
        if not len(stats):
            return None
    else:
        stats = draws.mean(axis=1) if statistic == "mean" else np.median(draws, axis=1)
    lo, hi = np.quantile(stats, [(1 - level) / 2, (1 + level) / 2])
    if m == n:
        return float(lo), float(hi)
    if statistic == "ratio":
        totals = sample.sum(axis=0)
        centre = float(totals[0] / totals[1])
    else:
        centre = float(sample.mean() if statistic == "mean" else np.median(sample))
    shrink = math.sqrt(m / n)
    mid = float(np.median(stats))
    return centre + (lo - mid) * shrink, centre + (hi - mid) * shrink


def interval(kind: str, estimate: Estimate, settings: MetricsSettings) -> tuple[float, float] | None:
    """The statistical interval of an estimate, by the metric's kind (None where none applies)."""
    if estimate.value is None:
        return None
    if estimate.derivation is not None:
        return propagated(estimate.value, estimate.derivation, settings)
    if kind == "proportion" and estimate.successes is not None:
        return wilson(estimate.successes, estimate.n, settings.z, estimate.scale)
    if kind == "nps" and estimate.sample is not None:
        return nps_interval(estimate.sample, settings.z)
    resampled = estimate.pairs if kind == "ratio" else estimate.sample
    if kind in ("mean", "median", "ratio") and resampled is not None:
        return bootstrap(
            resampled,
            kind,
            level=settings.confidence_level,
            resamples=settings.bootstrap_resamples,
            max_sample=settings.bootstrap_max_sample,
            seed=settings.seed,
        )
    return None


def propagated(value: float, derivation: Derivation, settings: MetricsSettings) -> tuple[float, float] | None:
    """The interval of a derived value (`derived:`, e.g. `clv / cac`) from its operands' intervals, to first
    order (the delta method; GUM's law of propagation of uncertainty): an operand's standard error (its
    interval's width / 2z) moves the value by half the difference of the expression recomputed one standard
    error above and below it; the moves add in quadrature, the operands taken as independent, and the interval
    is the value +- z times their root sum of squares. A positive value whose recomputed values are all
    positive is propagated on its logarithm (exp(log value +- ...)), as a ratio's interval is (a risk ratio's):
    a quotient's uncertainty is relative, and its interval then stays above 0. An operand without an interval
    (a count or sum of records, a ratio of two tables' totals) counts as exact, as it does in its own result.
    None when no operand has an interval, or when the value is undefined one standard error away from an
    operand's (a divisor of exactly 0)."""
    values = [estimate.value for _, estimate in derivation.operands]
    moves: list[tuple[float, float]] = []  # the value recomputed one standard error above and below an operand
    for i, (kind, estimate) in enumerate(derivation.operands):
        at = estimate.value
        ci = interval(kind, estimate, settings) if at is not None else None
        if at is None or ci is None or not math.isfinite(ci[1] - ci[0]):
            continue
        se = (ci[1] - ci[0]) / 2 / settings.z
        up, down = (derivation.recompute([*values[:i], at + step, *values[i + 1 :]]) for step in (se, -se))
        if up is None or down is None:
            return None
        moves.append((up, down))
    if not moves:
        return None
    relative = value > 0 and all(up > 0 and down > 0 for up, down in moves)
    scale: Callable[[float], float] = math.log if relative else float
    squares = sum(((scale(up) - scale(down)) / 2) ** 2 for up, down in moves)
    half = settings.z * math.sqrt(squares)
    if relative:
        return value * math.exp(-half), value * math.exp(half)
    return value - half, value + half


def distance(value: Any, reference: Any) -> float:
    """Relative difference of `value` from `reference`: |a - b| / |b| for numbers; for
    distributions (dicts), sum |a_k - b_k| / sum |b_k| over every key. 0 when both are 0 or
    both missing; inf when only one is."""
    if value is None and reference is None:
        return 0.0
    if value is None or reference is None:
        return math.inf
    if isinstance(value, dict) or isinstance(reference, dict):
        a = value if isinstance(value, dict) else {}
        b = reference if isinstance(reference, dict) else {}
        keys = set(a) | set(b)
        # fsum: a set's order changes with the interpreter's hash seed, and a plain sum's last digit with it
        num = math.fsum(abs(float(a.get(k) or 0) - float(b.get(k) or 0)) for k in keys)
        den = math.fsum(abs(float(b.get(k) or 0)) for k in keys)
    else:
        num, den = abs(float(value) - float(reference)), abs(float(reference))
    if num == 0:
        return 0.0
    return num / den if den else math.inf
