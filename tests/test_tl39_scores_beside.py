"""The scores and the gate of a full audit made in a forked child beside the metrics' prework (auditor.pipeline)."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import pytest

from auditor import beside as beside_module
from auditor import pipeline
from auditor.beside import can_fork, second_cpu

SALESFORCE = Path(__file__).resolve().parents[1] / "fixtures" / "salesforce"
forks = pytest.mark.skipif(not can_fork(), reason="no fork with a second CPU here: the work runs in the main line")
SCORES_BESIDE = second_cpu(pipeline.SCORES_STAGE)


def _audit(monkeypatch: pytest.MonkeyPatch, scores_beside_from: int) -> pipeline.AuditResult:
    monkeypatch.setattr(pipeline, "SCORES_BESIDE_FROM", scores_beside_from)
    return pipeline.audit(SALESFORCE)


def _same_scores(a: pipeline.AuditResult, b: pipeline.AuditResult) -> None:
    assert a.scores.to_dict() == b.scores.to_dict() and a.gate.to_dict() == b.gate.to_dict()
    assert a.scores.records.equals(b.scores.records) and a.exit_code == b.exit_code


@forks
def test_scores_made_beside_the_metrics_are_those_made_in_the_main_line(monkeypatch: pytest.MonkeyPatch) -> None:
    # oracle: the same audit with the scores made in the main line, after the duplicates
    here = _audit(monkeypatch, 10**12)
    apart = _audit(monkeypatch, 0)
    assert pipeline.SCORES_STAGE in here.timings.stages and SCORES_BESIDE not in here.timings.stages
    assert pipeline.SCORES_STAGE not in apart.timings.stages
    assert apart.timings.beside[SCORES_BESIDE] == "metrics"
    _same_scores(apart, here)
    assert [m.value for m in apart.metrics] == [m.value for m in here.metrics]
    assert apart.worklist.equals(here.worklist)


@forks
def test_scores_whose_child_fails_are_made_in_the_main_line(monkeypatch: pytest.MonkeyPatch) -> None:
    here = _audit(monkeypatch, 10**12)

    def gone(*args: object) -> None:
        os._exit(3)

    monkeypatch.setattr(beside_module, "_child", gone)
    failed = _audit(monkeypatch, 0)
    assert SCORES_BESIDE not in failed.timings.stages
    _same_scores(failed, here)


@forks
def test_the_scores_child_is_taken_before_the_metrics_evaluations_are_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    # a third process on two CPUs would slow both children: the main line takes the scores first
    monkeypatch.setattr(pipeline, "BESIDE_FROM_ROWS", 0)
    said: list[str] = []
    forked, scored = pipeline.beside, pipeline._scored

    def spied_beside(tasks: object, **kwargs: object) -> object:
        said.append("scores begun" if callable(tasks) else "evaluations shared")
        return forked(tasks, **kwargs)  # type: ignore[arg-type]

    def spied_scored(result: pipeline.AuditResult, scoring: object) -> None:
        if result.scores is None:
            said.append("scores taken")
        scored(result, scoring)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "beside", spied_beside)
    monkeypatch.setattr(pipeline, "_scored", spied_scored)
    result = _audit(monkeypatch, 0)
    # the duplicate search's steps are shared first (a list, before the scores)
    assert said[1:] == ["scores begun", "scores taken", "evaluations shared"]
    assert result.scores is not None and result.gate is not None


def test_a_small_audit_makes_its_scores_in_the_main_line() -> None:
    # fixtures/salesforce's findings are far below the threshold: no fork for 0.02 s of work
    result = pipeline.audit(SALESFORCE)
    assert len(result.findings) < pipeline.SCORES_BESIDE_FROM
    assert pipeline.SCORES_STAGE in result.timings.stages and SCORES_BESIDE not in result.timings.stages


@forks
def test_a_metrics_stage_that_fails_stops_the_scores_child(monkeypatch: pytest.MonkeyPatch) -> None:
    # the child is held in its scores (60 s) so that only the main line's cancel can have ended it
    parent, compute = os.getpid(), pipeline.compute_scores

    def held(*args: object, **kwargs: object) -> object:
        if os.getpid() != parent:
            time.sleep(60)
        return compute(*args, **kwargs)  # type: ignore[arg-type]

    def failing(*args: object, **kwargs: object) -> None:
        raise RuntimeError("metrics failed")

    monkeypatch.setattr(pipeline, "compute_scores", held)
    monkeypatch.setattr(pipeline, "compute_metrics", failing)
    with pytest.raises(RuntimeError, match="metrics failed"):
        _audit(monkeypatch, 0)
    assert multiprocessing.active_children() == []
