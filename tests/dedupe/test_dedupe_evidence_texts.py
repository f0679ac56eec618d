"""A pair's evidence text: each field's text written once per distinct (level, bits) of its column and the fields
of every combination ordered at once (`_EvidenceWriter.fields_in_order`), as `text` writes them one by one."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.dedupe import _EvidenceWriter

_FIELDS = [
    ("first_name", ("different", "similar", "exact")),
    ("email", ("different", "exact")),
    ("city", ("no", "yes")),
]
_BITS = np.array([0.0, -0.0, 1.5, -1.5, 3.25, 12.0, -4.0, 0.1], dtype=np.float32)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 40), st.integers(0, 3))
def test_oracle_fields_in_order_equal_the_text_field_by_field(seed: int, n: int, k: int) -> None:
    """Oracle test against `text` row by row: missing fields left out, ties of bits (1.5 and -1.5) ordered by
    text, -0.0 printed apart from 0.0, no field at all."""
    rng = np.random.default_rng(seed)
    fields = _FIELDS[:k]
    levels = np.array([rng.integers(-1, len(labels), n) for _, labels in fields], dtype=np.int8).T.reshape(n, k)
    bits = np.round(rng.choice(_BITS, (n, k)), 1)
    writer = _EvidenceWriter(fields, ["corporate_email"], 12.0)
    rows = zip(levels.tolist(), bits.tolist(), strict=True)
    expected = [writer.text(lv, b, 0, False, 2, False, False) for lv, b in rows]
    assert writer.fields_in_order(levels, bits) == expected
