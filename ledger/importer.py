"""Importing a ledger file: validate all of it, then write all of it or nothing.

The import reads the whole file, checks every record against the file and
the database and collects every error. Only a file without errors is
written, in one database transaction, through ``upsert_customer`` and
``post_transaction``. A document that is already in the database with the
same data is left alone, so importing a file twice changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from domain.case import TransactionKind
from ledger.csv_format import (
    CustomerRecord,
    ParsedLedger,
    RowError,
    TransactionRecord,
    parse_ledger,
)
from ledger.posting import (
    CustomerFields,
    PostingError,
    check_customer_currency,
    post_transaction,
    upsert_customer,
    validate_customer,
    validate_transaction,
)
from models.db import write_session
from models.ledger import Customer, CustomerTransaction, LedgerImport

__all__ = ["ImportReport", "LedgerImportError", "RowError", "import_ledger"]

logger = logging.getLogger(__name__)

MAX_LISTED_ERRORS = 50
"""Errors that ``str(LedgerImportError)`` lists before it only counts the rest."""

# Accounts per SELECT ... IN (...) when loading what the database already has.
_QUERY_CHUNK = 500

_CUSTOMER_FIELDS = (
    "name",
    "language",
    "currency",
    "address",
    "email",
    "posting_profile",
)

ProgressCallback = Callable[[int, int], None]
"""Called with the records written so far and the number to write."""


class LedgerImportError(Exception):
    """A ledger file with errors. Nothing of it was written to the database.

    Attributes:
        errors: Every error found, ordered by line and column.
    """

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = sorted(errors, key=lambda error: (error.line, error.column))
        super().__init__(self.errors)

    def __str__(self) -> str:
        count = len(self.errors)
        lines = [f"The ledger file has {count} error{'s' if count != 1 else ''}:"]
        lines += [str(error) for error in self.errors[:MAX_LISTED_ERRORS]]
        if count > MAX_LISTED_ERRORS:
            lines.append(f"and {count - MAX_LISTED_ERRORS} more")
        return "\n".join(lines)


@dataclass
class ImportReport:
    """Counts of the records an import created, updated, left unchanged or skipped.

    ``accounts`` contains the customers that were created or updated or got
    a new transaction, so these are the cases to open or wake.
    ``rows_skipped_after_as_of`` counts transaction records dated after the
    as-of date. In the sample's layout one row can give an invoice and its
    payment, and each of them counts.
    """

    customers_created: int = 0
    customers_updated: int = 0
    customers_unchanged: int = 0
    transactions_created: int = 0
    transactions_unchanged: int = 0
    rows_skipped_after_as_of: int = 0
    accounts: set[str] = field(default_factory=set)
    import_id: int | None = None


@dataclass
class _ExistingLedger:
    """Customers and transactions already stored for the accounts in the file."""

    customers: dict[str, Customer]
    transactions: dict[tuple[str, TransactionKind, str], CustomerTransaction]
    accounts_with_transactions: set[str]


@dataclass
class _ImportPlan:
    """The validated writes of an import, in the order to make them."""

    customers: list[CustomerFields] = field(default_factory=list)
    transactions: list[TransactionRecord] = field(default_factory=list)
    report: ImportReport = field(default_factory=ImportReport)


def import_ledger(
    engine: Engine,
    path: Path,
    *,
    as_of: date | None = None,
    shift_to: date | None = None,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import a ledger file in the canonical format or the sample's layout.

    Args:
        engine: Database to write to. Its schema must exist.
        path: The UTF-8 CSV file.
        as_of: Drop every transaction dated after this date, so an invoice
            paid later stays open. Customers are always imported.
        shift_to: Move every date by ``shift_to - as_of`` days, so that a
            historical ledger cut at ``as_of`` looks as if cut at
            ``shift_to``. Requires ``as_of``.
        progress: Called after each record written, with the count written
            and the total to write.

    Returns:
        The counts of what was created and left unchanged.

    Raises:
        LedgerImportError: the file has errors. Nothing was written.
        ValueError: ``shift_to`` is given without ``as_of``.
        OSError: the file cannot be read.
    """
    if shift_to is not None and as_of is None:
        raise ValueError(
            "shift_to requires as_of, because the shift is shift_to - as_of"
        )
    shift = (
        timedelta(days=(shift_to - as_of).days) if shift_to and as_of else timedelta(0)
    )

    content = path.read_bytes()
    parsed = parse_ledger(_decode(content))
    logger.info(
        "importing %s: %s layout, %d customer and %d transaction records",
        path,
        parsed.source_format,
        len(parsed.customers),
        len(parsed.transactions),
    )

    errors = list(parsed.errors)
    with write_session(engine) as session, session.begin():
        existing = _load_existing(session, parsed.customers, parsed.transactions)
        plan = _ImportPlan()
        _plan_customers(session, parsed.customers, existing, plan, errors)
        transactions = _validate_transactions(parsed, existing, plan, errors)
        _check_settles(transactions, existing, errors)
        _plan_transactions(transactions, existing, as_of, shift, plan, errors)
        if errors:
            raise LedgerImportError(errors)

        _apply(session, plan, progress)
        record = LedgerImport(
            file_name=path.name,
            sha256=hashlib.sha256(content).hexdigest(),
            source_format=parsed.source_format,
            as_of=as_of,
            shift_days=shift.days,
            customers_created=plan.report.customers_created,
            transactions_created=plan.report.transactions_created,
            transactions_unchanged=plan.report.transactions_unchanged,
            rows_skipped=plan.report.rows_skipped_after_as_of,
        )
        session.add(record)
        session.flush()
        plan.report.import_id = record.id

    report = plan.report
    logger.info(
        "imported %s as import %s: %d customers created, %d updated, %d unchanged; "
        "%d transactions created, %d unchanged, %d dated after the as-of date skipped",
        path,
        report.import_id,
        report.customers_created,
        report.customers_updated,
        report.customers_unchanged,
        report.transactions_created,
        report.transactions_unchanged,
        report.rows_skipped_after_as_of,
    )
    return report


