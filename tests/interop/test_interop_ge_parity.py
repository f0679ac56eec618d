"""The core pack exported as Great Expectations suites reaches the auditor's verdicts on fixtures/acme.

The suites are written by `crm-audit export-ge`, read back from their JSON by GX itself
(`gx.ExpectationSuite(**json)`), and run by GX on the typed tables the auditor checks. For every
rule exported as exact, GX's verdict and the records it reports equal the auditor's, rule by rule.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from auditor.checks.engine import record_ids, run_checks
from auditor.checks.packs import load_rules
from auditor.config import load_config
from auditor.interop.ge import APPROXIMATE, EXACT, NONE, Export, translate
from auditor.model import ENTITIES
from auditor.sources import load_export

ROOT = Path(__file__).resolve().parents[2]
ACME = ROOT / "fixtures" / "acme"
CONFIG = load_config(ACME / "crm-audit.yaml")
CORE = load_rules([])
PARITY = Export([t for rule in CORE for t in translate(rule, CONFIG.as_of)]).parity_table()
FIXTURE_ENTITIES = {path.stem for path in ACME.glob("*.csv")}
"""The fixture's tables (every entity but orders: the synthetic export has no order lines)."""
ENTITY_OF = {rule.id: rule.entity for rule in CORE}
EXACT_RULES = [r["rule_id"] for r in PARITY if r["parity"] == EXACT and ENTITY_OF[r["rule_id"]] in FIXTURE_ENTITIES]


@pytest.fixture(scope="module")
def parity(gx_context, tmp_path_factory: pytest.TempPathFactory) -> dict:
    import great_expectations as gx

    from auditor.cli import main
    from auditor.interop.ge import Validator

    out = tmp_path_factory.mktemp("ge")
    assert main(["export-ge", "--out", str(out), "--config", str(ACME / "crm-audit.yaml")]) == 0
    export = load_export(ACME, CONFIG.source_options())
    checked = run_checks(export.tables, CORE, as_of=CONFIG.as_of, default_region=CONFIG.default_region)
    validator = Validator(gx_context)
    ge_failed: dict[str, set[str]] = {}
    ge_verdict: dict[str, bool] = {}
    raised: dict[str, str] = {}
    for path in sorted(out.glob("*.json")):
        if path.name.startswith("unsupported"):
            continue
        suite = gx.ExpectationSuite(**json.loads(path.read_text()))  # GX reads its own format, unchanged
        entity = suite.meta["entity"]
        if entity not in export.tables:  # a suite of an entity the fixture has no table of
            continue
        table = export.tables[entity]
        ids = record_ids(ENTITIES[entity], table.frame, table.row_numbers)
        for item in validator.validate(suite, table.frame).results:
            rule_id = item.expectation_config.meta["rule_id"]
            if item.exception_info.get("raised_exception"):
                raised[rule_id] = str(item.exception_info.get("exception_message"))
            ge_verdict[rule_id] = ge_verdict.get(rule_id, True) and bool(item.success)
            unexpected = item.result.get("unexpected_index_list") or []
            ge_failed.setdefault(rule_id, set()).update(ids.loc[unexpected])
    auditor_failed = checked.findings.groupby("rule_id")["record_id"].agg(set).to_dict()
    outcomes = {o.rule_id: o for o in checked.outcomes}
    return {
        "out": out,
        "ge_failed": ge_failed,
        "ge_verdict": ge_verdict,
        "raised": raised,
        "auditor_failed": auditor_failed,
        "outcomes": outcomes,
    }


@pytest.mark.parametrize("rule_id", EXACT_RULES)
def test_gx_reaches_the_auditors_verdict(parity: dict, rule_id: str) -> None:
    assert rule_id not in parity["raised"], parity["raised"].get(rule_id)
    outcome = parity["outcomes"][rule_id]
    assert outcome.status in ("passed", "failed")
    assert parity["ge_verdict"][rule_id] == (outcome.status == "passed")
    assert parity["ge_failed"][rule_id] == parity["auditor_failed"].get(rule_id, set())


def test_parity_covers_enough_and_the_fixture_tests_failures(parity: dict) -> None:
    exact_failing = [r for r in EXACT_RULES if parity["outcomes"][r].status == "failed"]
    # parity is tested on failures, not only on clean data
    assert len(EXACT_RULES) >= 70 and len(exact_failing) == len(EXACT_RULES)
    assert not parity["raised"]


def test_every_rule_has_a_parity_and_non_exact_ones_say_why() -> None:
    assert {row["rule_id"] for row in PARITY} == {rule.id for rule in CORE}
    for row in PARITY:
        assert row["parity"] in (EXACT, APPROXIMATE, NONE)
        assert (row["parity"] == EXACT) == (row["reason"] == ""), row


def test_unsupported_files_list_every_non_exact_rule(parity: dict) -> None:
    listed = json.loads((parity["out"] / "unsupported.json").read_text())
    non_exact = {row["rule_id"] for row in PARITY if row["parity"] != EXACT}
    assert {item["rule_id"] for item in listed} == non_exact
    assert all(item["reason"] for item in listed)
    assert not any(item["exported"] for item in listed if item["parity"] == NONE)
    markdown = (parity["out"] / "unsupported.md").read_text()
    assert all(f"`{rule_id}`" in markdown for rule_id in non_exact)


def test_readme_documents_every_core_rule_without_exact_gx_equivalent() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Great Expectations", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([a-z_]+\.[a-z_.]+)`", section))
    wildcard = {r.id: r.template for r in CORE if r.template}
    for row in PARITY:
        if row["parity"] == EXACT:
            continue
        if row["rule_id"] in wildcard:  # written once for every entity: documented by its short id
            assert f"`{wildcard[row['rule_id']]}`" in section, f"README's GX section omits {wildcard[row['rule_id']]}"
        else:
            assert row["rule_id"] in documented, f"README's Great Expectations section omits {row['rule_id']}"
