"""Request and response bodies of the API.

Amounts are decimal strings rounded to the currency's minor units, so no
client ever parses money as a binary float.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from babel import Locale, UnknownLocaleError
from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.case import CaseStage, CaseStatus, TransactionKind
from domain.codes import CollectionLetterCode
from domain.money import MAX_AMOUNT, round_money
from models import (
    CaseEvent,
    CollectionCase,
    CollectionLetter,
    CollectionLetterLine,
    CustomerTransaction,
)

Money = Decimal

EARLIEST_DATE = date(1900, 1, 1)
PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(_[A-Z]{2})?")


def check_printable(value: str, *, multiline: bool = False) -> str:
    """Reject control characters and unpaired surrogates in a text field.

    PostgreSQL text cannot store NUL, an unpaired surrogate cannot be encoded
    as UTF-8 in a response, and other control characters would print in
    letters. A multi-line text may contain line breaks and tabs.
    """
    allowed = "\n\r\t" if multiline else ""
    for char in value:
        code = ord(char)
        if (
            (code < 32 and char not in allowed)
            or code == 127
            or 0xD800 <= code <= 0xDFFF
        ):
            raise ValueError(
                "must not contain control characters or unpaired surrogates"
            )
    return value


def _strip_not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return check_printable(value.strip())


class OpenCaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_account: str = Field(min_length=1, max_length=40)

    @field_validator("customer_account")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        return _strip_not_blank(value)


class CloseCaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        min_length=1, max_length=500, description="Why the case is closed."
    )
    user: str = Field(
        default="api", min_length=1, max_length=100, description="Who closes the case."
    )

    @field_validator("reason", "user")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        return _strip_not_blank(value)


class CasePublic(BaseModel):
    id: int
    customer_account: str
    status: CaseStatus
    stage: CaseStage
    currency: str
    overdue_amount: Money
    next_action_date: date | None
    opened_on: date
    closed_on: date | None
    close_reason: str | None
    closed_by: str | None
    workflow_id: str
    run_id: str

    @classmethod
    def of(cls, case: CollectionCase) -> CasePublic:
        return cls(
            id=case.id,  # type: ignore[arg-type]
            customer_account=case.customer_account,
            status=case.status,
            stage=case.stage,
            currency=case.currency,
            overdue_amount=round_money(case.overdue_amount, case.currency),
            next_action_date=case.next_action_date,
            opened_on=case.opened_on,
            closed_on=case.closed_on,
            close_reason=case.close_reason,
            closed_by=case.closed_by,
            workflow_id=case.workflow_id,
            run_id=case.run_id,
        )


class CaseStarting(BaseModel):
    """A case whose workflow started but has not written its case row yet."""

    status: str = "starting"
    customer_account: str
    workflow_id: str
    run_id: str


class CaseList(BaseModel):
    data: list[CasePublic]
    count: int


class TimelineEntry(BaseModel):
    date: date
    """Business date of the event (a payment's own date)."""
    recorded_at: datetime
    """When Overdue recorded it (UTC); orders events of the same date."""
    kind: str
    summary: str
    details: dict[str, Any]


class Timeline(BaseModel):
    case_id: int
    customer_account: str
    entries: list[TimelineEntry]


class PaymentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_account: str = Field(min_length=1, max_length=40)
    document_number: str = Field(min_length=1, max_length=60)
    payment_date: date
    amount: Decimal = Field(
        gt=0, lt=MAX_AMOUNT, description="Amount received, in the customer's currency."
    )
    currency: str = Field(min_length=3, max_length=3)
    settles: list[str] | None = Field(
        default=None,
        description="Document numbers of the invoices this payment pays. When "
        "omitted, the payment settles the oldest due open items first.",
    )

    @field_validator("amount", mode="before")
    @classmethod
    def _plain_decimal(cls, value: object) -> object:
        if isinstance(value, str) and not PLAIN_DECIMAL.fullmatch(value):
            raise ValueError("must be a plain decimal number such as 1234.56")
        return value

    @field_validator("amount")
    @classmethod
    def _finite(cls, value: Decimal) -> Decimal:
        if not value.is_finite():
            raise ValueError("must be a finite number")
        return value

    @field_validator("payment_date")
    @classmethod
    def _plausible_date(cls, value: date) -> date:
        if value < EARLIEST_DATE:
            raise ValueError(f"must not be before {EARLIEST_DATE}")
        return value

    @field_validator("customer_account", "document_number", "currency")
    @classmethod
    def _printable(cls, value: str) -> str:
        return check_printable(value.strip())


class SettlementPublic(BaseModel):
    document_number: str
    amount: Money
    open_amount_after: Money


class TransactionPublic(BaseModel):
    id: int
    customer_account: str
    kind: TransactionKind
    document_number: str
    transaction_date: date
    due_date: date
    currency: str
    amount: Money
    open_amount: Money
    collection_letter_code: CollectionLetterCode | None
    collection_letter_date: date | None
    valid_collection_letter_code: CollectionLetterCode | None
    with_agency: bool

    @classmethod
    def of(cls, txn: CustomerTransaction) -> TransactionPublic:
        return cls(
            id=txn.id,  # type: ignore[arg-type]
            customer_account=txn.customer_account,
            kind=txn.kind,
            document_number=txn.document_number,
            transaction_date=txn.transaction_date,
            due_date=txn.due_date,
            currency=txn.currency,
            amount=round_money(txn.amount, txn.currency),
            open_amount=round_money(txn.open_amount, txn.currency),
            collection_letter_code=txn.collection_letter_code,
            collection_letter_date=txn.collection_letter_date,
            valid_collection_letter_code=txn.valid_collection_letter_code,
            with_agency=txn.with_agency,
        )


class PaymentPublic(BaseModel):
    payment: TransactionPublic
    settlements: list[SettlementPublic]
    unapplied_amount: Money
    case_notified: bool


class LetterLinePublic(BaseModel):
    document_number: str
    kind: TransactionKind
    due_date: date
    amount: Money
    open_amount: Money
    days_overdue: int
    code: CollectionLetterCode | None
    advances: bool

    @classmethod
    def of(cls, line: CollectionLetterLine, currency: str) -> LetterLinePublic:
        return cls(
            document_number=line.document_number,
            kind=line.kind,
            due_date=line.due_date,
            amount=round_money(line.amount, currency),
            open_amount=round_money(line.open_amount, currency),
            days_overdue=line.days_overdue,
            code=line.code,
            advances=line.advances,
        )


class LetterPublic(BaseModel):
    id: int
    number: str | None
    customer_account: str
    case_id: int
    letter_date: date
    code: CollectionLetterCode
    code_text: str
    currency: str
    language: str
    overdue_amount: Money
    credit_amount: Money
    fee: Money
    total_due: Money
    status: str
    document_sha256: str | None
    pdf_url: str | None
    lines: list[LetterLinePublic]

    @classmethod
    def of(
        cls, letter: CollectionLetter, lines: list[CollectionLetterLine]
    ) -> LetterPublic:
        currency = letter.currency
        return cls(
            id=letter.id,  # type: ignore[arg-type]
            number=letter.number,
            customer_account=letter.customer_account,
            case_id=letter.case_id,
            letter_date=letter.letter_date,
            code=letter.code,
            code_text=letter.code_text,
            currency=currency,
            language=letter.language,
            overdue_amount=round_money(letter.overdue_amount, currency),
            credit_amount=round_money(letter.credit_amount, currency),
            fee=round_money(letter.fee, currency),
            total_due=round_money(letter.total_due, currency),
            status=letter.status,
            document_sha256=letter.document_sha256,
            pdf_url=f"/letters/{letter.id}/pdf" if letter.document_sha256 else None,
            lines=[LetterLinePublic.of(line, currency) for line in lines],
        )


class SequenceStepBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: CollectionLetterCode
    days: int = Field(
        ge=1,
        le=3650,
        description="Days after the due date (first code) or after the previous "
        "letter of the invoice (later codes).",
    )
    text: str = Field(
        default="",
        max_length=4000,
        description="Letter text for customers whose language has no entry in texts.",
    )
    fees: dict[str, Decimal] = Field(
        default_factory=dict,
        description='Fee per currency code, e.g. {"NOK": "70.00"}.',
    )
    texts: dict[str, Annotated[str, Field(max_length=4000)]] = Field(
        default_factory=dict,
        max_length=20,
        description='Letter text per language code, e.g. {"nb": "..."}.',
    )

    @field_validator("texts")
    @classmethod
    def _language_codes(cls, value: dict[str, str]) -> dict[str, str]:
        for language, text in value.items():
            if not LANGUAGE_CODE.fullmatch(language):
                raise ValueError(
                    f"language {language!r} is invalid: expected a code such as nb or en_GB"
                )
            try:
                Locale.parse(language)
            except (UnknownLocaleError, ValueError):
                raise ValueError(f"language {language!r} is unknown") from None
            check_printable(text, multiline=True)
        return value

    @field_validator("text")
    @classmethod
    def _printable_text(cls, value: str) -> str:
        return check_printable(value, multiline=True)


class LetterSequenceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(default="", max_length=200)
    steps: list[SequenceStepBody] = Field(min_length=1, max_length=6)

    @field_validator("description")
    @classmethod
    def _printable_description(cls, value: str) -> str:
        return check_printable(value)


class LetterSequencePublic(BaseModel):
    name: str
    description: str
    steps: list[SequenceStepBody]


def timeline_entry(event: CaseEvent) -> TimelineEntry:
    return TimelineEntry(
        date=event.event_date,
        recorded_at=event.created_at,
        kind=event.kind,
        summary=event.summary,
        details=event.details,
    )