def _decode(content: bytes) -> str:
    """Decode UTF-8, with or without a byte order mark."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise LedgerImportError(
            [
                RowError(
                    line,
                    "",
                    f"invalid UTF-8 at byte {error.start}; save the file as UTF-8",
                )
            ]
        ) from None


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    ordered = sorted(values)
    for start in range(0, len(ordered), _QUERY_CHUNK):
        yield ordered[start : start + _QUERY_CHUNK]


def _load_existing(
    session: Session,
    customers: list[CustomerRecord],
    transactions: list[TransactionRecord],
) -> _ExistingLedger:
    accounts = {record.account for record in customers}
    accounts |= {record.customer_account for record in transactions}
    existing = _ExistingLedger(
        customers={}, transactions={}, accounts_with_transactions=set()
    )
    for chunk in _chunks(accounts):
        customer_query = select(Customer).where(
            Customer.account.in_(chunk)  # type: ignore[attr-defined]
        )
        for customer in session.exec(customer_query):
            existing.customers[customer.account] = customer
        transaction_query = select(CustomerTransaction).where(
            CustomerTransaction.customer_account.in_(chunk)  # type: ignore[attr-defined]
        )
        for transaction in session.exec(transaction_query):
            key = (
                transaction.customer_account,
                transaction.kind,
                transaction.document_number,
            )
            existing.transactions[key] = transaction
            existing.accounts_with_transactions.add(transaction.customer_account)
    return existing


def _plan_customers(
    session: Session,
    records: list[CustomerRecord],
    existing: _ExistingLedger,
    plan: _ImportPlan,
    errors: list[RowError],
) -> None:
    """Validate the customer records and plan those that are new or changed."""
    first_line: dict[str, int] = {}
    for record in records:
        if record.account in first_line:
            errors.append(
                RowError(
                    record.line,
                    record.column("account"),
                    f"customer {record.account!r} is already defined on line "
                    f"{first_line[record.account]}",
                )
            )
            continue
        first_line[record.account] = record.line
        try:
            fields = validate_customer(
                session,
                account=record.account,
                name=record.name,
                language=record.language,
                currency=record.currency,
                address=record.address,
                email=record.email,
                posting_profile=record.posting_profile,
            )
        except PostingError as error:
            errors.append(
                RowError(record.line, record.column(error.field), error.reason)
            )
            continue

        stored = existing.customers.get(fields.account)
        if stored is None:
            plan.customers.append(fields)
            plan.report.customers_created += 1
        elif all(
            getattr(stored, name) == getattr(fields, name) for name in _CUSTOMER_FIELDS
        ):
            plan.report.customers_unchanged += 1
        elif (
            stored.currency != fields.currency
            and fields.account in existing.accounts_with_transactions
        ):
            errors.append(
                RowError(
                    record.line,
                    record.column("currency"),
                    f"customer {fields.account!r} has transactions in "
                    f"{stored.currency}, so its currency cannot change to "
                    f"{fields.currency}",
                )
            )
        else:
            plan.customers.append(fields)
            plan.report.customers_updated += 1


def _validate_transactions(
    parsed: ParsedLedger,
    existing: _ExistingLedger,
    plan: _ImportPlan,
    errors: list[RowError],
) -> list[TransactionRecord]:
    """Check each transaction record on its own and against its customer.

    Returns the valid records with normalized values. A duplicate of an
    earlier record of the file is reported and dropped.
    """
    file_accounts = {record.account for record in parsed.customers}
    currencies = {
        account: customer.currency for account, customer in existing.customers.items()
    }
    currencies |= {fields.account: fields.currency for fields in plan.customers}

    first_line: dict[tuple[str, TransactionKind, str], int] = {}
    valid: list[TransactionRecord] = []
    for record in parsed.transactions:
        try:
            fields = validate_transaction(
                kind=record.kind,
                document_number=record.document_number,
                transaction_date=record.transaction_date,
                due_date=record.due_date,
                currency=record.currency,
                amount=record.amount,
                collections_status=record.collections_status,
            )
        except PostingError as error:
            errors.append(
                RowError(record.line, record.column(error.field), error.reason)
            )
            continue

        key = (record.customer_account, fields.kind, fields.document_number)
        if key in first_line:
            errors.append(
                RowError(
                    record.line,
                    record.column("document_number"),
                    f"duplicate {fields.kind.value} {fields.document_number!r} of "
                    f"customer {record.customer_account!r}: it is already on line "
                    f"{first_line[key]}",
                )
            )
            continue
        first_line[key] = record.line

        currency = currencies.get(record.customer_account)
        if currency is None:
            # A customer row of the file with an error has been reported already.
            if record.customer_account not in file_accounts:
                errors.append(
                    RowError(
                        record.line,
                        record.column("customer_account"),
                        f"customer {record.customer_account!r} not found in the file "
                        "or the database; add a customer row for it",
                    )
                )
            continue
        try:
            check_customer_currency(record.customer_account, currency, fields.currency)
        except PostingError as error:
            errors.append(
                RowError(record.line, record.column(error.field), error.reason)
            )
            continue
        valid.append(
            replace(
                record,
                document_number=fields.document_number,
                due_date=fields.due_date,
                currency=fields.currency,
                amount=fields.amount,
            )
        )
    return valid


def _check_settles(
    records: list[TransactionRecord], existing: _ExistingLedger, errors: list[RowError]
) -> None:
    """Check that each document a credit names is a debit of the same customer.

    A named debit from the file must be dated on or before the credit,
    because the import posts in date order and a credit settles only what
    is posted before it. Whether a named debit from the database is still
    open is checked when the credit is posted.
    """
    file_debits: dict[tuple[str, str], TransactionRecord] = {
        (record.customer_account, record.document_number): record
        for record in records
        if record.kind.is_debit
    }
    for record in records:
        if not record.settles:
            continue
        column = record.column("settles")
        if len(set(record.settles)) != len(record.settles):
            errors.append(
                RowError(record.line, column, "a document is named more than once")
            )
            continue
        for number in record.settles:
            debit = file_debits.get((record.customer_account, number))
            if debit is not None:
                if debit.transaction_date > record.transaction_date:
                    errors.append(
                        RowError(
                            record.line,
                            column,
                            f"{debit.kind.value} {number!r} on line {debit.line} is "
                            f"dated {debit.transaction_date}, after this "
                            f"{record.kind.value} dated {record.transaction_date}",
                        )
                    )
                continue
            in_database = any(
                (record.customer_account, kind, number) in existing.transactions
                for kind in (TransactionKind.INVOICE, TransactionKind.FEE)
            )
            if not in_database:
                errors.append(
                    RowError(
                        record.line,
                        column,
                        f"no invoice or fee {number!r} of customer "
                        f"{record.customer_account!r} in the file or the database",
                    )
                )


def _plan_transactions(
    records: list[TransactionRecord],
    existing: _ExistingLedger,
    as_of: date | None,
    shift: timedelta,
    plan: _ImportPlan,
    errors: list[RowError],
) -> None:
    """Drop records after ``as_of``, shift the dates and compare with the database."""
    for record in records:
        if as_of is not None and record.transaction_date > as_of:
            plan.report.rows_skipped_after_as_of += 1
            continue
        if shift:
            assert record.due_date is not None
            record = replace(
                record,
                transaction_date=record.transaction_date + shift,
                due_date=record.due_date + shift,
            )

        key = (record.customer_account, record.kind, record.document_number)
        stored = existing.transactions.get(key)
        if stored is None:
            plan.transactions.append(record)
            plan.report.transactions_created += 1
            continue
        difference = _first_difference(record, stored)
        if difference is None:
            plan.report.transactions_unchanged += 1
            continue
        name, stored_value, file_value = difference
        shifted = f" after shifting the dates by {shift.days} days" if shift else ""
        errors.append(
            RowError(
                record.line,
                record.column(name),
                f"{record.kind.value} {record.document_number!r} of customer "
                f"{record.customer_account!r} is already in the database with {name} "
                f"{stored_value}, but the file has {file_value}{shifted}; a posted "
                "document cannot be changed by an import",
            )
        )

    # Post in date order, and debits before credits on the same date, so that
    # every credit finds the debits it settles.
    plan.transactions.sort(
        key=lambda record: (
            record.transaction_date,
            not record.kind.is_debit,
            record.line,
        )
    )


def _first_difference(
    record: TransactionRecord, stored: CustomerTransaction
) -> tuple[str, object, object] | None:
    """Compare the source fields, but not the open amount or the collections status.

    Settlements lower the open amount, and collectors change the status, so
    neither is a difference in the document itself.
    """
    signed_amount = record.amount if record.kind.is_debit else -record.amount
    pairs = (
        ("transaction_date", stored.transaction_date, record.transaction_date),
        ("due_date", stored.due_date, record.due_date),
        ("currency", stored.currency, record.currency),
        ("amount", abs(stored.amount), abs(signed_amount)),
    )
    for name, stored_value, file_value in pairs:
        if stored_value != file_value:
            return name, stored_value, file_value
    return None


def _apply(
    session: Session, plan: _ImportPlan, progress: ProgressCallback | None
) -> None:
    """Write the planned customers and transactions.

    Raises:
        LedgerImportError: a transaction was rejected at posting, for example
            a payment that names an invoice already settled in the database.
            The caller's transaction is then rolled back.
    """
    total = len(plan.customers) + len(plan.transactions)
    written = 0
    errors: list[RowError] = []
    # The session's identity map holds objects only while they are referenced.
    # Holding the customers keeps post_transaction's lookups free of queries.
    customers: list[Customer] = []
    for fields in plan.customers:
        customer, _ = upsert_customer(
            session,
            account=fields.account,
            name=fields.name,
            language=fields.language,
            currency=fields.currency,
            address=fields.address,
            email=fields.email,
            posting_profile=fields.posting_profile,
        )
        customers.append(customer)
        plan.report.accounts.add(fields.account)
        written += 1
        if progress is not None:
            progress(written, total)

    for record in plan.transactions:
        try:
            post_transaction(
                session,
                customer_account=record.customer_account,
                kind=record.kind,
                document_number=record.document_number,
                transaction_date=record.transaction_date,
                due_date=record.due_date,
                currency=record.currency,
                amount=record.amount,
                settles=list(record.settles),
                collections_status=record.collections_status,
            )
        except PostingError as error:
            errors.append(
                RowError(record.line, record.column(error.field), error.reason)
            )
        plan.report.accounts.add(record.customer_account)
        written += 1
        if progress is not None:
            progress(written, total)

    if errors:
        raise LedgerImportError(errors)
