"""A feature made value by value (`nz.by_unique_coded`) is coded from its distinct values' results: the codes and
vocabulary `pd.factorize` of its rows gives, without hashing its rows again (for the comparisons, the blocking
keys, and each feature made from it)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.dedupe import blocking
from auditor.dedupe import normalize as nz
from auditor.dedupe.compare import Comparator
from auditor.dedupe.features import prepare

_TEXTS = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.sampled_from(["", "  ", "Anna", "anna ", "ANNA", "Jan", "Łukasz", "Müller", "o'brien", "Dr Jan", "3M"]),
    st.text(max_size=5),
)


def _same_as_factorize(coded: nz.Coded, column: pd.Series) -> None:
    codes, uniques = coded
    want_codes, want_uniques = pd.factorize(column, use_na_sentinel=True)
    np.testing.assert_array_equal(codes, want_codes)
    assert type(uniques) is type(want_uniques) and uniques.dtype == want_uniques.dtype
    assert uniques.equals(want_uniques)
    assert pa.array(uniques.array).type == pa.array(want_uniques.array).type


@settings(max_examples=150, deadline=None)
@given(st.lists(_TEXTS, max_size=30), st.sampled_from(["object", "string[pyarrow]", "str"]), st.booleans())
def test_by_unique_coded_oracle_the_factorize_of_its_column(values: list, dtype: str, recoded: bool) -> None:
    """Oracle: the codes and vocabulary made from the distinct values' results are `pd.factorize` of the result's
    rows; a feature made from it with its codes (`recoded`) is the feature made from its rows."""
    source = pd.Series(values, dtype=dtype if dtype != "object" else object)
    column, coded = nz.by_unique_coded(source, nz.person_name)
    pd.testing.assert_series_equal(column, nz.by_unique_text(source, nz.person_name))
    _same_as_factorize(coded, column)
    again, again_coded = nz.by_unique_coded(column, nz.soundex, coded if recoded else None)
    pd.testing.assert_series_equal(again, nz.by_unique_text(column, nz.soundex))
    _same_as_factorize(again_coded, again)


def _contacts_and_accounts() -> dict[str, pd.DataFrame]:
    names = ["Anna", "anna", None, "Jan", " ", "Łukasz"]
    contacts = pd.DataFrame(
        {
            "contact_id": [f"C{k}" for k in range(12)],
            "first_name": [names[k % 6] for k in range(12)],
            "last_name": [("Nowak", "Kowalski", None, "nowak")[k % 4] for k in range(12)],
            "street": [("1 Main St", "1 main street", None, "Rynek 5")[k % 4] for k in range(12)],
            "city": [("Paris", "paris", "Kraków", None)[k % 4] for k in range(12)],
        }
    )
    accounts = pd.DataFrame(
        {
            "account_id": [f"A{k}" for k in range(9)],
            "name": [("ACME Sp. z o.o.", "Acme", "Philips 2", None)[k % 4] for k in range(9)],
            "website": [("www.acme.pl", None, "https://philips.com/x")[k % 3] for k in range(9)],
            "city": [("Paris", None, "Kraków")[k % 3] for k in range(9)],
        }
    )
    return {"contacts": contacts, "accounts": accounts}


def test_the_features_made_value_by_value_are_coded_as_their_rows_factorize() -> None:
    """Oracle: every feature `prepare` codes from its values' results holds the codes and vocabulary that
    `feature_codes` of its rows gives (int32, as `Prepared.codes` keeps them)."""
    for entity, frame in _contacts_and_accounts().items():
        prepared = prepare(frame, entity)
        seeded = {name for (name,) in (key for key in prepared._codes if len(key) == 1)}
        assert {"first", "last", "last_sx", "street", "city"} <= seeded or {"name", "company", "company_sx"} <= seeded
        for name in seeded:
            codes, uniques = prepared.codes(name)
            want_codes = blocking.feature_codes(prepared.features, name)[0]
            assert codes.dtype == np.int32
            _same_as_factorize((codes, uniques), prepared.features[name])
            np.testing.assert_array_equal(codes, want_codes)


def test_a_feature_made_value_by_value_is_not_hashed_again(monkeypatch) -> None:
    """Fails on the code before: the comparator coded the street, names and city by a hash of their rows
    (`feature_codes`), and soundex hashed the rows of the last names again."""
    hashed: list[tuple[str, ...]] = []
    feature_codes = blocking.feature_codes
    monkeypatch.setattr(
        "auditor.dedupe.features.feature_codes",
        lambda features, *columns: hashed.append(columns) or feature_codes(features, *columns),
    )
    Comparator(prepare(_contacts_and_accounts()["contacts"], "contacts"))
    assert not {("street",), ("city",), ("last_sx",), ("first_canon",)} & set(hashed)
