"""Names counted within their country: how many distinct records of a country hold a name (exact copies
counting once), the term-frequency table a shared name is weighed by."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.dedupe import normalize as nz
from auditor.dedupe.compare import SEPARATOR, Comparator, counted, others, profile_columns, value_counts
from auditor.dedupe.features import prepare

ROWS = st.tuples(
    st.sampled_from(["Anna", "Jan", "Ewa", None]),
    st.sampled_from(["Nowak", "Meyer", None]),
    st.sampled_from(["PL", "DE", "US", None]),
)


@settings(max_examples=15, deadline=None)
@given(st.lists(ROWS, min_size=1, max_size=25))
def test_oracle_names_per_country_count_distinct_records(rows: list[tuple[str | None, ...]]) -> None:
    """Oracle test (it holds on the code before the change too): a grouped count of one record per
    distinct profile, country by country."""
    frame = pd.DataFrame(
        {
            "contact_id": [f"C{k}" for k in range(len(rows))],
            "first_name": [r[0] for r in rows],
            "last_name": [r[1] for r in rows],
            "country": [r[2] for r in rows],
        }
    )
    prepared = prepare(frame, "contacts")
    counts = value_counts(prepared)
    records = prepared.features[profile_columns(prepared)].astype(object).drop_duplicates()
    for name in ("first", "last"):
        held = records.dropna(subset=[name, "country"]).groupby(["country", name]).size()
        expected = {f"{country}{SEPARATOR}{value}": n for (country, value), n in held.items() if n >= 2}
        assert counts.by_country[name].to_dict() == expected


@settings(max_examples=15, deadline=None)
@given(st.lists(ROWS, min_size=1, max_size=25))
def test_oracle_surprise_within_the_country_of_each_record(rows: list[tuple[str | None, ...]]) -> None:
    """Oracle test (it holds on the code before the change too): each record's surprise within its country,
    looked up by its own 'country<US>value' text, as the comparator did record by record."""
    frame = pd.DataFrame(
        {
            "first_name": [r[0] for r in rows],
            "last_name": [r[1] for r in rows],
            "country": [r[2] for r in rows],
        }
    )
    prepared = prepare(frame, "contacts")
    frequencies = value_counts(prepared)
    comparator = Comparator(prepared, frequencies=frequencies)
    country = nz.strings(prepared.features["country"])
    for name in ("first", "last"):
        keyed = country + SEPARATOR + nz.strings(prepared.features[name])
        within = others(counted(frequencies.by_country[name], keyed, 1.0))
        totals = counted(frequencies.country_totals[name], country, np.nan)
        share = np.minimum(within, totals) / totals
        expected = np.where(keyed.notna().to_numpy() & (totals > 0), -np.log2(share), np.nan).astype(np.float32)
        np.testing.assert_array_equal(comparator.country_surprise[name], expected)


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Anna", "Jan", "Ewa", None]),
            st.sampled_from(["anna@gmail.com", "jan@acme.pl", "info@acme.pl", "ewa@wp.pl", "x@GMAIL.com", None]),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_oracle_value_counts_and_free_domains_as_python_strings_count_them(rows: list[tuple[str | None, ...]]) -> None:
    """Oracle test (it holds on the code before the change too): the values held by two distinct records,
    counted over the records' Python strings, and each e-mail domain's free-mail flag read one by one."""
    frame = pd.DataFrame(
        {
            "contact_id": [f"C{k}" for k in range(len(rows))],
            "first_name": [r[0] for r in rows],
            "last_name": "Nowak",
            "email": [r[1] for r in rows],
        }
    )
    prepared = prepare(frame, "contacts")
    counts = value_counts(prepared)
    records = prepared.features[profile_columns(prepared)].astype(object).drop_duplicates()
    for name in ("first", "email"):
        held = records[name].dropna().value_counts()
        assert counts.counts[name].to_dict() == {v: n for v, n in held.items() if n >= 2}
        assert all(type(v) is str for v in counts.counts[name].index)
    domains = Comparator(prepared).coded["email_domain"].uniques
    want = [u in nz.FREE_MAIL for u in domains] + [False]
    assert Comparator(prepared).free_domain.tolist() == want
