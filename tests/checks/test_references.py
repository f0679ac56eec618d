"""The `reference` kind and the config's `references:` end to end: values that must exist in a reference table
the export ships, the closest reference value suggested, and the reference file never read as data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from auditor import check
from auditor.checks.base import CheckContext
from auditor.checks.kinds import get_kind
from auditor.config import load_config
from auditor.model import ENTITIES
from auditor.sources import load_export

DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"
RULE = "orders.product_code.reference"

ORDERS = """Invoice,StockCode,Description,Quantity,Price,InvoiceDate,Customer ID,Country
536365,85123A,WHITE HANGING HEART,6,2.55,2010-12-01 08:26,17850,United Kingdom
536366,85123A,WHITE HANGING HEART,6,2.55,2010-12-01 08:28,17850,United Kingdom
536367, 85123A ,WHITE HANGING HEART,6,2.55,2010-12-01 08:34,13047,United Kingdom
536368,85123a,WHITE HANGING HEART,6,2.55,2010-12-01 08:34,13047,United Kingdom
536369,85123a,WHITE HANGING HEART,6,2.55,2010-12-01 08:35,13047,United Kingdom
536370,POST AGE,POSTAGE,3,18.00,2010-12-01 08:45,12583,France
536371,POSTAGE,POSTAGE,3,18.00,2010-12-01 08:45,12583,France
536372,2242,REGENCY CAKESTAND,1,12.75,2010-12-01 09:00,13748,United Kingdom
536373,21731,RED TOADSTOOL LED NIGHT LIGHT,2,1.65,2010-12-01 09:01,13748,United Kingdom
536374,99999,?,1,1.00,2010-12-01 09:02,13748,United Kingdom
536375,,NO CODE,1,1.00,2010-12-01 09:03,13748,United Kingdom
"""
PRODUCTS = """StockCode,Description,UnitPrice
85123A,WHITE HANGING HEART T-LIGHT HOLDER,2.55
POSTAGE,POSTAGE,18.00
22423,REGENCY CAKESTAND 3 TIER,12.75
21730,GLASS STAR FROSTED T-LIGHT HOLDER,4.25
21732,GLASS STAR T-LIGHT HOLDER,4.25
"""
EXPECTED = {"85123a": "85123A", "POST AGE": "POSTAGE", "2242": "22423", "21731": None, "99999": None}
"""Each value not in the product list and its suggestion: the same code but for case or spaces, the one code an
edit away; none for 21731 (21730 and 21732 are as close) nor for 99999."""


def export(tmp_path: Path, config: str) -> Path:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "invoices.csv").write_text(ORDERS)
    (folder / "products.csv").write_text(PRODUCTS)
    (folder / "crm-audit.yaml").write_text("as_of: 2011-01-01\n" + config)
    return folder


REFERENCES = "references:\n  - {field: orders.product_code, table: products.csv, column: StockCode}\n"


def findings(result, rule_id: str = RULE) -> pd.DataFrame:
    return result.findings[result.findings["rule_id"] == rule_id]


def suggestions(found: pd.DataFrame) -> list[str | None]:
    return [None if pd.isna(v) else v for v in found["suggested_value"]]


@pytest.mark.parametrize("sources", ["", 'sources: {files: {"*.csv": orders}}\n'], ids=["detected", "sources.files"])
def test_codes_missing_from_the_product_list_with_their_closest_code(tmp_path: Path, sources: str) -> None:
    folder = export(tmp_path, sources + REFERENCES)
    result = check(folder, load_config(folder / "crm-audit.yaml"))
    found = findings(result)
    # 2 x 85123a, POST AGE, 2242, 21731, 99999; " 85123A " is the code, the missing code is required's
    assert len(found) == 6
    assert found["value"].value_counts().to_dict() == {"85123a": 2, "POST AGE": 1, "2242": 1, "21731": 1, "99999": 1}
    assert dict(zip(found["value"], suggestions(found), strict=True)) == EXPECTED
    assert set(found["severity"]) == {"warning"} and set(found["dimension"]) == {"consistency"}
    assert found["message"].iloc[0] == (
        "product_code '85123a' is not in the reference table products.csv (column StockCode)"
    )
    assert found["row"].tolist() == [5, 6, 7, 9, 10, 11]
    outcome = next(o for o in result.outcomes if o.rule_id == RULE)
    assert (outcome.status, outcome.evaluated, outcome.failed, outcome.findings) == ("failed", 11, 6, 6)
    # the product list is a reference table, never an orders file
    assert len(result.data["orders"].frame) == 11
    assert any(n.endswith("products.csv: ignored, a reference table (config `references:`)") for n in result.notes)


def test_without_references_the_product_list_would_be_read_as_order_lines(tmp_path: Path) -> None:
    folder = export(tmp_path, "")
    assert len(load_export(folder).tables["orders"].frame) == 11 + 5


def test_an_export_without_problems_passes(tmp_path: Path) -> None:
    folder = export(tmp_path, REFERENCES)
    (folder / "invoices.csv").write_text(ORDERS.splitlines()[0] + "\n" + ORDERS.splitlines()[1] + "\n")
    result = check(folder, load_config(folder / "crm-audit.yaml"))
    assert findings(result).empty
    assert next(o for o in result.outcomes if o.rule_id == RULE).status == "passed"


def test_in_another_entity(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "accounts.csv").write_text("account_id,name,created_at\nA1,Acme,2024-01-01\nA2,Globex Corp,2024-01-01\n")
    (folder / "leads.csv").write_text(
        "lead_id,first_name,last_name,company,created_at\n"
        "L1,Ann,Lee,Acme,2024-02-01\nL2,Bob,Ray,acme,2024-02-01\nL3,Cy,Orr,Initech,2024-02-01\n"
        "L4,Di,Pol,,2024-02-01\nL5,Ed,Fox,GlobexCorp,2024-02-01\nL6,Flo,Kim,Globex Corp,2024-02-01\n"
    )
    config = folder / "crm-audit.yaml"
    config.write_text("as_of: 2025-01-01\nreferences: [{field: leads.company, in: accounts.name, severity: error}]\n")
    result = check(folder, load_config(config))
    found = findings(result, "leads.company.reference")
    assert found["record_id"].tolist() == ["L2", "L3", "L5"]
    assert suggestions(found) == ["Acme", None, "Globex Corp"]
    assert set(found["severity"]) == {"error"}
    assert found["message"].iloc[0] == "company 'acme' is not in the values of accounts.name"

    (folder / "accounts.csv").unlink()
    outcome = next(o for o in check(folder, load_config(config)).outcomes if o.rule_id == "leads.company.reference")
    assert (outcome.status, outcome.reason) == ("not_evaluated", "reference table accounts not in the input")


def test_only_distinct_values_are_looked_up() -> None:
    many = pd.Series(["A1", "B2", "a1", None, " A1 "] * 20_000, name="product_code")
    frame = pd.DataFrame({"product_code": many})
    ctx = CheckContext(
        entity=ENTITIES["orders"],
        frame=frame,
        raw=frame,
        tables={"orders": frame, "accounts": pd.DataFrame({"name": ["A1", "B2", "C3"]})},
        as_of=pd.Timestamp("2026-10-31"),
    )
    kind = get_kind("reference")
    ok = kind.check(many, {"in": "accounts.name"}, ctx)
    assert ok.dtype == bool and int((~ok).sum()) == 20_000
    assert kind.suggest is not None
    assert set(kind.suggest(many[~ok], {"in": "accounts.name"}, ctx)) == {"A1"}


@pytest.fixture(scope="module")
def coral_cloud(tmp_path_factory: pytest.TempPathFactory):
    folder = DATASETS / "salesforce_coral_cloud"
    if not folder.is_dir():
        pytest.skip(f"{folder} not present")
    config = tmp_path_factory.mktemp("coral") / "crm-audit.yaml"
    config.write_text(
        f"""as_of: 2026-12-04
