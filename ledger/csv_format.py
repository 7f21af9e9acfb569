"""Reading ledger files: the canonical CSV format and the sample's own layout.

``parse_ledger`` turns the text of a file into customer and transaction
records and collects every syntax error with its line and column. It checks
only what the file alone can show (record types, columns, dates, amounts).
The importer checks the records against each other and the database.
``docs/ledger-format.md`` describes both layouts for the people who write
such files.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from domain.case import TransactionKind
from models.db import DEFAULT_POSTING_PROFILE

CANONICAL_FORMAT = "canonical"
SAMPLE_FORMAT = "ar-sample"

CUSTOMER_RECORD = "customer"
RECORD_TYPES = (CUSTOMER_RECORD, *(kind.value for kind in TransactionKind))

CANONICAL_COLUMNS = (
    "record_type",
    "customer_account",
    "name",
    "language",
    "currency",
    "address",
    "email",
    "posting_profile",
    "document_number",
    "transaction_date",
    "due_date",
    "amount",
    "settles",
    "collections_status",
)

_CUSTOMER_COLUMNS = frozenset(
    {
        "record_type",
        "customer_account",
        "name",
        "language",
        "currency",
        "address",
        "email",
        "posting_profile",
    }
)
_DEBIT_COLUMNS = frozenset(
    {
        "record_type",
        "customer_account",
        "document_number",
        "transaction_date",
        "due_date",
        "currency",
        "amount",
        "collections_status",
    }
)
_CREDIT_COLUMNS = frozenset(
    {
        "record_type",
        "customer_account",
        "document_number",
        "transaction_date",
        "due_date",
        "currency",
        "amount",
        "settles",
    }
)

_DEBIT_REQUIRED = (
    "customer_account",
    "document_number",
    "transaction_date",
    "due_date",
    "currency",
    "amount",
)
_CREDIT_REQUIRED = (
    "customer_account",
    "document_number",
    "transaction_date",
    "currency",
    "amount",
)
_REQUIRED_COLUMNS = {
    CUSTOMER_RECORD: ("customer_account", "name", "currency"),
    TransactionKind.INVOICE.value: _DEBIT_REQUIRED,
    TransactionKind.FEE.value: _DEBIT_REQUIRED,
    TransactionKind.CREDIT_NOTE.value: _CREDIT_REQUIRED,
    TransactionKind.PAYMENT.value: _CREDIT_REQUIRED,
}

# The sample's header starts with these two columns, and the import reads
# these of its columns. The others (PaperlessDate, Disputed, PaperlessBill,
# DaysToSettle, DaysLate) are ignored.
SAMPLE_HEADER_START = ("countryCode", "customerID")
SAMPLE_COLUMNS = (
    "countryCode",
    "customerID",
    "invoiceNumber",
    "InvoiceDate",
    "DueDate",
    "InvoiceAmount",
    "SettledDate",
)
SAMPLE_CURRENCY = "USD"
SAMPLE_LANGUAGE = "en"
SAMPLE_PAYMENT_PREFIX = "PAY-"

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_AMOUNT = re.compile(r"\d+(\.\d+)?")

# Field names of the records (and of PostingError.field) mapped to the file's
# columns, so that an error found later can name the column to fix. An empty
# column means the value does not come from one column of the file.
_CANONICAL_CUSTOMER_COLUMNS = {"account": "customer_account"} | {
    name: name
    for name in ("name", "language", "currency", "address", "email", "posting_profile")
}
_CANONICAL_TRANSACTION_COLUMNS = {name: name for name in CANONICAL_COLUMNS} | {
    "kind": "record_type"
}
_SAMPLE_CUSTOMER_COLUMNS = {"account": "customerID", "address": "countryCode"}
_SAMPLE_INVOICE_COLUMNS = {
    "kind": "",
    "customer_account": "customerID",
    "document_number": "invoiceNumber",
    "transaction_date": "InvoiceDate",
    "due_date": "DueDate",
    "amount": "InvoiceAmount",
}
_SAMPLE_PAYMENT_COLUMNS = {
    "kind": "",
    "customer_account": "customerID",
    "document_number": "invoiceNumber",
    "transaction_date": "SettledDate",
    "due_date": "SettledDate",
    "amount": "InvoiceAmount",
    "settles": "invoiceNumber",
}


@dataclass(frozen=True)
class RowError:
    """A problem in a ledger file.

    ``line`` is the physical line of the file where the record starts, with
    the header on line 1. ``column`` is empty when the problem concerns the
    whole row or the whole file.
    """

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        if self.column:
            return f"line {self.line}: column {self.column}: {self.reason}"
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class CustomerRecord:
    """A customer as the file states it, not yet validated."""

    line: int
    account: str
    name: str
    language: str
    currency: str
    address: str
    email: str
    posting_profile: str
    columns: Mapping[str, str] = field(repr=False, compare=False)
    """Column of the file for each field name, for error messages."""

    def column(self, field_name: str) -> str:
        return self.columns.get(field_name, "")


@dataclass(frozen=True)
class TransactionRecord:
    """A customer transaction as the file states it, with a positive amount."""

    line: int
    kind: TransactionKind
    customer_account: str
    document_number: str
    transaction_date: date
    due_date: date | None
    currency: str
    amount: Decimal
    settles: tuple[str, ...]
    collections_status: str
    columns: Mapping[str, str] = field(repr=False, compare=False)
    """Column of the file for each field name, for error messages."""

    def column(self, field_name: str) -> str:
        return self.columns.get(field_name, "")


@dataclass
class ParsedLedger:
    """The records of a ledger file and the syntax errors found in it."""

    source_format: str
    customers: list[CustomerRecord] = field(default_factory=list)
    transactions: list[TransactionRecord] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def parse_ledger(text: str) -> ParsedLedger:
    """Parse a ledger file's text in the canonical format or the sample's layout.

    The layout is chosen by the header: a header that starts with
    ``countryCode,customerID`` is the sample's, any other is canonical. A row
    with an error yields no record, and parsing goes on to collect the errors
    of the remaining rows.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows = _numbered_rows(reader)
    parsed = ParsedLedger(source_format=CANONICAL_FORMAT)
    try:
        first = next(rows, None)
        if first is None:
            parsed.errors.append(
                RowError(1, "", "the file is empty; expected a header row")
            )
            return parsed
        line, header = first
        header = [name.strip() for name in header]
        if line != 1:
            parsed.errors.append(
                RowError(1, "", "the header row must be the first line")
            )
            return parsed
        if tuple(header[:2]) == SAMPLE_HEADER_START:
            parsed.source_format = SAMPLE_FORMAT
            _parse_sample(header, rows, parsed)
        else:
            _parse_canonical(header, rows, parsed)
    except csv.Error as error:
        parsed.errors.append(RowError(reader.line_num, "", f"invalid CSV: {error}"))
    return parsed


