"""The metrics' evaluations may run in any order and in any process (`evaluate_metrics`' `run`): an audit
shares them with a forked child on the second CPU, which takes them from the front while the main line
takes the one of the most work left (the rows of the tables it reads)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from auditor import pipeline
from auditor.beside import beside, can_fork
from auditor.metrics.evaluate import one_after_another

ACME = Path(__file__).resolve().parents[2] / "fixtures" / "acme"


def _held(tasks: list[Callable], flag: Path) -> list[Callable]:
    """The tasks, the child's first held until the main line has begun one of its own: both take some."""
    parent = os.getpid()

    def wrapped(task: Callable, first: bool) -> Callable:
        def run():
            if os.getpid() == parent:
                flag.touch()
            elif first:
                for _ in range(600):
                    if flag.exists():
                        break
                    time.sleep(0.05)
            return task()

        return run

    return [wrapped(task, k == 0) for k, task in enumerate(tasks)]


@pytest.mark.skipif(not can_fork(), reason="no fork with a second CPU here")
def test_metrics_evaluated_by_two_processes_are_those_of_one(acme_audit, tmp_path: Path) -> None:
    # oracle: the same evaluations one after another in this process
    config = pipeline.resolve_config(ACME, None)
    ran: dict[str, bool] = {}

    def shared(tasks: list[Callable], work: list[int]) -> list:
        pending = beside(_held(tasks, tmp_path / "taken"), weights=work)
        values = pending.results()
        ran["beside"] = pending.ran_beside
        return values

    alone = pipeline.compute_metrics(acme_audit, config, run=one_after_another)
    apart = pipeline.compute_metrics(acme_audit, config, run=shared)
    assert ran == {"beside": True} and len(alone) == 40
    assert [m.id for m in apart] == [m.id for m in alone]
    for a, b in zip(apart, alone, strict=True):
        # every field, the worklist's records and the breakdowns too (as JSON: NaN is itself there)
        assert json.dumps(a.to_dict(), default=repr) == json.dumps(b.to_dict(), default=repr), a.id
        assert repr(a) == repr(b), a.id


def test_each_evaluation_is_weighed_by_the_rows_it_reads(acme_audit) -> None:
    # the runner is told each metric's work, the rows of the tables it reads, in the metrics' order: the main
    # line takes the heaviest left (at 300,000 contacts the days in each stage, over the deals' history)
    config = pipeline.resolve_config(ACME, None)
    told: list[list[int]] = []

    def run(tasks: list[Callable], work: list[int]) -> list:
        told.append(list(work))
        return one_after_another(tasks)

    results = pipeline.compute_metrics(acme_audit, config, run=run)
    rows = {name: len(table.frame) for name, table in acme_audit.data.items()}
    by_id = dict(zip([m.id for m in results], told[0], strict=True))
    assert by_id["sales_cycle_by_stage"] == rows["opportunity_history"] and by_id["nps"] == rows["surveys"]
    assert by_id["clv_cac_ratio"] == rows["opportunities"] + rows["costs"]
