"""Activities of the collections case: every database write the case makes.

Each activity is idempotent. A letter and a hand-off are unique per customer
and date, a timeline event per case and key, and a fee per letter, so a
retried activity finds its earlier work and returns it instead of doing it
twice. Letters and hand-offs plan again inside their own database
transaction, so a payment that lands after the workflow planned is seen.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.business_days import business_date
from domain.case import CasePlan, CaseSnapshot, CaseStatus, TransactionKind
from domain.codes import CollectionLetterCode, next_code
from domain.money import round_money
from domain.planning import plan_case
from models import (
    AgencyHandoff,
    AgencyHandoffLine,
    CaseEvent,
    CollectionCase,
    CollectionLetter,
    CollectionLetterLine,
    Customer,
    CustomerTransaction,
)
from models.db import write_session
from models.ledger import utc_now
from models.snapshot import SnapshotError, load_snapshot, lock_customer
from settings import Settings
from workflows.payloads import (
    CaseProgressInput,
    CaseSetup,
    CloseCaseInput,
    HandoffInput,
    HandoffResult,
    LoadCaseInput,
    OpenCaseInput,
    PostLetterInput,
    PostLetterResult,
)

logger = logging.getLogger(__name__)


def amount_text(amount: Decimal, currency: str) -> str:
    """Return the amount as a decimal string in the currency's minor units."""
    return str(round_money(amount, currency))


def money_text(amount: Decimal, currency: str) -> str:
    return f"{amount_text(amount, currency)} {currency}"


def add_event(
    session: Session,
    case_id: int,
    key: str,
    event_date: date,
    kind: str,
    summary: str,
    details: dict[str, Any] | None = None,
) -> None:
    """Add a timeline event unless one with the same key exists."""
    existing = session.exec(
        select(CaseEvent.id).where(
            CaseEvent.case_id == case_id, CaseEvent.event_key == key
        )
    ).first()
    if existing is not None:
        return
    session.add(
        CaseEvent(
            case_id=case_id,
            event_key=key,
            event_date=event_date,
            kind=kind,
            summary=summary,
            details=details or {},
        )
    )


