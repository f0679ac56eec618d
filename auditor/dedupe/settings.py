"""The `dedupe:` section of the audit config.

    dedupe:
      thresholds: {auto_merge: 0.95, review: 0.5}   # match probability bands
      survivorship: most_complete                   # or most_recent, oldest
      blocking:                                     # per entity; each key is a list of features
        contacts: [[email], [phone], [name_sorted], [last, postal_code]]
      max_block_size: 25                            # larger blocks are walked by sorted neighbourhood
      max_cluster_size: 1000                        # larger components are cut at their weakest edges
      window: 5
      fields:                                       # extra (or re-typed) comparison fields per entity
        contacts: {loyalty_id: exact, nickname: name, score: number, first_seen: date, note: text}
      cannot_link:
        penalty: 12                                 # bits subtracted when a cannot-link rule fires
        fields: [record_type]                       # both set and different -> cannot link
      em: {max_iterations: 200, u_sample: 200000, seed: 0}
      labels: labelled_pairs.csv                    # optional id_a,id_b,is_match to steer EM

Every problem is gathered and raised together as one ConfigError naming the keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor.errors import ConfigError, did_you_mean

COMPARE_TYPES = ("name", "text", "exact", "date", "number", "email", "phone", "company", "postal", "domain", "off")
SURVIVORSHIP = ("most_complete", "most_recent", "oldest")
TOP_KEYS = (
    "thresholds",
    "survivorship",
    "blocking",
    "max_block_size",
    "window",
    "fields",
    "cannot_link",
    "em",
    "labels",
    "max_cluster_size",
    "default_region",
)


@dataclass
class DedupeSettings:
    auto_merge: float = 0.95
    review: float = 0.5
    survivorship: str = "most_complete"
    blocking: dict[str, list[list[str]]] = field(default_factory=dict)
    """Per entity: blocking keys, each a list of feature names (`last:3` = first 3 characters)."""
    max_block_size: int = 25
    window: int = 5
    fields: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per entity: field -> comparison type (name, text, exact, date, number, ... or off)."""
    penalty: float = 12.0
    cannot_link_fields: list[str] = field(default_factory=list)
    max_iterations: int = 200
    u_sample: int = 200_000
    seed: int = 0
    labels: str | None = None
    max_cluster_size: int = 1000
    default_region: str = "PL"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> DedupeSettings:
        settings = cls()
        problems: list[str] = []
        data = data or {}
        if not isinstance(data, Mapping):
            raise ConfigError("dedupe: expected a mapping of settings")

        def bad(message: str) -> None:
            problems.append(f"dedupe.{message}")

        def number(key: str, value: Any, low: float, high: float | None, cast: type = float) -> Any:
            try:
                out = cast(value)
            except (TypeError, ValueError):
                bad(f"{key}: expected a number, got {value!r}")
                return None
            if out < low or (high is not None and out > high):
                bad(f"{key}: {out} is outside [{low}, {high if high is not None else 'inf'}]")
                return None
            return out

        for key in data:
            if key not in TOP_KEYS:
                bad(f"{key}: unknown key" + did_you_mean(key, TOP_KEYS))
        thresholds = data.get("thresholds") or {}
        if not isinstance(thresholds, Mapping):
            bad("thresholds: expected {auto_merge: 0.95, review: 0.5}")
            thresholds = {}
        for key in thresholds:
            if key not in ("auto_merge", "review"):
                bad(f"thresholds.{key}: unknown key (auto_merge, review)")
        for key in ("auto_merge", "review"):
            if key in thresholds:
                value = number(f"thresholds.{key}", thresholds[key], 0.0, 1.0)
                if value is not None:
                    setattr(settings, key, value)
        if settings.review > settings.auto_merge:
            bad(f"thresholds: review ({settings.review}) must not exceed auto_merge ({settings.auto_merge})")
        if "survivorship" in data:
            if data["survivorship"] in SURVIVORSHIP:
                settings.survivorship = data["survivorship"]
            else:
                bad(f"survivorship: {data['survivorship']!r} is not one of {', '.join(SURVIVORSHIP)}")
        blocking = data.get("blocking") or {}
        if not isinstance(blocking, Mapping):
            bad("blocking: expected entity -> list of keys")
            blocking = {}
        for entity, keys in blocking.items():
            if not isinstance(keys, list) or not keys:
                bad(f"blocking.{entity}: expected a non-empty list of keys")
                continue
            parsed = []
            for i, key in enumerate(keys):
                key = [key] if isinstance(key, str) else key
                if not isinstance(key, list) or not key or not all(isinstance(k, str) and k for k in key):
                    bad(f"blocking.{entity}[{i}]: expected a list of feature names")
                    continue
                for part in key:
                    name, _, width = part.partition(":")
                    if width and not width.isdigit():
                        bad(f"blocking.{entity}[{i}]: {part!r}: the width after ':' must be a number")
                parsed.append(list(key))
            settings.blocking[str(entity)] = parsed
        for key, low in (("max_block_size", 2), ("window", 1), ("max_cluster_size", 2)):
            if key in data:
                value = number(key, data[key], low, None, int)
                if value is not None:
                    setattr(settings, key, value)
        fields = data.get("fields") or {}
        if not isinstance(fields, Mapping):
            bad("fields: expected entity -> {field: comparison type}")
            fields = {}
        for entity, spec in fields.items():
            if not isinstance(spec, Mapping):
                bad(f"fields.{entity}: expected {{field: comparison type}}")
                continue
            for name, kind in spec.items():
                kind = kind.get("compare") if isinstance(kind, Mapping) else kind
                if kind not in COMPARE_TYPES:
                    bad(
                        f"fields.{entity}.{name}: unknown comparison type {kind!r}{did_you_mean(kind, COMPARE_TYPES)}; "
                        f"one of {', '.join(COMPARE_TYPES)}"
                    )
                    continue
                settings.fields.setdefault(str(entity), {})[str(name)] = str(kind)
        cannot = data.get("cannot_link") or {}
        if not isinstance(cannot, Mapping):
            bad("cannot_link: expected {penalty, fields}")
            cannot = {}
        for key in cannot:
            if key == "shared_phone_limit":
                bad(
                    "cannot_link.shared_phone_limit: no longer used: a shared phone now weighs by how many records "
                    "hold it (term frequency); remove the key"
                )
            elif key not in ("penalty", "fields"):
                bad(f"cannot_link.{key}: unknown key (penalty, fields)")
        if "penalty" in cannot:
            value = number("cannot_link.penalty", cannot["penalty"], 0.0, None)
            if value is not None:
                settings.penalty = value
        if "fields" in cannot:
            if isinstance(cannot["fields"], list) and all(isinstance(f, str) for f in cannot["fields"]):
                settings.cannot_link_fields = list(cannot["fields"])
            else:
                bad("cannot_link.fields: expected a list of field names")
        em = data.get("em") or {}
        if not isinstance(em, Mapping):
            bad("em: expected {max_iterations, u_sample, seed}")
            em = {}
        for key in em:
            if key not in ("max_iterations", "u_sample", "seed"):
                bad(f"em.{key}: unknown key (max_iterations, u_sample, seed)")
        for key, low in (("max_iterations", 1), ("u_sample", 100), ("seed", 0)):
            if key in em:
                value = number(f"em.{key}", em[key], low, None, int)
                if value is not None:
                    setattr(settings, key, value)
        if data.get("labels") is not None:
            settings.labels = str(data["labels"])
        if data.get("default_region") is not None:
            settings.default_region = str(data["default_region"]).upper()
        if problems:
            raise ConfigError("invalid dedupe settings:\n" + "\n".join(problems), problems=problems)
        return settings