def _numbered_rows(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """Yield each non-blank row with the physical line it starts on."""
    previous_end = 0
    for row in reader:
        start = previous_end + 1
        previous_end = reader.line_num  # type: ignore[attr-defined]
        if any(cell.strip() for cell in row):
            yield start, row


def _check_header(
    header: list[str], known: tuple[str, ...], parsed: ParsedLedger
) -> bool:
    """Record unknown and repeated column names. Return whether there were none."""
    valid = True
    seen: set[str] = set()
    for name in header:
        if name in seen:
            parsed.errors.append(RowError(1, name, "the column appears more than once"))
            valid = False
        elif name not in known:
            parsed.errors.append(
                RowError(
                    1, name, f"unknown column; the known columns are {', '.join(known)}"
                )
            )
            valid = False
        seen.add(name)
    return valid


def _row_values(
    line: int, header: list[str], row: list[str], parsed: ParsedLedger
) -> dict[str, str] | None:
    if len(row) != len(header):
        parsed.errors.append(
            RowError(
                line,
                "",
                f"the row has {len(row)} fields but the header has {len(header)}",
            )
        )
        return None
    return {name: value.strip() for name, value in zip(header, row, strict=True)}


def _parse_canonical(
    header: list[str], rows: Iterator[tuple[int, list[str]]], parsed: ParsedLedger
) -> None:
    if not _check_header(header, CANONICAL_COLUMNS, parsed):
        return
    if "record_type" not in header:
        parsed.errors.append(
            RowError(
                1,
                "record_type",
                "the column is missing from the header; every row needs a record type",
            )
        )
        return

    # Column missing from the header -> (record type, first line that needs it).
    missing_columns: dict[str, tuple[str, int]] = {}
    for line, row in rows:
        values = _row_values(line, header, row, parsed)
        if values is None:
            continue
        record_type = values["record_type"]
        if record_type not in RECORD_TYPES:
            parsed.errors.append(
                RowError(
                    line,
                    "record_type",
                    f"unknown record type {record_type!r}; expected one of "
                    f"{', '.join(RECORD_TYPES)}",
                )
            )
            continue
        for column in _REQUIRED_COLUMNS[record_type]:
            if column not in values:
                missing_columns.setdefault(column, (record_type, line))
        if record_type == CUSTOMER_RECORD:
            customer = _parse_canonical_customer(line, values, parsed)
            if customer is not None:
                parsed.customers.append(customer)
        else:
            transaction = _parse_canonical_transaction(
                line, TransactionKind(record_type), values, parsed
            )
            if transaction is not None:
                parsed.transactions.append(transaction)

    for column, (record_type, line) in missing_columns.items():
        parsed.errors.append(
            RowError(
                1,
                column,
                f"the column is missing from the header, but {record_type} rows "
                f"need it (first on line {line})",
            )
        )


def _check_unused_columns(
    line: int,
    record_type: str,
    values: dict[str, str],
    used: frozenset[str],
    parsed: ParsedLedger,
) -> bool:
    valid = True
    for column, value in values.items():
        if value and column not in used:
            parsed.errors.append(
                RowError(
                    line,
                    column,
                    f"{record_type} rows do not use this column; leave it empty",
                )
            )
            valid = False
    return valid


def _check_required_values(
    line: int, record_type: str, values: dict[str, str], parsed: ParsedLedger
) -> bool:
    """Record an error for each required column that is empty on this row."""
    valid = True
    for column in _REQUIRED_COLUMNS[record_type]:
        if column in values and not values[column]:
            parsed.errors.append(RowError(line, column, "value is missing"))
            valid = False
        elif column not in values:
            valid = False
    return valid


def _parse_canonical_customer(
    line: int, values: dict[str, str], parsed: ParsedLedger
) -> CustomerRecord | None:
    valid = _check_unused_columns(
        line, CUSTOMER_RECORD, values, _CUSTOMER_COLUMNS, parsed
    )
    valid = _check_required_values(line, CUSTOMER_RECORD, values, parsed) and valid
    if not valid:
        return None
    return CustomerRecord(
        line=line,
        account=values["customer_account"],
        name=values["name"],
        language=values.get("language") or "en",
        currency=values["currency"].upper(),
        # A line break in an address is written as the two characters \n.
        address=values.get("address", "").replace("\\n", "\n"),
        email=values.get("email", ""),
        posting_profile=values.get("posting_profile") or DEFAULT_POSTING_PROFILE,
        columns=_CANONICAL_CUSTOMER_COLUMNS,
    )


def _parse_canonical_transaction(
    line: int, kind: TransactionKind, values: dict[str, str], parsed: ParsedLedger
) -> TransactionRecord | None:
    used = _DEBIT_COLUMNS if kind.is_debit else _CREDIT_COLUMNS
    valid = _check_unused_columns(line, kind.value, values, used, parsed)
    valid = _check_required_values(line, kind.value, values, parsed) and valid

    transaction_date = _parse_date(line, "transaction_date", values, _ISO_DATE, parsed)
    due_date = _parse_date(line, "due_date", values, _ISO_DATE, parsed)
    amount = _parse_amount(line, "amount", values, parsed)
    if not valid or transaction_date is None or amount is None:
        return None
    if values.get("due_date") and due_date is None:
        return None

    settles = tuple(
        number.strip()
        for number in values.get("settles", "").split(";")
        if number.strip()
    )
    return TransactionRecord(
        line=line,
        kind=kind,
        customer_account=values["customer_account"],
        document_number=values["document_number"],
        transaction_date=transaction_date,
        due_date=due_date,
        currency=values["currency"].upper(),
        amount=amount,
        settles=settles,
        collections_status=values.get("collections_status") or "not_disputed",
        columns=_CANONICAL_TRANSACTION_COLUMNS,
    )


def _parse_date(
    line: int,
    column: str,
    values: dict[str, str],
    pattern: re.Pattern[str],
    parsed: ParsedLedger,
) -> date | None:
    """Parse an ISO or a US (M/D/YYYY) date. Return None if empty or invalid."""
    text = values.get(column, "")
    if not text:
        return None
    match = pattern.fullmatch(text)
    expected = "YYYY-MM-DD" if pattern is _ISO_DATE else "M/D/YYYY"
    try:
        if match is None:
            raise ValueError(text)
        if pattern is _ISO_DATE:
            return date.fromisoformat(text)
        month, day, year = (int(part) for part in match.groups())
        return date(year, month, day)
    except ValueError:
        parsed.errors.append(
            RowError(line, column, f"invalid date {text!r}: expected {expected}")
        )
        return None


def _parse_amount(
    line: int, column: str, values: dict[str, str], parsed: ParsedLedger
) -> Decimal | None:
    """Parse a positive amount such as ``94`` or ``1234.56``. Return None if invalid."""
    text = values.get(column, "")
    if not text:
        return None
    if text.startswith("-") and _AMOUNT.fullmatch(text[1:]):
        parsed.errors.append(
            RowError(
                line,
                column,
                f"invalid amount {text!r}: amounts are positive because the record "
                "type sets the sign",
            )
        )
        return None
    if not _AMOUNT.fullmatch(text):
        parsed.errors.append(
            RowError(
                line,
                column,
                f"invalid amount {text!r}: expected digits with an optional '.' "
                "decimal point and no thousands separator, such as 1234.56",
            )
        )
        return None
    return Decimal(text)


def _parse_sample(
    header: list[str], rows: Iterator[tuple[int, list[str]]], parsed: ParsedLedger
) -> None:
    missing = [column for column in SAMPLE_COLUMNS if column not in header]
    for column in missing:
        parsed.errors.append(
            RowError(1, column, "the column is missing from the header")
        )
    if missing:
        return

    customers: dict[str, CustomerRecord] = {}
    for line, row in rows:
        values = _row_values(line, header, row, parsed)
        if values is None:
            continue
        customer = _parse_sample_customer(line, values, customers, parsed)
        invoice = _parse_sample_invoice(line, values, parsed)
        settled_date = _parse_date(line, "SettledDate", values, _US_DATE, parsed)
        if customer is None or invoice is None:
            continue
        parsed.transactions.append(invoice)

        # An empty SettledDate leaves the invoice open.
        if settled_date is not None:
            parsed.transactions.append(
                TransactionRecord(
                    line=line,
                    kind=TransactionKind.PAYMENT,
                    customer_account=invoice.customer_account,
                    document_number=SAMPLE_PAYMENT_PREFIX + invoice.document_number,
                    transaction_date=settled_date,
                    due_date=None,
                    currency=SAMPLE_CURRENCY,
                    amount=invoice.amount,
                    settles=(invoice.document_number,),
                    collections_status="not_disputed",
                    columns=_SAMPLE_PAYMENT_COLUMNS,
                )
            )
    parsed.customers.extend(customers.values())


def _parse_sample_customer(
    line: int,
    values: dict[str, str],
    customers: dict[str, CustomerRecord],
    parsed: ParsedLedger,
) -> CustomerRecord | None:
    """Return the row's customer, created on its first row."""
    account = values["customerID"]
    country_code = values["countryCode"]
    if not account:
        parsed.errors.append(RowError(line, "customerID", "value is missing"))
        return None
    if not country_code:
        parsed.errors.append(RowError(line, "countryCode", "value is missing"))
        return None
    address = f"Country code {country_code}"
    customer = customers.get(account)
    if customer is None:
        customer = CustomerRecord(
            line=line,
            account=account,
            name=f"Customer {account}",
            language=SAMPLE_LANGUAGE,
            currency=SAMPLE_CURRENCY,
            address=address,
            email="",
            posting_profile=DEFAULT_POSTING_PROFILE,
            columns=_SAMPLE_CUSTOMER_COLUMNS,
        )
        customers[account] = customer
    elif customer.address != address:
        first_code = customer.address.removeprefix("Country code ")
        parsed.errors.append(
            RowError(
                line,
                "countryCode",
                f"customer {account!r} has country code {country_code} here but "
                f"{first_code} on line {customer.line}",
            )
        )
        return None
    return customer


def _parse_sample_invoice(
    line: int, values: dict[str, str], parsed: ParsedLedger
) -> TransactionRecord | None:
    document_number = values["invoiceNumber"]
    if not document_number:
        parsed.errors.append(RowError(line, "invoiceNumber", "value is missing"))
    for column in ("InvoiceDate", "DueDate", "InvoiceAmount"):
        if not values[column]:
            parsed.errors.append(RowError(line, column, "value is missing"))
    invoice_date = _parse_date(line, "InvoiceDate", values, _US_DATE, parsed)
    due_date = _parse_date(line, "DueDate", values, _US_DATE, parsed)
    amount = _parse_amount(line, "InvoiceAmount", values, parsed)
    if (
        not document_number
        or invoice_date is None
        or due_date is None
        or amount is None
    ):
        return None
    return TransactionRecord(
        line=line,
        kind=TransactionKind.INVOICE,
        customer_account=values["customerID"],
        # The invoice number stays text, so its leading zeros are kept.
        document_number=document_number,
        transaction_date=invoice_date,
        due_date=due_date,
        currency=SAMPLE_CURRENCY,
        amount=amount,
        settles=(),
        collections_status="not_disputed",
        columns=_SAMPLE_INVOICE_COLUMNS,
    )
