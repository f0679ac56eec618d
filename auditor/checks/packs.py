"""Rule packs: YAML files in `rules/` turned into validated `Rule`s.

A pack has `rules:` (new rules), and may have `override:` (partial rules that change
parameters, severity, message... of an earlier pack's rule, matched by id) and `disable:`
(ids to switch off). Packs are applied in order, the core pack first. Every problem in a
pack is collected and reported together, each with its file, line and rule id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from auditor.checks.base import Dimension, Severity
from auditor.checks.kinds import get_kind, registry
from auditor.checks.rule import WILDCARD, Rule
from auditor.errors import ConfigError, did_you_mean
from auditor.model import ENTITIES
from auditor.yamlfile import BoundedLoader, read_yaml

# `auditor/_rules` links to the top-level `rules/` so that the pack ships inside the wheel too.
CORE_PACK = Path(__file__).resolve().parents[1] / "_rules" / "core.yaml"
CORE_PACK_LABEL = "rules/core.yaml"
REALWORLD_PACK = CORE_PACK.with_name("realworld.yaml")
"""The generic part of the core pack: rules for every entity and every column (sentinels, odd formats,
copies...), written once with `entity: "*"` and `fields: ["*"]`. Loaded with the core pack."""
REALWORLD_PACK_LABEL = "rules/realworld.yaml"
RULE_KEYS = {"id", "kind", "entity", "fields", "severity", "dimension", "message", "when"}
PACK_KEYS = {"pack", "version", "description", "rules", "override", "disable"}
LINE = "__line__"


class _LineLoader(BoundedLoader):
    """Remembers the line of every mapping so that errors can point at it."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[LINE] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != LINE}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def _hint(name: str, choices: Iterable[str]) -> str:
    return did_you_mean(name, choices, aside=False)


class _Problems:
    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[str] = []

    def add(self, line: int | None, rule_id: str | None, message: str) -> None:
        where = f"{self.file}:{line}" if line else self.file
        who = f" rule {rule_id!r}:" if rule_id else ""
        self.items.append(f"{where}:{who} {message}")

    def raise_if_any(self) -> None:
        if self.items:
            count = f" ({len(self.items)} problems)" if len(self.items) > 1 else ""
            raise ConfigError(
                "\n".join(self.items) if not count else f"malformed rule pack{count}:\n  " + "\n  ".join(self.items)
            )


def read_pack(path: str | Path) -> dict[str, Any]:
    data, _ = read_yaml(path, "rule pack", loader=_LineLoader)
    if not isinstance(data, dict):
        raise ConfigError("a rule pack must be a mapping with a `rules:` list", file=str(path), line=1)
    return data


def _validate_rule(
    raw: Mapping[str, Any],
    problems: _Problems,
    extra_fields: Mapping[str, Iterable[str]],
    origin_file: str,
) -> Rule | None:
    line = raw.get(LINE)
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        problems.add(line, None, "every rule needs an `id` (a non-empty string)")
        return None
    errors_before = len(problems.items)
    for key in ("kind", "entity", "fields"):
        if key not in raw:
            problems.add(line, rule_id, f"missing `{key}`")
    if len(problems.items) > errors_before:
        return None

    kind_name = str(raw["kind"])
    try:
        kind = get_kind(kind_name)
    except KeyError as exc:
        problems.add(line, rule_id, str(exc.args[0]))
        return None

    entity_name = str(raw["entity"])
    if entity_name not in ENTITIES:
        problems.add(line, rule_id, f"unknown entity {entity_name!r}{_hint(entity_name, ENTITIES)}")
        return None
    known_fields = set(ENTITIES[entity_name].field_names) | set(extra_fields.get(entity_name, ()))

    fields = raw["fields"]
    if isinstance(fields, str):
        fields = [fields]
    if not isinstance(fields, list) or not fields or not all(isinstance(f, str) for f in fields):
        problems.add(line, rule_id, "`fields` must be a non-empty list of field names")
        return None
    for name in fields:
        if name == WILDCARD and len(fields) == 1:
            continue
        if name not in known_fields:
            problems.add(line, rule_id, f"{entity_name} has no field {name!r}{_hint(name, known_fields)}")

    try:
        severity = Severity(str(raw.get("severity", "error")))
    except ValueError:
        problems.add(line, rule_id, f"severity must be one of {', '.join(s.value for s in Severity)}")
        severity = Severity.ERROR
    try:
        dimension = Dimension(str(raw.get("dimension", kind.dimension)))
    except ValueError:
        problems.add(line, rule_id, f"dimension must be one of {', '.join(d.value for d in Dimension)}")
        dimension = kind.dimension

    when = raw.get("when")
    if when is not None:
        if not isinstance(when, dict):
            problems.add(line, rule_id, "`when` must map field names to a list of values or {not_in: [...]}")
        else:
            for name, condition in _strip_lines(when).items():
                if name not in known_fields:
                    problems.add(line, rule_id, f"`when` names unknown field {name!r}{_hint(name, known_fields)}")
                if not (
                    isinstance(condition, list)
                    or (isinstance(condition, dict) and set(condition) <= {"in", "not_in", "present"})
                ):
                    problems.add(
                        line,
                        rule_id,
                        f"`when: {name}` must be a list of values, or {{in|not_in: [...]}} or {{present: true|false}}",
                    )

    params = {k: v for k, v in raw.items() if k not in RULE_KEYS and k != LINE}
    _validate_params(kind_name, params, line, rule_id, problems, known_fields)

    return Rule(
        id=rule_id,
        kind=kind_name,
        entity=entity_name,
        fields=tuple(fields),
        severity=severity,
        dimension=dimension,
        params=_strip_lines(params),
        message=raw.get("message"),
        when=_strip_lines(when) if isinstance(when, dict) else None,
        origin=f"{origin_file}:{line}" if line else origin_file,
    )


