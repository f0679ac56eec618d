"""Within one duplicate detection, a normalizer's result for a text is made once: the linkage of leads and
contacts normalizes both tables' names again."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.dedupe import find_duplicates
from auditor.dedupe import normalize as nz


class _Table:
    """What find_duplicates reads of a loaded table."""

    def __init__(self, entity: str, frame: pd.DataFrame) -> None:
        self.entity, self.frame, self.raw, self.source, self.sources = entity, frame, frame, "mem.csv", None
        self.row_numbers = pd.Series(np.arange(2, len(frame) + 2), index=frame.index)


def _people(prefix: str, key: str) -> pd.DataFrame:
    firsts = ["Zbigniew", "Anna", "Jan", "Ewa"] * 5
    return pd.DataFrame(
        {
            key: [f"{prefix}{k}" for k in range(len(firsts))],
            "first_name": firsts,
            "last_name": [("Nowak", "Kowalski", "Lis")[k % 3] for k in range(len(firsts))],
            "email": [f"{f.lower()}.{k}@acme.com" for k, f in enumerate(firsts)],
        }
    )


def test_a_name_in_the_contacts_and_the_leads_is_normalized_once(monkeypatch) -> None:
    """Fails on the code before: the soundex of 'nowak' was made for the contacts, the leads and their linkage."""
    asked: list[str] = []
    soundex = nz.soundex

    def counting(value: str) -> str | None:
        asked.append(value)
        return soundex(value)

    monkeypatch.setattr(nz, "soundex", counting)
    tables = {
        "contacts": _Table("contacts", _people("C", "contact_id")),
        "leads": _Table("leads", _people("L", "lead_id")),
    }
    find_duplicates(tables)
    assert asked.count("nowak") == 1
    find_duplicates(tables)  # each run remembers its own results only
    assert asked.count("nowak") == 2


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.sampled_from(["", " ", "Anna", "anna", "Dr. Łukasz Nowak", "x y"])), max_size=12)
)
def test_oracle_remembered_results_are_the_normalizers(values: list) -> None:
    """Oracle test (it holds on the code before too): a column normalized inside `remembered`, after another
    column of overlapping texts, reads as outside it."""
    column = pd.Series(values, dtype=object)
    alone = nz.by_unique_text(column, nz.person_name)
    with nz.remembered():
        nz.by_unique_text(column.iloc[::-1], nz.person_name)
        again = nz.by_unique_text(column, nz.person_name)
    pd.testing.assert_series_equal(again, alone)
