"""`email`: the value is a syntactically valid e-mail address.

Semantics: a value passes when `email_validator.validate_email(value.strip(),
check_deliverability=False)` accepts it (no network). Leading and trailing whitespace is
the `whitespace` kind's business, so it is stripped before judging; upper-case letters are
fine. Missing values pass.

Speed: two vectorized RE2 passes decide almost every value exactly as the library would:
a dot-atom address (ASCII, or with Latin letters such as "ł" or "é" in the local part)
with an ASCII hostname domain and an alphabetic, non-special-use TLD is accepted; an
address without "@", or a plain-ASCII one (no quotes, angle brackets or backslashes,
i.e. no quoted local part or display name) with a defect the library always rejects (two
"@", spaces, commas, doubled or edge dots, a domain without a dot or not ending in a
letter, bad hostname characters or hyphens) is rejected. Such a dot-atom address longer
than 63 characters is decided there only when it is ASCII: accepted within the library's
length limits (254 in all, 63 a domain label), rejected beyond them. Everything else goes
to email-validator once per distinct value.

Suggestion: the lower-cased, stripped value with obvious repairs (doubled "@", "(at)",
commas for dots, spaces, stray dots, common provider typos such as gmial.com) when the
repaired address is valid; NA otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.checks.base import CheckContext, Dimension, Example, FixSafety, RuleKind, Standard
from auditor.checks.expectations import APPROXIMATE, GxMapping, expect
from auditor.checks.kinds._fastpath import (
    bools,
    decide_unique,
    fullmatches,
    lengths,
    matches,
    passing,
    present,
    strip,
    suggest_each,
    to_arrow,
)

# ASCII atext plus the Latin-1 and Latin Extended-A letters (precomposed, so NFC-stable and
# "safe" to email-validator): Polish, German, French... names in local parts stay fast.
_ATEXT = r"[A-Za-z0-9_!#$%&'*+/=?^`{|}~\x{c0}-\x{d6}\x{d8}-\x{f6}\x{f8}-\x{17f}-]"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
ACCEPT = rf"{_ATEXT}+(?:\.{_ATEXT}+)*@(?:{_LABEL}\.)+[A-Za-z]{{2,}}"
SPECIAL_USE_DOMAIN_NAMES = ("arpa", "invalid", "local", "localhost", "onion", "test")
"""email-validator's `SPECIAL_USE_DOMAIN_NAMES` (a test holds them equal), written here because importing the
library is 0.02 s of start-up that an export whose addresses the patterns decide never needs."""
_SPECIAL_TLD = "|".join(re.escape(d) for d in SPECIAL_USE_DOMAIN_NAMES)
# Accepted by ACCEPT but needing the library: special-use domains, and "--" labels (IDNA/R-LDH rules).
NOT_FAST = rf"(?i:[.@](?:{_SPECIAL_TLD})$)|@.*--"
# Total length <= 63 implies every label and the whole address are within RFC limits.
FAST_MAX_LENGTH = 63
# A longer address of ASCII alone is within them when it is at most 254 characters (then its domain is at most
# 252, under the library's 253) and no label of its domain is longer than 63: the library's only length limits
# without `strict` (the local part's 64 is checked only then).
ASCII_MAX_LENGTH = 254
LONG_LABEL = r"@.*[A-Za-z0-9-]{64}"

# Printable ASCII (plus tab) without `"`, `<`, `>` and `\`: no quoted local part, no display name.
PLAIN = r"[\t\x20\x21\x23-\x3b\x3d\x3f-\x5b\x5d-\x7e]*"
REJECT = "|".join(
    (
        r"@.*@",  # a second "@" lands in the domain
        r"[\t (),:;\[\]]",  # characters neither the local part nor a hostname may hold unquoted
        r"\.\.|^\.|\.@|@\.|\.$|^@|@$",
        r"@[^.]*$",  # a domain without a dot is not globally deliverable
        r"[^A-Za-z]$",  # every TLD ends with a letter
        r"@.*[^A-Za-z0-9.\-]",
        r"@-|@[^@]*\.-|@[^@]*-\.|-$",
        rf"(?i:[.@](?:{_SPECIAL_TLD})$)",
    )
)


@lru_cache(maxsize=1 << 16)
def is_valid_email(value: str) -> bool:
    """The library verdict this kind reproduces."""
    import email_validator  # start-up time: asked only about the values the patterns cannot decide

    try:
        email_validator.validate_email(value.strip(), check_deliverability=False)
    except email_validator.EmailNotValidError:
        return False
    return True


def valid(arr: pa.Array) -> np.ndarray:
    """Per value, `is_valid_email` (False where missing): the patterns decide nearly every value, the library
    the others, once per distinct value."""
    value = strip(arr)
    length = lengths(value)
    accept = fullmatches(value, ACCEPT) & ~matches(value, NOT_FAST)
    reject = ~matches(value, "@") | (fullmatches(value, PLAIN) & matches(value, REJECT))
    long = accept & (length > FAST_MAX_LENGTH)
    if long.any():  # company-named domains: thousands of distinct addresses in a large export
        judged = long & bools(pc.string_is_ascii(value))
        within = (length <= ASCII_MAX_LENGTH) & ~matches(value, LONG_LABEL)
        accept &= ~long | (judged & within)
        reject |= judged & ~within
    ok = accept.copy()
    undecided = np.flatnonzero(present(arr) & ~accept & ~reject)
    ok[undecided] = decide_unique(value, undecided, is_valid_email)
    return ok


def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    arr = to_arrow(values)
    return passing(~present(arr) | valid(arr), values.index)


TYPO_DOMAINS = {
    "gmial.com": "gmail.com",
    "gmal.com": "gmail.com",
    "gamil.com": "gmail.com",
    "gmai.com": "gmail.com",
    "gmaill.com": "gmail.com",
    "gnail.com": "gmail.com",
    "gmailcom": "gmail.com",
    "hotmial.com": "hotmail.com",
    "hotmal.com": "hotmail.com",
    "hotmailcom": "hotmail.com",
    "yaho.com": "yahoo.com",
    "yahooo.com": "yahoo.com",
    "yahoocom": "yahoo.com",
    "outlok.com": "outlook.com",
    "outlookcom": "outlook.com",
    "wppl": "wp.pl",
    "onetpl": "onet.pl",
    "o2pl": "o2.pl",
    "interiapl": "interia.pl",
    "gazetapl": "gazeta.pl",
}
_AT_WORD = re.compile(r"\s*[(\[]at[)\]]\s*")


def repair(value: str) -> str | None:
    """The address with the obvious repairs made, valid or not (None: no address to make of it)."""
    text = _AT_WORD.sub("@", value.strip().lower())
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"@+", "@", text).replace(",", ".")
    text = re.sub(r"\.{2,}", ".", text).strip(".").replace(".@", "@").replace("@.", "@")
    local, at, domain = text.partition("@")
    if not at or "@" in domain:
        return None
    return f"{local}@{TYPO_DOMAINS.get(domain, domain)}"


def suggest(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    # the repaired addresses judged as the check judges (the library only where its patterns cannot tell): asking
    # the library about each was seconds for the 40,000 repairs of a million contacts
    repaired = suggest_each(values, repair)
    return repaired.where(pd.Series(valid(to_arrow(repaired)), index=repaired.index), pd.NA)


def lower_case(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    """An address's standard spelling: lower case (the domain is case-blind, and so is every mailbox
    provider in practice)."""
    return values.map(str.lower, na_action="ignore")


def gx(params: Mapping[str, Any], entity: str, name: str, as_of: pd.Timestamp | None) -> GxMapping:
    return GxMapping(
        APPROXIMATE,
        "a syntax regex; the auditor validates with email-validator (quoted local parts, "
        "internationalized domains, length limits)",
        (expect("ExpectColumnValuesToMatchRegex", column=name, regex=r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$"),),
    )


KIND = RuleKind(
    name="email",
    gx=gx,
    fix_safety=FixSafety.CASE_ONLY,
    standard=Standard("e-mail lower case", lower_case),
    summary="The value is a syntactically valid e-mail address (email-validator rules, no DNS lookups).",
    dimension=Dimension.VALIDITY,
    check=check,
    message="{field} is not a valid e-mail address: {value}",
    suggest=suggest,
    examples=(
        Example(
            params={},
            passes=("jan.kowalski@firma.pl", "Anna.Nowak@Gmail.com", " piotr@wp.pl ", "o'brien+crm@acme.co.uk", None),
            fails=(
                "jan.kowalski@@gmail.com",
                "jan kowalski@wp.pl",
                "anna.nowak.gmail.com",
                "jan@gmail",
                "x@host.local",
            ),
            entity="contacts",
            field="email",
        ),
    ),
)
