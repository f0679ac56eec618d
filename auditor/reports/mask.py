"""Masking of personal data in what CI systems keep (logs, JUnit): emails, phones and person
names become `j***@e***.com`, `***67` and `J***`, enough to find the record, not to read it.

On by default when the CI environment variable is set (every major CI system sets it), so that a
pipeline does not publish customers' data in its logs unless told to (`--no-mask-pii`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Hashable

import pandas as pd

from auditor.model import ENTITIES, Role

MASKED_ROLES = frozenset({Role.EMAIL, Role.PHONE, Role.PERSON_NAME})
EMAIL_PATTERN = re.compile(r"[^\s@'\"<>(),;:]+@[^\s@'\"<>(),;:]+\.[A-Za-z]{2,}")
VALUE_COLUMNS = ("value", "suggested_value")
KEPT_PHONE_DIGITS = 2
_FALSE = {"", "0", "false", "no", "off"}


def masking_enabled(flag: bool | None) -> bool:
    """`--mask-pii/--no-mask-pii` when given, else on when running in CI."""
    if flag is not None:
        return flag
    return os.environ.get("CI", "").strip().lower() not in _FALSE


def mask_email(text: str) -> str:
    local, at, domain = text.strip().rpartition("@")
    if not at:
        return _initial(text)
    host, dot, tld = domain.rpartition(".")
    return f"{_initial(local)}@{_initial(host)}{dot}{tld}" if dot else f"{_initial(local)}@{_initial(domain)}"


def mask_phone(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    return "***" + digits[-KEPT_PHONE_DIGITS:] if len(digits) > KEPT_PHONE_DIGITS else "***"


def mask_name(text: str) -> str:
    return " ".join(_initial(word) for word in text.split()) or _initial(text)


def _initial(text: str) -> str:
    text = text.strip()
    return f"{text[0]}***" if text else "***"


_MASKERS = {Role.EMAIL: mask_email, Role.PHONE: mask_phone, Role.PERSON_NAME: mask_name}


def mask_pii(value: object, kind: Role | str) -> object:
    """`value` masked as a `kind` (an email, phone or person_name role); missing values and other
    kinds pass through unchanged."""
    masker = _MASKERS.get(Role(kind))
    if masker is None or value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[arg-type]
        return value
    return masker(str(value))


def mask_text(text: str) -> str:
    """Emails anywhere in free text (messages), whatever field they came from."""
    return EMAIL_PATTERN.sub(lambda m: mask_email(m.group()), text)


def field_role(entity: str, field: object) -> Role | None:
    model = ENTITIES.get(entity)
    if model is None or not isinstance(field, str) or not model.has_field(field):
        return None
    return model.field(field).role


def mask_findings(
    findings: pd.DataFrame, *, value_columns: tuple[str, ...] = VALUE_COLUMNS, text_column: str = "message"
) -> pd.DataFrame:
    """A copy of `findings` whose values, suggested values and messages on email, phone and
    person-name fields are masked (the message embeds the value), and whose messages have every
    email masked. Any frame with `entity` and `field` columns works the same way: the worklist
    with `value_columns=("current_value", "suggested_value"), text_column="issue"`. Meant for
    the few rows a report shows, not for millions."""
    columns = [c for c in value_columns if c in findings.columns]
    masked = findings.astype(dict.fromkeys([*columns, text_column], "object"))
    roles = [field_role(e, f) for e, f in zip(masked["entity"], masked["field"], strict=True)]
    at = {c: masked.columns.get_loc(c) for c in [*columns, text_column]}
    for row, role in enumerate(roles):
        if role not in MASKED_ROLES:
            continue
        message = str(masked.iat[row, at[text_column]])
        for column in columns:
            value = masked.iat[row, at[column]]
            message = _replace_value(message, value, role)
            masked.iat[row, at[column]] = mask_pii(value, role)
        masked.iat[row, at[text_column]] = message
    masked[text_column] = [mask_text(m) if isinstance(m, str) else m for m in masked[text_column]]
    return masked


def _replace_value(message: str, value: Hashable, role: Role) -> str:
    """The value wherever the message shows it as a whole token (raw, trimmed or escaped); a
    value that is also a word of the message's own text is masked there too, which hides nothing."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[arg-type]
        return message
    raw = str(value)
    for text in sorted({raw, raw.strip(), repr(raw)[1:-1]} - {""}, key=len, reverse=True):
        pattern = re.compile(rf"(?<!\w){re.escape(text)}(?!\w)")
        message = pattern.sub(lambda _, text=text: str(mask_pii(text, role)), message)
    return message
