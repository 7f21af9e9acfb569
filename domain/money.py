"""Money: ``Decimal`` amounts rounded to their currency's minor units."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 minor units of the currencies Overdue accepts. A currency missing
# here is rejected at the ledger's edge, so every stored amount has a known
# scale. Three decimals is the most any of them needs (KWD, BHD, OMR, TND).
MINOR_UNITS: dict[str, int] = {
    "AUD": 2, "BHD": 3, "CAD": 2, "CHF": 2, "CNY": 2, "CZK": 2, "DKK": 2,
    "EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2, "INR": 2, "ISK": 0, "JPY": 0,
    "KRW": 0, "KWD": 3, "MXN": 2, "NOK": 2, "NZD": 2, "OMR": 3, "PLN": 2,
    "SEK": 2, "SGD": 2, "TND": 3, "USD": 2, "ZAR": 2,
}  # fmt: skip

MAX_MINOR_UNITS = 3

# Digits before the decimal point that the database columns (NUMERIC(18, 3))
# can store.
MAX_INTEGER_DIGITS = 15
MAX_AMOUNT = Decimal(10) ** MAX_INTEGER_DIGITS
"""Amounts must be smaller than this: 10^15 in any currency."""

_PLAIN_DECIMAL = re.compile(r"-?\d+(\.\d+)?")


def check_magnitude(amount: Decimal) -> None:
    """Raise ``MoneyError`` unless ``abs(amount)`` fits the money columns."""
    if abs(amount) >= MAX_AMOUNT:
        raise MoneyError(
            f"amount {amount} is too large: it must be below {MAX_AMOUNT:,}"
        )


class MoneyError(ValueError):
    """An amount or currency that cannot be used as money."""


def check_currency(code: str) -> str:
    """Return the upper-case ISO 4217 code, or raise ``MoneyError``."""
    normalized = code.strip().upper()
    if normalized not in MINOR_UNITS:
        raise MoneyError(
            f"unknown currency {code!r}: expected an ISO 4217 code such as USD, "
            "EUR or NOK"
        )
    return normalized


def quantum(currency: str) -> Decimal:
    """Return the smallest amount of ``currency``, e.g. ``Decimal('0.01')``."""
    return Decimal(1).scaleb(-MINOR_UNITS[check_currency(currency)])


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round half up to the currency's minor units (commercial rounding)."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def parse_amount(text: str, currency: str) -> Decimal:
    """Parse a plain decimal amount such as ``94``, ``-12.5`` or ``1234.56``.

    The text must not carry more decimals than the currency has: a ledger
    that sends ``10.005`` USD has a bug that rounding would hide.
    """
    cleaned = text.strip()
    if not cleaned:
        raise MoneyError("amount is missing")
    if not _PLAIN_DECIMAL.fullmatch(cleaned):
        raise MoneyError(f"invalid amount {text!r}: expected a number such as 1234.56")
    if len(cleaned.lstrip("-").split(".")[0]) > MAX_INTEGER_DIGITS:
        raise MoneyError(
            f"invalid amount {text!r}: more than {MAX_INTEGER_DIGITS} digits before "
            "the decimal point"
        )
    value = Decimal(cleaned)
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > MINOR_UNITS[check_currency(currency)]:
        raise MoneyError(
            f"invalid amount {text!r}: {currency} has "
            f"{MINOR_UNITS[check_currency(currency)]} decimals"
        )
    return round_money(value, currency)
