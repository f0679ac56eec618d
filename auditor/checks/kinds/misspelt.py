"""`misspelt`: a category value with a misspelt word ("Surburban" for "Suburban").

Semantics: only category columns are judged: text with at most `max_distinct` distinct values over at
least `min_count` records, short values (fewer than three words as a rule). A value fails when one of
its words of five or more letters is in no dictionary (nor is it a known word with an
English ending: "Detoxers" is "detox" + "ers") of the spell checker (English, German, French,
Spanish, Portuguese, Italian, Dutch) and one edit (a letter added, dropped, changed or two swapped)
away from a dictionary word that starts with the same letter: people rarely mistype a word's first
letter, and a word two edits away is more often another word ("webinar" is not "seminar"). Words
the dictionaries do not know and cannot correct (brand names, Polish values) pass, and so do the
model's own picklist words ("Upsell"). A column is judged only when at least half of its distinct
words are known English words (a column of Polish values or codes is not English to correct), and
never when it holds names, owners, addresses, cities, e-mails or free text. How common the
value is does not matter: a misspelling in the picklist itself is on every record that uses it.
The suggestion is the value with the word corrected, in the value's own letter case.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz.distance import DamerauLevenshtein

from auditor.checks.base import PASSES, CheckContext, Dimension, Example, Param, RuleKind, Verdicts, series_of
from auditor.checks.expectations import ON_EVERY_COLUMN
from auditor.checks.kinds._columns import column_text, is_text_column, per_table, role
from auditor.checks.kinds._dictionary import Words, cached_words, correction
from auditor.checks.kinds._fastpath import Distinct
from auditor.checks.kinds.odd_format import median_words
from auditor.model import ENTITIES, Role

MAX_DISTINCT = 50
MIN_COUNT = 100
LANGUAGES = ("en", "de", "fr", "es", "pt", "it", "nl")
_WORD = re.compile(r"[^\W\d_]{5,}")
_SUFFIXES = ("s", "es", "er", "ers", "ing", "ings", "ed", "ly", "ness", "ful")
# Names, addresses and free text are not dictionary words.
_NOT_JUDGED = (Role.PERSON_NAME, Role.COMPANY_NAME, Role.OWNER, Role.ADDRESS, Role.CITY, Role.TEXT, Role.EMAIL)


@cache
def _model_words() -> frozenset[str]:
    """The model's own picklist words ("Upsell", "Nurturing"): known, whatever a dictionary says."""
    words = set()
    for entity in ENTITIES.values():
        for field in entity.fields:
            for value in field.allowed or ():
                words.update(w.lower() for w in _WORD.findall(value))
    return frozenset(words)


def _known(lower: str) -> bool:
    english = _english()
    return (
        lower.lower() in english  # as pyspellchecker asks its dictionary: the word lower-cased
        or lower in _model_words()
        or any(lower.endswith(s) and lower[: -len(s)].lower() in english for s in _SUFFIXES)
    )


def _dictionary(language: str, form: str) -> Words:
    resource = files("spellchecker") / "resources" / f"{language}.json.gz"
    return cached_words(language, resource.read_bytes(), form)


@cache
def _english() -> Words:
    """The English dictionary as pyspellchecker reads the file as a local one (its text lower-cased, then
    parsed), which the kind's corrections search: read in place from the cache (`_dictionary.py`), not parsed
    (0.1-0.15 CPU s a process)."""
    return _dictionary(LANGUAGES[0], "lowered")


@cache
def _words(language: str) -> Words:
    """Another language's dictionary, to ask whether it knows a word: its keys as the file writes them."""
    return _dictionary(language, "keys")


def _correct_word(word: str) -> str | None:
    lower = word.lower()
    if _known(lower):
        return None
    fixed = correction(_english(), lower)
    if not fixed or fixed[0] != lower[0] or DamerauLevenshtein.distance(fixed, lower) != 1:
        return None
    # The other languages load only for a word English would correct, which is rare.
    if any(lower in _words(language) for language in LANGUAGES[1:]):
        return None
    if word.isupper():
        return fixed.upper()
    return fixed.capitalize() if word[0].isupper() else fixed


