"""A duplicate search in steps (`auditor.dedupe.search_steps`): the steps may run in any order and in any
process, and `assemble` puts their shares together as `find_duplicates` finds them in one."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from auditor.dedupe import (
    DedupeResult,
    DedupeSettings,
    assemble,
    assembled_findings,
    find_duplicates,
    search_steps,
    share_findings,
)
from auditor.dedupe.normalize import remembered


class _Table:
    """What the search reads of a loaded table."""

    def __init__(self, entity: str, frame: pd.DataFrame) -> None:
        self.entity, self.frame, self.raw, self.source, self.sources = entity, frame, frame, f"{entity}.csv", None
        self.row_numbers = pd.Series(np.arange(2, len(frame) + 2), index=frame.index)


def _people(key: str, prefix: str) -> pd.DataFrame:
    firsts = ["Zbigniew", "Anna", "Jan", "Ewa", "Anna"] * 4
    return pd.DataFrame(
        {
            key: [f"{prefix}{k}" for k in range(len(firsts))],
            "first_name": firsts,
            "last_name": [("Nowak", "Kowalski", "Lis")[k % 3] for k in range(len(firsts))],
            "email": [f"{f.lower()}.{k % 7}@acme.com" for k, f in enumerate(firsts)],
        }
    )


def _in_reverse(tables, settings: DedupeSettings) -> tuple[DedupeResult, pd.DataFrame]:
    """Each step in a cache of its own, the last first, as two processes may run them."""
    steps = search_steps(tables, settings)
    shares = {}
    for place in reversed(range(len(steps))):
        with remembered():
            shares[place] = steps[place].run()
    ordered = [shares[place] for place in range(len(steps))]
    result = assemble(ordered, settings)
    return result, assembled_findings(result, [share_findings(share, settings) for share in ordered])


def _assert_same(a: DedupeResult, b: DedupeResult) -> None:
    for name in ("pairs", "clusters", "merge_plan", "links"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert json.dumps(a.stats, default=str) == json.dumps(b.stats, default=str)  # the order of the keys too
    assert list(a.records) == list(b.records)
    for entity in a.records:
        pd.testing.assert_frame_equal(a.records[entity], b.records[entity])


def test_acme_searched_in_steps_run_last_first_is_found_as_in_one_search(acme_audit, acme_result) -> None:
    # oracle: the duplicates of the suite's audit of acme (contacts, accounts, leads and their linkage)
    steps = search_steps(acme_audit.data, DedupeSettings())
    assert [s.name for s in steps] == ["contacts", "accounts", "leads", "leads~contacts"]
    assert [s.linked for s in steps] == [True, False, True, True]
    whole = find_duplicates(acme_audit.data, DedupeSettings())
    result, findings = _in_reverse(acme_audit.data, DedupeSettings())
    _assert_same(result, whole)
    pd.testing.assert_frame_equal(findings, whole.findings())
    _assert_same(acme_result, whole)  # the audit's, its steps shared between two processes


def test_a_table_with_nothing_to_compare_keeps_its_place_among_the_stats() -> None:
    tables = {
        "contacts": _Table("contacts", _people("contact_id", "C")),
        "accounts": _Table("accounts", pd.DataFrame({"account_id": [f"A{k}" for k in range(5)]})),
        "leads": _Table("leads", _people("lead_id", "L")),
    }
    settings = DedupeSettings()
    whole = find_duplicates(tables, settings)
    assert list(whole.stats) == ["contacts", "accounts", "leads", "leads~contacts"]
    assert "skipped" in whole.stats["accounts"] and len(whole.links)
    result, findings = _in_reverse(tables, settings)
    _assert_same(result, whole)
    pd.testing.assert_frame_equal(findings, whole.findings())


def test_no_table_to_search_is_an_empty_result() -> None:
    assert search_steps({}, DedupeSettings()) == []
    result = assemble([], DedupeSettings())
    assert result.stats == {} and result.pairs.empty and result.links.empty and result.findings().empty
