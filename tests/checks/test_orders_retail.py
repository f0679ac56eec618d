"""The `orders` entity (order / invoice lines) and its core rules.

A small hand-made invoice export with one known defect per line. The real UCI "Online Retail II"
export, with the counts its SOURCE.md publishes, is tests/test_realworld_exports.py's.
"""

from __future__ import annotations

import pytest

from auditor import check
from auditor.config import parse_config


def counts(result, rule_ids) -> dict[str, int]:
    found = result.findings["rule_id"].value_counts()
    return {r: int(found.get(r, 0)) for r in rule_ids}


def outcome(result, rule_id: str):
    return next(o for o in result.outcomes if o.rule_id == rule_id)


# ------------------------------------------------------------------------------------- hand-made

INVOICES = """\
InvoiceNo,SKU,Description,Qty,Order Date,Unit Price,CustomerID,Country,Currency
489434,85048,CHRISTMAS LIGHTS,12,2009-12-01 07:45:00,6.95,13085,United Kingdom,GBP
489434,79323P,PINK CHERRY LIGHTS,12,2009-12-01 07:45:00,6.75,13085,United Kingdom,GBP
C489449,22087,PAPER BUNTING,-12,2009-12-01 10:33:00,2.95,16321,Australia,GBP
489464,21733,damaged,-96,2009-12-01 10:52:00,0,,United Kingdom,GBP
A506401,B,Adjust bad debt,1,2010-04-29 13:36:00,-53594.36,,United Kingdom,GBP
,22111,HOT WATER BOTTLE,3,2010-01-04 09:10:00,2.5,12345,Unspecified,GBP
489500,22112,HEART WARMER,2,not a date,2.5,12345,EIRE,GBP
489501,22113,TEA COSY,2,2030-01-01 10:00:00,2.5,12345,Germany,GBP
489502,22114,DOORMAT,1,,1.0,12345,France,GBP
489503,22115,CAKE TIN,0,2010-02-01 12:00:00,1.0,12345,USA,gbp
"""

HAND_MADE = {
    "orders.order_id.required": 1,  # the line with no invoice number
    "orders.ordered_at.required": 1,  # an empty date
    "orders.type": 1,  # "not a date"
    "orders.ordered_at.not_future": 1,  # 2030
    "orders.account_id.required": 2,  # no customer on the damaged and the bad-debt lines
    "orders.quantity.range": 3,  # -12, -96 and 0
    "orders.unit_price.range": 1,  # -53594.36
    "orders.unit_price.zero": 1,  # the damaged stock written off at 0
    "orders.country.format": 1,  # "Unspecified" (EIRE and USA are countries)
    "orders.currency.format": 1,  # "gbp"
}


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("shop")
    (folder / "invoices.csv").write_text(INVOICES, encoding="utf-8")
    config = parse_config({"as_of": "2026-10-31"}, folder / "crm-audit.yaml")
    return check(folder, config)


def test_invoice_file_is_detected_and_mapped_without_config(hand_made) -> None:
    table = hand_made.data["orders"]
    mapped = {c.source_column: c.field for c in table.columns}
    assert mapped == {
        "InvoiceNo": "order_id",
        "SKU": "product_code",
        "Description": "description",
        "Qty": "quantity",
        "Order Date": "ordered_at",
        "Unit Price": "unit_price",
        "CustomerID": "account_id",
        "Country": "country",
        "Currency": "currency",
    }


def test_hand_made_orders_have_exactly_the_planted_findings(hand_made) -> None:
    assert counts(hand_made, HAND_MADE) == HAND_MADE
    orders = hand_made.findings[hand_made.findings["entity"] == "orders"]
    # no line id: records are named by their row (the header is row 1)
    negative = orders[orders["rule_id"] == "orders.unit_price.range"]
    assert negative["record_id"].tolist() == ["row:6"]
    assert negative["severity"].tolist() == ["error"]
    zero = orders[orders["rule_id"] == "orders.unit_price.zero"]
    assert zero["record_id"].tolist() == ["row:5"] and zero["severity"].tolist() == ["warning"]
    no_customer = orders[orders["rule_id"] == "orders.account_id.required"]
    assert set(no_customer["record_id"]) == {"row:5", "row:6"}
    assert all("no customer" in m for m in no_customer["message"])
    quantity = orders[orders["rule_id"] == "orders.quantity.range"]
    assert all("not positive" in m for m in quantity["message"])


def test_absent_line_id_and_referenced_tables_are_not_evaluated(hand_made) -> None:
    assert outcome(hand_made, "orders.line_id.unique").status == "not_evaluated"
    assert outcome(hand_made, "orders.foreign_key").status == "not_evaluated"


# ------------------------------------------------------------------------------------- real export

# SOURCE.md, "Real defects you can count"