sources:
  files: {{"Contact.csv": contacts, "Case.csv": tickets, "Guest_Review__c.csv": surveys}}
mapping:
  surveys: {{Rating__c: nps}}
extra_fields:
  surveys: {{Experience__c: {{role: text}}, Contact__c: {{role: text}}}}
  contacts: {{referenceId: {{role: text}}}}
references:
  - {{field: surveys.Experience__c, table: {folder / "Experience__c.csv"}, column: referenceId}}
  - {{field: surveys.Contact__c, in: contacts.referenceId}}
"""
    )
    return check(folder, load_config(config))


def test_coral_cloud_reviews_point_at_experiences_and_contacts_by_tree_reference(coral_cloud) -> None:
    # SOURCE.md: the lookups are `@<referenceId>` strings of the sObject Tree import, and all resolve. As
    # written, none is a referenceId; the suggestion is the referenceId without its `@`, one edit away.
    experiences = pd.read_csv(DATASETS / "salesforce_coral_cloud" / "Experience__c.csv", dtype=str)
    contacts = pd.read_csv(DATASETS / "salesforce_coral_cloud" / "Contact.csv", dtype=str)
    for rule_id, ids in (
        ("surveys.Experience__c.reference", experiences["referenceId"]),
        ("surveys.Contact__c.reference", contacts["referenceId"]),
    ):
        found = findings(coral_cloud, rule_id)
        assert len(found) == 10
        assert found["value"].str.startswith("@").all()
        assert (found["suggested_value"] == found["value"].str[1:]).all()
        assert found["suggested_value"].isin(ids).all()
