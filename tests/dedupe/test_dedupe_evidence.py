"""The evidence rules of the duplicate model: shared contact points between different identities, numbered
company names, monotone levels, term-frequency weights, EM diagnostics and the auto-merge band."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle_examples import examples
from test_dedupe_engine import T, _background, _pair

from auditor.dedupe import DedupeSettings, find_duplicates
from auditor.dedupe import fellegi_sunter as fs
from auditor.dedupe.features import LEVEL_LABELS, Comparison
from auditor.dedupe.scoring import auto_mergeable, field_weights


def _with(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([_background(), frame], ignore_index=True)


def _candidates(frame: pd.DataFrame, entity: str, prefix: str) -> pd.DataFrame:
    """Every candidate pair among the records whose id starts with `prefix`, listed or not (pairs.csv
    lists only those above 0.01), with its probability, band rule and per-field bits."""
    from auditor.dedupe.features import prepare
    from auditor.dedupe.scoring import field_weights, score

    prepared = prepare(frame, entity)
    scored = score(prepared, DedupeSettings())
    ids = prepared.ids.to_numpy()
    surprise = scored.comparator.levels(scored.i, scored.j)[2]
    bits = field_weights(scored.model, prepared.comparisons, scored.levels, surprise)
    out = pd.DataFrame(
        {"id_a": ids[scored.i], "id_b": ids[scored.j], "probability": scored.probability, "auto_ok": scored.auto_ok()}
    )
    for k, c in enumerate(prepared.comparisons):
        out[f"{c.name}_bits"] = bits[:, k]
    return out[out["id_a"].str.startswith(prefix) & out["id_b"].str.startswith(prefix)]


@pytest.mark.parametrize(
    ("firsts", "lasts", "email", "phone"),
    [
        # a family on one mailbox
        (["Anna", "Piotr", "Zofia"], ["Nowak", "Nowak", "Nowak"], "nowakowie@gmail.com", None),
        # colleagues on a shared mailbox and the office line
        (["Ala", "Ewa", "Iza"], ["Mazur", "Sowa", "Kruk"], "biuro.zarzad@onet.pl", "+48 22 555 00 00"),
        # a reseller who entered its own address and phone for each customer
        (["Jan", "Olga", "Marek"], ["Lis", "Wrona", "Dudek"], "zamowienia@hurtownia-abc.pl", "+48 601 700 800"),
        # one phone only
        (["Adam", "Beata", "Cezary"], ["Kowal", "Kowal", "Zając"], None, "+48 512 345 678"),
    ],
)
def test_different_people_sharing_one_contact_point_are_never_auto_merged(firsts, lasts, email, phone) -> None:
    people = pd.DataFrame(
        {
            "contact_id": [f"S{k}" for k in range(3)],
            "first_name": firsts,
            "last_name": lasts,
            "email": [email] * 3,
            "phone": [phone] * 3,
            "country": "PL",
        }
    )
    frame = _with(people)
    shared = _candidates(frame, "contacts", "S")
    assert len(shared) == 3, "the shared contact point makes them candidates"
    assert not shared["auto_ok"].any(), shared
    result = find_duplicates({"contacts": T("contacts", frame)}, entities=("contacts",))
    listed = result.pairs[result.pairs["id_a"].str.startswith("S") & result.pairs["id_b"].str.startswith("S")]
    assert not (listed["band"] == "auto_merge").any()
    assert listed["evidence"].str.contains("review only").all()
    members = result.clusters[result.clusters["record_id"].str.startswith("S")]
    assert not (members["band"] == "auto_merge").any()


def test_the_same_person_sharing_the_mailbox_is_auto_merged() -> None:
    # control for the test above: the rule blocks conflicting identities, not shared mailboxes as such
    people = pd.DataFrame(
        {
            "contact_id": ["S0", "S1"],
            "first_name": ["Zofia", "Zofia"],
            "last_name": ["Nowak", "Nowak"],
            "email": ["nowakowie@gmail.com"] * 2,
            "phone": ["+48 512 000 111", "+48512000111"],
            "country": "PL",
        }
    )
    pair = _pair(find_duplicates({"contacts": T("contacts", _with(people))}, entities=("contacts",)), "S0", "S1")
    assert pair["band"] == "auto_merge" and pair["evidence_pieces"] >= 2


def _companies(names: list[str]) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    syll = ["lo", "ga", "tri", "ven", "mar", "sol", "ka", "dex", "pro", "nor", "vi", "ta"]
    base = [
        "".join(rng.choice(syll, 3)).capitalize() + " " + rng.choice(["Sp. z o.o.", "S.A.", "GmbH", "Ltd"])
        for _ in range(300)
    ]
    frame = pd.DataFrame(
        {
            "account_id": [f"B{k:04d}" for k in range(300)],
            "name": base,
            "phone": [f"+48 22 {k:03d} {k % 89:02d} {k % 7}0" for k in range(300)],
            "country": "PL",
            "city": rng.choice(["Warszawa", "Kraków", "Gdańsk"], 300),
        }
    )
    dup = frame.iloc[:30].copy()
    dup["account_id"] = [f"D{k:04d}" for k in range(30)]
    dup["name"] = dup["name"].str.upper()
    extra = pd.DataFrame(
        {
            "account_id": [f"N{k}" for k in range(len(names))],
            "name": names,
            "phone": None,
            "country": "PL",
            "city": "Warszawa",
        }
    )
    return pd.concat([frame, dup, extra], ignore_index=True)


def test_numbered_company_names_are_different_companies() -> None:
    frame = _companies(
        ["Rivera395 Inc", "Rivera251 Inc", "Rivera 395 Inc.", "Branch 12 Logistics", "Branch 14 Logistics"]
    )
    result = find_duplicates({"accounts": T("accounts", frame)}, entities=("accounts",))
    pairs = _candidates(frame, "accounts", "N").set_index(["id_a", "id_b"])
    for a, b in (("N0", "N1"), ("N1", "N2"), ("N3", "N4")):
        row = pairs.loc[(a, b)]
        assert row["name_bits"] < 0 and not row["auto_ok"], (a, b)
    clusters = result.clusters.set_index("record_id")["cluster_id"]
    assert clusters.get("N0") is None or clusters.get("N0") != clusters.get("N1")
    assert clusters.get("N3") is None or clusters.get("N3") != clusters.get("N4")
    # the same number written apart is the same name
    same = _pair(result, "N0", "N2")
    assert same is not None and "name exact" in same["evidence"]


@settings(max_examples=200, deadline=None)
@given(
    weights=st.lists(st.floats(min_value=-30, max_value=30, allow_nan=False), min_size=2, max_size=6),
    support=st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=6, max_size=6),
)
def test_monotone_repair_is_ordered_signed_and_closest(weights: list[float], support: list[float]) -> None:
    learnt = np.array(weights)
    fixed = fs.monotone(learnt, np.array(support[: len(weights)]))
    assert (np.diff(fixed) >= -1e-9).all()
    assert fixed[0] <= 0 <= fixed[-1]
    if (np.diff(learnt) >= 0).all() and learnt[0] <= 0 <= learnt[-1]:
        np.testing.assert_allclose(fixed, learnt)


@settings(max_examples=100, deadline=None)
@given(
    kind=st.sampled_from(sorted(LEVEL_LABELS)),
    m_raw=st.lists(st.floats(min_value=1e-6, max_value=1), min_size=5, max_size=5),
    u_raw=st.lists(st.floats(min_value=1e-6, max_value=1), min_size=5, max_size=5),
    surprise=st.floats(min_value=0, max_value=30),
)
def test_every_comparison_level_weighs_monotone_and_agreement_never_counts_against(
    kind: str, m_raw: list[float], u_raw: list[float], surprise: float
) -> None:
    size = len(LEVEL_LABELS[kind])
    m = np.array(m_raw[:size]) / sum(m_raw[:size])
    u = np.array(u_raw[:size]) / sum(u_raw[:size])
    model = fs.Model([m], [u], 1e-4, 0, True, adjusted=[fs.monotone(np.log2(m / u), np.ones(size))])
    comparison = Comparison("x", kind, ("x",))
    levels = np.arange(size, dtype=np.int8)[:, None]
    tf = np.full((size, 1), np.nan, dtype=np.float32)
    tf[-1, 0] = surprise
    bits = field_weights(model, [comparison], levels, tf)[:, 0]
    plain = field_weights(model, [comparison], levels, None)[:, 0]
    assert (np.diff(plain) >= -1e-6).all()
    assert plain[0] <= 0 and plain[-1] >= 0 and bits[-1] >= 0


def test_auto_merge_needs_two_pieces_no_conflict_close_names_and_no_cannot_link() -> None:
    conflict = np.array([False, True, False, False, False])
    evidence = np.array([2, 3, 1, 2, 2])
    cannot = np.array([0, 0, 0, 1, 0])
    weak = np.array([False, False, False, False, True])
    assert auto_mergeable(conflict, evidence, cannot, weak).tolist() == [True, False, False, False, False]


def test_em_that_does_not_converge_is_reported_and_left_out() -> None:
    frame = _with(pd.DataFrame())
    one_step = DedupeSettings.from_dict({"em": {"max_iterations": 1}})
    result = find_duplicates({"contacts": T("contacts", frame)}, one_step, entities=("contacts",))
    stats = result.stats["contacts"]
    assert stats["em_converged"] is False
    assert any("did not converge in 1 iterations; left out" in w for w in stats["warnings"])
    sessions = stats["model"]["sessions"]
    assert sessions and all(not s["used"] for s in sessions if s["iterations"])
    # nothing learnt: the fields keep the documented defaults, and say so
    assert any("documented default weights" in w for w in stats["warnings"])


def test_model_diagnostics_name_the_match_share_and_the_sessions() -> None:
    result = find_duplicates({"contacts": T("contacts", _background())}, entities=("contacts",))
    model = result.stats["contacts"]["model"]
    assert 0 < model["match_share"] < 1e-2 and model["match_share_from"]
    assert {"email", "phone", "name_sorted"} <= {s["key"] for s in model["sessions"]}
    for comparison in model["comparisons"].values():
        assert (np.diff(comparison["bits"]) >= -1e-9).all()
        assert comparison["bits"][0] <= 0 <= comparison["bits"][-1]


def test_a_shared_switchboard_weighs_less_than_a_personal_number() -> None:
    frame = _background()
    office = pd.DataFrame(
        {
            "contact_id": [f"S{k}" for k in range(8)],
            "first_name": ["Ala", "Ola", "Ela", "Iza", "Ula", "Eda", "Jan", "Jan"],
            "last_name": ["Mazur", "Nowak", "Kowal", "Sowa", "Wrona", "Kruk", "Lis", "Lis"],
            "email": None,
            "phone": ["+48 22 555 00 00"] * 6 + ["+48 600 123 456"] * 2,
            "country": "PL",
        }
    )
    pairs = _candidates(pd.concat([frame, office], ignore_index=True), "contacts", "S").set_index(["id_a", "id_b"])
    switchboard, personal = pairs.loc[("S0", "S1")], pairs.loc[("S6", "S7")]
    assert personal["phone_bits"] > switchboard["phone_bits"] > 0
    assert not switchboard["auto_ok"] and switchboard["probability"] < 0.5


@examples(150)
@given(
    day=st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(2099, 12, 31)),
    style=st.sampled_from(["%Y-%m-%d", "%Y%m%d", "%d %b %Y", "%B %d, %Y", "%d.%m.%Y", "%Y/%m/%d"]),
)
def test_birth_dates_in_any_common_format_compare_as_one_date(day, style: str) -> None:
    from auditor.dedupe.features import _digits_date

    text = day.strftime(style)
    warnings: list[str] = []
    digits = _digits_date(pd.Series([text]), "birth_date", warnings)[0]
    assert digits == day.strftime("%Y%m%d"), text
    assert warnings == []


def test_a_date_column_that_mostly_does_not_parse_is_a_warning() -> None:
    from auditor.dedupe.features import _digits_date

    warnings: list[str] = []
    values = pd.Series(["1980-05-01"] * 90 + ["1856-86-18"] * 5 + ["n.d."] * 5 + ["1630-08-01"] * 10)
    digits = _digits_date(values, "birth_date", warnings)
    assert digits[0] == "19800501" and digits[95] is None and digits[100] == "16300801" and digits[90] == "18568618"
    assert warnings == [
        "birth_date: 10 of 110 values (9.1%) are not dates (e.g. '1856-86-18'); they are compared by their digits"
    ]
    quiet: list[str] = []
    _digits_date(pd.Series(["1980-05-01"] * 200 + ["n.d."]), "birth_date", quiet)
    assert quiet == []


def test_a_table_without_anything_to_compare_is_skipped_in_the_audit_and_named_when_asked_for() -> None:
    from auditor.dedupe import NothingToCompare

    accounts = pd.DataFrame({"account_id": ["A1", "A2"], "industry": ["IT", "IT"], "employees": ["5", "5"]})
    tables = {"accounts": T("accounts", accounts, source="accounts.csv"), "contacts": T("contacts", _background())}
    result = find_duplicates(tables)
    skipped = result.stats["accounts"]
    assert skipped["records"] == 2 and skipped["clusters"] == 0
    assert skipped["warnings"] == [f"duplicates not checked: {skipped['skipped']}"]
    assert "accounts.csv: accounts: no column to look for duplicates by" in skipped["skipped"]
    assert result.stats["contacts"]["clusters"] > 0
    with pytest.raises(NothingToCompare, match=r"accounts\.csv: accounts: no column to look for duplicates by"):
        find_duplicates({"accounts": tables["accounts"]}, entities=("accounts",), strict=True)


# -- a table of company names and nothing else ----------------------------------------------------


def _names_only(names: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"account_id": [f"a{k}" for k in range(len(names))], "name": names})


def test_the_match_share_of_a_names_only_table_counts_every_pair_of_one_exact_name() -> None:
    """60 records of one spelling are one block above max_block_size (25), walked by sorted neighbourhood:
    blocking compares a few of their 1,770 pairs, but the deterministic rule's matches are all of them.
    Before, the floor of the match share counted the compared ones only (about 300 of 1,770)."""
    from auditor.dedupe.features import prepare
    from auditor.dedupe.scoring import rule_pairs_all, score

    names = ["Koninklijke Philips Electronics N.V."] * 60 + [f"Company{k} Trading B.V." for k in range(200)]
    prepared = prepare(_names_only(names), "accounts")
    assert rule_pairs_all(prepared) == 60 * 59 // 2
    scored = score(prepared, DedupeSettings())
    floor = 60 * 59 / 2 / (260 * 259 / 2)
    assert scored.model.prior_estimates["deterministic rules (floor)"] == pytest.approx(floor)
    assert scored.model.prior >= floor


def test_a_names_only_table_learns_its_name_from_the_level_shares() -> None:
    """One field: no EM session can learn it (every key fixes it). Its m comes from the share of all pairs
    at each level and the match share (`one_field`), so that a typo of a name that recurs weighs as a
    match would; a different name still weighs against."""
    from auditor.dedupe.features import prepare
    from auditor.dedupe.scoring import score

    names = (
        ["Koninklijke Philips Electronics N.V."] * 40
        + ["Koninklijke Philips Electronic N.V."] * 3
        + ["Akzo Nobel N.V."] * 30
        + ["Akzo Nobell N.V."] * 2
        + [f"{w} Holding B.V." for w in ("Alfa", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel")]
    )
    prepared = prepare(_names_only(names), "accounts")
    scored = score(prepared, DedupeSettings())
    model = scored.model
    assert model.sources == ["one field"]
    bits = model.weights[0]
    assert np.all(np.diff(bits) >= 0)
    assert bits[0] < 0 < bits[-1]
    assert model.prior_weight + bits[2] > 0  # 'very similar' (a typo) is more likely a match than not
    result = find_duplicates({"accounts": T("accounts", _names_only(names))}, DedupeSettings(), entities=("accounts",))
    clusters = result.clusters.groupby("cluster_id")["record_id"].apply(set)
    philips = {f"a{k}" for k in range(43)}
    assert any(philips <= members for members in clusters)
    assert not any(members & philips and members & {"a43"} for members in clusters)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(min_value=0.0, max_value=1000.0), min_size=2, max_size=6).filter(lambda x: sum(x) > 0),
    st.floats(min_value=1e-6, max_value=0.99),
)
def test_one_field_weights_are_monotone_and_explain_the_shares(share: list[float], lam: float) -> None:
    m, u = fs.one_field(np.array(share), lam)
    assert np.all(m > 0) and np.all(u > 0)
    assert m.sum() == pytest.approx(1.0) and u.sum() == pytest.approx(1.0)
    bits = np.log2(m / u)
    assert np.all(np.diff(bits) >= -1e-6), bits  # agreement never counts less than a looser level
    p = np.array(share) / sum(share)
    explained = min(lam, 1.0) * m + (1 - min(lam, 1.0)) * u
    assert explained == pytest.approx(p, abs=1e-3)
