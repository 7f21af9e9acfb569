"""Locale selection and Babel formatting of amounts and dates on documents.

Documents have labels in English or Norwegian Bokmål. Numbers, amounts and
dates follow the customer's own locale whenever Babel (CLDR) has it, so a
German customer gets English labels with German number and date formats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

DEFAULT_LANGUAGE = "en"

# Language subtags printed with Bokmål labels. Nynorsk ("nn") and the macro
# language "no" are formatted with the Bokmål locale too, so that month names
# and labels come from the same written standard.
NORWEGIAN_LANGUAGES = frozenset({"nb", "no", "nn"})


@dataclass(frozen=True)
class DocumentLocale:
    """Language of a document's labels and the Babel locale of its values."""

    labels_language: str
    """Key of the label tables: ``"en"`` or ``"nb"``."""
    locale: Locale
    """Locale used by Babel for amounts, numbers and dates."""


def resolve_document_locale(language: str | None) -> DocumentLocale:
    """Choose label language and Babel locale for a customer's ``language``.

    ``language`` is a tag such as ``en``, ``nb``, ``de-CH`` or ``en_GB``.
    Norwegian tags (``nb``, ``no``, ``nn``, with or without a region) get
    Bokmål labels and the ``nb`` locale. Any other tag gets English labels and
    its own locale, or ``en`` when the tag is empty or unknown to Babel.
    """
    tag = (language or "").strip().replace("-", "_")
    primary = tag.split("_", 1)[0].lower()
    if primary in NORWEGIAN_LANGUAGES:
        return DocumentLocale(labels_language="nb", locale=Locale.parse("nb"))
    if not tag:
        return DocumentLocale(DEFAULT_LANGUAGE, Locale.parse(DEFAULT_LANGUAGE))
    try:
        locale = Locale.parse(tag)
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse(DEFAULT_LANGUAGE)
    return DocumentLocale(labels_language=DEFAULT_LANGUAGE, locale=locale)


def format_money(amount: Decimal, currency: str, locale: Locale) -> str:
    """Format ``amount`` with the currency's symbol and its own decimals.

    Babel takes the number of decimals from CLDR (USD 2, JPY 0, KWD 3), so
    ``Decimal("1234.5")`` in USD for ``en`` prints as ``$1,234.50``. An amount
    with more decimals than the currency has is rounded half to even (the
    default of Babel 2.19).
    """
    return format_currency(amount, currency, locale=locale)


def format_long_date(value: date, locale: Locale) -> str:
    """Format a date in words, such as ``March 8, 2024`` or ``8. mars 2024``."""
    return format_date(value, format="long", locale=locale)


def format_medium_date(value: date, locale: Locale) -> str:
    """Format a date compactly for table cells, such as ``Mar 8, 2024``."""
    return format_date(value, format="medium", locale=locale)


def format_integer(value: int, locale: Locale) -> str:
    """Format a whole number with the locale's digit grouping."""
    return format_decimal(value, locale=locale)
