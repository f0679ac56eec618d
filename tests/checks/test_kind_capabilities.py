"""What other rows or tables a kind's verdicts need, its standard spelling and how GX says it are declared
on its `RuleKind`, so that engines, fix and exporters read the declaration instead of switching on kind
names."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from auditor.checks.base import Lookup
from auditor.checks.kinds import get_kind, registry
from auditor.model import ENTITIES

AUDITOR = Path(__file__).resolve().parents[2] / "auditor"


def test_a_foreign_key_looks_each_referencing_field_up_among_the_target_ids() -> None:
    lookups = get_kind("foreign_key").lookups
    assert lookups is not None
    deals = ENTITIES["opportunities"]
    assert lookups({}, ("account_id", "name"), deals) == (Lookup("account_id", "accounts", "account_id"),)
    assert lookups({"references": "contacts"}, ("owner",), deals) == (Lookup("owner", "contacts", "contact_id"),)


def test_staleness_reads_the_latest_activity_of_each_record_only_when_told_its_key() -> None:
    lookups = get_kind("staleness").lookups
    assert lookups is not None
    contacts = ENTITIES["contacts"]
    assert lookups({"days": 90, "activity_key": "contact_id"}, ("updated_at",), contacts) == (
        Lookup("contact_id", "activities", "contact_id", latest="occurred_at"),
    )
    assert lookups({"days": 90}, ("updated_at",), contacts) == ()


def _kind_comparisons(path: Path) -> list[str]:
    """`<anything>.kind == "name"` / `kind in (...)` comparisons against registered kind names."""
    names = set(registry())
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        about_kind = any(
            (isinstance(s, ast.Attribute) and s.attr == "kind") or (isinstance(s, ast.Name) and s.id == "kind")
            for s in sides
        )
        constants = {c.value for s in sides for c in ast.walk(s) if isinstance(c, ast.Constant)}
        if about_kind and constants & names:
            found.append(f"{path.relative_to(AUDITOR)}:{node.lineno}")
    return found


@pytest.mark.parametrize("package", ["engines", "fix", "interop"])
def test_engines_fix_and_the_gx_exporter_name_no_rule_kind(package: str) -> None:
    offenders = [hit for path in sorted((AUDITOR / package).rglob("*.py")) for hit in _kind_comparisons(path)]
    assert offenders == []


def test_every_kind_says_how_gx_sees_it() -> None:
    """A kind without a GX mapping would be exported as 'no GX expectation' with no reason a user can act on."""
    assert [name for name, kind in registry().items() if kind.gx is None] == []
