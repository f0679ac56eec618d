"""Money metrics in the base currency of the config's `currency:` section: rates from the config or a
rates file, a default currency for amounts without one, and every amount left out said, never silent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from auditor.config import parse_config
from auditor.errors import ConfigError
from auditor.metrics import evaluate_metrics
from auditor.money import Money

AS_OF = "2026-10-31"


def _deals(currencies: list[str | None] | None) -> dict[str, pd.DataFrame]:
    """Four won deals of 100 each, closed in the window; `currencies` None: no currency column."""
    frame = pd.DataFrame(
        {
            "opportunity_id": ["O1", "O2", "O3", "O4"],
            "account_id": ["A1", "A2", "A3", "A4"],
            "stage": "Closed Won",
            "amount": [100.0, 100.0, 100.0, 100.0],
            "close_date": pd.Timestamp("2026-10-01"),
            "created_at": pd.Timestamp("2026-09-01"),
        }
    )
    if currencies is not None:
        frame["currency"] = pd.Series(currencies, dtype="object")
    return {"opportunities": frame}


def _revenue(frames: dict[str, pd.DataFrame], money: Money | None = None):
    [result] = evaluate_metrics(frames, None, as_of=AS_OF, metrics=["revenue"], breakdowns=False, money=money)
    return result


def _money(tmp_path: Path, text: str) -> Money:
    return parse_config(yaml.safe_load(text), tmp_path / "crm-audit.yaml").money


def test_amounts_convert_to_the_base_at_the_configured_rates(tmp_path: Path) -> None:
    money = _money(tmp_path, "currency: {base: EUR, rates: {USD: 0.9, PLN: 0.25}}")
    result = _revenue(_deals(["EUR", "USD", "PLN", "EUR"]), money)
    assert result.value == pytest.approx(100 + 90 + 25 + 100)
    assert result.unit == "EUR"
    assert not any("left out" in r for r in result.reasons)


def test_a_currency_without_a_rate_is_left_out_and_said(tmp_path: Path) -> None:
    money = _money(tmp_path, "currency: {base: EUR, rates: {USD: 0.9}}")
    result = _revenue(_deals(["EUR", "USD", "GBP", "GBP"]), money)
    assert result.value == pytest.approx(190)
    [said] = [r for r in result.reasons if "left out" in r]
    assert said.startswith("2 of 4 opportunities are in a currency without a rate to EUR (GBP 2)")
    assert result.confidence != "HIGH"


def test_without_a_section_the_most_common_currency_is_the_base() -> None:
    result = _revenue(_deals(["USD", "USD", "USD", "PLN"]))
    assert result.unit == "USD" and result.value == pytest.approx(300)
    assert any("PLN 1" in r and "without a rate to USD" in r for r in result.reasons)


def test_a_table_without_a_currency_column_is_in_the_default_currency(tmp_path: Path) -> None:
    absent = _revenue(_deals(None))
    assert absent.value is None
    assert "opportunities.currency" in absent.reasons[0] and "currency.default" in absent.reasons[0]
    money = _money(tmp_path, "currency: {default: CHF}")
    result = _revenue(_deals(None), money)
    assert result.value == pytest.approx(400) and result.unit == "CHF"


def test_a_record_without_a_currency_is_in_the_default_currency(tmp_path: Path) -> None:
    money = _money(tmp_path, "currency: {base: EUR, default: USD, rates: {USD: 0.5}}")
    assert _revenue(_deals(["EUR", None, "", "USD"]), money).value == pytest.approx(100 + 50 + 50 + 50)


def test_rates_file_with_a_history_uses_the_latest_rate(tmp_path: Path) -> None:
    (tmp_path / "rates.csv").write_text(
        "currency,rate,date\nUSD,0.80,2026-01-31\nUSD,0.90,2026-10-31\nGBP,1.15,2026-06-30\n", encoding="utf-8"
    )
    money = _money(tmp_path, "currency: {base: EUR, rates_file: rates.csv, rates: {GBP: 1.2}}")
    assert dict(money.rates) == {"USD": 0.90, "GBP": 1.2}
    assert str(money.rates_date) == "2026-10-31" and money.rates_source == "config and rates.csv"


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("{base: EUR, rates: {USD: -1}}", "currency.rates.USD: expected a positive number of base units per USD"),
        ("{base: EUR, rates: {DOLLAR: 1}}", "currency.rates.DOLLAR: 'DOLLAR' is not an ISO 4217 currency code"),
        ("{rates: {USD: 0.9}}", "currency.rates: say which currency they convert to: currency.base"),
        ("{base: EUR, rates_file: nope.csv}", "currency.rates_file:"),
        ("{base: EUR, rate: {USD: 1}}", "currency.rate: unknown key (did you mean 'rates'?)"),
        ("{base: EUR, rates_date: someday}", "currency.rates_date: 'someday' is not a date"),
        ("EUR", "currency: expected a mapping"),
    ],
)
def test_a_bad_currency_section_is_a_config_error(tmp_path: Path, section: str, message: str) -> None:
    with pytest.raises(ConfigError, match=None) as error:
        _money(tmp_path, f"currency: {section}")
    assert message in str(error.value)


def test_a_rates_file_without_its_columns_names_them(tmp_path: Path) -> None:
    (tmp_path / "rates.csv").write_text("code,value\nUSD,0.9\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        _money(tmp_path, "currency: {base: EUR, rates_file: rates.csv}")
    assert "expected the columns currency and rate, found code, value" in str(error.value)


@given(
    st.lists(st.tuples(st.floats(0, 1e9), st.sampled_from(["EUR", "USD", "GBP", None])), max_size=30),
    st.floats(0.01, 100),
)
def test_conversion_is_the_amount_times_its_rate_and_missing_without_one(rows, usd_rate: float) -> None:
    money = Money(base="EUR", rates={"EUR": 1.0, "USD": usd_rate})
    amounts = pd.Series([a for a, _ in rows], dtype="float64")
    currencies = pd.Series([c for _, c in rows], dtype="object")
    converted = money.to_base(amounts, currencies)
    for (amount, currency), value in zip(rows, converted, strict=True):
        if currency in ("EUR", "USD"):
            assert value == pytest.approx(amount * (1.0 if currency == "EUR" else usd_rate))
        else:
            assert pd.isna(value)


def _reference_codes(currency: pd.Series, default: str | None) -> pd.Series:
    """The record-by-record reading the column-wise code must equal: blank or missing -> the default."""
    codes = currency.astype("object")
    codes = codes.where(codes.notna() & (codes != ""), np.nan)
    return codes.fillna(default) if default else codes


@given(
    st.lists(st.sampled_from(["PLN", "EUR", "usd", "GBP", "", " PLN", None, 3.0]), max_size=40),
    st.sampled_from([None, "PLN", "CHF"]),
    st.booleans(),
)
def test_conversion_per_distinct_currency_equals_the_record_by_record_reading(
    values: list[object], default: str | None, arrow: bool
) -> None:
    texts = [v for v in values if not isinstance(v, float)]
    currency = pd.Series(texts, dtype="str") if arrow else pd.Series(values, dtype=object)
    money = Money(base="PLN", default=default, rates={"PLN": 1.0, "EUR": 4.3, "CHF": 4.6})
    amount = pd.Series(np.arange(len(currency), dtype="float64"))
    expected = _reference_codes(currency, default)
    rate = expected.map({"PLN": 1.0, "EUR": 4.3, "CHF": 4.6}).astype("float64")
    pd.testing.assert_series_equal(money.to_base(amount, currency), amount * rate.to_numpy())
    pd.testing.assert_series_equal(money.currency_of(currency), expected.astype(object))
    unconverted = expected.fillna("(none)").where(~expected.isin(["PLN", "EUR", "CHF"]))
    pd.testing.assert_series_equal(money.without_rate(currency), unconverted.astype(object))
