"""Money in one currency: the `currency:` section of the audit config.

    currency:
      base: EUR               # money metrics are in this currency
      default: EUR            # the currency of an amount whose record names none, or whose table
                              # has no currency column
      rates:                  # units of the base currency for one unit of each other currency
        USD: 0.92
        GBP: 1.17
      rates_date: 2026-10-31  # the day the rates are of (shown beside the money metrics)
      rates_file: rates.csv   # or/and: a CSV with the columns currency, rate and optionally date;
                              # `rates:` wins where both give a currency

No rate lives in code. Without `base`, the base is `default`, else the currency most records of the
money tables are in. An amount in a currency that has no rate to the base is left out of the money
metrics, and each metric it leaves out says how many records and which currencies (a rate file
beside the export fixes it); a record with no currency and no `default` is left out the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from auditor.checks.kinds.currency import codes
from auditor.errors import unknown_keys

KEYS = ("base", "default", "rates", "rates_date", "rates_file")
MONEY = "{currency}"
"""What a money metric's unit says in the registry ("{currency}", "{currency} per customer"):
the base currency of the run takes its place."""


@dataclass(frozen=True)
class Money:
    base: str | None = None
    default: str | None = None
    rates: Mapping[str, float] = field(default_factory=dict)
    """currency -> units of the base currency for one unit of it"""
    rates_date: dt.date | None = None
    rates_source: str | None = None
    """where the rates come from: "config", or the rates file's path"""

    def settled(self, currencies: Iterable[pd.Series]) -> Money:
        """With the base known: as configured, else `default`, else the most common currency of
        `currencies` (the currency columns of the money tables); the base converts at 1."""
        base = self.base or self.default
        if base is None:
            counts: pd.Series = pd.Series(dtype="int64")
            for column in currencies:
                counts = counts.add(_codes(column).value_counts(), fill_value=0)
            if len(counts):
                base = str(counts.sort_index().idxmax())
        if base is None:
            return self
        return replace(self, base=base, rates={**self.rates, base: 1.0})

    def currency_of(self, currency: pd.Series) -> pd.Series:
        """The currency of each amount: the record's own, else the default."""
        codes, named = self._distinct(currency)
        return pd.Series(
            np.array([np.nan if c is None else c for c in named], dtype=object)[codes],
            index=currency.index,
            dtype=object,
        )

    def to_base(
        self, amount: pd.Series, currency: pd.Series, factorized: tuple[np.ndarray, Any] | None = None
    ) -> pd.Series:
        """amount in the base currency; missing where its currency has no rate. `factorized`: `pd.factorize(currency)`
        when the caller keeps it (the metrics' bounds convert the same currencies for every probe of the amounts)."""
        codes, named = self._distinct(currency, factorized)
        rates = np.array([self.rates.get(c, np.nan) if c is not None else np.nan for c in named], dtype="float64")
        return amount.astype("float64") * rates[codes]

    def without_rate(self, currency: pd.Series) -> pd.Series:
        """The currency of each record whose amount cannot be converted ("(none)" for no currency);
        missing where it can."""
        codes, named = self._distinct(currency)
        missing = [np.nan if c in self.rates else ("(none)" if c is None else c) for c in named]
        return pd.Series(np.array(missing, dtype=object)[codes], index=currency.index, dtype=object)

    def _distinct(
        self, currency: pd.Series, factorized: tuple[np.ndarray, Any] | None = None
    ) -> tuple[np.ndarray, list[Any]]:
        """Each record's currency as a code into its distinct currencies: the code as written, else the default
        (None when there is none). The last entry serves code -1 (no currency). Each distinct value is looked at
        once: a million deals hold a handful of currencies."""
        codes, uniques = factorized if factorized is not None else pd.factorize(currency)
        named: list[Any] = [self.default if u == "" or pd.isna(u) else u for u in uniques.tolist()]
        return codes, [*named, self.default]

    def unit(self, unit: str) -> str:
        return unit.replace(MONEY, self.base or "(no currency)")

    def to_dict(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "default": self.default,
            "rates": dict(sorted(self.rates.items())),
            "rates_date": self.rates_date.isoformat() if self.rates_date else None,
            "rates_source": self.rates_source,
        }


