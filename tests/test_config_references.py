"""The config's `references:` section: parsing, every problem reported with the others, and its rules."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from auditor.checks.packs import config_rules
from auditor.config import load_config, parse_config
from auditor.errors import ConfigError
from auditor.references import Reference, parse_references


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "products.csv").write_text("StockCode,Description\n85123A,HEART\nPOSTAGE,POSTAGE\n")
    (tmp_path / "empty.csv").write_text("StockCode,Description\n,nothing\n")
    return tmp_path


def problems(section: object, folder: Path, extra_fields: dict | None = None) -> list[str]:
    found: list[str] = []
    parse_references(section, folder / "crm-audit.yaml", found.append, extra_fields)
    return found


def test_a_file_reference_and_an_entity_reference_are_parsed(folder: Path) -> None:
    text = """
extra_fields: {surveys: {Experience__c: {role: text}}}
references:
  - {field: orders.product_code, table: products.csv, column: StockCode}
  - {field: leads.company, in: accounts.name, severity: error}
  - {field: surveys.Experience__c, table: products.csv, column: StockCode, severity: info}
"""
    config = parse_config(yaml.safe_load(text), folder / "crm-audit.yaml")
    assert config.references == [
        Reference("orders", "product_code", table=(folder / "products.csv").resolve(), column="StockCode"),
        Reference("leads", "company", within="accounts.name", severity="error"),
        Reference(
            "surveys", "Experience__c", table=(folder / "products.csv").resolve(), column="StockCode", severity="info"
        ),
    ]
    assert config.source_options().reference_files == (str((folder / "products.csv").resolve()),) * 2
    rules = {r.id: r for r in config_rules(config) if r.kind == "reference"}
    assert set(rules) == {"orders.product_code.reference", "leads.company.reference", "surveys.Experience__c.reference"}
    rule = rules["orders.product_code.reference"]
    assert (rule.entity, rule.fields, rule.severity.value) == ("orders", ("product_code",), "warning")
    assert rule.params == {"table": str((folder / "products.csv").resolve()), "column": "StockCode"}
    assert rules["leads.company.reference"].params == {"in": "accounts.name"}
    assert rules["leads.company.reference"].severity.value == "error"


def test_no_section_no_references(folder: Path) -> None:
    assert parse_config({}, folder / "crm-audit.yaml").references == []
    assert problems(None, folder) == []


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"field": "orders.product_code"}, "references: expected a list of {field: entity.field"),
        (["orders.product_code"], "references[0]: expected a mapping with field and table + column"),
        (
            [{"field": "orders.product_code", "table": "products.csv", "column": "StockCode", "sevrity": "info"}],
            "references[0].sevrity: unknown key (did you mean 'severity'?); valid keys: field, table, column, in",
        ),
        ([{"table": "products.csv", "column": "StockCode"}], "references[0]: missing `field`"),
        (
            [{"field": "product_code", "table": "products.csv", "column": "StockCode"}],
            "references[0].field: 'product_code' is not entity.field (such as orders.product_code)",
        ),
        (
            [{"field": "order.product_code", "table": "products.csv", "column": "StockCode"}],
            "references[0].field: unknown entity 'order' (did you mean 'orders'?)",
        ),
        (
            [{"field": "orders.product_cod", "table": "products.csv", "column": "StockCode"}],
            "references[0].field: orders has no field 'product_cod' (did you mean 'product_code'?)",
        ),
        (
            [{"field": "orders.product_code", "table": "products.csv", "column": "StockCode", "in": "accounts.name"}],
            "references[0]: give either `table` and `column` (a file) or `in`",
        ),
        ([{"field": "orders.product_code"}], "references[0]: give either `table` and `column` (a file) or `in`"),
        (
            [{"field": "orders.product_code", "table": "products.csv"}],
            "references[0]: missing `column`, the column of products.csv",
        ),
        (
            [{"field": "orders.product_code", "table": "produkty.csv", "column": "StockCode"}],
            "references[0].table: reference table 'produkty.csv' not found (looked for ",
        ),
        (
            [{"field": "orders.product_code", "table": "products.csv", "column": "Stockcode"}],
            (
                "references[0].column: products.csv has no column 'Stockcode' (did you mean 'StockCode'?);"
                " its columns: StockCode, Description"
            ),
        ),
        (
            [{"field": "orders.product_code", "table": "empty.csv", "column": "StockCode"}],
            "references[0].column: column 'StockCode' of empty.csv has no values",
        ),
        (
            [{"field": "leads.company", "in": "accounts.nam"}],
            "references[0].in: accounts has no field 'nam' (did you mean 'name'?)",
        ),
        ([{"field": "leads.company", "in": "leads.company"}], "references[0].in: leads.company is the field itself"),
        (
            [{"field": "leads.company", "in": "accounts.name", "severity": "critical"}],
            "references[0].severity: 'critical' is not one of error, warning, info",
        ),
        (
            [{"field": "leads.company", "in": "accounts.name"}, {"field": "leads.company", "in": "contacts.email"}],
            "references[1].field: leads.company is listed twice",
        ),
    ],
)
def test_each_problem_is_named(section: object, message: str, folder: Path) -> None:
    found = problems(section, folder)
    assert len(found) == 1, found
    assert message in found[0]


def test_a_column_of_the_export_must_be_declared_first(folder: Path) -> None:
    section = [{"field": "surveys.Experience__c", "in": "contacts.referenceId"}]
    found = problems(section, folder)
    assert "surveys has no field 'Experience__c'" in found[0] and "declared under extra_fields" in found[0]
    assert problems(section, folder, {"surveys": ["Experience__c"], "contacts": ["referenceId"]}) == []


def test_every_problem_is_reported_with_the_rest_of_the_config(folder: Path) -> None:
    config = folder / "crm-audit.yaml"
    config.write_text(
        """as_of: yesterday
references:
  - field: orders.product_code
    table: products.csv
    column: Code
  - {field: orders.descripton, in: accounts.name}
"""
    )
    with pytest.raises(ConfigError) as raised:
        load_config(config)
    message = str(raised.value)
    assert "3 problems" in message
    assert "as_of: 'yesterday' is not a date" in message
    # each problem on the line of the key it is about
    assert "line 5: references[0].column: products.csv has no column 'Code'" in message
    assert "line 6: references[1].field: orders has no field 'descripton' (did you mean 'description'?)" in message


def test_references_is_a_known_top_level_key(folder: Path) -> None:
    with pytest.raises(ConfigError, match="did you mean 'references'"):
        parse_config({"refrences": []}, folder / "crm-audit.yaml")


def test_a_pack_rule_of_the_same_id_is_a_conflict(folder: Path) -> None:
    pack = folder / "pack.yaml"
    pack.write_text(
        "rules:\n  - {id: orders.product_code.reference, kind: reference, entity: orders, fields: [product_code],"
        " in: accounts.name}\n"
    )
    text = "rules: [pack.yaml]\nreferences: [{field: orders.product_code, table: products.csv, column: StockCode}]\n"
    config = parse_config(yaml.safe_load(text), folder / "crm-audit.yaml")
    with pytest.raises(ConfigError, match="defined both by a rule pack and by the config's `references:`"):
        config_rules(config)
