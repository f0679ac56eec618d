"""Oracle: the scores' per-(entity, field) and per-(entity, dimension) sums read block by block (`_blocks`) are what
selecting each pair by `.loc` and summing the selection gave, to the last bit (issue 17: the selections were over half
of a small audit's scores)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from oracle_examples import examples

from auditor.scoring import _blocks, compute_scores

SEVERITIES = st.sampled_from(["error", "warning", "info", "other"])


@st.composite
def findings(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["contacts", "accounts", "leads"]),
                st.integers(0, 30).map(lambda n: f"R{n}"),
                st.sampled_from(["email", "phone", "name", "b", "a"]),
                st.sampled_from(["r1", "r2", "r3"]),
                SEVERITIES,
                st.sampled_from(["validity", "completeness", "uniqueness"]),
            ),
            max_size=200,
        )
    )
    return pd.DataFrame(rows, columns=["entity", "record_id", "field", "rule_id", "severity", "dimension"])


def _by_loc(products: pd.Series, pair: tuple[str, str]) -> tuple[float, int]:
    """The former way: the pair's records selected by `.loc`, then summed."""
    try:
        selected = products.loc[pair]
    except KeyError:
        return 0.0, 0
    return selected.sum(), len(selected)


@examples(150)
@given(findings(), st.lists(st.floats(0.01, 1.0), min_size=4, max_size=4))
def test_blocks_sum_each_pair_as_selecting_it_did(frame: pd.DataFrame, weights: list[float]) -> None:
    factor = 1.0 - frame["severity"].map(dict(zip(["error", "warning", "info", "other"], weights, strict=True)))
    scored = frame.assign(factor=factor.to_numpy())
    for key in ("field", "dimension"):
        products = scored.groupby(["entity", key, "record_id"])["factor"].prod()
        blocks = _blocks(products)
        pairs = {(e, k) for e in ("contacts", "accounts", "leads", "tickets") for k in set(frame[key]) | {"absent"}}
        for pair in pairs:
            expected = _by_loc(products, pair)
            got = blocks.get(pair, (0.0, 0))
            assert got[1] == expected[1] and np.float64(got[0]).tobytes() == np.float64(expected[0]).tobytes(), pair


def test_scores_of_a_small_table_are_unchanged() -> None:
    frame = pd.DataFrame(
        {
            "entity": ["contacts"] * 4,
            "record_id": ["C1", "C1", "C2", "C3"],
            "field": ["email", "phone", "email", "email"],
            "rule_id": ["r1", "r2", "r1", "r1"],
            "severity": ["error", "warning", "warning", "info"],
            "dimension": ["validity", "validity", "completeness", "validity"],
        }
    )
    scores = compute_scores(frame, {"contacts": 10}, [])
    # C1: 0.5 * 0.8 = 0.4, C2: 0.8, C3: 0.95; seven clean records
    assert scores.entities["contacts"].score == round(100 * (0.4 + 0.8 + 0.95 + 7) / 10, 2)
