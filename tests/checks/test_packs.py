from __future__ import annotations

from pathlib import Path

import pytest

from auditor.checks.packs import load_rules
from auditor.errors import ConfigError

CORE_ONLY = {"include_core": True}


def write(tmp_path: Path, text: str, name: str = "pack.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def core_ids() -> set[str]:
    return {r.id for r in load_rules()}


def test_core_pack_loads_with_unique_ids_and_origins() -> None:
    rules = load_rules()
    assert len(rules) == len({r.id for r in rules}) > 100
    assert all(r.origin.startswith(("rules/core.yaml:", "rules/realworld.yaml:")) for r in rules)


def test_user_pack_adds_overrides_and_disables(tmp_path: Path) -> None:
    pack = write(
        tmp_path,
        """
pack: acme
rules:
  - {id: contacts.title.required, kind: required, entity: contacts, fields: [title], severity: info}
override:
  - {id: opportunities.staleness, days: 30, severity: error}
disable: [contacts.name.casing]
""",
    )
    rules = {r.id: r for r in load_rules([pack])}
    assert rules["contacts.title.required"].severity == "info"
    assert rules["opportunities.staleness"].params["days"] == 30
    assert rules["opportunities.staleness"].severity == "error"
    assert rules["opportunities.staleness"].when == {"stage": {"not_in": ["Closed Won", "Closed Lost"]}}
    assert "contacts.name.casing" not in rules
    assert len(rules) == len(core_ids())


def test_problems_are_reported_together_with_file_line_and_rule(tmp_path: Path) -> None:
    pack = write(
        tmp_path,
        """rules:
  - {id: a, kind: requried, entity: contacts, fields: [email]}
  - {id: b, kind: required, entity: contact, fields: [email]}
  - {id: c, kind: range, entity: contacts, fields: [emial], minimum: 3}
  - {id: d, kind: staleness, entity: contacts, fields: [updated_at]}
  - {id: e, kind: range, entity: surveys, fields: [nps], min: "zero", severity: fatal}
  - {kind: required, entity: contacts, fields: [email]}
disable: [nonexistent.rule]
""",
    )
    with pytest.raises(ConfigError) as caught:
        load_rules([pack])
    text = str(caught.value)
    assert "pack.yaml:2: rule 'a': unknown rule kind 'requried'; did you mean 'required'?" in text
    assert "pack.yaml:3: rule 'b': unknown entity 'contact'; did you mean 'contacts'?" in text
    assert "pack.yaml:4: rule 'c': contacts has no field 'emial'; did you mean 'email'?" in text
    assert "rule 'c': kind 'range' has no parameter 'minimum'" in text
    assert "pack.yaml:5: rule 'd': kind 'staleness' needs parameter 'days'" in text
    assert "rule 'e': severity must be one of error, warning, info" in text
    assert "pack.yaml:7: every rule needs an `id`" in text
    assert "cannot disable an unknown rule" in text


def test_duplicate_id_points_at_the_first_definition(tmp_path: Path) -> None:
    pack = write(tmp_path, "rules:\n  - {id: contacts.email.format, kind: email, entity: contacts, fields: [email]}\n")
    with pytest.raises(
        ConfigError,
        match=r"pack.yaml:2: rule 'contacts.email.format': id already defined at "
        r".*core.yaml:\d+; use `override:`",
    ):
        load_rules([pack])


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    pack = write(tmp_path, "rules:\n  - {id: x, kind: required\n  - oops\n")
    with pytest.raises(ConfigError, match=r"pack.yaml:\d+: not valid YAML"):
        load_rules([pack])


def test_extra_fields_can_be_checked(tmp_path: Path) -> None:
    pack = write(tmp_path, "rules:\n  - {id: x, kind: required, entity: contacts, fields: [nip]}\n")
    with pytest.raises(ConfigError, match="contacts has no field 'nip'"):
        load_rules([pack], include_core=False)
    assert load_rules([pack], include_core=False, extra_fields={"contacts": ["nip"]})[0].fields == ("nip",)


def test_nested_conditional_checks_are_validated(tmp_path: Path) -> None:
    pack = write(
        tmp_path,
        """rules:
  - id: x
    kind: conditional
    entity: opportunities
    fields: [amount]
    when: {stage: [Closed Won]}
    then: [{kind: range, gt: 0, maxi: 5}, {kind: nope}]
""",
    )
    with pytest.raises(ConfigError) as caught:
        load_rules([pack], include_core=False)
    assert "kind 'range' has no parameter 'maxi'" in str(caught.value)
    assert "unknown rule kind 'nope'" in str(caught.value)
