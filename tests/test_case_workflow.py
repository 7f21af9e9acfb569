"""The collections case workflow on the time-skipping server, with real
activities, database and PDF rendering.

Every scenario runs in the company time zone Europe/Oslo with the run hour
06:00; the test server's clock starts on the scenario's first day.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlmodel import Session, select
from temporalio import activity
from temporalio.client import WorkflowExecutionStatus
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from domain.case import CaseStage, CaseStatus, TransactionKind
from domain.codes import CollectionLetterCode
from models import AgencyHandoff, AgencyHandoffLine, CaseEvent, StoredDocument
from tests.harness import (
    CaseHarness,
    case_settings,
    environment_start,
    running_worker,
    time_skipping_env,
)

INVOICE = TransactionKind.INVOICE
PAYMENT = TransactionKind.PAYMENT
CREDIT_NOTE = TransactionKind.CREDIT_NOTE
FEE = TransactionKind.FEE


@pytest.fixture
def harness_at(engine, render_pool):  # type: ignore[no-untyped-def]
    """Return a factory of harnesses whose clock starts on a given day."""

    @asynccontextmanager
    async def start(day: date, interceptors=()) -> AsyncIterator[CaseHarness]:  # type: ignore[no-untyped-def]
        async with time_skipping_env(environment_start(day)) as env:
            harness = CaseHarness(env, engine, case_settings(f"cases-{uuid.uuid4()}"))
            async with running_worker(harness, render_pool, interceptors):
                yield harness

    return start


def letter_summary(
    harness: CaseHarness, account: str
) -> list[tuple[date, str, Decimal, Decimal]]:
    return [
        (letter.letter_date, letter.code.value, letter.fee, letter.total_due)
        for letter in harness.letters(account)
    ]


async def test_invoice_escalates_to_agency(harness_at) -> None:  # type: ignore[no-untyped-def]
    async with harness_at(date(2024, 3, 2)) as harness:
        harness.add_customer("C-100")
        harness.post(
            "C-100", INVOICE, "INV-1", date(2024, 2, 1), "1000.00", due=date(2024, 3, 1)
        )
        handle = await harness.open_case("C-100")

        await harness.sleep_until(date(2024, 4, 25))

        assert letter_summary(harness, "C-100") == [
            (date(2024, 3, 8), "letter1", Decimal("0.000"), Decimal("1000.000")),
            (date(2024, 3, 22), "letter2", Decimal("0.000"), Decimal("1000.000")),
            (date(2024, 4, 5), "letter3", Decimal("25.000"), Decimal("1025.000")),
        ]
        fees = harness.transactions("C-100", FEE)
        assert len(fees) == 1
        assert fees[0].amount == Decimal("25.00")
        assert fees[0].transaction_date == date(2024, 4, 5)

        with Session(harness.engine) as session:
            handoffs = session.exec(select(AgencyHandoff)).all()
            assert [(h.handoff_date, h.total) for h in handoffs] == [
                (date(2024, 4, 19), Decimal("1025.000"))
            ]
            lines = session.exec(select(AgencyHandoffLine)).all()
            assert sorted(
                (line.document_number, line.open_amount) for line in lines
            ) == [
                ("FEE-" + harness.letters("C-100")[2].number, Decimal("25.000")),
                ("INV-1", Decimal("1000.000")),
            ]
        invoice = harness.transactions("C-100", INVOICE)[0]
        assert invoice.with_agency is True
        assert invoice.collection_letter_code is CollectionLetterCode.COLLECTION

        case = harness.cases("C-100")[0]
        assert case.status is CaseStatus.OPEN
        assert case.stage is CaseStage.WITH_AGENCY
        assert case.next_action_date is None
        status, _ = await harness.workflow_status(handle.id)
        assert status is WorkflowExecutionStatus.RUNNING


async def test_letters_are_rendered_once(harness_at) -> None:  # type: ignore[no-untyped-def]
    async with harness_at(date(2024, 3, 2)) as harness:
        harness.add_customer("C-101")
        harness.post(
            "C-101", INVOICE, "INV-7", date(2024, 2, 1), "99.95", due=date(2024, 3, 1)
        )
        await harness.open_case("C-101")
        await harness.sleep_until(date(2024, 3, 9))

        letters = harness.letters("C-101")
        assert len(letters) == 1
        assert letters[0].document_sha256 is not None
        with Session(harness.engine) as session:
            document = session.get(StoredDocument, letters[0].document_sha256)
            assert document is not None
            assert document.content.startswith(b"%PDF")


async def test_payment_before_letter2_closes(harness_at) -> None:  # type: ignore[no-untyped-def]
    async with harness_at(date(2024, 3, 2)) as harness:
        harness.add_customer("C-200")
        harness.post(
            "C-200", INVOICE, "INV-2", date(2024, 2, 1), "500.00", due=date(2024, 3, 1)
        )
        handle = await harness.open_case("C-200")
        await harness.sleep_until(date(2024, 3, 15))

        harness.post("C-200", PAYMENT, "PAY-2", date(2024, 3, 15), "500.00")
        await harness.notify("C-200")
        result = await handle.result()

        assert result.close_reason == "paid"
        assert result.closed_on == date(2024, 3, 15)
        assert letter_summary(harness, "C-200") == [
            (date(2024, 3, 8), "letter1", Decimal("0.000"), Decimal("500.000")),
        ]
        await harness.sleep_until(date(2024, 4, 30))
        assert len(harness.letters("C-200")) == 1
        case = harness.cases("C-200")[0]
        assert case.status is CaseStatus.CLOSED
        assert case.close_reason == "paid"


async def test_partial_payment_keeps_case_open(harness_at) -> None:  # type: ignore[no-untyped-def]
    async with harness_at(date(2024, 3, 2)) as harness:
        harness.add_customer("C-300")
        harness.post(
            "C-300", INVOICE, "INV-3", date(2024, 2, 1), "1000.00", due=date(2024, 3, 1)
        )
        await harness.open_case("C-300")
        await harness.sleep_until(date(2024, 3, 15))

        harness.post("C-300", PAYMENT, "PAY-3", date(2024, 3, 15), "400.00")
        await harness.notify("C-300")
        await harness.sleep_until(date(2024, 3, 23))

        letters = harness.letters("C-300")
        assert [(letter.letter_date, letter.code.value) for letter in letters] == [
            (date(2024, 3, 8), "letter1"),
            (date(2024, 3, 22), "letter2"),
        ]
        assert letters[1].total_due == Decimal("600.00")
        lines = harness.letter_lines(letters[1].id)  # type: ignore[arg-type]
        assert [
            (line.document_number, line.amount, line.open_amount) for line in lines
        ] == [("INV-3", Decimal("1000.00"), Decimal("600.00"))]
        assert harness.cases("C-300")[0].status is CaseStatus.OPEN


async def test_larger_credit_note_means_no_letter(harness_at) -> None:  # type: ignore[no-untyped-def]
    async with harness_at(date(2024, 3, 2)) as harness:
        harness.add_customer("C-400")
        harness.post("C-400", CREDIT_NOTE, "CN-4", date(2024, 2, 1), "300.00")
        harness.post(
            "C-400", INVOICE, "INV-4", date(2024, 2, 5), "200.00", due=date(2024, 3, 1)
        )
        handle = await harness.open_case("C-400")
        result = await handle.result()
        await harness.sleep_until(date(2024, 4, 30))

        assert result.close_reason == "covered by credits"
        assert harness.letters("C-400") == []
        assert harness.transactions("C-400", FEE) == []


async def test_paid_older_invoice_no_skipped_code(harness_at) -> None:  # type: ignore[no-untyped-def]
    async with harness_at(date(2024, 3, 2)) as harness:
        harness.add_customer("C-500")
        harness.post(
            "C-500",
            INVOICE,
            "INV-OLD",
            date(2024, 2, 1),
            "100.00",
            due=date(2024, 3, 1),
        )
        harness.post(
            "C-500",
            INVOICE,
            "INV-NEW",
            date(2024, 2, 10),
            "250.00",
            due=date(2024, 3, 10),
        )
        await harness.open_case("C-500")
        await harness.sleep_until(date(2024, 3, 12))

        harness.post(
            "C-500", PAYMENT, "PAY-5", date(2024, 3, 12), "100.00", settles=["INV-OLD"]
        )
        await harness.notify("C-500")
        await harness.sleep_until(date(2024, 3, 18))

        letters = harness.letters("C-500")
        assert [(letter.letter_date, letter.code.value) for letter in letters] == [
            (date(2024, 3, 8), "letter1"),
            (date(2024, 3, 17), "letter1"),
        ]
        lines = harness.letter_lines(letters[1].id)  # type: ignore[arg-type]
        assert [(line.document_number, line.code, line.advances) for line in lines] == [
            ("INV-NEW", CollectionLetterCode.LETTER1, True)
        ]
        assert letters[1].total_due == Decimal("250.00")


class _DatabaseOutage(ActivityInboundInterceptor):
    """Fail every activity from 2024-03-06 06:00 Oslo time until 2024-03-16
    06:00; the workflow's retry policy retries every five minutes meanwhile.

    The time-skipping server does not skip time while a workflow task waits
    for a worker, so a stopped worker cannot be simulated across days. A
    worker that cannot reach its database for ten days has the same effect
    on the case, because nothing happens until it is back.
    """

    start = datetime(2024, 3, 6, 5, 0, tzinfo=UTC)
    end = datetime(2024, 3, 16, 5, 0, tzinfo=UTC)

    async def execute_activity(self, input: ExecuteActivityInput):  # type: ignore[no-untyped-def]
        scheduled = activity.info().current_attempt_scheduled_time
        if self.start <= scheduled < self.end:
            raise ApplicationError("database unreachable")
        return await self.next.execute_activity(input)


class _OutageInterceptor(Interceptor):
    def intercept_activity(
        self, next: ActivityInboundInterceptor
    ) -> ActivityInboundInterceptor:
        return _DatabaseOutage(next)


async def test_ten_day_outage_sends_one_letter(harness_at) -> None:  # type: ignore[no-untyped-def]
    async with harness_at(
        date(2024, 3, 2), interceptors=[_OutageInterceptor()]
    ) as harness:
        harness.add_customer("C-600")
        harness.post(
            "C-600", INVOICE, "INV-6", date(2024, 2, 1), "800.00", due=date(2024, 3, 1)
        )
        await harness.open_case("C-600")
        # A ledger change on 2024-03-07 wakes the case during the outage.
        await harness.sleep_until(date(2024, 3, 7))
        await harness.notify("C-600")
        await harness.sleep_until(date(2024, 3, 15))
        assert harness.letters("C-600") == []

        await harness.sleep_until(date(2024, 4, 14))

        letters = harness.letters("C-600")
        assert [(letter.letter_date, letter.code.value) for letter in letters] == [
            (date(2024, 3, 16), "letter1"),
            (date(2024, 3, 30), "letter2"),
            (date(2024, 4, 13), "letter3"),
        ]
        lines = harness.letter_lines(letters[0].id)  # type: ignore[arg-type]
        assert [(line.code, line.days_overdue) for line in lines] == [
            (CollectionLetterCode.LETTER1, 15)
        ]


async def test_open_case_twice_one_workflow(harness_at) -> None:  # type: ignore[no-untyped-def]
    async with harness_at(date(2024, 3, 2)) as harness:
        harness.add_customer("C-700")
        harness.post(
            "C-700", INVOICE, "INV-70", date(2024, 2, 1), "70.00", due=date(2024, 3, 1)
        )
        first = await harness.open_case("C-700")
        second = await harness.open_case("C-700")
        await harness.sleep_until(date(2024, 3, 3))

        first_status, first_run = await harness.workflow_status(first.id)
        assert first_status is WorkflowExecutionStatus.RUNNING
        assert first.run_id == second.run_id
        assert first_run == first.run_id
        assert len(harness.cases("C-700")) == 1


class _CrashAfterPosting(ActivityInboundInterceptor):
    """Fail the first attempt of letter posting after its commit, as a worker
    crash between the database commit and the completion report would."""

    crashed: set[str] = set()

    async def execute_activity(self, input: ExecuteActivityInput):  # type: ignore[no-untyped-def]
        result = await self.next.execute_activity(input)
        info = activity.info()
        if info.activity_type == "post_collection_letter" and info.attempt == 1:
            _CrashAfterPosting.crashed.add(info.workflow_id or "")
            raise RuntimeError("worker crashed after posting the letter")
        return result


class _CrashInterceptor(Interceptor):
    def intercept_activity(
        self, next: ActivityInboundInterceptor
    ) -> ActivityInboundInterceptor:
        return _CrashAfterPosting(next)


async def test_retried_letter_posts_once(harness_at) -> None:  # type: ignore[no-untyped-def]
    async with harness_at(
        date(2024, 4, 1), interceptors=[_CrashInterceptor()]
    ) as harness:
        harness.add_customer("C-800")
        harness.post(
            "C-800", INVOICE, "INV-80", date(2024, 2, 1), "300.00", due=date(2024, 3, 1)
        )
        # Letters 1 and 2 were sent before; letter 3 with its fee is due.
        with Session(harness.engine) as session:
            invoice = harness.transactions("C-800", INVOICE)[0]
            invoice.collection_letter_code = CollectionLetterCode.LETTER2
            invoice.collection_letter_date = date(2024, 3, 15)
            invoice.valid_collection_letter_code = CollectionLetterCode.LETTER3
            session.add(invoice)
            session.commit()
        await harness.open_case("C-800")
        await harness.sleep_until(date(2024, 4, 2))

        assert "collections-C-800" in _CrashAfterPosting.crashed
        letters = harness.letters("C-800")
        assert [
            (letter.letter_date, letter.code.value, letter.fee) for letter in letters
        ] == [(date(2024, 4, 1), "letter3", Decimal("25.00"))]
        fees = harness.transactions("C-800", FEE)
        assert [(fee.document_number, fee.amount) for fee in fees] == [
            (f"FEE-{letters[0].number}", Decimal("25.00"))
        ]
        with Session(harness.engine) as session:
            events = session.exec(
                select(CaseEvent).where(
                    CaseEvent.kind.in_(["letter_posted", "fee_posted"])
                )  # type: ignore[attr-defined]
            ).all()
            assert sorted(event.kind for event in events) == [
                "fee_posted",
                "letter_posted",
            ]


class _PayBeforePosting(ActivityInboundInterceptor):
    """Post a payment just before the letter activity runs, as a payment that
    lands between the workflow's plan and the posting would."""

    harness: CaseHarness | None = None

    async def execute_activity(self, input: ExecuteActivityInput):  # type: ignore[no-untyped-def]
        info = activity.info()
        if info.activity_type == "post_collection_letter" and _PayBeforePosting.harness:
            _PayBeforePosting.harness.post(
                "C-900",
                PAYMENT,
                "PAY-90",
                date(2024, 3, 8),
                "450.00",
                settles=["INV-90"],
            )
            _PayBeforePosting.harness = None
        return await self.next.execute_activity(input)


