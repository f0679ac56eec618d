"""The clusters' connected components, held to scipy's (oracle), and the start-up they no longer cost."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from auditor.dedupe.cluster import components


def _scipy_components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 40).flatmap(
        lambda n: st.tuples(st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=60))
    )
)
def test_oracle_components_equal_scipys_labels(graph: tuple[int, list[tuple[int, int]]]) -> None:
    n, edges = graph
    a = np.array([x for x, _ in edges], dtype=np.int64)
    b = np.array([y for _, y in edges], dtype=np.int64)
    assert components(n, a, b).tolist() == _scipy_components(n, a, b).tolist()


def test_oracle_components_of_a_long_shuffled_chain_and_of_no_edge() -> None:
    order = np.random.default_rng(7).permutation(5_000)
    assert components(5_000, order[:-1], order[1:]).tolist() == [0] * 5_000
    assert components(3, np.empty(0, np.int64), np.empty(0, np.int64)).tolist() == [0, 1, 2]
    assert len(components(0, np.empty(0, np.int64), np.empty(0, np.int64))) == 0


def test_duplicate_detection_imports_no_scipy() -> None:
    code = "import sys, auditor.dedupe, auditor.dedupe.cluster; print('scipy' in sys.modules)"
    done = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
