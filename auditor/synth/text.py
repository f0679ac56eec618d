"""Column-wise text helpers: ASCII folding for emails and domains, slugs, Polish feminine surnames."""

from __future__ import annotations

import pandas as pd

from auditor.text import fold

TEXT = "string[pyarrow]"
"""The dtype of every text column: missing stays missing (pandas 2 and 3 alike) and a million
strings take a few bytes each."""


def fold_series(values: pd.Series) -> pd.Series:
    # names come from short lists, so folding the distinct values and mapping back is cheap at any size
    uniques = pd.unique(values.dropna())
    return values.map({u: fold(u) for u in uniques})


def email_part(values: pd.Series) -> pd.Series:
    """Lower-case ASCII letters and digits only (O'Brien -> obrien, De Luca -> deluca)."""
    return fold_series(values).str.lower().str.replace(r"[^a-z0-9]", "", regex=True)


def slug(values: pd.Series) -> pd.Series:
    """Company name -> domain label (Zakłady Mięsne Łuków -> zaklady-miesne-lukow)."""
    s = fold_series(values).str.lower().str.replace(r"[^a-z0-9]+", "-", regex=True)
    return s.str.strip("-")


def feminine(last_names: pd.Series) -> pd.Series:
    """Polish adjectival surnames agree with gender: Kowalski -> Kowalska, Zawadzki -> Zawadzka."""
    return last_names.str.replace(r"((?:s|c|dz)k)i$", r"\1a", regex=True)