class _PayInterceptor(Interceptor):
    def intercept_activity(
        self, next: ActivityInboundInterceptor
    ) -> ActivityInboundInterceptor:
        return _PayBeforePosting(next)


async def test_payment_during_letter_preparation(harness_at) -> None:  # type: ignore[no-untyped-def]
    async with harness_at(
        date(2024, 3, 2), interceptors=[_PayInterceptor()]
    ) as harness:
        harness.add_customer("C-900")
        harness.post(
            "C-900", INVOICE, "INV-90", date(2024, 2, 1), "450.00", due=date(2024, 3, 1)
        )
        _PayBeforePosting.harness = harness
        handle = await harness.open_case("C-900")
        await harness.sleep_until(date(2024, 3, 9))
        result = await handle.result()

        assert _PayBeforePosting.harness is None
        assert harness.letters("C-900") == []
        assert result.close_reason == "paid"
        assert result.closed_on == date(2024, 3, 8)


async def test_user_closes_case(harness_at) -> None:  # type: ignore[no-untyped-def]
    from workflows.collections_case import CustomerCollectionsWorkflow
    from workflows.payloads import CloseRequest

    async with harness_at(date(2024, 3, 2)) as harness:
        harness.add_customer("C-950")
        harness.post(
            "C-950", INVOICE, "INV-95", date(2024, 2, 1), "95.00", due=date(2024, 3, 1)
        )
        handle = await harness.open_case("C-950")
        await harness.sleep_until(date(2024, 3, 4))

        result = await handle.execute_update(
            CustomerCollectionsWorkflow.close_case,
            CloseRequest(reason="customer is insolvent", user="kari"),
        )
        assert result.close_reason == "customer is insolvent"
        assert result.closed_by == "kari"
        assert result.closed_on == date(2024, 3, 4)
        case = harness.cases("C-950")[0]
        assert case.status is CaseStatus.CLOSED
        assert case.closed_by == "kari"

        # The same overdue invoice does not reopen the case; a new one does.
        await harness.notify("C-950")
        assert len(harness.cases("C-950")) == 1
        harness.post(
            "C-950", INVOICE, "INV-96", date(2024, 2, 5), "10.00", due=date(2024, 3, 3)
        )
        await harness.notify("C-950")
        await harness.sleep_until(date(2024, 3, 5))
        cases = harness.cases("C-950")
        assert len(cases) == 2
        assert cases[1].status is CaseStatus.OPEN
        assert cases[1].opened_on == date(2024, 3, 4)