@cache
def corrected(value: str) -> str | None:
    """The value with its misspelt words corrected, or None when every word is fine."""
    changed = False

    def fix(match: re.Match[str]) -> str:
        nonlocal changed
        better = _correct_word(match.group(0))
        if better is None:
            return match.group(0)
        changed = True
        return better

    result = _WORD.sub(fix, value)
    return result if changed else None


_Fixes = tuple[Distinct, np.ndarray] | None
"""A column's distinct cells and the correction of each (None when fine, NaN when missing); None when the
column is not judged."""


def _corrections(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> _Fixes:
    key = ("misspelt", str(values.name), repr(sorted(params.items())))
    return per_table.get(ctx.frame, key, lambda: _correct_column(values, params, ctx))


def _correct_column(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> _Fixes:
    if not is_text_column(values) or role(str(values.name), ctx) in _NOT_JUDGED:
        return None
    column = column_text(values, ctx)
    if column.count() < int(params.get("min_count") or MIN_COUNT):
        return None
    distinct = _distinct_up_to(column.stripped, int(params.get("max_distinct") or MAX_DISTINCT))
    if distinct is None or median_words(values, ctx) >= 3:
        return None
    vocabulary = {w.lower() for value in distinct for w in _WORD.findall(value)}
    if not vocabulary or sum(map(_known, vocabulary)) < len(vocabulary) / 2:
        return None  # not a column of English words (Polish picklists, codes, names)
    fixes = {value: corrected(value) for value in distinct}
    # per distinct cell: its correction, None when it needs none, NaN when missing (as Series.map gave them)
    return column.cells, np.array(
        [np.nan if v is None else fixes[v] for v in column.stripped.to_pylist()], dtype=object
    )


def _distinct_up_to(text: pa.Array, limit: int) -> list[str] | None:
    """The distinct values of `text` (missing left out), or None when there are more than `limit`: told by
    the first values alone in a column of ids or e-mails, which is not judged anyway."""
    head = pc.unique(pc.drop_null(text.slice(0, 4 * limit + 100)))
    if len(head) > limit:
        return None
    distinct = pc.unique(pc.drop_null(text)).to_pylist()
    return distinct if len(distinct) <= limit else None


def verdicts(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> Verdicts:
    """A cell passes without a correction; judged per distinct cell, not as a million rows' objects (most
    columns are not judged at all and pass whole)."""
    fixes = _corrections(values, params, ctx)
    if fixes is None:
        return PASSES
    cells, per_cell = fixes
    return cells.spread(pd.isna(per_cell))


check = series_of(verdicts)


def suggest(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    """Each cell's correction (NA when fine or the column is not judged)."""
    column = ctx.frame[str(values.name)]
    fixes = _corrections(column, params, ctx)
    if fixes is None:
        return pd.Series(pd.NA, index=values.index, dtype="object")
    cells, per_cell = fixes
    return pd.Series(cells.spread(per_cell), index=column.index, dtype="object").loc[values.index]


KIND = RuleKind(
    name="misspelt",
    gx=ON_EVERY_COLUMN,
    summary="A category value with a misspelt word ('Surburban'), judged by spelling dictionaries.",
    dimension=Dimension.VALIDITY,
    check=check,
    verdicts=verdicts,
    message="{field} {value!r} looks misspelt",
    params=(
        Param("max_distinct", int, MAX_DISTINCT, help="judge a column only with at most this many distinct values"),
        Param("min_count", int, MIN_COUNT, help="judge a column only with at least this many values"),
    ),
    suggest=suggest,
    whole_column=True,
    examples=(
        Example(
            params={},
            passes=("Urban", "Rural", "Glamping", "Webinar", "Multichannel", "Digital Detoxers", "Upsell") * 20,
            fails=("Surburban",),
            entity="contacts",
            field="zip_code",
        ),
        Example(
            params={},
            passes=("Wygrana", "Przegrana", "Polecam", "Telefon") * 30,
            fails=(),
            entity="contacts",
            field="segment",
        ),
    ),
)
