"""Collections cases: open, list, read, close and the timeline."""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from fastapi import APIRouter, Query, Response
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import (
    MAX_RECORD_ID,
    BusinessDateDep,
    EngineDep,
    RecordId,
    SessionDep,
    SettingsDep,
    TemporalDep,
)
from api.errors import field_error, not_found
from api.schemas import (
    CaseList,
    CasePublic,
    CaseStarting,
    CloseCaseRequest,
    OpenCaseRequest,
    Timeline,
    TimelineEntry,
    timeline_entry,
)
from control.cases import open_case, overdue_customers
from domain.case import CaseStage, CaseStatus, TransactionKind
from domain.money import round_money
from models import CaseEvent, CollectionCase, Customer, CustomerTransaction, Settlement
from workflows.names import CLOSE_CASE_UPDATE, case_workflow_id
from workflows.payloads import CaseResult, CloseRequest

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/cases", tags=["cases"])


def _open_case_of(session: Session, account: str) -> CollectionCase | None:
    return session.exec(
        select(CollectionCase).where(
            CollectionCase.customer_account == account,
            CollectionCase.status == CaseStatus.OPEN,
        )
    ).first()


@router.post(
    "",
    response_model=CasePublic | CaseStarting,
    responses={
        200: {"description": "The customer's case was already open."},
        201: {
            "description": "A case was opened. Its workflow may have closed it "
            "at once, when open credits cover the overdue amount."
        },
        202: {
            "description": "The case workflow started but has not recorded the case yet."
        },
        404: {"description": "Unknown customer account."},
        409: {"description": "The customer has nothing overdue."},
        503: {"description": "Temporal is unreachable."},
    },
)
async def open_case_route(
    body: OpenCaseRequest,
    response: Response,
    engine: EngineDep,
    settings: SettingsDep,
    client: TemporalDep,
    today: BusinessDateDep,
) -> CasePublic | CaseStarting:
    """Open the customer's collections case, or return the one already open.

    An open case whose workflow no longer runs (an operator terminated it)
    is replaced: the new workflow run closes the stale case and opens a new one.
    """
    account = body.customer_account
    # Each session ends before the Temporal calls, so no transaction stays open
    # while the request waits up to case_open_wait_seconds for the workflow.
    with Session(engine) as session:
        if session.get(Customer, account) is None:
            raise not_found("customer", account, ("body", "customer_account"))
        existing = _open_case_of(session, account)
        if existing is None and not overdue_customers(session, today, [account]):
            raise field_error(
                409,
                ("body", "customer_account"),
                f"customer {account} has no open amount past its due date on {today}; "
                "there is nothing to collect",
                "nothing_overdue",
            )
    if existing is not None:
        if await _workflow_is_running(client, existing.workflow_id):
            response.status_code = 200
            return CasePublic.of(existing)
        logger.warning(
            "case %s of customer %s is open but workflow %s is not running; "
            "starting a new run",
            existing.id,
            account,
            existing.workflow_id,
        )

    run_id = await open_case(client, settings, account)
    logger.info(
        "case workflow for customer %s started or found: run %s", account, run_id
    )
    deadline = asyncio.get_running_loop().time() + settings.case_open_wait_seconds
    while True:
        case = _case_of_run(engine, run_id)
        if case is not None and _has_first_plan(case):
            response.status_code = 201
            return CasePublic.of(case)
        if asyncio.get_running_loop().time() >= deadline:
            break
        await asyncio.sleep(0.2)
    logger.warning(
        "case of customer %s not recorded within %.0f s; is a worker running?",
        account,
        settings.case_open_wait_seconds,
    )
    response.status_code = 202
    return CaseStarting(
        customer_account=account, workflow_id=case_workflow_id(account), run_id=run_id
    )


async def _workflow_is_running(client: Client, workflow_id: str) -> bool:
    """Return whether the latest run of the workflow is running.

    Reads the raw description because the SDK's ``describe()`` fails to
    decode the Datetime search attributes that Temporal's test server returns.
    """
    try:
        description = await client.workflow_service.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(
                namespace=client.namespace,
                execution=WorkflowExecution(workflow_id=workflow_id),
            )
        )
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            return False
        raise
    status = description.workflow_execution_info.status
    return status == WorkflowExecutionStatus.RUNNING.value


def _case_of_run(engine: Engine, run_id: str) -> CollectionCase | None:
    """Return the case that the workflow run opened, if it has recorded it."""
    with Session(engine) as session:
        return session.exec(
            select(CollectionCase).where(CollectionCase.run_id == run_id)
        ).first()


def _has_first_plan(case: CollectionCase) -> bool:
    """Return whether the workflow has recorded the case's first plan.

    The case row starts with an overdue amount of 0 and no next action date.
    An open case always has a positive overdue amount once planned, because
    the workflow closes a case whose overdue amount is paid or covered.
    """
    return case.status is CaseStatus.CLOSED or case.overdue_amount != 0