async def test_second_invoice_same_day_waits(harness_at) -> None:  # type: ignore[no-untyped-def]
    async with harness_at(date(2024, 3, 2)) as harness:
        harness.add_customer("C-990")
        harness.post(
            "C-990", INVOICE, "INV-A", date(2024, 2, 1), "100.00", due=date(2024, 3, 1)
        )
        await harness.open_case("C-990")
        await harness.sleep_until(date(2024, 3, 8))
        # An old invoice booked late on the day of the first letter.
        harness.post(
            "C-990", INVOICE, "INV-B", date(2024, 2, 2), "40.00", due=date(2024, 2, 20)
        )
        await harness.notify("C-990")
        await harness.sleep_until(date(2024, 3, 10))

        letters = harness.letters("C-990")
        assert [(letter.letter_date, letter.code.value) for letter in letters] == [
            (date(2024, 3, 8), "letter1"),
            (date(2024, 3, 9), "letter1"),
        ]
        lines = harness.letter_lines(letters[1].id)  # type: ignore[arg-type]
        assert [(line.document_number, line.advances) for line in lines] == [
            ("INV-B", True),
            ("INV-A", False),
        ]
        assert letters[1].total_due == Decimal("140.00")


async def test_daily_scan_opens_new_overdue(harness_at) -> None:  # type: ignore[no-untyped-def]
    from worker import start_overdue_scan

    async with harness_at(date(2024, 3, 2)) as harness:
        harness.add_customer("C-999")
        harness.post(
            "C-999",
            INVOICE,
            "INV-99",
            date(2024, 2, 10),
            "99.00",
            due=date(2024, 3, 10),
        )
        await start_overdue_scan(harness.client, harness.settings)
        await harness.sleep_until(date(2024, 3, 10))
        assert harness.cases("C-999") == []

        # No ledger change: the scan on 2024-03-11 finds the invoice overdue.
        await harness.sleep_until(date(2024, 3, 11))
        await harness.wait_for_plans(["C-999"])
        cases = harness.cases("C-999")
        assert [(case.opened_on, case.status) for case in cases] == [
            (date(2024, 3, 11), CaseStatus.OPEN)
        ]
        await harness.sleep_until(date(2024, 3, 18))
        assert [
            (letter.letter_date, letter.code.value)
            for letter in harness.letters("C-999")
        ] == [(date(2024, 3, 17), "letter1")]


