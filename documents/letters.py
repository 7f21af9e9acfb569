"""Collection letter documents: view model, HTML (Jinja2) and PDF (WeasyPrint).

``build_letter_context`` turns a posted letter into a dict of ready-formatted
strings in the customer's language, ``render_letter_html`` fills the
template with it, and ``html_to_pdf`` lays the HTML out on A4 pages.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import weasyprint
from babel import Locale
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from weasyprint.urls import URLFetcher

from documents.formatting import (
    format_integer,
    format_long_date,
    format_medium_date,
    format_money,
    resolve_document_locale,
)
from domain.case import TransactionKind
from domain.codes import CollectionLetterCode
from models.cases import CollectionLetter, CollectionLetterLine
from models.ledger import Customer
from settings import CompanySettings

logger = logging.getLogger(__name__)

TEMPLATES_DIR_VARIABLE = "OVERDUE_TEMPLATES_DIR"
LETTER_TEMPLATE = "letters/collection_letter.html"

PAYMENT_TERM_DAYS = 14
"""Calendar days from the letter date to the pay-by date printed on the letter."""

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "organisation_number": "Org. no.",
        "email": "Email",
        "letter_date": "Date",
        "letter_number": "Letter number",
        "customer_account": "Customer account",
        "items_heading": "Overdue items",
        "column_document": "Document",
        "column_kind": "Type",
        "column_due_date": "Due date",
        "column_amount": "Amount",
        "column_open_amount": "Open amount",
        "column_days_overdue": "Days overdue",
        "column_code": "Code",
        "column_note": "Note",
        "note_reminded_before": "Reminded before",
        "note_credit": "Deducted",
        "overdue_amount": "Overdue amount",
        "credit_amount": "Less credits",
        "fee": "Fee",
        "total_due": "Total due",
        "payment_heading": "Payment",
        "payment_instruction": (
            "Please pay {amount} by {pay_by_date} to the account below, stating "
            "payment reference {reference}."
        ),
        "payment_amount": "Amount",
        "pay_by_date": "Pay by",
        "bank_account": "Bank account",
        "iban": "IBAN",
        "payment_reference": "Payment reference",
        "postings_considered": (
            "Payments received up to {letter_date} are taken into account."
        ),
    },
    "nb": {
        "organisation_number": "Org.nr.",
        "email": "E-post",
        "letter_date": "Dato",
        "letter_number": "Brevnummer",
        "customer_account": "Kundenummer",
        "items_heading": "Forfalte poster",
        "column_document": "Dokument",
        "column_kind": "Type",
        "column_due_date": "Forfallsdato",
        "column_amount": "Beløp",
        "column_open_amount": "Utestående",
        "column_days_overdue": "Dager forfalt",
        "column_code": "Kode",
        "column_note": "Merknad",
        "note_reminded_before": "Purret tidligere",
        "note_credit": "Trekkes fra",
        "overdue_amount": "Forfalt beløp",
        "credit_amount": "Fratrukket kreditt",
        "fee": "Gebyr",
        "total_due": "Å betale",
        "payment_heading": "Betaling",
        "payment_instruction": (
            "Vennligst betal {amount} innen {pay_by_date} til kontoen nedenfor, "
            "og oppgi betalingsreferanse {reference}."
        ),
        "payment_amount": "Beløp",
        "pay_by_date": "Betalingsfrist",
        "bank_account": "Kontonummer",
        "iban": "IBAN",
        "payment_reference": "Betalingsreferanse",
        "postings_considered": (
            "Innbetalinger mottatt til og med {letter_date} er tatt hensyn til."
        ),
    },
}

KIND_LABELS: dict[str, dict[TransactionKind, str]] = {
    "en": {
        TransactionKind.INVOICE: "Invoice",
        TransactionKind.FEE: "Fee",
        TransactionKind.CREDIT_NOTE: "Credit note",
        TransactionKind.PAYMENT: "Payment",
    },
    "nb": {
        TransactionKind.INVOICE: "Faktura",
        TransactionKind.FEE: "Gebyr",
        TransactionKind.CREDIT_NOTE: "Kreditnota",
        TransactionKind.PAYMENT: "Innbetaling",
    },
}


def code_title(code: CollectionLetterCode, labels_language: str) -> str:
    """Return the printed name of a letter code, such as ``Purring 2``."""
    if labels_language != "nb":
        return code.label
    if code is CollectionLetterCode.COLLECTION:
        return "Inkasso"
    return f"Purring {code.rank + 1}"


def templates_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """Return the template folder: ``$OVERDUE_TEMPLATES_DIR`` or ``templates/``."""
    configured = environ.get(TEMPLATES_DIR_VARIABLE)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent.parent / "templates"


def make_environment(folder: Path) -> Environment:
    """Create the Jinja2 environment for document templates under ``folder``.

    Autoescaping is on for every template, because customer names and
    addresses are untrusted text. ``StrictUndefined`` makes a missing context
    key raise instead of printing an empty string on a legal document.
    """
    return Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


# Read once at import, so the variable must be set before this module loads.
TEMPLATES = make_environment(templates_dir())


def _text_lines(text: str) -> list[str]:
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line]


def _paragraphs(text: str) -> list[str]:
    """Split free text into paragraphs at blank lines.

    Single line breaks inside a paragraph are kept, and the stylesheet prints
    them with ``white-space: pre-line``.
    """
    paragraphs: list[str] = []
    current: list[str] = []
    for line in text.strip().splitlines():
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return paragraphs


def _check_totals(letter: CollectionLetter, lines: list[CollectionLetterLine]) -> None:
    """Log a warning when the stored totals do not match the printed lines."""
    debits = sum((line.open_amount for line in lines if line.kind.is_debit), Decimal(0))
    credits = -sum(
        (line.open_amount for line in lines if not line.kind.is_debit), Decimal(0)
    )
    expected_total = letter.overdue_amount - letter.credit_amount + letter.fee
    if (
        debits != letter.overdue_amount
        or credits != letter.credit_amount
        or expected_total != letter.total_due
    ):
        logger.warning(
            "collection letter %s: totals do not add up: lines have debits %s and "
            "credits %s, letter has overdue %s, credits %s, fee %s, total due %s",
            letter.number,
            debits,
            credits,
            letter.overdue_amount,
            letter.credit_amount,
            letter.fee,
            letter.total_due,
        )


def build_letter_context(
    letter: CollectionLetter,
    lines: list[CollectionLetterLine],
    customer: Customer,
    company: CompanySettings,
) -> dict[str, Any]:
    """Build the template's view model: every value formatted as a string.

    Amounts use ``letter.currency``. Labels, amounts and dates follow
    ``customer.language`` (see ``resolve_document_locale``). Lines print in
    the order given. The template only loops and prints, so the returned
    dict contains no model objects.

    Raises:
        ValueError: the letter has no number, which is its payment
            reference, or a line belongs to another letter.
    """
    if not letter.number:
        raise ValueError(
            f"collection letter {letter.id} for customer {letter.customer_account} "
            "has no number: assign the letter number before rendering"
        )
    for line in lines:
        if letter.id is not None and line.letter_id != letter.id:
            raise ValueError(
                f"line {line.document_number} belongs to letter {line.letter_id}, "
                f"not to letter {letter.id}: pass only the lines of the letter "
                "being rendered"
            )
    _check_totals(letter, lines)

    document_locale = resolve_document_locale(customer.language)
    language = document_locale.labels_language
    locale = document_locale.locale
    labels = LABELS[language]

    def money(amount: Decimal) -> str:
        return format_money(amount, letter.currency, locale)

    letter_date = format_long_date(letter.letter_date, locale)
    pay_by_date = format_long_date(
        letter.letter_date + timedelta(days=PAYMENT_TERM_DAYS), locale
    )
    title = code_title(letter.code, language)
    total_due = money(letter.total_due)

    return {
        "language": language,
        "labels": labels,
        "document_title": f"{title} {letter.number}",
        "company": {
            "name": company.name,
            "address_lines": _text_lines(company.address),
            "organisation_number": company.organisation_number,
            "email": company.email,
        },
        "customer": {
            "name": customer.name,
            "account": customer.account,
            "address_lines": _text_lines(customer.address),
        },
        "letter": {
            "number": letter.number,
            "date": letter_date,
            "title": title,
            "text_paragraphs": _paragraphs(letter.code_text),
        },
        "lines": [_line_context(line, language, money, locale) for line in lines],
        "totals": _totals_context(letter, labels, money),
        "payment": {
            "instruction": labels["payment_instruction"].format(
                amount=total_due, pay_by_date=pay_by_date, reference=letter.number
            ),
            "details": _payment_details(
                labels, total_due, pay_by_date, company, letter.number
            ),
        },
        "postings_considered": labels["postings_considered"].format(
            letter_date=letter_date
        ),
    }


def _line_context(
    line: CollectionLetterLine,
    language: str,
    money: Callable[[Decimal], str],
    locale: Locale,
) -> dict[str, str]:
    labels = LABELS[language]
    if not line.kind.is_debit:
        row_class = "credit"
        note = labels["note_credit"]
    elif line.advances:
        row_class = "advances"
        note = ""
    elif line.code is not None:
        row_class = "reminded"
        note = labels["note_reminded_before"]
    else:
        row_class = "overdue"
        note = ""
    return {
        "row_class": row_class,
        "document_number": line.document_number,
        "kind": KIND_LABELS[language][line.kind],
        "due_date": format_medium_date(line.due_date, locale),
        "amount": money(line.amount),
        "open_amount": money(line.open_amount),
        # Days overdue only mean something for debts. A credit's due date is
        # its document date.
        "days_overdue": format_integer(line.days_overdue, locale)
        if line.kind.is_debit
        else "",
        "code": code_title(line.code, language) if line.code is not None else "",
        "note": note,
    }


def _total_row(label: str, amount: str, row_class: str) -> dict[str, str]:
    return {"label": label, "amount": amount, "row_class": row_class}


def _totals_context(
    letter: CollectionLetter,
    labels: dict[str, str],
    money: Callable[[Decimal], str],
) -> list[dict[str, str]]:
    """List the total rows. Credits and fee appear only when they are non-zero."""
    overdue = money(letter.overdue_amount)
    totals = [_total_row(labels["overdue_amount"], overdue, "subtotal")]
    if letter.credit_amount:
        deduction = money(-letter.credit_amount)
        totals.append(_total_row(labels["credit_amount"], deduction, "deduction"))
    if letter.fee:
        totals.append(_total_row(labels["fee"], money(letter.fee), "fee"))
    total_due = money(letter.total_due)
    totals.append(_total_row(labels["total_due"], total_due, "total"))
    return totals


def _payment_details(
    labels: dict[str, str],
    total_due: str,
    pay_by_date: str,
    company: CompanySettings,
    reference: str,
) -> list[dict[str, str]]:
    """List label and value pairs of the payment block, without empty accounts."""
    details = [
        {"label": labels["payment_amount"], "value": total_due},
        {"label": labels["pay_by_date"], "value": pay_by_date},
    ]
    if company.bank_account:
        details.append({"label": labels["bank_account"], "value": company.bank_account})
    if company.iban:
        details.append({"label": labels["iban"], "value": company.iban})
    details.append({"label": labels["payment_reference"], "value": reference})
    return details


def render_letter_html(context: dict[str, Any]) -> str:
    """Render the collection letter template with a ``build_letter_context`` dict.

    Raises:
        jinja2.UndefinedError: the context lacks a key the template prints.
    """
    return TEMPLATES.get_template(LETTER_TEMPLATE).render(context)


def html_to_pdf(html: str, created: datetime | None = None) -> bytes:
    """Lay out a self-contained HTML document as PDF with WeasyPrint.

    The function is module level so that a ``ProcessPoolExecutor`` can pickle
    it, because WeasyPrint holds the GIL for the whole layout. Only ``data:``
    URLs are fetched, because letters carry their stylesheet inline and
    untrusted text must never make the renderer read files or reach the
    network.

    ``created`` becomes the PDF's creation date and the timestamp in the
    embedded fonts (through ``SOURCE_DATE_EPOCH``), so two renders of the
    same letter give the same bytes. Without it, WeasyPrint 70 without the
    HarfBuzz subset library writes the current time into each font.
    """
    fetcher = URLFetcher(allowed_protocols={"data"})
    if created is None:
        return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(created.timestamp()))
    try:
        return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def render_letter_pdf(
    letter: CollectionLetter,
    lines: list[CollectionLetterLine],
    customer: Customer,
    company: CompanySettings,
) -> bytes:
    """Render a collection letter to PDF in the calling thread."""
    context = build_letter_context(letter, lines, customer, company)
    return html_to_pdf(render_letter_html(context))
