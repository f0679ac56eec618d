"""A feature coded over a vocabulary shared with others (a contact's phone and mobile, first and last names) gets
its own codes from the shared ones: its texts are not hashed again."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from oracle_examples import examples

from auditor.dedupe import features
from auditor.dedupe.blocking import feature_codes
from auditor.dedupe.features import prepare

_PHONES = st.one_of(
    st.none(), st.sampled_from(["+48 12 589 23 02", "12-589-23-02", "600 100 200", "n/a", "+1 555 0100"])
)


def _contacts(phones: list[tuple[str | None, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "contact_id": [f"C{k}" for k in range(len(phones))],
            "first_name": [("Anna", "Jan", None)[k % 3] for k in range(len(phones))],
            "last_name": [("Nowak", "Anna", "Lis", None)[k % 4] for k in range(len(phones))],
            "phone": [p for p, _ in phones],
            "mobile": [m for _, m in phones],
        }
    )


@examples(60)
@given(st.lists(st.tuples(_PHONES, _PHONES), min_size=1, max_size=20))
def test_one_column_of_a_joint_vocabulary_oracle_its_own_factorize(phones) -> None:
    prepared = prepare(_contacts(phones), "contacts")
    for joint in (("phone_0", "phone_1"), ("first", "last")):
        prepared.codes(*joint)
        for column in joint:
            codes, uniques = prepared.codes(column)
            want_codes, want_uniques = feature_codes(prepared.features, column)
            np.testing.assert_array_equal(codes, want_codes.astype(np.int32))
            pd.testing.assert_index_equal(uniques, want_uniques, exact=True)


def test_a_phone_field_is_not_hashed_again_after_the_phones_together(monkeypatch) -> None:
    """Fails on the code before: each phone field's texts were factorized again on their own."""
    prepared = prepare(_contacts([("600 100 200", "600 100 201"), ("600 100 201", None)]), "contacts")
    prepared.codes("phone_0", "phone_1")
    asked: list[tuple[str, ...]] = []
    monkeypatch.setattr(
        features, "feature_codes", lambda frame, *columns: asked.append(columns) or feature_codes(frame, *columns)
    )
    assert prepared.codes("phone_1")[0].tolist() == [0, -1]
    assert asked == []
