"""The config is validated as a whole: every unknown key and every bad value is a problem named by its
key path, its file and line, with the closest valid key; any shape of YAML is a ConfigError (exit 2),
never an internal error."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from oracle_examples import examples

from auditor.cli import main
from auditor.config import TOP_KEYS, load_config, parse_config
from auditor.errors import ConfigError

CONFIG = """\
as_of: 2026-10-31
gate:
  fail_onn: error
sources:
  files: {"contacts.csv": contacts}
extra_fields:
  contacts:
    tier: {role: enum, alowed: [gold, silver]}
    score: {role: number, compare: fuzzy}
mapping:
  contacts: [email]
dedupe:
  thresholds: {auto_merge: 2}
metrics:
  coverage: {hihg: 0.9}
currency:
  base: EURO
scorring: {}
"""


def _problems(tmp_path: Path, text: str) -> str:
    path = tmp_path / "crm-audit.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    return str(error.value)


def test_every_problem_is_named_with_its_line_and_the_closest_key(tmp_path: Path) -> None:
    message = _problems(tmp_path, CONFIG)
    assert message.startswith(f"{tmp_path / 'crm-audit.yaml'}: 8 problems:")
    expected = [
        "line 3: gate.fail_onn: unknown key (did you mean 'fail_on'?)",
        "line 8: extra_fields.contacts.tier.alowed: unknown key (did you mean 'allowed'?)",
        "line 9: extra_fields.contacts.score.compare: unknown comparison type 'fuzzy'",
        "line 11: mapping.contacts: expected {column of the export: field or null}, not list ['email']",
        "line 13: dedupe.thresholds.auto_merge: 2.0 is outside [0.0, 1.0]",
        "line 15: metrics.coverage.hihg: unknown key; did you mean 'high'?",
        "line 17: currency.base: 'EURO' is not an ISO 4217 currency code",
        "line 18: scorring: unknown key (did you mean 'scoring'?)",
    ]
    for line in expected:
        assert line in message, line
    # sorted by line, so that a person fixes them top to bottom
    positions = [message.index(line) for line in expected]
    assert positions == sorted(positions)


def test_one_problem_is_one_line_with_the_file_and_line(tmp_path: Path) -> None:
    message = _problems(tmp_path, "as_of: 2026-10-31\ncore_rules: maybe\n")
    assert message == f"{tmp_path / 'crm-audit.yaml'}:2: core_rules: true or false, not 'maybe'"


def test_the_cli_exits_2_with_the_problems(tmp_path: Path, capsys) -> None:
    (tmp_path / "contacts.csv").write_text("contact_id,email\nC1,a@b.pl\n", encoding="utf-8")
    (tmp_path / "crm-audit.yaml").write_text("gate: {fail_under: lots}\n", encoding="utf-8")
    assert main(["check", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "crm-audit.yaml:1: gate.fail_under: 'lots' is not a number" in err
    assert "Traceback" not in err


# keys of every section, so that the shapes reach the nested parsers
NESTED_KEYS = [
    "a",
    "contacts",
    "opportunities",
    "stage",
    "role",
    "allowed",
    "compare",
    "files",
    "tables",
    "encoding",
    "fail_on",
    "fail_under",
    "weights",
    "entity_weights",
    "thresholds",
    "auto_merge",
    "blocking",
    "fields",
    "cannot_link",
    "em",
    "coverage",
    "high",
    "base",
    "default",
    "rates",
    "rates_date",
    "rates_file",
    "EUR",
    "field",
    "table",
    "column",
    "in",
    "severity",
]
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False), st.text(max_size=6))
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(NESTED_KEYS), inner, max_size=3)
    ),
    max_leaves=8,
)


@examples(300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(sorted(TOP_KEYS)), _values, max_size=4))
def test_any_shape_of_section_is_a_config_error_or_a_config(tmp_path: Path, data: dict) -> None:
    text = yaml.safe_dump(data)
    with contextlib.suppress(ConfigError):
        parse_config(yaml.safe_load(text) or {}, tmp_path / "crm-audit.yaml")
