"""Which entity a file or table holds: by its name first, by its headers when the name says nothing."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatch

from auditor.model import ENTITIES, ExtraField
from auditor.sources.aliases import PRESETS, alias_table
from auditor.sources.mapping import map_columns

_MIN_HEADER_FIELDS = 2
_MIN_HEADER_SHARE = 0.3


@dataclass(frozen=True)
class Detection:
    entity: str
    confidence: float
    reason: str


def _words(entity_name: str) -> list[tuple[str, ...]]:
    entity = ENTITIES[entity_name]
    return [tuple(w.split("_")) for w in (entity.name, *entity.file_names)]


def _tokens(name: str) -> tuple[str, ...]:
    """ "hubspot-crm-exports-all-contacts-2026-11-01" -> (hubspot, crm, exports, all, contacts)."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)  # OpportunityHistory -> Opportunity History
    return tuple(t for t in re.split(r"[^0-9a-ząćęłńóśźż]+", spaced.lower()) if t and not t.isdigit())


def detect_by_name(name: str) -> Detection | None:
    """The entity a file stem, sheet or table name names, or None."""
    tokens = _tokens(name)
    joined = "_".join(tokens)
    for entity_name in ENTITIES:
        if joined and joined in {"_".join(w) for w in _words(entity_name)}:
            return Detection(entity_name, 1.0, f"name {name!r} is the entity name")
    stem = name.lower()
    for preset in PRESETS:
        for entity_name, patterns in alias_table(preset).files.items():
            if any(fnmatch(stem, p) for p in patterns):
                return Detection(entity_name, 0.95, f"name {name!r} matches the {preset} export pattern")
    if not tokens:
        return None
    # a compound entity word inside the name wins ("deal_history"); else the last one, the head
    # noun: "marketing_costs" holds costs, "account_contacts" contacts
    best: tuple[int, int, str] | None = None
    for entity_name in ENTITIES:
        for word in _words(entity_name):
            for start in range(len(tokens) - len(word) + 1):
                if tokens[start : start + len(word)] == word:
                    score = (len(word), start, entity_name)
                    best = max(best, score) if best else score
    if best:
        return Detection(best[2], 0.9, f"name {name!r} contains {best[2]!r}")
    vocabulary = {"_".join(w): e for e in ENTITIES for w in _words(e)}
    for token in tokens:
        close = difflib.get_close_matches(token, list(vocabulary), n=1, cutoff=0.8)
        if close:
            return Detection(vocabulary[close[0]], 0.6, f"name {name!r} looks like {close[0]!r}")
    return None


def detect_by_headers(
    headers: Sequence[str],
    explicit: Mapping[str, Mapping[str, str | None]],
    extras: Mapping[str, Mapping[str, ExtraField]],
) -> Detection | None:
    """The entity whose fields the headers cover best (with its primary key as a tie-breaker)."""
    if not headers:
        return None
    scored = []
    for entity_name, entity in ENTITIES.items():
        mapped = map_columns(entity_name, headers, "", explicit.get(entity_name), extras.get(entity_name))
        fields = {c.field for c in mapped.columns if c.is_field}
        scored.append((mapped.score + 0.5 * (entity.primary_key in fields), mapped.fitting_headers, entity_name))
    score, count, entity_name = max(scored, key=lambda s: (s[0], s[1], -list(ENTITIES).index(s[2])))
    if count < _MIN_HEADER_FIELDS or count < _MIN_HEADER_SHARE * len(headers):
        return None
    return Detection(entity_name, round(min(0.8, score / len(headers)), 2), f"{count} of {len(headers)} headers fit")
