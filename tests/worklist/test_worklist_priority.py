"""The priority formula: more severe, more metric impact or less effort never ranks a task lower."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from auditor.worklist import EFFORT, SEVERITY, priority_score

task = st.tuples(st.sampled_from(sorted(SEVERITY)), st.integers(0, 60), st.sampled_from(sorted(EFFORT)))


def scores(tasks: list[tuple[str, int, str]]):
    frame = pd.DataFrame(tasks, columns=["severity", "impact", "effort"])
    return priority_score(frame["severity"], frame["impact"].astype(float), frame["effort"])


@given(a=task, b=task)
def test_a_task_at_least_as_urgent_on_every_term_scores_at_least_as_high(a, b) -> None:
    sa, sb = scores([a, b])
    better = SEVERITY[a[0]] >= SEVERITY[b[0]] and a[1] >= b[1] and EFFORT[a[2]] <= EFFORT[b[2]]
    strictly = better and (SEVERITY[a[0]], a[1], -EFFORT[a[2]]) != (SEVERITY[b[0]], b[1], -EFFORT[b[2]])
    if better:
        assert sa >= sb
    if strictly:
        assert sa > sb


def test_the_formula() -> None:
    assert list(scores([("error", 4, "low"), ("warning", 0, "high"), ("info", 2, "medium")])) == [15.0, 0.667, 1.5]
