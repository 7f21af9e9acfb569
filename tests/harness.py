"""Run case workflows on Temporal's time-skipping test server.

The test server's clock starts at the real time, but the cases under test
must start on fixed business dates (an invoice due 2024-03-01 gets its
first letter on 2024-03-08). ``time_skipping_env`` therefore starts the
real ``temporal-test-server`` binary under libfaketime, whose clock then
starts at the given moment; the server skips time from there as usual.
"""

from __future__ import annotations

import asyncio
import stat
import sys
import tempfile
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import libfaketime
from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from control.cases import notify_ledger_changed, open_case
from domain.business_days import business_date, run_moment
from domain.case import TransactionKind
from ledger.posting import post_transaction, upsert_customer
from models import (
    CollectionCase,
    CollectionLetter,
    CollectionLetterLine,
    CustomerTransaction,
)
from models.db import write_session
from settings import Settings
from worker import build_worker
from workflows.collections_case import CustomerCollectionsWorkflow
from workflows.names import GET_STATE_QUERY, SEARCH_ATTRIBUTES, case_workflow_id
from workflows.payloads import CaseState

TEST_SERVER = Path(sys.prefix) / "bin" / "temporal-test-server"
INDEXED_TYPES = {
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "Double": IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
    "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
}


def _faketime_launcher(start: datetime, folder: Path) -> Path:
    """Write a script that starts the test server with its clock at ``start``."""
    _, preload_env = libfaketime.get_reload_information()
    stamp = start.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    lines = ["#!/bin/sh"]
    for name, value in preload_env.items():
        lines.append(f"export {name}='{value}'")
    lines += [
        "export TZ=UTC",
        f"export FAKETIME='@{stamp}'",
        f'exec "{TEST_SERVER}" "$@"',
    ]
    script = folder / "temporal-test-server-faketime"
    script.write_text("\n".join(lines) + "\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


async def register_search_attributes(
    client: Client, namespace: str = "default"
) -> None:
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=namespace,
            search_attributes={
                name: INDEXED_TYPES[kind] for name, kind in SEARCH_ATTRIBUTES.items()
            },
        )
    )


@asynccontextmanager
async def time_skipping_env(
    start: datetime | None = None,
) -> AsyncIterator[WorkflowEnvironment]:
    """Start a time-skipping test server, its clock at ``start`` when given."""
    with tempfile.TemporaryDirectory(prefix="overdue-test-server-") as folder:
        server = str(TEST_SERVER)
        if start is not None:
            server = str(_faketime_launcher(start, Path(folder)))
        env = await WorkflowEnvironment.start_time_skipping(
            data_converter=pydantic_data_converter,
            test_server_existing_path=server,
        )
        async with env:
            await register_search_attributes(env.client)
            yield env


