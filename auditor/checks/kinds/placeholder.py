"""`placeholder`: junk typed into a form instead of real data.

Semantics: the value is stripped and lower-cased, then it fails when
- it is one of `values` ("test", "asdf", "n/a", "brak", "-", "0", "first name"...);
- it fully matches one of `patterns` (RE2): "test1"/"test 123", keyboard runs ("qwertyuiop",
  "asdfgh", "zxcvb"), "lorem ipsum...", "no name"/"brak nazwy", "first name", values
  without any letter or digit ("-/-", "?!");
- it is 3+ characters of one repeated character ("aaaa", "zzz", "....", "0000000");
- it is an e-mail whose local part is one of `email_local_parts` (optionally followed by
  digits: "test1@...") or whose domain is one of `email_domains` (example.com, test.com,
  email.com...; mail.com is a real provider and is not listed);
- it looks like a phone number (digits and + ( ) . / - and spaces only, 7+ digits) whose
  last nine digits use fewer than `phone_min_distinct_digits` distinct digits
  ("000-000-0000", "+48 600 600 600") or contain a run of 7 consecutive ascending or descending digits
  ("123456789", "+48 1234567").
Real short names ("Li", "Ng", "Xu", "Al"), words that merely start like a placeholder
("Testa", "Tester GmbH") and "Aaron" pass. Missing values pass.

No suggestion: the real value has to be asked for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.checks.base import CheckContext, Dimension, Example, Param, RuleKind
from auditor.checks.expectations import no_equivalent
from auditor.checks.kinds._columns import judge_each
from auditor.checks.kinds._fastpath import (
    bools,
    fullmatches,
    holds_any,
    kept,
    lengths,
    matches,
    passing,
    present,
    strip,
    take,
    utf8_bytes,
)

VALUES = (
    "test", "testing", "asdf", "asd", "qwerty", "xxx", "xx", "x", "na", "n/a", "n.a.", "n.a", "none", "null",
    "nil", "unknown", "undefined", "brak", "brak danych", "nie wiem", "nieznany", "nieznana", "unbekannt",
    "-", "--", "?", "??", ".", "0", "tbd", "tba", "todo", "dummy", "sample", "example", "temp", "abc", "aaa",
    "foo", "bar", "lorem ipsum", "no name", "noname", "first name", "last name", "company",
)  # fmt: skip
PATTERNS = (
    r"(?:test|testing|dummy|sample)[ _.\-]?[0-9]+",
    r"(?:qwer|asdf|zxcv|azert|qwertz)\S*",
    r"\S*(?:werty|ertyu|rtyui|tyuio|yuiop|sdfgh|dfghj|fghjk|ghjkl|xcvbn|cvbnm)\S*",
    r"lorem ipsum.*",
    r"(?:no|brak|without|bez)[ _.\-]?(?:name|nazwy|nazwiska|email|e-mail|mail|phone|telefonu|numeru|company|firmy)",
    r"(?:first|last|full|sur|company|user)[ _]?name",
    r"[^\p{L}\p{N}]+",
)
EMAIL_LOCAL_PARTS = ("noemail", "no-email", "none", "test", "asdf", "no.reply", "noreply", "nomail", "brak", "xxx")
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "test.com", "email.com", "noemail.com", "none.com")
PHONE_MIN_DISTINCT_DIGITS = 3
_SEQUENCES = "0123456|1234567|2345678|3456789|9876543|8765432|7654321|6543210"


def _alternation(words: Sequence[str]) -> str:
    return "|".join(re.escape(w.lower()) for w in words)


def _one_repeated_char(text: pa.Array) -> np.ndarray:
    """Per value: three or more of one character ("aaa", "...."). Judged only where the first two bytes are equal
    or the first is not ASCII (a character of several bytes): every such value is among them, and in most columns
    few else, where repeating each value's first character to its length cost three passes over all."""
    offsets, data = utf8_bytes(text)
    starts = offsets[:-1]
    out = np.zeros(len(text), dtype=bool)
    maybe = np.flatnonzero(offsets[1:] - starts >= 3)  # three characters hold three bytes at least
    first = data[starts[maybe]]
    maybe = maybe[(first >= 0x80) | (first == data[starts[maybe] + 1])]
    if len(maybe):
        candidates = take(text, maybe)
        n = lengths(candidates)
        repeated = pc.binary_repeat(pc.utf8_slice_codeunits(candidates, start=0, stop=1), pa.array(n))
        out[maybe] = (n >= 3) & bools(pc.equal(pc.cast(repeated, candidates.type), candidates))
    return out & present(text)


