"""Currency codes, rounding and amount parsing in ``domain.money``."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.money import MoneyError, check_currency, parse_amount, quantum, round_money

ACCEPTED = {
    "whole USD": ("94", "USD", "94.00"),
    "one decimal": ("55.9", "USD", "55.90"),
    "two decimals": ("1234.56", "USD", "1234.56"),
    "negative": ("-12.5", "USD", "-12.50"),
    "surrounding spaces": ("  7.25 ", "EUR", "7.25"),
    "three decimals KWD": ("10.005", "KWD", "10.005"),
    "whole KWD": ("10", "KWD", "10.000"),
    "whole JPY": ("1500", "JPY", "1500"),
    "lower-case currency": ("12.30", "nok", "12.30"),
}


@pytest.mark.parametrize(
    ("text", "currency", "expected"), ACCEPTED.values(), ids=ACCEPTED.keys()
)
def test_parse_amount_accepts(text: str, currency: str, expected: str) -> None:
    amount = parse_amount(text, currency)

    assert amount == Decimal(expected)
    assert str(amount) == expected


REJECTED = {
    "USD three decimals": (
        "10.005",
        "USD",
        "invalid amount '10.005': USD has 2 decimals",
    ),
    "USD trailing zero": (
        "10.000",
        "USD",
        "invalid amount '10.000': USD has 2 decimals",
    ),
    "JPY decimals": ("100.5", "JPY", "invalid amount '100.5': JPY has 0 decimals"),
    "KWD four decimals": (
        "1.0005",
        "KWD",
        "invalid amount '1.0005': KWD has 3 decimals",
    ),
    "letters": (
        "abc",
        "USD",
        "invalid amount 'abc': expected a number such as 1234.56",
    ),
    "comma separator": (
        "1,234.56",
        "USD",
        "invalid amount '1,234.56': expected a number such as 1234.56",
    ),
    "NaN": ("NaN", "USD", "invalid amount 'NaN': expected a number such as 1234.56"),
    "signalling NaN": (
        "sNaN",
        "USD",
        "invalid amount 'sNaN': expected a number such as 1234.56",
    ),
    "Infinity": (
        "Infinity",
        "USD",
        "invalid amount 'Infinity': expected a number such as 1234.56",
    ),
    "negative infinity": (
        "-Inf",
        "USD",
        "invalid amount '-Inf': expected a number such as 1234.56",
    ),
    "empty": ("", "USD", "amount is missing"),
    "blank": ("   ", "USD", "amount is missing"),
}


@pytest.mark.parametrize(
    ("text", "currency", "message"), REJECTED.values(), ids=REJECTED.keys()
)
def test_parse_amount_rejects(text: str, currency: str, message: str) -> None:
    with pytest.raises(MoneyError) as raised:
        parse_amount(text, currency)

    assert str(raised.value) == message


def test_parse_amount_unknown_currency() -> None:
    with pytest.raises(MoneyError) as raised:
        parse_amount("10.00", "XXX")

    assert str(raised.value) == (
        "unknown currency 'XXX': expected an ISO 4217 code such as USD, EUR or NOK"
    )


@pytest.mark.parametrize("text", ["1e30", "12345678901234567890123456789"])
def test_parse_amount_rejects_huge(text: str) -> None:
    with pytest.raises(MoneyError):
        parse_amount(text, "USD")


@pytest.mark.parametrize("text", ["1e2", "1_000"])
def test_parse_amount_rejects_non_plain(text: str) -> None:
    with pytest.raises(MoneyError):
        parse_amount(text, "USD")


@pytest.mark.parametrize(
    ("code", "expected"),
    [("usd", "USD"), (" Nok ", "NOK"), ("KWD", "KWD"), ("jpy\n", "JPY")],
)
def test_check_currency_normalises(code: str, expected: str) -> None:
    assert check_currency(code) == expected


@pytest.mark.parametrize("code", ["XYZ", "", "US", "USDD", "EURO"])
def test_check_currency_rejects_unknown(code: str) -> None:
    with pytest.raises(MoneyError) as raised:
        check_currency(code)

    assert str(raised.value) == (
        f"unknown currency {code!r}: expected an ISO 4217 code such as USD, EUR or NOK"
    )


@pytest.mark.parametrize(
    ("currency", "expected"),
    [("USD", "0.01"), ("jpy", "1"), ("KWD", "0.001"), ("ISK", "1")],
)
def test_quantum_per_currency(currency: str, expected: str) -> None:
    assert str(quantum(currency)) == expected


ROUNDING = {
    "half up": ("2.345", "USD", "2.35"),
    "negative half away from zero": ("-2.345", "USD", "-2.35"),
    "below half": ("2.344", "USD", "2.34"),
    "negative below half": ("-2.344", "USD", "-2.34"),
    "JPY half": ("2.5", "JPY", "3"),
    "JPY negative half": ("-2.5", "JPY", "-3"),
    "JPY below half": ("1234.49", "JPY", "1234"),
    "KWD half": ("1.0005", "KWD", "1.001"),
    "KWD negative half": ("-1.0005", "KWD", "-1.001"),
    "pads to minor units": ("7", "USD", "7.00"),
    "half cent of a cent": ("0.005", "EUR", "0.01"),
}


@pytest.mark.parametrize(
    ("amount", "currency", "expected"), ROUNDING.values(), ids=ROUNDING.keys()
)
def test_round_money_half_up(amount: str, currency: str, expected: str) -> None:
    rounded = round_money(Decimal(amount), currency)

    assert rounded == Decimal(expected)
    assert str(rounded) == expected