class CaseActivities:
    """Case activities bound to one database engine and the worker's settings."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings

    def _session(self) -> Session:
        return write_session(self.engine)

    @activity.defn
    def open_case_record(self, request: OpenCaseInput) -> CaseSetup:
        """Create the case row of a new workflow run, or return the existing one."""
        with self._session() as session:
            setup = self._find_or_create_case(session, request)
            session.commit()
            return setup

    def _find_or_create_case(
        self, session: Session, request: OpenCaseInput
    ) -> CaseSetup:
        def setup_for(case: CollectionCase) -> CaseSetup:
            assert case.id is not None
            return CaseSetup(
                case_id=case.id,
                timezone=self.settings.timezone,
                run_hour=self.settings.run_hour,
            )

        if request.case_id is not None:
            case = session.get(CollectionCase, request.case_id)
            if case is None:
                raise ApplicationError(
                    f"case {request.case_id} not found", non_retryable=True
                )
            return setup_for(case)

        case = session.exec(
            select(CollectionCase).where(CollectionCase.run_id == request.run_id)
        ).first()
        if case is not None:
            return setup_for(case)

        opened_on = business_date(request.opened_at, self.settings.zone)
        customer = lock_customer(session, request.customer_account)
        if customer is None:
            raise ApplicationError(
                f"customer {request.customer_account} not found", non_retryable=True
            )
        stale = session.exec(
            select(CollectionCase).where(
                CollectionCase.customer_account == request.customer_account,
                CollectionCase.status == CaseStatus.OPEN,
            )
        ).first()
        if stale is not None:
            # The run that owned this case ended without closing it, e.g. an
            # operator terminated it in the Temporal UI.
            logger.warning(
                "case %s of customer %s was left open by run %s; closing it",
                stale.id,
                stale.customer_account,
                stale.run_id,
            )
            stale.status = CaseStatus.CLOSED
            stale.closed_on = opened_on
            stale.close_reason = "workflow run ended without closing the case"
            session.add(stale)
            session.flush()

        case = CollectionCase(
            customer_account=customer.account,
            workflow_id=request.workflow_id,
            run_id=request.run_id,
            currency=customer.currency,
            opened_on=opened_on,
        )
        session.add(case)
        session.flush()
        assert case.id is not None
        snapshot = load_snapshot(session, customer.account)
        plan = plan_case(snapshot, opened_on)
        add_event(
            session,
            case.id,
            "opened",
            opened_on,
            "case_opened",
            f"Case opened: overdue amount {money_text(plan.overdue_amount, customer.currency)}",
            {
                "rule": "a customer with an open debit past its due date gets a case",
                "overdue_amount": amount_text(plan.overdue_amount, customer.currency),
                "net_overdue_amount": amount_text(
                    plan.net_overdue_amount, customer.currency
                ),
                "currency": customer.currency,
                "overdue_documents": [
                    item.document_number
                    for item in snapshot.items
                    if item.kind.is_debit
                    and item.open_amount > 0
                    and item.due_date < opened_on
                ],
            },
        )
        logger.info(
            "case %s opened for customer %s by workflow %s run %s",
            case.id,
            customer.account,
            request.workflow_id,
            request.run_id,
        )
        return setup_for(case)

    @activity.defn
    def load_case_snapshot(self, request: LoadCaseInput) -> CaseSnapshot:
        """Read the customer's open items and collection policy."""
        with self._session() as session:
            try:
                return load_snapshot(session, request.customer_account)
            except SnapshotError as err:
                # Retrying cannot create a missing customer or profile.
                raise ApplicationError(str(err), non_retryable=True) from err

    @activity.defn
    def post_collection_letter(self, request: PostLetterInput) -> PostLetterResult:
        """Post the customer's letter of the business date, with its fee.

        Plans again on the committed ledger: an invoice paid since the
        workflow planned is left off, and no letter is posted when nothing
        is due any more.
        """
        with self._session() as session:
            existing = self._letter_of_date(session, request)
            if existing is not None:
                return PostLetterResult(existing.id, existing.number, created=False)
            lock_customer(session, request.customer_account)
            snapshot = load_snapshot(session, request.customer_account)
            plan = plan_case(snapshot, request.business_date)
            if plan.letter is None:
                logger.info(
                    "no letter for customer %s on %s at posting: %s",
                    request.customer_account,
                    request.business_date,
                    plan.skipped_letter_reason or "nothing due any more",
                )
                return PostLetterResult(None)
            try:
                letter = self._write_letter(session, request, snapshot, plan)
                session.commit()
            except IntegrityError:
                # A concurrent attempt of this activity posted the letter first.
                session.rollback()
                existing = self._letter_of_date(session, request)
                if existing is None:
                    raise
                return PostLetterResult(existing.id, existing.number, created=False)
        logger.info(
            "letter %s (%s) posted for customer %s on %s: total due %s",
            letter.number,
            letter.code.value,
            letter.customer_account,
            letter.letter_date,
            money_text(letter.total_due, letter.currency),
        )
        return PostLetterResult(letter.id, letter.number, created=True)

    @staticmethod
    def _letter_of_date(
        session: Session, request: PostLetterInput
    ) -> CollectionLetter | None:
        return session.exec(
            select(CollectionLetter).where(
                CollectionLetter.customer_account == request.customer_account,
                CollectionLetter.letter_date == request.business_date,
            )
        ).first()

    def _write_letter(
        self,
        session: Session,
        request: PostLetterInput,
        snapshot: CaseSnapshot,
        plan: CasePlan,
    ) -> CollectionLetter:
        assert plan.letter is not None
        letter_plan = plan.letter
        customer = session.get(Customer, request.customer_account)
        assert customer is not None
        step_text = next(
            step.text_for(customer.language)
            for step in snapshot.policy.steps
            if step.code is letter_plan.code
        )
        letter = CollectionLetter(
            customer_account=customer.account,
            case_id=request.case_id,
            letter_date=request.business_date,
            code=letter_plan.code,
            code_text=step_text,
            currency=snapshot.currency,
            language=customer.language,
            overdue_amount=letter_plan.overdue_amount,
            credit_amount=letter_plan.credit_amount,
            fee=letter_plan.fee,
            total_due=letter_plan.total_due,
        )
        session.add(letter)
        session.flush()
        assert letter.id is not None
        letter.number = f"CL{letter.id:07d}"

        transactions = {
            txn.id: txn
            for txn in session.exec(
                select(CustomerTransaction).where(
                    CustomerTransaction.id.in_(  # type: ignore[union-attr]
                        [line.transaction_id for line in letter_plan.lines]
                    )
                )
            ).all()
        }
        for line in letter_plan.lines:
            session.add(
                CollectionLetterLine(
                    letter_id=letter.id,
                    transaction_id=line.transaction_id,
                    kind=line.kind,
                    document_number=line.document_number,
                    due_date=line.due_date,
                    amount=line.amount,
                    open_amount=line.open_amount,
                    days_overdue=line.days_overdue,
                    code=line.code,
                    advances=line.advances,
                )
            )
            if line.advances and line.code is not None:
                txn = transactions[line.transaction_id]
                txn.collection_letter_code = line.code
                txn.collection_letter_date = request.business_date
                txn.valid_collection_letter_code = next_code(
                    snapshot.policy.steps, line.code
                )
                session.add(txn)

        if letter_plan.fee > 0:
            session.add(
                CustomerTransaction(
                    customer_account=customer.account,
                    kind=TransactionKind.FEE,
                    document_number=f"FEE-{letter.number}",
                    transaction_date=request.business_date,
                    due_date=request.business_date,
                    currency=snapshot.currency,
                    amount=letter_plan.fee,
                    open_amount=letter_plan.fee,
                    source_letter_id=letter.id,
                )
            )
        self._add_letter_events(session, request, letter, plan)
        session.add(letter)
        session.flush()
        return letter

    @staticmethod
    def _add_letter_events(
        session: Session,
        request: PostLetterInput,
        letter: CollectionLetter,
        plan: CasePlan,
    ) -> None:
        assert plan.letter is not None
        advancing = [line for line in plan.letter.lines if line.advances]
        add_event(
            session,
            request.case_id,
            f"letter:{request.business_date.isoformat()}",
            request.business_date,
            "letter_posted",
            f"{letter.code.label} {letter.number} posted: total due "
            f"{money_text(letter.total_due, letter.currency)}",
            {
                "letter_id": letter.id,
                "letter_number": letter.number,
                "code": letter.code.value,
                "rule": "an invoice's valid code is due when the days of that code "
                "have passed since its due date (first letter) or its previous letter",
                "invoices": [
                    {
                        "document_number": line.document_number,
                        "code": line.code.value if line.code else None,
                        "open_amount": amount_text(line.open_amount, letter.currency),
                        "days_overdue": line.days_overdue,
                        "threshold_days": line.threshold_days,
                        "counted_from": line.reference_date.isoformat()
                        if line.reference_date
                        else None,
                    }
                    for line in advancing
                ],
                "overdue_amount": amount_text(
                    plan.letter.overdue_amount, letter.currency
                ),
                "credit_amount": amount_text(
                    plan.letter.credit_amount, letter.currency
                ),
                "fee": amount_text(plan.letter.fee, letter.currency),
                "total_due": amount_text(plan.letter.total_due, letter.currency),
                "currency": letter.currency,
            },
        )
        if plan.letter.fee > 0:
            add_event(
                session,
                request.case_id,
                f"fee:{request.business_date.isoformat()}",
                request.business_date,
                "fee_posted",
                f"Fee {money_text(plan.letter.fee, letter.currency)} posted with "
                f"{letter.code.label}",
                {
                    "rule": "the fee of the highest code on the letter is charged once per letter",
                    "code": letter.code.value,
                    "fee": amount_text(plan.letter.fee, letter.currency),
                    "currency": letter.currency,
                    "document_number": f"FEE-{letter.number}",
                    "letter_number": letter.number,
                },
            )

    @activity.defn
    def hand_off_to_agency(self, request: HandoffInput) -> HandoffResult:
        """Hand the invoices whose code ``collection`` is due to the agency."""
        with self._session() as session:
            existing = self._handoff_of_date(session, request)
            if existing is not None:
                return HandoffResult(existing.id, created=False)
            lock_customer(session, request.customer_account)
            snapshot = load_snapshot(session, request.customer_account)
            plan = plan_case(snapshot, request.business_date)
            if plan.handoff is None:
                return HandoffResult(None)
            try:
                handoff = self._write_handoff(session, request, snapshot, plan)
                session.commit()
            except IntegrityError:
                session.rollback()
                existing = self._handoff_of_date(session, request)
                if existing is None:
                    raise
                return HandoffResult(existing.id, created=False)
        logger.info(
            "customer %s handed to agency %s on %s: %s",
            request.customer_account,
            handoff.agency_name,
            request.business_date,
            money_text(handoff.total, handoff.currency),
        )
        return HandoffResult(handoff.id, created=True)

    @staticmethod
    def _handoff_of_date(
        session: Session, request: HandoffInput
    ) -> AgencyHandoff | None:
        return session.exec(
            select(AgencyHandoff).where(
                AgencyHandoff.customer_account == request.customer_account,
                AgencyHandoff.handoff_date == request.business_date,
            )
        ).first()

    def _write_handoff(
        self,
        session: Session,
        request: HandoffInput,
        snapshot: CaseSnapshot,
        plan: CasePlan,
    ) -> AgencyHandoff:
        assert plan.handoff is not None
        handoff = AgencyHandoff(
            customer_account=request.customer_account,
            case_id=request.case_id,
            agency_name=plan.handoff.agency_name,
            handoff_date=request.business_date,
            currency=snapshot.currency,
            total=plan.handoff.total,
        )
        session.add(handoff)
        session.flush()
        assert handoff.id is not None
        for line in plan.handoff.lines:
            session.add(
                AgencyHandoffLine(
                    handoff_id=handoff.id,
                    transaction_id=line.transaction_id,
                    kind=line.kind,
                    document_number=line.document_number,
                    due_date=line.due_date,
                    open_amount=line.open_amount,
                    days_overdue=line.days_overdue,
                )
            )
            txn = session.get(CustomerTransaction, line.transaction_id)
            assert txn is not None
            txn.with_agency = True
            if txn.kind is TransactionKind.INVOICE:
                txn.collection_letter_code = CollectionLetterCode.COLLECTION
                txn.collection_letter_date = request.business_date
                txn.valid_collection_letter_code = CollectionLetterCode.COLLECTION
            session.add(txn)
        collection_days = next(
            (
                step.days
                for step in snapshot.policy.steps
                if step.code is CollectionLetterCode.COLLECTION
            ),
            None,
        )
        add_event(
            session,
            request.case_id,
            f"handoff:{request.business_date.isoformat()}",
            request.business_date,
            "handed_to_agency",
            f"Handed to {handoff.agency_name}: {len(plan.handoff.lines)} items, "
            f"{money_text(handoff.total, handoff.currency)}",
            {
                "rule": "an invoice whose valid code is collection is handed to the "
                "agency when the days of that code have passed since its previous letter",
                "agency": handoff.agency_name,
                "threshold_days": collection_days,
                "items": [
                    {
                        "document_number": line.document_number,
                        "kind": line.kind.value,
                        "open_amount": amount_text(line.open_amount, handoff.currency),
                        "days_overdue": line.days_overdue,
                    }
                    for line in plan.handoff.lines
                ],
                "total": amount_text(handoff.total, handoff.currency),
                "currency": handoff.currency,
            },
        )
        return handoff

    @activity.defn
    def record_case_progress(self, request: CaseProgressInput) -> None:
        """Store the case's stage, overdue amount and next action date."""
        with self._session() as session:
            case = session.get(CollectionCase, request.case_id)
            if case is None:
                raise ApplicationError(
                    f"case {request.case_id} not found", non_retryable=True
                )
            if case.stage is not request.stage:
                add_event(
                    session,
                    case.id,  # type: ignore[arg-type]
                    f"stage:{request.business_date.isoformat()}:{request.stage.value}",
                    request.business_date,
                    "stage_changed",
                    f"Stage changed from {case.stage.value} to {request.stage.value}",
                    {"from": case.stage.value, "to": request.stage.value},
                )
            if request.note:
                add_event(
                    session,
                    case.id,  # type: ignore[arg-type]
                    f"note:{request.business_date.isoformat()}",
                    request.business_date,
                    "letter_skipped",
                    request.note,
                    {
                        "overdue_amount": amount_text(
                            request.overdue_amount, case.currency
                        )
                    },
                )
            case.stage = request.stage
            case.overdue_amount = request.overdue_amount
            case.next_action_date = request.next_action_date
            case.updated_at = utc_now()
            session.add(case)
            session.commit()

    @activity.defn
    def close_case_record(self, request: CloseCaseInput) -> None:
        """Mark the case closed with its reason. A repeated call changes nothing."""
        with self._session() as session:
            case = session.get(CollectionCase, request.case_id)
            if case is None:
                raise ApplicationError(
                    f"case {request.case_id} not found", non_retryable=True
                )
            if case.status is CaseStatus.CLOSED:
                return
            case.status = CaseStatus.CLOSED
            case.closed_on = request.business_date
            case.close_reason = request.reason
            if request.stage is not None:
                case.stage = request.stage
            if request.overdue_amount is not None:
                case.overdue_amount = request.overdue_amount
            case.closed_by = request.closed_by
            case.next_action_date = None
            case.updated_at = utc_now()
            session.add(case)
            closed_by_text = f" by {request.closed_by}" if request.closed_by else ""
            add_event(
                session,
                case.id,  # type: ignore[arg-type]
                "closed",
                request.business_date,
                "case_closed",
                f"Case closed{closed_by_text}: {request.reason}",
                {"reason": request.reason, "closed_by": request.closed_by},
            )
            session.commit()
        logger.info("case %s closed: %s", request.case_id, request.reason)
