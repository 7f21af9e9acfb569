"""Values passed between the case workflow, its activities and the API.

They are plain dataclasses of ``str``, ``int``, ``date``, ``Decimal`` and
``bool``, so the pydantic data converter carries them through Temporal
exactly, with amounts as decimal strings.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum

from domain.codes import CollectionLetterCode, LetterSequenceStep


class TransactionKind(str, Enum):
    """Kind of customer transaction. Invoices and fees are debits."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    PAYMENT = "payment"
    FEE = "fee"

    @property
    def is_debit(self) -> bool:
        return self in (TransactionKind.INVOICE, TransactionKind.FEE)


class CaseStatus(str, Enum):
    OPEN = "open"
    CLOSED = "closed"


class CaseStage(str, Enum):
    """Stage of a case: overdue without letters, the highest letter code sent,
    or with the collection agency."""

    OVERDUE = "overdue"
    LETTER1 = "letter1"
    LETTER2 = "letter2"
    LETTER3 = "letter3"
    LETTER4 = "letter4"
    LETTER5 = "letter5"
    WITH_AGENCY = "with_agency"


@dataclass
class OpenItem:
    """An open customer transaction in the form the planner uses.

    Debits (invoices, fees) have a positive open amount; credit notes and
    unapplied payments a negative one.
    """

    transaction_id: int
    kind: TransactionKind
    document_number: str
    transaction_date: date
    due_date: date
    currency: str
    amount: Decimal
    open_amount: Decimal
    collection_letter_code: CollectionLetterCode | None = None
    """Code of the last letter that listed this item as due."""
    collection_letter_date: date | None = None
    valid_collection_letter_code: CollectionLetterCode | None = None
    """Code the next letter will use; ``None`` means the sequence's first code."""
    with_agency: bool = False
    disputed: bool = False
    """The customer disputes the item: no letters or hand-off until resolved."""


@dataclass
class CasePolicy:
    """The letter sequence and agency that the customer's posting profile names."""

    posting_profile: str
    sequence_name: str
    steps: list[LetterSequenceStep]
    agency_name: str


@dataclass
class CaseSnapshot:
    """Everything the planner needs about one customer at a business date."""

    customer_account: str
    currency: str
    policy: CasePolicy
    items: list[OpenItem] = field(default_factory=list)
    last_letter_date: date | None = None
    """Date of the customer's latest letter: one letter per customer per date."""
    last_handoff_date: date | None = None


@dataclass
class LetterLine:
    """An item printed on a collection letter.

    ``advances`` is true for the items whose code is due today: the letter
    carries that code for them and moves them one step on. Other overdue
    items are listed with their last code so the total due is complete.
    Credits have ``code`` ``None`` and a negative open amount.
    """

    transaction_id: int
    kind: TransactionKind
    document_number: str
    due_date: date
    amount: Decimal
    open_amount: Decimal
    days_overdue: int
    code: CollectionLetterCode | None
    advances: bool
    threshold_days: int | None = None
    """Days the code waits, from the due date or the previous letter."""
    reference_date: date | None = None
    """Due date or previous letter date that ``threshold_days`` counts from."""


@dataclass
class LetterPlan:
    code: CollectionLetterCode
    """Highest code due among the advancing lines; its text heads the letter."""
    lines: list[LetterLine]
    overdue_amount: Decimal
    credit_amount: Decimal
    fee: Decimal
    total_due: Decimal


@dataclass
class HandoffLine:
    transaction_id: int
    kind: TransactionKind
    document_number: str
    due_date: date
    open_amount: Decimal
    days_overdue: int


@dataclass
class HandoffPlan:
    agency_name: str
    lines: list[HandoffLine]
    total: Decimal


@dataclass
class CasePlan:
    """The letter and hand-off due for a customer at ``business_date``, and the
    next date to look again."""

    business_date: date
    stage: CaseStage
    overdue_amount: Decimal
    """Open amount of overdue debits, including those with the agency."""
    net_overdue_amount: Decimal
    """``overdue_amount`` less open credit notes and unapplied payments."""
    letter: LetterPlan | None
    handoff: HandoffPlan | None
    next_action_date: date | None
    skipped_letter_reason: str | None = None
    close_reason: str | None = None
    """Set when nothing overdue is owed any more and the case should close."""
