"""The CI gate: judges counts already computed (soda-style); computes nothing itself."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from auditor.checks.engine import RuleOutcome, StructuralIssue
from auditor.config import GateConfig

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


@dataclass(frozen=True)
class GateCheck:
    name: str
    passed: bool
    detail: str


@dataclass
class GateResult:
    passed: bool
    fail_under: float | None
    fail_on: str
    checks: list[GateCheck] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        return [c.detail for c in self.checks if not c.passed]

    def to_dict(self) -> dict:
        return {
            "passed": self.passed,
            "fail_under": self.fail_under,
            "fail_on": self.fail_on,
            "checks": [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in self.checks],
            "reasons": self.reasons,
        }


def judge(
    config: GateConfig,
    overall: float | None,
    findings: pd.DataFrame,
    structural: Sequence[StructuralIssue],
    outcomes: Sequence[RuleOutcome],
) -> GateResult:
    checks: list[GateCheck] = []
    if config.fail_under is not None:
        ok = overall is not None and overall >= config.fail_under
        checks.append(
            GateCheck(
                "score",
                ok,
                f"overall score {overall} is {'at or above' if ok else 'below'} --fail-under {config.fail_under:g}",
            )
        )
    if config.fail_on != "never":
        threshold = SEVERITY_RANK[config.fail_on]
        counts = findings["severity"].value_counts() if len(findings) else pd.Series(dtype="int64")
        blocking = {s: int(counts.get(s, 0)) for s, rank in SEVERITY_RANK.items() if rank >= threshold}
        n = sum(blocking.values())
        detail = ", ".join(f"{c} {s} finding{'s' if c != 1 else ''}" for s, c in blocking.items() if c)
        checks.append(
            GateCheck(
                "findings",
                n == 0,
                f"no finding of severity {config.fail_on} or worse"
                if n == 0
                else f"{detail} (--fail-on {config.fail_on})",
            )
        )
        missing = [i for i in structural if SEVERITY_RANK[i.severity] >= threshold]
        checks.append(
            GateCheck(
                "structure",
                not missing,
                "every required column is present"
                if not missing
                else "; ".join(f"{i.file}: {i.message}" for i in missing),
            )
        )
    crashed = [o for o in outcomes if o.status == "error"]
    checks.append(
        GateCheck(
            "rules ran",
            not crashed,
            "every rule ran" if not crashed else "; ".join(f"rule {o.rule_id}: {o.reason}" for o in crashed),
        )
    )
    return GateResult(
        passed=all(c.passed for c in checks), fail_under=config.fail_under, fail_on=config.fail_on, checks=checks
    )
