"""Collection letter documents: context, HTML and the text of real PDFs.

The PDFs are rendered by WeasyPrint and read back with pypdf. pypdf may turn
no-break spaces into spaces and table cells into separate lines, so PDF text
is compared after ``normalize_space``.
"""

from __future__ import annotations

import io
import itertools
import logging
import pickle
import re
import zlib
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pypdf
import pytest
import weasyprint
from jinja2 import UndefinedError

from documents.formatting import format_money, resolve_document_locale
from documents.letters import (
    build_letter_context,
    html_to_pdf,
    render_letter_html,
    render_letter_pdf,
    templates_dir,
)
from domain.case import TransactionKind
from domain.codes import CollectionLetterCode
from models.cases import CollectionLetter, CollectionLetterLine
from models.ledger import Customer
from settings import CompanySettings

LETTER_ID = 7
LETTER_DATE = date(2024, 3, 8)
COMPANY = CompanySettings()
TRANSACTION_IDS = itertools.count(1)


def normalize_space(text: str) -> str:
    """Collapse every run of whitespace, no-break spaces included, to one space."""
    return re.sub(r"\s+", " ", text).strip()


def pdf_pages(pdf: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [normalize_space(page.extract_text()) for page in reader.pages]


def pdf_text(pdf: bytes) -> str:
    return " ".join(pdf_pages(pdf))


def make_line(
    kind: TransactionKind,
    document_number: str,
    due_date: date,
    amount: str,
    open_amount: str,
    code: CollectionLetterCode | None = None,
    advances: bool = False,
) -> CollectionLetterLine:
    return CollectionLetterLine(
        letter_id=LETTER_ID,
        transaction_id=next(TRANSACTION_IDS),
        kind=kind,
        document_number=document_number,
        due_date=due_date,
        amount=Decimal(amount),
        open_amount=Decimal(open_amount),
        days_overdue=max(0, (LETTER_DATE - due_date).days),
        code=code,
        advances=advances,
    )


def make_letter(
    lines: list[CollectionLetterLine],
    currency: str = "USD",
    language: str = "en",
    fee: str = "25",
    code: CollectionLetterCode = CollectionLetterCode.LETTER3,
) -> CollectionLetter:
    """Build a letter whose totals add up the way the case planner adds them."""
    overdue = sum(
        (line.open_amount for line in lines if line.kind.is_debit), Decimal(0)
    )
    credits = -sum(
        (line.open_amount for line in lines if not line.kind.is_debit), Decimal(0)
    )
    return CollectionLetter(
        id=LETTER_ID,
        number="CL-000042",
        customer_account="C-1001",
        case_id=1,
        letter_date=LETTER_DATE,
        code=code,
        code_text="Final notice. The invoices below remain unpaid.\n\nContact us "
        "if you disagree with any item.",
        currency=currency,
        language=language,
        overdue_amount=overdue,
        credit_amount=credits,
        fee=Decimal(fee),
        total_due=overdue - credits + Decimal(fee),
    )


def make_customer(
    language: str = "en",
    currency: str = "USD",
    name: str = "Acme Trading Ltd",
    address: str = "12 Harbour Road\nSpringfield 12345\nUSA",
) -> Customer:
    return Customer(
        account="C-1001",
        name=name,
        language=language,
        currency=currency,
        address=address,
    )


def usd_lines() -> list[CollectionLetterLine]:
    return [
        make_line(
            TransactionKind.INVOICE, "INV-1001", date(2024, 1, 15), "1234.56",
            "1234.56", CollectionLetterCode.LETTER3, advances=True,
        ),
        make_line(
            TransactionKind.INVOICE, "INV-1002", date(2024, 2, 15), "500.00",
            "250.00", CollectionLetterCode.LETTER1,
        ),
        make_line(TransactionKind.FEE, "FEE-0007", date(2024, 2, 10), "25", "25"),
        make_line(
            TransactionKind.CREDIT_NOTE, "CN-7", date(2024, 2, 20), "-50", "-50"
        ),
    ]  # fmt: skip


def nok_lines() -> list[CollectionLetterLine]:
    return [
        make_line(
            TransactionKind.INVOICE, "F-2024-118", date(2024, 1, 31), "12500.00",
            "12345.60", CollectionLetterCode.LETTER2, advances=True,
        ),
        make_line(
            TransactionKind.PAYMENT, "BET-55", date(2024, 2, 28), "-1000.00",
            "-1000.00",
        ),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def english_text() -> str:
    lines = usd_lines()
    pdf = render_letter_pdf(make_letter(lines), lines, make_customer(), COMPANY)
    return pdf_text(pdf)


@pytest.fixture(scope="module")
def norwegian_text() -> str:
    lines = nok_lines()
    letter = make_letter(
        lines, currency="NOK", language="nb", fee="70",
        code=CollectionLetterCode.LETTER2,
    )  # fmt: skip
    customer = make_customer(
        language="nb", currency="NOK", name="Fjord Handel AS",
        address="Kaigata 5\n5016 Bergen",
    )  # fmt: skip
    return pdf_text(render_letter_pdf(letter, lines, customer, COMPANY))


# English letter in USD


def test_pdf_letter_number(english_text: str) -> None:
    assert "Letter number CL-000042" in english_text


def test_pdf_letter_date(english_text: str) -> None:
    assert "Date March 8, 2024" in english_text


def test_pdf_title(english_text: str) -> None:
    assert "Collection letter 3" in english_text


def test_pdf_code_text(english_text: str) -> None:
    assert "Final notice. The invoices below remain unpaid." in english_text
    assert "Contact us if you disagree with any item." in english_text


def test_pdf_letterhead(english_text: str) -> None:
    assert english_text.startswith("Overdue Demo AS Storgata 1 0155 Oslo Norway")
    assert "Org. no. 999 999 999" in english_text
    assert "Email collections@overdue.example" in english_text


def test_pdf_customer_block(english_text: str) -> None:
    assert "Acme Trading Ltd 12 Harbour Road Springfield 12345 USA" in english_text
    assert "Customer account C-1001" in english_text


def test_pdf_table_header(english_text: str) -> None:
    expected = "Document Type Due date Amount Open amount Days overdue Code Note"
    assert expected in english_text


def test_pdf_advancing_invoice_row(english_text: str) -> None:
    expected = (
        "INV-1001 Invoice Jan 15, 2024 $1,234.56 $1,234.56 53 Collection letter 3"
    )
    assert expected in english_text


def test_pdf_reminded_invoice_row(english_text: str) -> None:
    expected = (
        "INV-1002 Invoice Feb 15, 2024 $500.00 $250.00 22 Collection letter 1 "
        "Reminded before"
    )
    assert expected in english_text


def test_pdf_fee_row(english_text: str) -> None:
    assert "FEE-0007 Fee Feb 10, 2024 $25.00 $25.00 27" in english_text


def test_pdf_credit_note_row(english_text: str) -> None:
    assert "CN-7 Credit note Feb 20, 2024 -$50.00 -$50.00 Deducted" in english_text


def test_pdf_totals(english_text: str) -> None:
    assert "Overdue amount $1,509.56" in english_text
    assert "Less credits -$50.00" in english_text
    assert "Fee $25.00 Total due $1,484.56" in english_text


def test_pdf_payment_instruction(english_text: str) -> None:
    expected = (
        "Please pay $1,484.56 by March 22, 2024 to the account below, stating "
        "payment reference CL-000042."
    )
    assert expected in english_text


def test_pdf_payment_details(english_text: str) -> None:
    assert "Amount $1,484.56" in english_text
    assert "Pay by March 22, 2024" in english_text
    assert "Bank account 1503.12.34567" in english_text
    assert "IBAN NO93 8601 1117 947" in english_text
    assert "Payment reference CL-000042" in english_text


def test_pdf_postings_considered(english_text: str) -> None:
    expected = "Payments received up to March 8, 2024 are taken into account."
    assert expected in english_text


def test_pdf_footer_letter_number(english_text: str) -> None:
    assert english_text.endswith("CL-000042 1 / 1")


# Norwegian letter in NOK


def test_norwegian_title(norwegian_text: str) -> None:
    assert "Purring 2" in norwegian_text
    assert "Collection letter" not in norwegian_text


def test_norwegian_letter_facts(norwegian_text: str) -> None:
    assert "Dato 8. mars 2024" in norwegian_text
    assert "Brevnummer CL-000042" in norwegian_text
    assert "Kundenummer C-1001" in norwegian_text


def test_norwegian_rows(norwegian_text: str) -> None:
    invoice = "F-2024-118 Faktura 31. jan. 2024 12 500,00 kr 12 345,60 kr 37 Purring 2"
    assert invoice in norwegian_text
    payment = "BET-55 Innbetaling 28. feb. 2024 -1 000,00 kr -1 000,00 kr Trekkes fra"
    assert payment in norwegian_text


def test_norwegian_totals(norwegian_text: str) -> None:
    assert "Forfalt beløp 12 345,60 kr" in norwegian_text
    assert "Fratrukket kreditt -1 000,00 kr" in norwegian_text
    assert "Gebyr 70,00 kr" in norwegian_text
    assert "Å betale 11 415,60 kr" in norwegian_text


def test_norwegian_payment(norwegian_text: str) -> None:
    assert "Betalingsfrist 22. mars 2024" in norwegian_text
    assert "Betalingsreferanse CL-000042" in norwegian_text
    expected = "Innbetalinger mottatt til og med 8. mars 2024 er tatt hensyn til."
    assert expected in norwegian_text


def test_norwegian_amount_characters() -> None:
    lines = nok_lines()
    letter = make_letter(lines, currency="NOK", language="nb")
    context = build_letter_context(letter, lines, make_customer("nb", "NOK"), COMPANY)
    # Babel (CLDR) groups digits and separates the symbol with U+00A0.
    assert context["lines"][0]["open_amount"] == "12\u00a0345,60\u00a0kr"


@pytest.mark.parametrize("language", ["nb", "no", "nn", "nb-NO", "NO"])
def test_norwegian_language_tags(language: str) -> None:
    lines = nok_lines()
    letter = make_letter(lines, currency="NOK", code=CollectionLetterCode.LETTER2)
    context = build_letter_context(
        letter, lines, make_customer(language, "NOK"), COMPANY
    )
    assert context["language"] == "nb"
    assert context["letter"]["title"] == "Purring 2"
    assert context["letter"]["date"] == "8. mars 2024"


# Other currencies and locales


def test_jpy_letter_has_no_decimals() -> None:
    lines = [
        make_line(
            TransactionKind.INVOICE, "JP-301", date(2024, 2, 1), "12345", "12345",
            CollectionLetterCode.LETTER1, advances=True,
        ),
    ]  # fmt: skip
    letter = make_letter(
        lines, currency="JPY", fee="1000", code=CollectionLetterCode.LETTER1
    )
    pdf = render_letter_pdf(letter, lines, make_customer(currency="JPY"), COMPANY)
    text = pdf_text(pdf)
    assert "JP-301 Invoice Feb 1, 2024 ¥12,345 ¥12,345 36 Collection letter 1" in text
    assert "Fee ¥1,000" in text
    assert "Total due ¥13,345" in text
    assert "Less credits" not in text


@pytest.mark.parametrize(
    ("language", "currency", "amount", "expected"),
    [
        ("en", "USD", "1234.56", "$1,234.56"),
        ("en", "USD", "1234.5", "$1,234.50"),
        ("en", "USD", "-50", "-$50.00"),
        ("en", "JPY", "12345", "¥12,345"),
        ("en", "KWD", "1.234", "KWD1.234"),
        ("nb", "NOK", "1234.56", "1\u00a0234,56\u00a0kr"),
        ("de", "EUR", "1234.5", "1.234,50\u00a0€"),
    ],
)
def test_format_money(language: str, currency: str, amount: str, expected: str) -> None:
    locale = resolve_document_locale(language).locale
    assert format_money(Decimal(amount), currency, locale) == expected


def test_german_customer_english_labels() -> None:
    lines = usd_lines()
    letter = make_letter(lines, currency="EUR")
    context = build_letter_context(letter, lines, make_customer("de", "EUR"), COMPANY)
    assert context["language"] == "en"
    assert context["letter"]["title"] == "Collection letter 3"
    assert context["letter"]["date"] == "8. März 2024"
    assert context["lines"][0]["open_amount"] == "1.234,56\u00a0€"


@pytest.mark.parametrize("language", ["", "xx", "not a tag"])
def test_unknown_language_falls_back(language: str) -> None:
    lines = usd_lines()
    context = build_letter_context(
        make_letter(lines), lines, make_customer(language), COMPANY
    )
    assert context["language"] == "en"
    assert context["letter"]["date"] == "March 8, 2024"
    assert context["lines"][0]["open_amount"] == "$1,234.56"


# Totals shown only when they apply


def test_no_credit_row_without_credits() -> None:
    lines = usd_lines()[:3]
    context = build_letter_context(make_letter(lines), lines, make_customer(), COMPANY)
    labels = [total["label"] for total in context["totals"]]
    assert labels == ["Overdue amount", "Fee", "Total due"]


def test_no_fee_row_without_fee() -> None:
    lines = usd_lines()
    letter = make_letter(lines, fee="0")
    context = build_letter_context(letter, lines, make_customer(), COMPANY)
    labels = [total["label"] for total in context["totals"]]
    assert labels == ["Overdue amount", "Less credits", "Total due"]


def test_pdf_credit_deduction() -> None:
    lines = nok_lines()
    letter = make_letter(lines, currency="USD", fee="0")
    text = pdf_text(render_letter_pdf(letter, lines, make_customer(), COMPANY))
    expected = "Overdue amount $12,345.60 Less credits -$1,000.00 Total due $11,345.60"
    assert expected in text
    assert "Fee $" not in text


# Untrusted text


def test_customer_name_escaped_in_html() -> None:
    lines = usd_lines()
    customer = make_customer(name="<b>Acme & Sons</b>")
    html = render_letter_html(
        build_letter_context(make_letter(lines), lines, customer, COMPANY)
    )
    assert "&lt;b&gt;Acme &amp; Sons&lt;/b&gt;" in html
    assert "<b>Acme" not in html


def test_customer_name_literal_in_pdf() -> None:
    lines = usd_lines()
    customer = make_customer(name="<b>Acme & Sons</b>")
    text = pdf_text(render_letter_pdf(make_letter(lines), lines, customer, COMPANY))
    assert "<b>Acme & Sons</b> 12 Harbour Road" in text


def test_address_markup_escaped() -> None:
    lines = usd_lines()
    customer = make_customer(address='<script>alert("x")</script>\n<img src=x>')
    html = render_letter_html(
        build_letter_context(make_letter(lines), lines, customer, COMPANY)
    )
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x&gt;" in html
    assert "<script>" not in html
    assert "<img" not in html


def test_empty_address_prints_nothing() -> None:
    lines = usd_lines()
    customer = make_customer(address="")
    context = build_letter_context(make_letter(lines), lines, customer, COMPANY)
    assert context["customer"]["address_lines"] == []
    html = render_letter_html(context)
    recipient = html.split('<div class="recipient">', 1)[1].split("</div>", 1)[0]
    assert normalize_space(recipient) == '<p class="customer-name">Acme Trading Ltd</p>'


def png_bytes() -> bytes:
    """Return a valid 1x1 grey PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = (1).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    pixels = zlib.compress(b"\x00\x80")
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def test_pdf_fetches_no_files(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    image = tmp_path / "pixel.png"
    image.write_bytes(png_bytes())
    html = f'<html><body><img src="{image.as_uri()}"></body></html>'
    caplog.set_level(logging.WARNING, logger="weasyprint")

    # Control: WeasyPrint's default fetcher reads the file without a warning.
    weasyprint.HTML(string=html).write_pdf()
    assert "Failed to load image" not in caplog.text

    html_to_pdf(html)
    assert "Failed to load image" in caplog.text


# Template and rendering contracts


def test_missing_context_key_raises() -> None:
    with pytest.raises(UndefinedError):
        render_letter_html({"language": "en"})


def test_letter_without_number_rejected() -> None:
    lines = usd_lines()
    letter = make_letter(lines)
    letter.number = None
    with pytest.raises(ValueError, match="has no number"):
        build_letter_context(letter, lines, make_customer(), COMPANY)


def test_line_of_other_letter_rejected() -> None:
    lines = usd_lines()
    lines[1].letter_id = LETTER_ID + 1
    with pytest.raises(ValueError, match="INV-1002 belongs to letter 8"):
        build_letter_context(make_letter(lines), lines, make_customer(), COMPANY)


def test_mismatched_totals_logged(caplog: pytest.LogCaptureFixture) -> None:
    lines = usd_lines()
    letter = make_letter(lines)
    caplog.set_level(logging.WARNING, logger="documents.letters")
    build_letter_context(letter, lines, make_customer(), COMPANY)
    assert "do not add up" not in caplog.text

    letter.total_due += Decimal("1")
    build_letter_context(letter, lines, make_customer(), COMPANY)
    assert "collection letter CL-000042: totals do not add up" in caplog.text


def test_templates_dir_override(tmp_path: Path) -> None:
    assert templates_dir({"OVERDUE_TEMPLATES_DIR": str(tmp_path)}) == tmp_path


def test_templates_dir_default() -> None:
    expected = Path(__file__).resolve().parent.parent / "templates"
    assert templates_dir({}) == expected


def test_long_letter_repeats_header() -> None:
    lines = usd_lines() + [
        make_line(
            TransactionKind.INVOICE, f"INV-2{index:03d}", date(2024, 2, 1), "10", "10"
        )
        for index in range(40)
    ]
    pdf = render_letter_pdf(make_letter(lines), lines, make_customer(), COMPANY)
    pages = pdf_pages(pdf)
    header = "Document Type Due date Amount Open amount Days overdue Code Note"
    assert len(pages) == 2
    assert pages[1].startswith(header)
    assert "INV-2039 Invoice Feb 1, 2024 $10.00 $10.00 36" in pages[1]
    assert "Total due $1,884.56" in pages[1]
    assert pages[1].endswith("CL-000042 2 / 2")


def test_html_to_pdf_in_process_pool() -> None:
    lines = usd_lines()
    html = render_letter_html(
        build_letter_context(make_letter(lines), lines, make_customer(), COMPANY)
    )
    assert pickle.loads(pickle.dumps(html_to_pdf)) is html_to_pdf
    with ProcessPoolExecutor(max_workers=1) as pool:
        pdf = pool.submit(html_to_pdf, html).result(timeout=120)
    assert pdf.startswith(b"%PDF-")
    assert "Total due $1,484.56" in pdf_text(pdf)


def test_same_letter_same_bytes() -> None:
    html = "<html><body><p>Collection letter CL0000001</p></body></html>"
    created = datetime(2024, 3, 8, 5, 0, tzinfo=timezone.utc)

    first = html_to_pdf(html, created)
    second = html_to_pdf(html, created)

    later = html_to_pdf(html, datetime(2024, 3, 9, 5, 0, tzinfo=timezone.utc))

    assert first == second
    assert later != first
