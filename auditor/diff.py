"""What changed between two stored runs: scores, rules newly failing or fixed, finding counts per
rule, metric values and confidence; and which of those changes are regressions for the gate."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from auditor.runs import Run, RunSummary, ScoreKey

FAILED = "failed"


@dataclass(frozen=True)
class ScoreChange:
    key: ScoreKey
    before: float | None
    after: float | None

    @property
    def delta(self) -> float | None:
        return None if self.before is None or self.after is None else round(self.after - self.before, 2)

    def to_dict(self) -> dict[str, Any]:
        return {**self.key._asdict(), "before": self.before, "after": self.after, "delta": self.delta}


@dataclass(frozen=True)
class RuleChange:
    rule_id: str
    entity: str
    severity: str
    change: str
    """newly failing | fixed | findings changed | status changed"""
    status_before: str | None
    """None: the rule did not exist in the earlier run"""
    status_after: str | None
    failed_before: int
    failed_after: int
    findings_before: int
    findings_after: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"findings_delta": self.findings_after - self.findings_before}


@dataclass(frozen=True)
class MetricChange:
    metric_id: str
    before: Any
    after: Any
    confidence_before: str | None
    confidence_after: str | None

    @property
    def delta(self) -> float | None:
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (self.before, self.after))
        return round(self.after - self.before, 6) if numbers else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"delta": self.delta}


@dataclass(frozen=True)
class RunDiff:
    before: RunSummary
    after: RunSummary
    scores: list[ScoreChange]
    """every dimension and entity score of either run, and the field scores that changed"""
    rules: list[RuleChange]
    metrics: list[MetricChange]

    @property
    def overall(self) -> ScoreChange:
        return ScoreChange(ScoreKey(None, None, None), self.before.overall, self.after.overall)

    @property
    def newly_failing(self) -> list[RuleChange]:
        return [r for r in self.rules if r.change == "newly failing"]

    @property
    def fixed(self) -> list[RuleChange]:
        return [r for r in self.rules if r.change == "fixed"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
            "overall": self.overall.to_dict(),
            "scores": [s.to_dict() for s in self.scores],
            "rules": [r.to_dict() for r in self.rules],
            "metrics": [m.to_dict() for m in self.metrics],
        }


def compare(before: Run, after: Run) -> RunDiff:
    return RunDiff(
        before=before.summary,
        after=after.summary,
        scores=_scores(before, after),
        rules=_rules(before, after),
        metrics=_metrics(before, after),
    )


def _scores(before: Run, after: Run) -> list[ScoreChange]:
    keys = sorted(before.scores.keys() | after.scores.keys(), key=lambda k: tuple(p or "" for p in k))
    changes = [ScoreChange(k, before.scores.get(k), after.scores.get(k)) for k in keys]
    return [c for c in changes if c.key.field is None or c.before != c.after]


def _rules(before: Run, after: Run) -> list[RuleChange]:
    changes = []
    for rule_id in sorted(before.rules.keys() | after.rules.keys()):
        old, new = before.rules.get(rule_id), after.rules.get(rule_id)
        was_failing = old is not None and old.status == FAILED
        is_failing = new is not None and new.status == FAILED
        if is_failing and not was_failing:
            change = "newly failing"
        elif was_failing and new is not None and new.status == "passed":
            change = "fixed"
        elif (old and old.status) != (new and new.status):
            change = "status changed"
        elif old is not None and new is not None and old.findings != new.findings:
            change = "findings changed"
        else:
            continue
        known = new or old
        assert known is not None  # one of the two runs has the rule
        changes.append(
            RuleChange(
                rule_id=rule_id,
                entity=known.entity,
                severity=known.severity,
                change=change,
                status_before=old.status if old else None,
                status_after=new.status if new else None,
                failed_before=old.failed if old else 0,
                failed_after=new.failed if new else 0,
                findings_before=old.findings if old else 0,
                findings_after=new.findings if new else 0,
            )
        )
    return changes


def _metrics(before: Run, after: Run) -> list[MetricChange]:
    changes = []
    for metric_id in sorted(before.metrics.keys() | after.metrics.keys()):
        old, new = before.metrics.get(metric_id), after.metrics.get(metric_id)
        if old == new:
            continue
        changes.append(
            MetricChange(
                metric_id,
                old.value if old else None,
                new.value if new else None,
                old.confidence if old else None,
                new.confidence if new else None,
            )
        )
    return changes


def regressions(diff: RunDiff, points: float) -> list[str]:
    """Sentences for what got worse: the overall score dropped by more than `points`, or
    error-level rules that passed (or did not exist) in the earlier run now fail."""
    found = []
    drop = diff.overall.delta
    if drop is not None and -drop > points:
        found.append(
            f"overall score dropped {-drop:.2f} points ({diff.before.overall} -> {diff.after.overall}), "
            f"more than {points:g}"
        )
    errors = [r for r in diff.newly_failing if r.severity == "error"]
    if errors:
        listed = ", ".join(f"{r.rule_id} ({r.failed_after:,} records)" for r in errors)
        found.append(f"{len(errors)} error rule{'s' if len(errors) != 1 else ''} newly failing: {listed}")
    return found
