"""The config's `values:` section: parsing, validation gathered with the other problems, and its way to the loader."""

from pathlib import Path

import pytest
import yaml

from auditor.config import load_config, parse_config
from auditor.errors import ConfigError
from auditor.sources import load_export

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def parse(text: str, tmp_path: Path):
    return parse_config(yaml.safe_load(text), tmp_path / "crm-audit.yaml")


def test_values_are_parsed_and_passed_to_the_sources(tmp_path: Path) -> None:
    config = parse(
        """
values:
  opportunities: {stage: {"Verbal Yes": Negotiation, "Won": Closed Won}}
  tickets: {status: {"2": Pending}}
""",
        tmp_path,
    )
    assert config.values == {
        "opportunities": {"stage": {"Verbal Yes": "Negotiation", "Won": "Closed Won"}},
        "tickets": {"status": {"2": "Pending"}},
    }
    assert config.source_options().values == config.values


def test_no_values_section_is_empty(tmp_path: Path) -> None:
    assert parse("as_of: 2026-10-31\n", tmp_path).values == {}
    assert parse("values:\n", tmp_path).values == {}


def test_numbers_as_values_become_strings(tmp_path: Path) -> None:
    config = parse("values: {tickets: {status: {1: New, 4: Closed}}}\n", tmp_path)
    assert config.values == {"tickets": {"status": {"1": "New", "4": "Closed"}}}


def test_values_for_a_declared_enum_extra(tmp_path: Path) -> None:
    config = parse(
        """
extra_fields:
  contacts:
    loyalty_tier: {role: enum, allowed: [gold, silver]}
values:
  contacts: {loyalty_tier: {"Złoty": gold}}
""",
        tmp_path,
    )
    assert config.values == {"contacts": {"loyalty_tier": {"Złoty": "gold"}}}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "values: {oportunities: {stage: {Won: Closed Won}}}",
            "values.oportunities: unknown entity (did you mean 'opportunities'?)",
        ),
        (
            "values: {opportunities: {stag: {Won: Closed Won}}}",
            "values.opportunities.stag: unknown field (did you mean 'stage'?)",
        ),
        (
            "values: {opportunities: {amount: {big: small}}}",
            "values.opportunities.amount: 'amount' is not an enum field",
        ),
        (
            "values: {opportunities: {stage: {Won: Closed Wonn}}}",
            "'Won' -> 'Closed Wonn' is not an allowed value (did you mean 'Closed Won'?)",
        ),
        ("values: {opportunities: {stage: {Won: closed won}}}", "(did you mean 'Closed Won'?)"),
        ("values: {leads: {status: {yes: Qualified}}}", "values.leads.status: quote the value True"),
        ("values: [opportunities]", "values: expected entity -> enum field"),
        ("values: {opportunities: {stage: [Won]}}", "values.opportunities.stage: expected {value in the export"),
    ],
)
def test_problems_name_the_spot_with_a_suggestion(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse(text, tmp_path)
    assert message in str(error.value)


def test_value_problems_are_gathered_with_the_rest(tmp_path: Path) -> None:
    text = """
gate: {fail_on: sometimes}
values:
  opportunities: {stage: {Won: Wonn}, type: {Upgrade: Upsel}}
  leads: {status: {Hot: Qualified}}
"""
    with pytest.raises(ConfigError) as error:
        parse(text, tmp_path)
    message = str(error.value)
    assert "3 problems" in message
    assert "gate.fail_on" in message and "'Won' -> 'Wonn'" in message and "'Upgrade' -> 'Upsel'" in message


def test_config_file_maps_reach_the_loaded_table(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    (export / "Opportunity.csv").write_text(
        (FIXTURES / "salesforce" / "Opportunity.csv").read_text(encoding="utf-8").replace("Closed Lost", "Lost Deal")
    )
    (export / "crm-audit.yaml").write_text("values:\n  opportunities: {stage: {lost deal: Closed Lost}}\n")
    config = load_config(export / "crm-audit.yaml")
    table = load_export(export, config.source_options()).tables["opportunities"]
    assert table.frame["stage"].tolist()[4] == "Closed Lost" and table.raw["stage"].tolist()[4] == "Lost Deal"
    assert {v.by for v in table.values} == {"config", "preset:salesforce"}
