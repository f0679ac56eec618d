"""Safe, deterministic fixes: which findings they settle, and applying them to a copy of the export.

A fix is *safe* when it cannot change what a value means, only how it is spelled:

- `whitespace` findings: trimmed, inner runs collapsed to one space, invisible characters removed;
- `casing` findings: the name-aware title case the rule suggests ("KOWALSKI" -> "Kowalski");
- `allowed`, `currency`, `email` and `country` findings whose suggestion differs from the value
  only in letter case and surrounding whitespace ("smb" -> "SMB", "pln" -> "PLN");
- `postal_code` findings whose suggestion keeps the value's letters and digits in order, only
  re-spaced, re-hyphenated or re-cased ("00950" -> "00-950", "sw1a1aa" -> "SW1A 1AA");
- values that pass their rule but are not in the standard spelling: phone numbers to E.164 (read in
  the row's country, else the config's default_region; only numbers the phone rule accepts), country
  names to ISO 3166 alpha-2 ("Polska" -> "PL"), e-mail addresses to lower case.

Each kind states its level (`RuleKind.fix_safety`); a new kind is made fixable in its own module.
Everything else (fuzzy matches such as "Poladn" -> "PL", repaired phone digits, placeholders, missing
values, out-of-range numbers) needs a person and stays in the worklist.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from auditor.checks.base import FixSafety
from auditor.checks.kinds import registry
from auditor.checks.kinds.whitespace import tidy


def kinds_at(safety: FixSafety) -> list[str]:
    """The rule kinds whose suggestions are safe at `safety` (each kind says so: `RuleKind.fix_safety`)."""
    return [name for name, kind in registry().items() if kind.fix_safety is safety]


def _folded(values: pd.Series) -> pd.Series:
    text = values.astype("object").where(values.notna()).astype("string")
    return text.str.strip().str.casefold()


def safe_mask(kinds: pd.Series, values: pd.Series, suggestions: pd.Series) -> np.ndarray:
    """True where a finding's suggested value is a safe fix (see the module docstring)."""
    has = suggestions.notna().to_numpy(bool)
    always = kinds.isin(kinds_at(FixSafety.ALWAYS)).to_numpy(bool)
    same = (_folded(values) == _folded(suggestions)).fillna(False).to_numpy(bool)
    case_only = kinds.isin(kinds_at(FixSafety.CASE_ONLY)).to_numpy(bool) & same
    characters = _folded(values).str.replace(r"[\W_]", "", regex=True)
    same_characters = (characters == _folded(suggestions).str.replace(r"[\W_]", "", regex=True)).fillna(False)
    respaced = kinds.isin(kinds_at(FixSafety.SAME_CHARACTERS)).to_numpy(bool) & same_characters.to_numpy(bool)
    return has & (always | case_only | respaced)


def cell_fixes(findings: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The one value each cell gets from its safe findings (`kind`, `suggested_value` columns):
    the suggestion of a non-whitespace rule, tidied when the cell also has a whitespace finding,
    else the whitespace suggestion. One row per cell: `keys` + `fixed`."""
    ranked = findings.assign(_ws=findings["kind"].eq("whitespace")).sort_values("_ws", kind="stable")
    grouped = ranked.groupby(keys, sort=False, dropna=False)
    out = grouped["suggested_value"].first().rename("fixed").to_frame()
    has_ws = grouped["_ws"].any().to_numpy(bool) & ~grouped["_ws"].all().to_numpy(bool)
    fixed = out["fixed"].astype("object")
    fixed[has_ws] = fixed[has_ws].map(lambda v: tidy(v) if isinstance(v, str) else v)
    out["fixed"] = fixed
    return out.reset_index()
