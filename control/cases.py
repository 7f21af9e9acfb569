"""Start and signal collections case workflows from outside the worker.

The API, the command line and the daily overdue scan all tell cases about
ledger changes through ``notify_ledger_changed``. A customer that needs a
case gets one by signal-with-start, so opening twice is harmless. A customer
whose case is open gets a signal so the case looks again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, or_
from sqlmodel import Session, select
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from domain.case import CaseStatus, TransactionKind
from models import CollectionCase, CustomerTransaction
from settings import Settings
from workflows.names import (
    CASE_WORKFLOW,
    LEDGER_CHANGED_SIGNAL,
    case_workflow_id,
)
from workflows.payloads import CaseInput

logger = logging.getLogger(__name__)


async def connect(settings: Settings) -> Client:
    """Connect to Temporal with the data converter every Overdue process uses."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
    )


def overdue_customers(
    session: Session, business_date: date, accounts: Iterable[str] | None = None
) -> list[str]:
    """Return the accounts with an open debit past its due date.

    Credits are not netted here: the case itself decides whether the
    overdue amount is covered and closes at once if it is.
    """
    query = select(CustomerTransaction.customer_account).where(
        CustomerTransaction.is_open,
        CustomerTransaction.kind.in_([TransactionKind.INVOICE, TransactionKind.FEE]),
        CustomerTransaction.open_amount > 0,
        CustomerTransaction.due_date < business_date,
    )
    if accounts is not None:
        query = query.where(CustomerTransaction.customer_account.in_(list(accounts)))
    return sorted(set(session.exec(query.distinct()).all()))


def _held_back_by_user_close(
    session: Session, account: str, business_date: date
) -> bool:
    """Return whether a user closed the customer's last case and nothing new
    fell overdue since.

    A user who closes a case with invoices still overdue has decided to stop
    collecting them. Only a debit posted after the close, or one falling due
    on or after the close date, opens a new case.
    """
    last = session.exec(
        select(CollectionCase)
        .where(CollectionCase.customer_account == account)
        .order_by(CollectionCase.id.desc())  # type: ignore[union-attr]
    ).first()
    if last is None or last.status is CaseStatus.OPEN or last.closed_by is None:
        return False
    assert last.closed_on is not None
    newer = session.exec(
        select(CustomerTransaction.id).where(
            CustomerTransaction.customer_account == account,
            CustomerTransaction.is_open,
            CustomerTransaction.kind.in_(
                [TransactionKind.INVOICE, TransactionKind.FEE]
            ),
            CustomerTransaction.open_amount > 0,
            CustomerTransaction.due_date < business_date,
            or_(
                CustomerTransaction.due_date >= last.closed_on,
                CustomerTransaction.created_at > last.updated_at,
            ),
        )
    ).first()
    return newer is None


@dataclass
class NotifyResult:
    started: list[str]
    signalled: list[str]
    skipped: list[str]


async def open_case(client: Client, settings: Settings, account: str) -> str:
    """Signal-with-start the customer's case; return the run id of the open run.

    Two requests racing for the same new case can see "already started" from
    the server; the second attempt then signals the run the first one started.
    """
    try:
        return await _signal_with_start(client, settings, account)
    except WorkflowAlreadyStartedError:
        logger.info("case of customer %s started concurrently; signalling it", account)
        return await _signal_with_start(client, settings, account)


async def _signal_with_start(client: Client, settings: Settings, account: str) -> str:
    handle = await client.start_workflow(
        CASE_WORKFLOW,
        CaseInput(customer_account=account),
        id=case_workflow_id(account),
        task_queue=settings.task_queue,
        start_signal=LEDGER_CHANGED_SIGNAL,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    return handle.result_run_id or ""


async def notify_ledger_changed(
    client: Client,
    settings: Settings,
    engine: Engine,
    accounts: Iterable[str],
    business_date: date,
) -> NotifyResult:
    """Open or wake the cases of the given accounts after a ledger change.

    An account gets signal-with-start when it has an overdue debit, unless a
    user closed its last case and nothing fell overdue since. An account
    with an open case but nothing overdue gets a plain signal so the case
    can close.
    """
    requested = sorted(set(accounts))
    result = NotifyResult(started=[], signalled=[], skipped=[])
    with Session(engine) as session:
        overdue = set(overdue_customers(session, business_date, requested))
        open_cases = set(
            session.exec(
                select(CollectionCase.customer_account).where(
                    CollectionCase.customer_account.in_(requested),
                    CollectionCase.status == CaseStatus.OPEN,
                )
            ).all()
        )
        held_back = {
            account
            for account in overdue - open_cases
            if _held_back_by_user_close(session, account, business_date)
        }

    for account in requested:
        if account in overdue and account not in held_back:
            await open_case(client, settings, account)
            if account in open_cases:
                result.signalled.append(account)
            else:
                result.started.append(account)
        elif account in open_cases:
            try:
                await client.get_workflow_handle(case_workflow_id(account)).signal(
                    LEDGER_CHANGED_SIGNAL
                )
                result.signalled.append(account)
            except RPCError as err:
                logger.warning("signal to case of customer %s failed: %s", account, err)
                result.skipped.append(account)
        else:
            result.skipped.append(account)
    logger.info(
        "ledger change: %d cases started, %d signalled, %d customers without a case",
        len(result.started),
        len(result.signalled),
        len(result.skipped),
    )
    return result