def _validate_params(
    kind_name: str,
    params: Mapping[str, Any],
    line: int | None,
    rule_id: str,
    problems: _Problems,
    known_fields: set[str],
) -> None:
    kind = get_kind(kind_name)
    accepted = {p.name: p for p in kind.params}
    accepted_common = {"region_field", "country_field"}
    for name, value in params.items():
        if name in accepted_common:
            if value not in known_fields:
                problems.add(line, rule_id, f"`{name}` names unknown field {value!r}")
            continue
        if name not in accepted:
            choices = list(accepted) + sorted(RULE_KEYS)
            problems.add(line, rule_id, f"kind {kind_name!r} has no parameter {name!r}{_hint(name, choices)}")
            continue
        param = accepted[name]
        if not isinstance(value, param.kind) or (isinstance(value, bool) and param.kind in (int, float, (int, float))):
            expected = (
                param.kind.__name__ if isinstance(param.kind, type) else " or ".join(t.__name__ for t in param.kind)
            )
            problems.add(line, rule_id, f"parameter {name!r} must be {expected}, not {value!r}")
    for param in kind.params:
        if param.required and param.name not in params:
            problems.add(line, rule_id, f"kind {kind_name!r} needs parameter {param.name!r}")
    if kind_name == "conditional":
        for item in params.get("then", ()) or ():
            if not isinstance(item, dict) or "kind" not in item:
                problems.add(line, rule_id, "each `then` entry must be a mapping with a `kind`")
                continue
            try:
                get_kind(str(item["kind"]))
            except KeyError as exc:
                problems.add(item.get(LINE, line), rule_id, str(exc.args[0]))
                continue
            nested = {k: v for k, v in item.items() if k not in ("kind", LINE)}
            _validate_params(str(item["kind"]), nested, item.get(LINE, line), rule_id, problems, known_fields)


def load_rules(
    paths: Sequence[str | Path] = (),
    *,
    include_core: bool = True,
    extra_fields: Mapping[str, Iterable[str]] | None = None,
) -> list[Rule]:
    """The rules of the core pack (unless `include_core` is false) with `paths` applied in order."""
    extra_fields = extra_fields or {}
    rules: dict[str, Rule] = {}
    pack_paths = ([CORE_PACK, REALWORLD_PACK] if include_core else []) + [Path(p) for p in paths]
    if not pack_paths:
        raise ConfigError("no rule pack given")
    registry()  # import every kind once, so a broken kind fails here and not mid-audit
    for path in pack_paths:
        data = read_pack(path)
        label = _label(path)
        problems = _Problems(label)
        for key in data:
            if key not in PACK_KEYS and key != LINE:
                problems.add(data.get(LINE), None, f"unknown top-level key {key!r}{_hint(key, PACK_KEYS)}")
        new_rules = data.get("rules") or []
        if not isinstance(new_rules, list):
            problems.add(data.get(LINE), None, "`rules` must be a list")
            new_rules = []
        for raw, template in _expanded(new_rules):
            if not isinstance(raw, dict):
                problems.add(None, None, f"each rule must be a mapping, not {raw!r}")
                continue
            rule = _validate_rule(raw, problems, extra_fields, label)
            if rule is None:
                continue
            rule = replace(rule, template=template)
            if rule.id in rules:
                problems.add(
                    raw.get(LINE),
                    rule.id,
                    f"id already defined at {rules[rule.id].origin}; "
                    "use `override:` to change it or `disable:` to remove it",
                )
                continue
            rules[rule.id] = rule
        for raw in data.get("override") or []:
            rule_id = raw.get("id") if isinstance(raw, dict) else None
            targets = _targets(str(rule_id), rules)
            if not targets:
                problems.add(
                    raw.get(LINE) if isinstance(raw, dict) else None,
                    rule_id,
                    f"override of an unknown rule{_hint(str(rule_id), rules)}",
                )
                continue
            for target in targets:
                merged = {**_as_raw(rules[target]), **raw, "id": target}
                rule = _validate_rule(merged, problems, extra_fields, label)
                if rule is not None:
                    rules[target] = replace(rule, template=rules[target].template)
        disable = data.get("disable") or []
        if not isinstance(disable, list):
            problems.add(data.get(LINE), None, "`disable` must be a list of rule ids")
            disable = []
        for rule_id in disable:
            targets = _targets(str(rule_id), rules)
            if not targets:
                problems.add(
                    data.get(LINE), str(rule_id), f"cannot disable an unknown rule{_hint(str(rule_id), rules)}"
                )
            for target in targets:
                del rules[target]
        problems.raise_if_any()
    return list(rules.values())