@router.get("", response_model=CaseList)
def list_cases(
    session: SessionDep,
    status: Literal["open", "closed"] | None = None,
    stage: CaseStage | None = None,
    customer_account: str | None = Query(default=None, max_length=40),
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0, le=MAX_RECORD_ID),
) -> CaseList:
    """List cases, newest first, filtered by status, stage or customer."""
    query = select(CollectionCase)
    if status is not None:
        query = query.where(CollectionCase.status == CaseStatus(status))
    if stage is not None:
        query = query.where(CollectionCase.stage == stage)
    if customer_account is not None:
        query = query.where(CollectionCase.customer_account == customer_account)
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    cases = session.exec(
        query.order_by(CollectionCase.id.desc()).offset(offset).limit(limit)  # type: ignore[union-attr]
    ).all()
    return CaseList(data=[CasePublic.of(case) for case in cases], count=count)


def _get_case(session: Session, case_id: int) -> CollectionCase:
    case = session.get(CollectionCase, case_id)
    if case is None:
        raise not_found("case", case_id, ("path", "case_id"))
    return case


@router.get("/{case_id}", response_model=CasePublic, responses={404: {}})
def read_case(case_id: RecordId, session: SessionDep) -> CasePublic:
    return CasePublic.of(_get_case(session, case_id))


@router.post(
    "/{case_id}/close", response_model=CasePublic, responses={404: {}, 409: {}, 503: {}}
)
async def close_case(
    case_id: RecordId,
    body: CloseCaseRequest,
    engine: EngineDep,
    client: TemporalDep,
) -> CasePublic:
    """Close an open case; the case workflow records the reason and ends."""
    with Session(engine) as session:
        case = _get_case(session, case_id)
    if case.status is CaseStatus.CLOSED:
        raise field_error(
            409, ("path", "case_id"), f"case {case_id} is already closed", "case_closed"
        )
    handle = client.get_workflow_handle(case.workflow_id)
    try:
        await handle.execute_update(
            CLOSE_CASE_UPDATE,
            CloseRequest(reason=body.reason, user=body.user),
            result_type=CaseResult,
        )
    except WorkflowUpdateFailedError as err:
        raise field_error(
            409,
            ("path", "case_id"),
            f"case {case_id} cannot be closed: {err.cause}",
            "case_closed",
        ) from err
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            raise field_error(
                409,
                ("path", "case_id"),
                f"case {case_id} has no running workflow {case.workflow_id}; "
                "open the customer's case again with POST /cases to replace it",
                "workflow_not_running",
            ) from err
        raise
    with Session(engine) as fresh:
        return CasePublic.of(_get_case(fresh, case_id))


@router.get("/{case_id}/timeline", response_model=Timeline, responses={404: {}})
def read_timeline(case_id: RecordId, session: SessionDep) -> Timeline:
    """List every letter, fee, hand-off, payment and status change of the case."""
    case = _get_case(session, case_id)
    events = session.exec(
        select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)  # type: ignore[arg-type]
    ).all()
    entries = [timeline_entry(event) for event in events]
    entries += _ledger_entries(session, case)
    entries.sort(key=lambda entry: (entry.date, entry.recorded_at))
    return Timeline(
        case_id=case_id, customer_account=case.customer_account, entries=entries
    )


def _ledger_entries(session: Session, case: CollectionCase) -> list[TimelineEntry]:
    """Payments and credit notes settled against the customer while the case ran.

    A settlement belongs to the case when it was recorded while the case was
    open, whatever its own date: a back-dated payment shows on the case it
    closed, and a payment after the close shows on no closed case.
    """
    recorded = [Settlement.created_at >= case.created_at]
    if case.closed_on is not None:
        # The workflow sets updated_at when it closes the case.
        recorded.append(Settlement.created_at <= case.updated_at)
    query = (
        select(Settlement, CustomerTransaction)
        .join(CustomerTransaction, Settlement.credit_id == CustomerTransaction.id)  # type: ignore[arg-type]
        .where(
            Settlement.customer_account == case.customer_account,
            *recorded,
        )
    )
    by_credit: dict[int, list[tuple[Settlement, CustomerTransaction]]] = {}
    for settlement, credit in session.exec(query).all():
        by_credit.setdefault(credit.id, []).append((settlement, credit))  # type: ignore[arg-type]

    entries = []
    for rows in by_credit.values():
        credit = rows[0][1]
        debit_numbers = []
        for settlement, _ in rows:
            debit = session.get(CustomerTransaction, settlement.debit_id)
            debit_numbers.append(
                {
                    "document_number": debit.document_number if debit else None,
                    "amount": str(round_money(settlement.amount, credit.currency)),
                }
            )
        kind = "payment" if credit.kind is TransactionKind.PAYMENT else "credit_note"
        amount = round_money(-credit.amount, credit.currency)
        entries.append(
            TimelineEntry(
                date=rows[0][0].settlement_date,
                recorded_at=rows[0][0].created_at,
                kind=kind,
                summary=f"{'Payment' if kind == 'payment' else 'Credit note'} "
                f"{credit.document_number} of {amount} {credit.currency} settled "
                f"{len(rows)} item(s)",
                details={
                    "document_number": credit.document_number,
                    "amount": str(amount),
                    "currency": credit.currency,
                    "unapplied_amount": str(
                        round_money(-credit.open_amount, credit.currency)
                    ),
                    "settled": debit_numbers,
                },
            )
        )
    return entries
