"""The duplicate search's working set at its peak (issue 17: a million contacts audited in 3 GB): a step lets go of
what it no longer reads before the next allocation, with the same pairs, clusters and findings."""

from __future__ import annotations

import weakref
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import auditor.dedupe as dedupe
from auditor.dedupe import DedupeSettings, _ids, match_frame
from auditor.dedupe.compare import Comparator
from auditor.dedupe.features import prepare
from auditor.dedupe.scoring import score

ACME = Path(__file__).resolve().parents[1] / "fixtures" / "acme"


@pytest.fixture(scope="module")
def acme():
    from auditor.pipeline import resolve_config
    from auditor.sources import load_export

    return load_export(ACME, resolve_config(ACME, None).source_options())


def _prepared(acme, entity: str):
    table = acme.tables[entity]
    return prepare(match_frame(table), entity, ids=_ids(table))


@pytest.mark.parametrize("entity", ["contacts", "accounts"])
def test_scored_oracle_the_values_let_go_score_and_compare_as_kept(acme, entity: str) -> None:
    """Oracle test: a table handed over to `score` (its features' values let go once blocked and counted) gives
    the candidate pairs, levels, weights, model and comparisons of one that keeps them."""
    kept = score(_prepared(acme, entity), DedupeSettings())
    handed = score(_prepared(acme, entity), DedupeSettings(), keep_values=False)
    assert handed.prepared.features.shape == (len(kept.prepared.features), 0)
    for name in ("i", "j", "levels", "cannot", "weight", "probability", "conflict", "evidence", "weak", "patterns"):
        np.testing.assert_array_equal(getattr(handed, name), getattr(kept, name), err_msg=name)
    for got_weights, want_weights in zip(handed.model.weights, kept.model.weights, strict=True):
        np.testing.assert_array_equal(got_weights, want_weights)
    assert handed.model.prior == kept.model.prior
    assert handed.comparator.rule_names == kept.comparator.rule_names
    # what the clusters and the pairs frame ask of the comparator after the values are gone
    want, got = kept.comparator.compare(kept.i, kept.j), handed.comparator.compare(handed.i, handed.j)
    for name in ("levels", "scores", "swapped", "cannot", "surprise"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
    np.testing.assert_array_equal(
        handed.comparator.disagree(handed.i, handed.j, handed.levels),
        kept.comparator.disagree(kept.i, kept.j, kept.levels),
    )
    np.testing.assert_array_equal(handed.comparator.copies(handed.i, handed.j), kept.comparator.copies(kept.i, kept.j))


def test_the_features_values_are_let_go_before_the_candidate_pairs_are_compared(acme, monkeypatch) -> None:
    """The features' values (0.3 GB at a million contacts) were held through the comparisons, the clusters and the
    pairs frame, the step's peak: they are let go once the pairs are blocked and the rules counted (refcounts
    alone must free them: the audit pauses the collector)."""
    made: list[weakref.ref] = []
    held_when_compared: list[bool] = []
    prepare_, exact_levels = dedupe.prepare, Comparator.exact_levels

    def watched_prepare(*args, **rest):
        prepared = prepare_(*args, **rest)
        made.append(weakref.ref(prepared.features))
        return prepared

    def watched_levels(self, i, j, *rest):
        held_when_compared.append(any(ref() is not None for ref in made))
        return exact_levels(self, i, j, *rest)

    monkeypatch.setattr(dedupe, "prepare", watched_prepare)
    monkeypatch.setattr(Comparator, "exact_levels", watched_levels)
    result = dedupe.find_duplicates(acme.tables, entities=("contacts", "accounts", "leads"))
    assert len(result.pairs) and len(result.links)
    assert held_when_compared == [False, False, False, False]  # contacts, accounts, leads, their linkage


def test_the_search_finds_the_same_with_the_values_let_go(acme, monkeypatch) -> None:
    """Oracle test: the whole search (pairs, clusters, merge plan, links, findings) of fixtures/acme with every
    table's values kept through its step equals the search that lets them go."""
    let_go = dedupe.find_duplicates(acme.tables)
    score_ = dedupe.score

    def keeping(prepared, settings, **rest):
        return score_(prepared, settings, **{**rest, "keep_values": True})

    monkeypatch.setattr(dedupe, "score", keeping)
    kept = dedupe.find_duplicates(acme.tables)
    for name in ("pairs", "clusters", "merge_plan", "links"):
        pd.testing.assert_frame_equal(getattr(let_go, name), getattr(kept, name), obj=name)
    pd.testing.assert_frame_equal(let_go.findings(), kept.findings())
