"""Hand-made reference lists shipped with the package (names, places, companies, nicknames)."""

from __future__ import annotations

import csv
import json
from functools import cache
from importlib import resources
from typing import Any


def _text(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


@cache
def names() -> dict[str, dict[str, list[str]]]:
    """First names (male/female) and last names per culture (pl, ua, en, de, fr, es, it)."""
    return json.loads(_text("names.json"))


@cache
def places() -> dict[str, dict[str, Any]]:
    """Per country: TLD, currency, culture mix, free mail providers, streets, cities with postal
    prefixes or ranges and landline area codes."""
    return json.loads(_text("places.json"))


@cache
def companies() -> dict[str, Any]:
    """Company name parts per culture, legal forms and their variant spellings."""
    return json.loads(_text("companies.json"))


@cache
def nicknames() -> dict[str, tuple[str, ...]]:
    """Formal first name -> its common nicknames (Robert -> Bob, Rob; Małgorzata -> Gosia).

    Deliberately not the matcher's table (auditor/dedupe/data/nicknames.csv): ground truth drawn
    from the detector's own knowledge would make its nickname recall true by construction.
    """
    out: dict[str, list[str]] = {}
    for row in csv.DictReader(_text("nicknames.csv").splitlines()):
        out.setdefault(row["name"], []).append(row["nickname"])
    return {k: tuple(v) for k, v in out.items()}
