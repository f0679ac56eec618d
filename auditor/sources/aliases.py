"""Header spellings of the CRM presets and generic English/Polish names, loaded from presets/*.yaml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from auditor.model import ENTITIES
from auditor.text import fold
from auditor.yamlfile import read_yaml

PRESETS = ("salesforce", "hubspot", "pipedrive")
FULL_NAME = "full_name"
"""Pseudo-field of a person's whole name; the mapper splits it into first_name/last_name."""

_DIR = Path(__file__).with_name("presets")


def header_key(text: str) -> str:
    """Compare headers ignoring case, accents, spaces and punctuation: "Imię" == "imie", "E-mail" == "email"."""
    return re.sub(r"[^0-9a-z]+", "", fold(text).casefold())


@dataclass(frozen=True)
class AliasTable:
    name: str
    files: dict[str, tuple[str, ...]]
    """entity -> glob patterns on the lower-case file stem."""
    fields: dict[str, dict[str, tuple[tuple[str, int], ...]]]
    """entity -> header key -> ((field, position in its spelling list), ...)."""

    def lookup(self, entity: str, key: str) -> tuple[tuple[str, int], ...]:
        return self.fields.get(entity, {}).get(key, ())

    def keys(self, entity: str) -> tuple[str, ...]:
        return tuple(self.fields.get(entity, {}))


@cache
def preset_document(name: str) -> dict[str, Any]:
    """presets/<name>.yaml as parsed, read once for its header spellings and its value maps (not to be changed)."""
    document, _ = read_yaml(_DIR / f"{name}.yaml", "preset")
    return document  # type: ignore[no-any-return]


@cache
def alias_table(name: str) -> AliasTable:
    document = preset_document(name)
    common = document["fields"].get("_all", {})
    fields: dict[str, dict[str, tuple[tuple[str, int], ...]]] = {}
    for entity_name, entity in ENTITIES.items():
        spellings = {
            **{f: s for f, s in common.items() if entity.has_field(f)},
            **document["fields"].get(entity_name, {}),
        }
        table: dict[str, list[tuple[str, int]]] = {}
        for field_name, headers in spellings.items():
            if field_name != FULL_NAME and not entity.has_field(field_name):
                raise ValueError(f"preset {name}: {entity_name} has no field {field_name!r}")
            for position, header in enumerate(headers):
                table.setdefault(header_key(str(header)), []).append((field_name, position))
        fields[entity_name] = {k: tuple(v) for k, v in table.items()}
    files = {e: tuple(p) for e, p in (document.get("files") or {}).items()}
    return AliasTable(name=document["crm"], files=files, fields=fields)