def config_rules(config: Any, rule_paths: Sequence[str | Path] | None = None) -> list[Rule]:
    """The rules an audit with `config` runs: the core pack (unless `core_rules: false`), the config's
    packs (or `rule_paths`), an `allowed` rule for every extra field the config declares with
    `allowed:` values (unless a pack defines that id), so that a declared list is checked, and a
    `reference` rule (`<entity>.<field>.reference`) for every item of the config's `references:`."""
    paths = config.rule_paths if rule_paths is None else rule_paths
    rules = load_rules(paths, include_core=config.core_rules, extra_fields=config.extra_field_names)
    ids = {r.id for r in rules}
    problems = _Problems(str(config.path or "config") + " extra_fields")
    for entity_name, extras in config.extra_fields.items():
        for name, extra in extras.items():
            rule_id = f"{entity_name}.{name}.allowed"
            if extra.allowed and rule_id not in ids:
                raw = {
                    "id": rule_id,
                    "kind": "allowed",
                    "entity": entity_name,
                    "fields": [name],
                    "severity": "warning",
                    "values": list(extra.allowed),
                }
                rule = _validate_rule(raw, problems, config.extra_field_names, problems.file)
                if rule is not None:
                    rules.append(rule)
    problems.raise_if_any()
    problems = _Problems(str(config.path or "config") + " references")
    for reference in config.references:
        if reference.rule_id in ids:
            problems.add(None, reference.rule_id, "defined both by a rule pack and by the config's `references:`")
            continue
        raw = {
            "id": reference.rule_id,
            "kind": "reference",
            "entity": reference.entity,
            "fields": [reference.field],
            "severity": reference.severity,
            **reference.params,
        }
        rule = _validate_rule(raw, problems, config.extra_field_names, problems.file)
        if rule is not None:
            rules.append(rule)
    problems.raise_if_any()
    return rules


def _expanded(raws: Sequence[Any]) -> Iterable[tuple[Any, str | None]]:
    """(rule as written, None), or for an `entity: "*"` rule one (copy, short id) per entity as `<entity>.<id>`."""
    for raw in raws:
        if isinstance(raw, dict) and raw.get("entity") == WILDCARD and isinstance(raw.get("id"), str):
            for name in ENTITIES:
                yield {**raw, "entity": name, "id": f"{name}.{raw['id']}"}, raw["id"]
        else:
            yield raw, None


def _targets(rule_id: str, rules: Mapping[str, Rule]) -> list[str]:
    """The rules an `override:` or `disable:` id means: that rule, or every entity's copy of a rule written
    for `entity: "*"` (`sentinel` -> `contacts.sentinel`, `accounts.sentinel`...)."""
    if rule_id in rules:
        return [rule_id]
    return [r.id for r in rules.values() if r.template == rule_id]


def _as_raw(rule: Rule) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": rule.id,
        "kind": rule.kind,
        "entity": rule.entity,
        "fields": list(rule.fields),
        "severity": rule.severity.value,
        "dimension": rule.dimension.value,
        **rule.params,
    }
    if rule.message:
        raw["message"] = rule.message
    if rule.when:
        raw["when"] = rule.when
    return raw


def _label(path: Path) -> str:
    if path == CORE_PACK:
        return CORE_PACK_LABEL
    if path == REALWORLD_PACK:
        return REALWORLD_PACK_LABEL
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