@dataclass
class CaseHarness:
    """A worker with the real activities on a time-skipping server."""

    env: WorkflowEnvironment
    engine: Engine
    settings: Settings

    @property
    def client(self) -> Client:
        return self.env.client

    async def today(self) -> date:
        return business_date(await self.env.get_current_time(), self.settings.zone)

    async def sleep_until(self, day: date, hour: int | None = None) -> None:
        """Skip time to ``day`` an hour after the run hour, company time."""
        target = run_moment(
            day,
            self.settings.zone,
            hour if hour is not None else self.settings.run_hour,
        )
        target += timedelta(hours=1)
        now = await self.env.get_current_time()
        if target > now:
            await self.env.sleep(target - now)

    async def workflow_status(
        self, workflow_id: str
    ) -> tuple[WorkflowExecutionStatus, str]:
        """Return the status and run id of the workflow's latest run.

        Reads the raw description: the test server returns Datetime search
        attributes in a form the SDK's decoder rejects.
        """
        response = await self.client.workflow_service.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(
                namespace=self.client.namespace,
                execution=WorkflowExecution(workflow_id=workflow_id),
            )
        )
        info = response.workflow_execution_info
        return WorkflowExecutionStatus(info.status), info.execution.run_id

    async def wait_for_plans(self, accounts: list[str], timeout: float = 60) -> None:
        """Wait in real time until each account's case has planned once.

        The time-skipping server moves its clock to a target time as soon as
        no timer lies before it, even while workflows are still running their
        first activities, so a test waits for them explicitly.
        """
        deadline = asyncio.get_running_loop().time() + timeout
        pending = set(accounts)
        while pending:
            for account in sorted(pending):
                handle = self.client.get_workflow_handle(case_workflow_id(account))
                try:
                    state = await handle.query(GET_STATE_QUERY, result_type=CaseState)
                except RPCError:
                    state = None
                if state is not None and state.plan is not None:
                    pending.discard(account)
            if pending:
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(
                        f"cases of {sorted(pending)} did not plan in {timeout} s"
                    )
                await asyncio.sleep(0.2)

    async def open_case(self, account: str) -> WorkflowHandle:
        run_id = await open_case(self.client, self.settings, account)
        return self.client.get_workflow_handle_for(
            CustomerCollectionsWorkflow.run, case_workflow_id(account), run_id=run_id
        )

    async def notify(self, *accounts: str) -> None:
        await notify_ledger_changed(
            self.client, self.settings, self.engine, accounts, await self.today()
        )

    def add_customer(
        self, account: str, currency: str = "USD", language: str = "en"
    ) -> None:
        with Session(self.engine) as session:
            upsert_customer(
                session,
                account=account,
                name=f"Customer {account}",
                language=language,
                currency=currency,
                address="1 Main Street\nSpringfield",
                email="",
                posting_profile="GEN",
            )
            session.commit()

    def post(
        self,
        account: str,
        kind: TransactionKind,
        number: str,
        on: date,
        amount: str,
        due: date | None = None,
        settles: list[str] | None = None,
        currency: str = "USD",
    ) -> CustomerTransaction:
        with write_session(self.engine) as session:
            txn = post_transaction(
                session,
                customer_account=account,
                kind=kind,
                document_number=number,
                transaction_date=on,
                due_date=due,
                currency=currency,
                amount=Decimal(amount),
                settles=settles,
            )
            session.commit()
            return txn

    def _rows(self, query):  # type: ignore[no-untyped-def]
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.exec(query).all())

    def letters(self, account: str) -> list[CollectionLetter]:
        return self._rows(
            select(CollectionLetter)
            .where(CollectionLetter.customer_account == account)
            .order_by(CollectionLetter.letter_date)  # type: ignore[arg-type]
        )

    def letter_lines(self, letter_id: int) -> list[CollectionLetterLine]:
        return self._rows(
            select(CollectionLetterLine)
            .where(CollectionLetterLine.letter_id == letter_id)
            .order_by(CollectionLetterLine.id)  # type: ignore[arg-type]
        )

    def transactions(
        self, account: str, kind: TransactionKind
    ) -> list[CustomerTransaction]:
        return self._rows(
            select(CustomerTransaction)
            .where(
                CustomerTransaction.customer_account == account,
                CustomerTransaction.kind == kind,
            )
            .order_by(CustomerTransaction.id)  # type: ignore[arg-type]
        )

    def cases(self, account: str) -> list[CollectionCase]:
        return self._rows(
            select(CollectionCase)
            .where(CollectionCase.customer_account == account)
            .order_by(CollectionCase.id)  # type: ignore[arg-type]
        )


def case_settings(task_queue: str) -> Settings:
    return replace(
        Settings(),
        task_queue=task_queue,
        timezone="Europe/Oslo",
        run_hour=6,
        render_processes=1,
    )


@asynccontextmanager
async def running_worker(
    harness: CaseHarness,
    render_pool,
    interceptors=(),  # type: ignore[no-untyped-def]
) -> AsyncIterator[Worker]:
    with ThreadPoolExecutor(max_workers=20) as threads:
        worker = build_worker(
            harness.client,
            harness.engine,
            harness.settings,
            render_pool,
            threads,
            interceptors=interceptors,
        )
        async with worker:
            yield worker


def environment_start(
    day: date, hour: int = 6, zone_name: str = "Europe/Oslo"
) -> datetime:
    """Return ``day`` at ``hour`` o'clock in the zone, as an aware datetime."""
    from zoneinfo import ZoneInfo

    return datetime.combine(
        day, datetime.min.time().replace(hour=hour), tzinfo=ZoneInfo(zone_name)
    )
