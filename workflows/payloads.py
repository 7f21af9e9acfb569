"""Inputs and results of the case workflow and its activities.

New fields get defaults so that histories written by older code still
decode.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from domain.case import CasePlan, CaseStage


@dataclass
class CaseInput:
    customer_account: str
    case_id: int | None = None
    """Set when the workflow continues as new with a case already open."""
    max_iterations: int = 200
    """Loop iterations of one run before it continues as new, which keeps the
    history of a case that lives for months short."""


@dataclass
class CaseResult:
    case_id: int
    customer_account: str
    closed_on: date
    close_reason: str
    closed_by: str | None = None


@dataclass
class OpenCaseInput:
    customer_account: str
    workflow_id: str
    run_id: str
    opened_at: datetime
    """Workflow time of the opening; the activity turns it into a business date."""
    case_id: int | None = None
    """Case of a run that continued as new; the activity only reads it."""


@dataclass
class CaseSetup:
    """The case row and the worker's calendar settings for the run."""

    case_id: int
    timezone: str
    run_hour: int


@dataclass
class LoadCaseInput:
    customer_account: str


@dataclass
class PostLetterInput:
    case_id: int
    customer_account: str
    business_date: date


@dataclass
class PostLetterResult:
    letter_id: int | None
    """``None`` when the re-check at posting found no letter due."""
    number: str | None = None
    created: bool = False
    """False when a retry found the letter of this date already posted."""


@dataclass
class HandoffInput:
    case_id: int
    customer_account: str
    business_date: date


@dataclass
class HandoffResult:
    handoff_id: int | None
    created: bool = False


@dataclass
class CaseProgressInput:
    case_id: int
    business_date: date
    stage: CaseStage
    overdue_amount: Decimal
    next_action_date: date | None
    note: str | None = None
    """A skipped-letter reason to record on the timeline, if any."""


@dataclass
class CloseCaseInput:
    case_id: int
    business_date: date
    reason: str
    closed_by: str | None = None
    stage: CaseStage | None = None
    """Stage of the last plan, kept on the closed case."""
    overdue_amount: Decimal | None = None
    """Overdue amount of the last plan: 0 for a paid case."""


@dataclass
class CloseRequest:
    reason: str
    user: str


@dataclass
class CaseState:
    """Result of the ``get_state`` query: the case as the workflow last planned it."""

    customer_account: str
    case_id: int | None
    business_date: date | None
    plan: CasePlan | None = None
    closed: bool = False
    close_reason: str | None = None


@dataclass
class OpenOverdueCasesInput:
    business_date: date


@dataclass
class OpenOverdueCasesResult:
    started: list[str] = field(default_factory=list)


@dataclass
class ScanSetup:
    timezone: str
    run_hour: int
