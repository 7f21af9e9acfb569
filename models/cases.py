"""Collections cases and what they produce: timeline, letters, hand-offs."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from domain.case import CaseStage, CaseStatus, TransactionKind
from domain.codes import CollectionLetterCode
from models.columns import MoneyType
from models.ledger import utc_now


class CollectionCase(SQLModel, table=True):
    """One run of a customer's collections workflow, from opening to closing.

    The workflow writes this row through its activities. A customer has at
    most one open case, which a partial unique index enforces.
    """

    __table_args__ = (
        Index(
            "ux_case_one_open_per_customer",
            "customer_account",
            unique=True,
            sqlite_where=text("status = 'OPEN'"),
            postgresql_where=text("status = 'OPEN'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_account: str = Field(
        foreign_key="customer.account", max_length=40, index=True
    )
    workflow_id: str = Field(max_length=200)
    run_id: str = Field(max_length=100, unique=True)
    """Run id of the workflow execution that opened the case."""
    status: CaseStatus = Field(default=CaseStatus.OPEN, max_length=10)
    stage: CaseStage = Field(default=CaseStage.OVERDUE, max_length=20)
    currency: str = Field(max_length=3)
    overdue_amount: Decimal = Field(
        default=Decimal(0), sa_column=Column(MoneyType(), nullable=False)
    )
    next_action_date: date | None = None
    opened_on: date
    closed_on: date | None = None
    close_reason: str | None = Field(default=None, max_length=500)
    closed_by: str | None = Field(default=None, max_length=100)
    """User who closed the case; ``None`` when the workflow closed it itself."""
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)


class CaseEvent(SQLModel, table=True):
    """A timeline entry of a case, with the rule and inputs that caused it.

    ``event_key`` makes the write idempotent: a retried activity finds its
    event already there.
    """

    __table_args__ = (UniqueConstraint("case_id", "event_key"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="collectioncase.id", index=True)
    event_key: str = Field(max_length=200)
    event_date: date
    kind: str = Field(max_length=30)
    summary: str = Field(max_length=1000)
    details: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = Field(default_factory=utc_now)


class StoredDocument(SQLModel, table=True):
    """A rendered document, stored once by the SHA-256 of its bytes."""

    sha256: str = Field(primary_key=True, max_length=64)
    media_type: str = Field(max_length=100)
    size: int
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utc_now)


class CollectionLetter(SQLModel, table=True):
    """A posted collection letter: one per customer per letter date."""

    __table_args__ = (UniqueConstraint("customer_account", "letter_date"),)

    id: int | None = Field(default=None, primary_key=True)
    number: str | None = Field(default=None, max_length=20, unique=True)
    customer_account: str = Field(
        foreign_key="customer.account", max_length=40, index=True
    )
    case_id: int = Field(foreign_key="collectioncase.id", index=True)
    letter_date: date
    code: CollectionLetterCode = Field(max_length=20)
    code_text: str = Field(max_length=4000)
    currency: str = Field(max_length=3)
    language: str = Field(max_length=10)
    overdue_amount: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    credit_amount: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    fee: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    total_due: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    status: str = Field(default="posted", max_length=20)
    document_sha256: str | None = Field(
        default=None, foreign_key="storeddocument.sha256", max_length=64
    )
    created_at: datetime = Field(default_factory=utc_now)


class CollectionLetterLine(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    letter_id: int = Field(foreign_key="collectionletter.id", index=True)
    transaction_id: int = Field(foreign_key="customertransaction.id")
    kind: TransactionKind = Field(max_length=20)
    document_number: str = Field(max_length=60)
    due_date: date
    amount: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    open_amount: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    days_overdue: int
    code: CollectionLetterCode | None = Field(default=None, max_length=20)
    advances: bool


class AgencyHandoff(SQLModel, table=True):
    """Invoices handed to a collection agency on one date."""

    __table_args__ = (UniqueConstraint("customer_account", "handoff_date"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_account: str = Field(
        foreign_key="customer.account", max_length=40, index=True
    )
    case_id: int = Field(foreign_key="collectioncase.id", index=True)
    agency_name: str = Field(foreign_key="collectionagency.name", max_length=100)
    handoff_date: date
    currency: str = Field(max_length=3)
    total: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    created_at: datetime = Field(default_factory=utc_now)


class AgencyHandoffLine(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    handoff_id: int = Field(foreign_key="agencyhandoff.id", index=True)
    transaction_id: int = Field(foreign_key="customertransaction.id")
    kind: TransactionKind = Field(max_length=20)
    document_number: str = Field(max_length=60)
    due_date: date
    open_amount: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    days_overdue: int
