"""Customers, customer transactions and their settlements."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from domain.case import TransactionKind
from domain.codes import CollectionLetterCode
from models.columns import MoneyType


def utc_now() -> datetime:
    return datetime.now(UTC)


class Customer(SQLModel, table=True):
    """A customer account of the accounts receivable ledger."""

    account: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    language: str = Field(default="en", max_length=10)
    """Locale for documents, such as ``en``, ``nb`` or ``de``."""
    currency: str = Field(max_length=3)
    address: str = Field(default="", max_length=1000)
    email: str = Field(default="", max_length=320)
    posting_profile: str = Field(default="GEN", max_length=20)
    created_at: datetime = Field(default_factory=utc_now)


class CustomerTransaction(SQLModel, table=True):
    """An open item or a settled one: invoice, credit note, payment or fee.

    ``amount`` is signed: debits (invoice, fee) positive, credits (credit
    note, payment) negative. ``open_amount`` is what remains unsettled and
    has the same sign. The collection letter fields are owned by the case
    workflow.
    """

    __table_args__ = (
        UniqueConstraint("customer_account", "kind", "document_number"),
        Index("ix_transaction_open", "customer_account", "is_open"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_account: str = Field(foreign_key="customer.account", max_length=40)
    kind: TransactionKind = Field(max_length=20)
    document_number: str = Field(max_length=60)
    transaction_date: date
    due_date: date
    currency: str = Field(max_length=3)
    amount: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    open_amount: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    is_open: bool = Field(default=True)
    collections_status: str = Field(default="not_disputed", max_length=20)
    collection_letter_code: CollectionLetterCode | None = Field(
        default=None, max_length=20
    )
    collection_letter_date: date | None = None
    valid_collection_letter_code: CollectionLetterCode | None = Field(
        default=None, max_length=20
    )
    with_agency: bool = Field(default=False)
    source_letter_id: int | None = Field(default=None, unique=True)
    """For a fee: the collection letter that charged it (one fee per letter)."""
    created_at: datetime = Field(default_factory=utc_now)


class Settlement(SQLModel, table=True):
    """An amount of a credit (payment or credit note) matched to a debit."""

    id: int | None = Field(default=None, primary_key=True)
    customer_account: str = Field(
        foreign_key="customer.account", max_length=40, index=True
    )
    debit_id: int = Field(foreign_key="customertransaction.id", index=True)
    credit_id: int = Field(foreign_key="customertransaction.id", index=True)
    amount: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    settlement_date: date
    created_at: datetime = Field(default_factory=utc_now)


class LedgerImport(SQLModel, table=True):
    """A ledger file that was imported: what it was and what it changed."""

    id: int | None = Field(default=None, primary_key=True)
    file_name: str = Field(max_length=500)
    sha256: str = Field(max_length=64, index=True)
    source_format: str = Field(max_length=20)
    as_of: date | None = None
    shift_days: int = 0
    customers_created: int = 0
    transactions_created: int = 0
    transactions_unchanged: int = 0
    rows_skipped: int = 0
    imported_at: datetime = Field(default_factory=utc_now)