def _distinct_digits(digits: pa.Array) -> np.ndarray:
    """Number of distinct digits per non-empty string of ASCII digits, without a Python loop."""
    offsets, data = utf8_bytes(digits)
    bits = np.left_shift(np.uint16(1), (data - 48).astype(np.uint16))
    seen = np.bitwise_or.reduceat(bits, offsets[:-1])
    return np.bitwise_count(seen)


def _digits_only(text: pa.Array) -> pa.Array:
    """Each value's digits, in order: `replace_substring_regex(text, "[^0-9]", "")` on the bytes with numpy (0.1-0.3
    s instead of 0.4 s for a million phone numbers)."""
    return kept(text, lambda data: (data - np.uint8(ord("0"))) < 10)  # wraps below "0"


def _junk_phone(text: pa.Array, min_distinct: int) -> np.ndarray:
    out = np.zeros(len(text), dtype=bool)
    rows = np.flatnonzero(fullmatches(text, r"\+?[0-9 ()./\-]+"))
    if len(rows) == 0:
        return out
    digits = _digits_only(take(text, rows))
    enough = np.flatnonzero(lengths(digits) >= 7)
    digits = take(digits, enough)
    # The last nine digits: a country code must not lift "+48 111 111 111" over the threshold.
    national = pc.utf8_slice_codeunits(digits, start=-9)
    out[rows[enough]] = (_distinct_digits(national) < min_distinct) | matches(digits, _SEQUENCES)
    return out


def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    return passing(~judge_each(values, ctx, lambda cells: _junk(cells, params)), values.index)


def _junk(cells: pa.Array, params: Mapping[str, Any]) -> np.ndarray:
    text = pc.utf8_lower(strip(cells))
    junk_values = [v.lower() for v in params.get("values") or VALUES]
    bad = bools(pc.is_in(text, value_set=pa.array(junk_values, type=text.type)))
    pattern_list = params.get("patterns") or PATTERNS
    bad |= fullmatches(text, "|".join(f"(?:{p})" for p in pattern_list))
    bad |= _one_repeated_char(text)
    if holds_any(text, b"@"):  # both fake e-mail patterns hold an @: a column without one is not searched
        locals_ = _alternation(params.get("email_local_parts") or EMAIL_LOCAL_PARTS)
        domains = _alternation(params.get("email_domains") or EMAIL_DOMAINS)
        bad |= matches(text, f"^(?:{locals_})[0-9]*@|@(?:{domains})$")
    bad |= _junk_phone(text, int(params.get("phone_min_distinct_digits") or PHONE_MIN_DISTINCT_DIGITS))
    return bad


def suggest(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    return pd.Series(pd.NA, index=values.index, dtype="object")


KIND = RuleKind(
    name="placeholder",
    gx=no_equivalent("junk detection normalizes values (case, accents, repeated characters) before matching"),
    summary="Junk typed into forms: test/asdf/n/a/brak, repeated characters, fake e-mails and phone numbers.",
    dimension=Dimension.ACCURACY,
    check=check,
    message="{field} holds a placeholder, not real data: {value}",
    params=(
        Param("values", (list, tuple), VALUES, help="junk values (compared stripped and case-insensitively)"),
        Param("patterns", (list, tuple), PATTERNS, help="junk patterns (RE2, full match on the lower-cased value)"),
        Param("email_local_parts", (list, tuple), EMAIL_LOCAL_PARTS, help="local parts of fake e-mail addresses"),
        Param("email_domains", (list, tuple), EMAIL_DOMAINS, help="domains of fake e-mail addresses"),
        Param(
            "phone_min_distinct_digits",
            int,
            PHONE_MIN_DISTINCT_DIGITS,
            help="a phone number of 7+ digits with fewer distinct digits than this is junk",
        ),
    ),
    suggest=suggest,
    examples=(
        Example(
            params={},
            passes=("Kowalski", "Li", "Ng", "Xu", "Aaron", "Testa", "Al", None),
            fails=("test", "ASDF", "n/a", "xxxx", "brak", "-", "Lorem ipsum", "qwertyuiop"),
            entity="contacts",
            field="last_name",
        ),
        Example(
            params={},
            passes=("jan.kowalski@wp.pl", "anna@mail.com", "tester@firma.pl"),
            fails=("noemail@gmail.com", "test@firma.pl", "jan@example.com", "x@test.com"),
            entity="contacts",
            field="email",
        ),
        Example(
            params={},
            passes=("+48 602 345 178", "22 628 31 40", "Tester GmbH", "(212) 555-1212"),
            fails=("000-000-0000", "1111111", "123456789", "+48 600 600 600"),
            entity="accounts",
            field="phone",
        ),
    ),
)
