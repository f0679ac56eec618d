"""Memory of duplicate detection on many copies of one contact (issue 18: a million copies must audit in
under 3 GB). A star of N-1 pairs around the first copy, every pair with the same evidence text: the pairs
hold a pointer to it, not its bytes again, and the duplicate findings read it without a copy per pair."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from copies_of_one import contact_without, peaks, write_copies
from hypothesis import example, given, settings
from hypothesis import strategies as st

from auditor.dedupe import DedupeResult, _evidence_strings
from auditor.engines.pandas import PandasEngine
from auditor.pipeline import resolve_config

SMALL, LARGE = 1_000, 4_000
PYTHON_PER_COPY = 700
"""Bytes of Python objects the duplicate findings' peak may grow by per copy: about 510 now; 850 when
each pair's evidence, owner and file became a str of their own on the way."""
ARROW_PER_COPY = 500
"""Bytes of Arrow buffers: about 190 now; 1,230 when the evidence text was copied through the sort and
each finding's message was stored as Arrow text before it was shared."""


def _duplicates(folder: Path, n: int) -> DedupeResult:
    write_copies(folder, n, contact_without("title", "created_at", "updated_at"))
    config = resolve_config(folder, None)
    engine = PandasEngine()
    assert config.dedupe is not None
    return engine.find_duplicates(engine.load(folder, config, None), config.dedupe, None)


def _findings_peaks(result: DedupeResult) -> tuple[int, int]:
    """(peak of Python objects, peak of Arrow buffers) of making the duplicate findings."""
    python, arrow, findings = peaks(result.findings)
    assert len(findings) == len(result.pairs)
    return python, arrow


def test_the_pairs_text_columns_point_at_shared_strs(tmp_path: Path) -> None:
    pairs = _duplicates(tmp_path / "copies", 300).pairs
    assert len(pairs) == 299
    for column in ("entity", "band", "cannot_link", "evidence"):
        assert pairs[column].dtype == object, f"{column} is {pairs[column].dtype}: its bytes once per pair"
        assert len({id(v) for v in pairs[column]}) == 1, column


def test_the_duplicate_findings_peak_grows_by_a_bounded_number_of_bytes_per_copy(tmp_path: Path) -> None:
    _findings_peaks(_duplicates(tmp_path / "warm", 200))
    small_python, small_arrow = _findings_peaks(_duplicates(tmp_path / "small", SMALL))
    large_python, large_arrow = _findings_peaks(_duplicates(tmp_path / "large", LARGE))
    python = (large_python - small_python) / (LARGE - SMALL)
    arrow = (large_arrow - small_arrow) / (LARGE - SMALL)
    assert python < PYTHON_PER_COPY, f"{small_python:,} bytes at {SMALL:,} copies, {large_python:,} at {LARGE:,}"
    assert arrow < ARROW_PER_COPY, f"{small_arrow:,} bytes at {SMALL:,} copies, {large_arrow:,} at {LARGE:,}"


@dataclass
class _Comparison:
    name: str
    labels: tuple[str, ...] = ("exact", "close", "different")


@given(
    rows=st.lists(
        st.tuples(
            st.lists(st.integers(-1, 2), min_size=3, max_size=3),
            st.lists(st.sampled_from([0.0, 0.04, -0.04, 0.06, 1.26, -3.3, np.nan]), min_size=3, max_size=3),
            st.integers(0, 3),
            st.booleans(),
            st.integers(0, 3),
            st.booleans(),
            st.booleans(),
        ),
        min_size=1,
        max_size=40,
    )
)
@example(  # a copy and a pair that is none, one -0.0 apart, both under a cannot-link rule: one combination
    rows=[
        ([2, 0, 0], [0.0, 0.0, 0.0], 1, False, 2, False, True),
        ([2, 0, 0], [0.0, 0.0, -0.04], 1, False, 2, False, False),
    ]
)
@settings(max_examples=60, deadline=None)
def test_each_pairs_evidence_text_is_its_own_whichever_way_the_pairs_are_grouped(rows: list[tuple]) -> None:
    """The texts are made once per distinct combination of levels, rounded bits and flags, grouped column
    by column: each pair still gets the text it alone would get. Bits rounded to -0.0 print as such, but
    where one combination holds both -0.0 and 0.0 (equal floats) numpy's float row grouping decides, as
    before: every pair of it gets the text of one of them."""
    scored = SimpleNamespace(
        prepared=SimpleNamespace(comparisons=[_Comparison("name"), _Comparison("email"), _Comparison("phone")]),
        comparator=SimpleNamespace(rule_names=["a", "b"]),
    )
    columns = [np.array(values) for values in zip(*rows, strict=True)]
    levels, fw = columns[0].astype(np.int8), columns[1].astype(np.float32)
    cannot, conflict, evidence, weak, copies = columns[2].astype(np.int64), *columns[3:]
    args = (levels, fw, cannot, conflict, evidence.astype(np.int8), weak, copies)
    texts = _evidence_strings(scored, *args, 2.0)
    alone = [_evidence_strings(scored, *(a[r : r + 1] for a in args), 2.0)[0] for r in range(len(rows))]
    rounded = np.round(np.nan_to_num(fw, nan=0.0), 1)
    # a pair with a cannot-link rule is never read as a copy: its copies flag is no part of its text
    shown = (cannot, conflict, evidence, weak, copies & (cannot == 0))
    combination = [(*levels[r], *rounded[r], *(a[r] for a in shown)) for r in range(len(rows))]
    members: dict[tuple, set[str]] = {}  # -0.0 == 0.0 and hashes alike: one key
    for key, own in zip(combination, alone, strict=True):
        members.setdefault(key, set()).add(own)
    for key, text, own in zip(combination, texts, alone, strict=True):
        assert text == own if len(members[key]) == 1 else text in members[key]


def test_scoring_keeps_no_python_string_per_distinct_email_or_phone_nor_the_surprises(acme) -> None:
    """The term frequencies are looked up on the Arrow vocabularies: e-mails and phones are compared exactly,
    so a Python string per distinct value (2.8 million at a million contacts) would be held for nothing; and
    the per-pair term-frequency surprises are read once, for the weights (211 MB at a million contacts)."""
    from auditor.dedupe import _ids, match_frame
    from auditor.dedupe.features import prepare
    from auditor.dedupe.scoring import score
    from auditor.dedupe.settings import DedupeSettings

    table = acme.tables["contacts"]
    prepared = prepare(match_frame(table), "contacts", ids=_ids(table))
    scored = score(prepared, DedupeSettings())
    held = [name for name, coded in scored.comparator.coded.items() if coded._objects is not None]
    assert "email" not in held and "phone_0" not in held, held
    assert scored.surprise is None
