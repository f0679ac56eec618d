"""The priority formula: more severe, more metric impact or less effort never ranks a task lower."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from auditor.worklist import EFFORT, SEVERITY, priority_score

task = st.tuples(
    st.sampled_from(sorted(SEVERITY)),
    st.integers(0, 60),
    st.sampled_from(sorted(EFFORT)),
    st.sampled_from([0.0, 500.0, 1e6, 4.669e10]),
    st.integers(1, 5000),
)


def scores(tasks: list[tuple]):
    frame = pd.DataFrame(
        [t + (0.0, 1)[len(t) - 3 :] for t in tasks], columns=["severity", "impact", "effort", "money", "records"]
    )
    return priority_score(
        frame["severity"],
        frame["impact"].astype(float),
        frame["effort"],
        frame["money"],
        frame["records"].astype(float),
    )


def key(t: tuple) -> tuple:
    return (SEVERITY[t[0]], t[1], -EFFORT[t[2]], t[3], t[4])


@given(a=task, b=task)
def test_a_task_at_least_as_urgent_on_every_term_scores_at_least_as_high(a, b) -> None:
    sa, sb = scores([a, b])
    better = all(x >= y for x, y in zip(key(a), key(b), strict=True))
    strictly = better and key(a) != key(b)
    if better:
        assert sa >= sb
    if strictly:
        assert sa > sb


def test_the_formula() -> None:
    assert list(scores([("error", 4, "low"), ("warning", 0, "high"), ("info", 2, "medium")])) == [15.0, 0.667, 1.5]
    # money at stake: a billion adds log10(1 + 1e6) ~ 6; ten records add 1
    assert list(scores([("error", 4, "low", 1e9, 1), ("error", 4, "low", 0.0, 10)])) == [105.0, 30.0]


def test_an_amount_in_the_billions_outranks_a_letter_case_fix() -> None:
    case_fix, billions = scores([("error", 10, "low", 0.0, 2), ("warning", 10, "high", 4.4e8, 1)])
    assert billions > case_fix