def _codes(currency: pd.Series) -> pd.Series:
    """Currency codes as written, blank as missing: " pln" has no rate, as the currency rule says."""
    codes = currency.astype("object")
    return codes.where(codes.notna() & (codes != ""), np.nan)


def parse_money(section: Any, config_path: Path, bad: Callable[[str], None]) -> Money:
    """The `currency:` section, every problem reported through `bad` with its key path."""
    if section is None:
        return Money()
    if not isinstance(section, dict):
        bad("currency: expected a mapping with base, default, rates, rates_date or rates_file")
        return Money()
    unknown_keys(section, "currency", KEYS, bad)
    base, default = (_code(section.get(k), f"currency.{k}", bad) for k in ("base", "default"))
    rates: dict[str, float] = {}
    rates_date = _date(section.get("rates_date"), "currency.rates_date", bad)
    source = None
    if section.get("rates_file") is not None:
        file_rates, file_date = _read_rates(config_path.parent / str(section["rates_file"]), bad)
        rates.update(file_rates)
        rates_date = rates_date or file_date
        source = str(section["rates_file"])
    given = section.get("rates")
    if given is not None:
        if not isinstance(given, dict):
            bad("currency.rates: expected {currency: units of the base currency per unit}, e.g. {USD: 0.92}")
        for code, rate in (given or {}).items() if isinstance(given, dict) else ():
            where = f"currency.rates.{code}"
            if _code(code, where, bad) is None:
                continue
            if isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0:
                bad(f"{where}: expected a positive number of base units per {str(code).upper()}, not {rate!r}")
                continue
            rates[str(code).strip().upper()] = float(rate)
        source = "config" if source is None else f"config and {source}"
    if rates and base is None:
        bad("currency.rates: say which currency they convert to: currency.base")
    return Money(base, default, rates, rates_date, source)


def _code(value: Any, where: str, bad: Callable[[str], None]) -> str | None:
    if value is None:
        return None

    code = str(value).strip().upper()
    if code not in codes():
        bad(f"{where}: {value!r} is not an ISO 4217 currency code (e.g. EUR, USD, PLN)")
        return None
    return code


def _date(value: Any, where: str, bad: Callable[[str], None]) -> dt.date | None:
    if value is None:
        return None
    try:
        return pd.Timestamp(value).date()
    except (ValueError, TypeError):
        bad(f"{where}: {value!r} is not a date (use YYYY-MM-DD)")
        return None


def _read_rates(path: Path, bad: Callable[[str], None]) -> tuple[dict[str, float], dt.date | None]:
    """A rates file: CSV with the columns currency and rate (units of the base per unit), and
    optionally date (the latest date is the rates' date)."""
    where = f"currency.rates_file: {path}"
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        bad(f"{where}: no such file")
        return {}, None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        bad(f"{where}: cannot read it as CSV ({exc})")
        return {}, None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if not {"currency", "rate"} <= set(frame.columns):
        bad(f"{where}: expected the columns currency and rate, found {', '.join(frame.columns) or 'none'}")
        return {}, None
    dates = None
    if "date" in frame.columns:
        # a file with the history of rates: the latest date of each currency wins
        dates = pd.to_datetime(frame["date"], errors="coerce", format="mixed")
        frame = frame.assign(_row=frame.index + 2).iloc[dates.argsort(kind="stable")]
    else:
        frame = frame.assign(_row=frame.index + 2)
    rates: dict[str, float] = {}
    for row, code, rate in zip(frame["_row"], frame["currency"], frame["rate"], strict=True):
        here = f"{where} row {row}"
        number = pd.to_numeric(rate.strip().replace(",", "."), errors="coerce")
        if _code(code, here, bad) is None:
            continue
        if pd.isna(number) or number <= 0:
            bad(f"{here}: rate {rate!r} is not a positive number")
            continue
        rates[code.strip().upper()] = float(number)
    date = dates.max().date() if dates is not None and dates.notna().any() else None
    return rates, date