async def test_long_case_continues_as_new(harness_at) -> None:  # type: ignore[no-untyped-def]
    from workflows.collections_case import CustomerCollectionsWorkflow
    from workflows.names import LEDGER_CHANGED_SIGNAL
    from workflows.payloads import CaseInput

    async with harness_at(date(2024, 3, 2)) as harness:
        harness.add_customer("C-1000")
        harness.post(
            "C-1000",
            INVOICE,
            "INV-1000",
            date(2024, 2, 1),
            "10.00",
            due=date(2024, 3, 1),
        )
        started = await harness.client.start_workflow(
            CustomerCollectionsWorkflow.run,
            CaseInput(customer_account="C-1000", max_iterations=3),
            id="collections-C-1000",
            task_queue=harness.settings.task_queue,
        )
        await harness.wait_for_plans(["C-1000"])

        # Each signal that arrives on its own is one more loop iteration.
        run_id = started.result_run_id
        deadline = asyncio.get_running_loop().time() + 60
        while run_id == started.result_run_id:
            assert asyncio.get_running_loop().time() < deadline
            await started.signal(LEDGER_CHANGED_SIGNAL)
            await asyncio.sleep(0.3)
            _, run_id = await harness.workflow_status(started.id)

        await harness.sleep_until(date(2024, 3, 9))
        status, _ = await harness.workflow_status(started.id)
        assert status is WorkflowExecutionStatus.RUNNING
        assert len(harness.cases("C-1000")) == 1
        assert [
            (letter.letter_date, letter.code.value)
            for letter in harness.letters("C-1000")
        ] == [(date(2024, 3, 8), "letter1")]


async def test_norwegian_customer_gets_norwegian_text(harness_at) -> None:  # type: ignore[no-untyped-def]
    async with harness_at(date(2024, 3, 2)) as harness:
        harness.add_customer("C-NB", currency="NOK", language="nb")
        harness.post(
            "C-NB",
            INVOICE,
            "F-1",
            date(2024, 2, 1),
            "1250.00",
            due=date(2024, 3, 1),
            currency="NOK",
        )
        await harness.open_case("C-NB")
        await harness.sleep_until(date(2024, 3, 9))

        letters = harness.letters("C-NB")
        assert [(letter.letter_date, letter.code.value) for letter in letters] == [
            (date(2024, 3, 8), "letter1")
        ]
        assert letters[0].code_text.startswith(
            "Etter vår oversikt er postene nedenfor forfalt."
        )
        assert letters[0].language == "nb"
