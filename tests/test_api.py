"""The HTTP API against real components: the database, a worker with the real
activities and PDF rendering, and Temporal's time-skipping test server.

The app shares the test server with the worker through ``harness.client``.
Its business date comes from the test server's clock, which starts on the
scenario's first day at 06:00 Europe/Oslo. Apps that never talk to Temporal
get no server: their ``temporal_address`` is ``127.0.0.1:1``, where nothing
listens.
"""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pypdf import PdfReader
from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from api.deps import get_business_date
from api.main import create_app
from domain.case import CaseStage, CaseStatus, TransactionKind
from ledger.posting import upsert_customer
from models import CollectionCase, CustomerTransaction
from settings import Settings
from tests.harness import (
    CaseHarness,
    case_settings,
    environment_start,
    running_worker,
    time_skipping_env,
)

INVOICE = TransactionKind.INVOICE
UNREACHABLE_TEMPORAL = "127.0.0.1:1"


@dataclass
class Api:
    """An HTTP client of the app and the harness whose test server it uses."""

    http: httpx.AsyncClient
    harness: CaseHarness


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan and yield a client that calls it in process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1"
        ) as http:
            yield http


@pytest.fixture
def api_at(engine: Engine, database_url: str, render_pool):  # type: ignore[no-untyped-def]
    """Return a factory of apps on a test server whose clock starts on a given day."""

    @asynccontextmanager
    async def start(
        day: date, interceptors: Sequence[Interceptor] = ()
    ) -> AsyncIterator[Api]:
        async with time_skipping_env(environment_start(day)) as env:
            harness = CaseHarness(env, engine, case_settings(f"api-{uuid.uuid4()}"))
            async with running_worker(harness, render_pool, interceptors):
                app = create_app(replace(harness.settings, database_url=database_url))
                app.state.temporal = harness.client

                async def harness_business_date() -> date:
                    return await harness.today()

                app.dependency_overrides[get_business_date] = harness_business_date
                async with serve(app) as http:
                    yield Api(http, harness)

    return start


@pytest.fixture
async def offline(
    engine: Engine, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """Return a client of an app that has no Temporal client and cannot connect one."""
    settings = replace(
        Settings(), database_url=database_url, temporal_address=UNREACHABLE_TEMPORAL
    )
    app = create_app(settings)
    async with serve(app) as http:
        assert app.state.temporal is None
        yield http


def add_customer(engine: Engine, account: str, currency: str = "USD") -> None:
    with Session(engine) as session:
        upsert_customer(
            session,
            account=account,
            name=f"Customer {account}",
            language="en",
            currency=currency,
            address="1 Main Street\nSpringfield",
            email="",
            posting_profile="GEN",
        )
        session.commit()


def add_overdue_customer(api: Api, account: str, invoice: str, amount: str) -> None:
    """Add a customer with one invoice dated 2024-02-01 and due 2024-03-01."""
    api.harness.add_customer(account)
    api.harness.post(
        account, INVOICE, invoice, date(2024, 2, 1), amount, due=date(2024, 3, 1)
    )


async def open_case(api: Api, account: str) -> dict[str, Any]:
    response = await api.http.post("/cases", json={"customer_account": account})
    assert response.status_code == 201, response.text
    return response.json()


async def wait_for_close(api: Api, case: dict[str, Any]) -> None:
    """Wait until the case workflow run has finished, skipping time meanwhile."""
    handle = api.harness.client.get_workflow_handle(
        case["workflow_id"], run_id=case["run_id"]
    )
    await asyncio.wait_for(handle.result(), timeout=60)


def errors_of(response: httpx.Response) -> list[tuple[list[Any], str]]:
    """Return the ``loc`` and ``msg`` of every error in a 4xx or 5xx body."""
    return [(error["loc"], error["msg"]) for error in response.json()["detail"]]


def locations_of(response: httpx.Response) -> list[list[Any]]:
    return [error["loc"] for error in response.json()["detail"]]


# POST /cases


class _DelayedActivity(ActivityInboundInterceptor):
    """Delay each run of one activity type by a number of real seconds."""

    def __init__(
        self, next: ActivityInboundInterceptor, activity_type: str, seconds: float
    ) -> None:
        super().__init__(next)
        self.activity_type = activity_type
        self.seconds = seconds

    async def execute_activity(self, input: ExecuteActivityInput):  # type: ignore[no-untyped-def]
        if activity.info().activity_type == self.activity_type:
            await asyncio.sleep(self.seconds)
        return await self.next.execute_activity(input)


class _DelayInterceptor(Interceptor):
    def __init__(self, activity_type: str, seconds: float = 1.5) -> None:
        self.activity_type = activity_type
        self.seconds = seconds

    def intercept_activity(
        self, next: ActivityInboundInterceptor
    ) -> ActivityInboundInterceptor:
        return _DelayedActivity(next, self.activity_type, self.seconds)


async def test_open_case_creates_case(api_at) -> None:  # type: ignore[no-untyped-def]
    async with api_at(date(2024, 3, 2)) as api:
        add_overdue_customer(api, "C-1", "INV-1", "1000.00")

        response = await api.http.post("/cases", json={"customer_account": "C-1"})

        assert response.status_code == 201
        case = response.json()
        assert case["customer_account"] == "C-1"
        assert case["status"] == "open"
        assert case["stage"] == "overdue"
        assert case["currency"] == "USD"
        assert case["overdue_amount"] == "1000.00"
        assert case["next_action_date"] == "2024-03-08"
        assert case["opened_on"] == "2024-03-02"
        assert case["closed_on"] is None
        assert case["close_reason"] is None
        assert case["closed_by"] is None
        assert case["workflow_id"] == "collections-C-1"
        assert case["run_id"]
        assert isinstance(case["id"], int)


async def test_open_case_twice_same_case(api_at) -> None:  # type: ignore[no-untyped-def]
    async with api_at(date(2024, 3, 2)) as api:
        add_overdue_customer(api, "C-2", "INV-2", "250.00")
        first = await open_case(api, "C-2")

        response = await api.http.post("/cases", json={"customer_account": "C-2"})

        assert response.status_code == 200
        second = response.json()
        assert second["id"] == first["id"]
        assert second["run_id"] == first["run_id"]
        assert second["overdue_amount"] == "250.00"
        listed = (
            await api.http.get("/cases", params={"customer_account": "C-2"})
        ).json()
        assert listed["count"] == 1


async def test_open_case_joins_started_workflow(api_at) -> None:  # type: ignore[no-untyped-def]
    # The delay keeps the started workflow from recording its case before the
    # request checks the database, as when the overdue scan starts it.
    slow_open = _DelayInterceptor("open_case_record")
    async with api_at(date(2024, 3, 2), interceptors=[slow_open]) as api:
        add_overdue_customer(api, "C-5", "INV-5", "55.00")
        started = await api.harness.open_case("C-5")

        response = await api.http.post("/cases", json={"customer_account": "C-5"})

        assert response.status_code == 201, response.text
        case = response.json()
        assert case["run_id"] == started.run_id
        assert case["overdue_amount"] == "55.00"
        assert len(api.harness.cases("C-5")) == 1


async def test_open_case_after_termination(api_at) -> None:  # type: ignore[no-untyped-def]
    async with api_at(date(2024, 3, 2)) as api:
        add_overdue_customer(api, "C-8", "INV-8", "80.00")
        stale = await open_case(api, "C-8")
        handle = api.harness.client.get_workflow_handle(stale["workflow_id"])
        await handle.terminate("stopped by an operator")

        close = await api.http.post(
            f"/cases/{stale['id']}/close", json={"reason": "paid"}
        )

        assert close.status_code == 409
        assert errors_of(close) == [
            (
                ["path", "case_id"],
                f"case {stale['id']} has no running workflow collections-C-8; "
                "open the customer's case again with POST /cases to replace it",
            )
        ]

        response = await api.http.post("/cases", json={"customer_account": "C-8"})

        assert response.status_code == 201, response.text
        replacement = response.json()
        assert replacement["id"] != stale["id"]
        assert replacement["run_id"] != stale["run_id"]
        assert replacement["status"] == "open"
        assert replacement["overdue_amount"] == "80.00"
        old = (await api.http.get(f"/cases/{stale['id']}")).json()
        assert old["status"] == "closed"
        assert old["close_reason"] == "workflow run ended without closing the case"
        listed = (await api.http.get("/cases", params={"status": "open"})).json()
        assert [case["id"] for case in listed["data"]] == [replacement["id"]]


async def test_open_case_waits_for_plan(api_at) -> None:  # type: ignore[no-untyped-def]
    # The delay keeps the case row at its initial overdue amount 0 and without
    # a next action date for a while after the workflow has created it.
    slow_progress = _DelayInterceptor("record_case_progress")
    async with api_at(date(2024, 3, 2), interceptors=[slow_progress]) as api:
        add_overdue_customer(api, "C-7", "INV-7", "70.00")

        response = await api.http.post("/cases", json={"customer_account": "C-7"})

        assert response.status_code == 201
        assert response.json()["overdue_amount"] == "70.00"
        assert response.json()["next_action_date"] == "2024-03-08"


async def test_open_case_covered_by_credits(api_at) -> None:  # type: ignore[no-untyped-def]
    async with api_at(date(2024, 3, 2)) as api:
        api.harness.add_customer("C-6")
        api.harness.post(
            "C-6", TransactionKind.CREDIT_NOTE, "CN-6", date(2024, 2, 1), "300.00"
        )
        api.harness.post(
            "C-6", INVOICE, "INV-6", date(2024, 2, 5), "200.00", due=date(2024, 3, 1)
        )

        response = await api.http.post("/cases", json={"customer_account": "C-6"})

        assert response.status_code == 201, response.text
        case = response.json()
        assert case["status"] == "closed"
        assert case["close_reason"] == "covered by credits"
        assert case["closed_on"] == "2024-03-02"
        assert case["closed_by"] is None
        assert case["overdue_amount"] == "200.00"


async def test_open_case_unknown_customer(api_at) -> None:  # type: ignore[no-untyped-def]
    async with api_at(date(2024, 3, 2)) as api:
        response = await api.http.post("/cases", json={"customer_account": "NOBODY"})

        assert response.status_code == 404
        assert errors_of(response) == [
            (["body", "customer_account"], "customer NOBODY not found")
        ]


async def test_open_case_nothing_overdue(api_at) -> None:  # type: ignore[no-untyped-def]
    async with api_at(date(2024, 3, 2)) as api:
        api.harness.add_customer("C-3")
        api.harness.post(
            "C-3", INVOICE, "INV-3", date(2024, 2, 1), "80.00", due=date(2024, 3, 10)
        )

        response = await api.http.post("/cases", json={"customer_account": "C-3"})

        assert response.status_code == 409
        assert errors_of(response) == [
            (
                ["body", "customer_account"],
                "customer C-3 has no open amount past its due date on 2024-03-02; "
                "there is nothing to collect",
            )
        ]
        assert response.json()["detail"][0]["type"] == "nothing_overdue"
        listed = (await api.http.get("/cases")).json()
        assert listed["count"] == 0


async def test_open_case_invalid_body(api_at) -> None:  # type: ignore[no-untyped-def]
    bodies = [
        ({}, ["body", "customer_account"], "Field required"),
        (
            {"customer_account": ""},
            ["body", "customer_account"],
            "String should have at least 1 character",
        ),
        (
            {"customer_account": "   "},
            ["body", "customer_account"],
            "Value error, must not be blank",
        ),
        (
            {"customer_account": "C-4", "stage": "letter1"},
            ["body", "stage"],
            "Extra inputs are not permitted",
        ),
        (
            {"customer_account": "C" * 41},
            ["body", "customer_account"],
            "String should have at most 40 characters",
        ),
    ]
    async with api_at(date(2024, 3, 2)) as api:
        add_overdue_customer(api, "C-4", "INV-4", "40.00")
        for body, location, message in bodies:
            response = await api.http.post("/cases", json=body)

            assert response.status_code == 422, body
            assert errors_of(response) == [(location, message)], body
        listed = (await api.http.get("/cases")).json()
        assert listed["count"] == 0


# GET /cases


async def test_list_cases_by_status_and_stage(api_at) -> None:  # type: ignore[no-untyped-def]
    async with api_at(date(2024, 3, 2)) as api:
        add_overdue_customer(api, "C-10", "INV-10", "100.00")
        add_overdue_customer(api, "C-11", "INV-11", "110.00")
        lettered = await open_case(api, "C-10")
        closed = await open_case(api, "C-11")
        close = await api.http.post(
            f"/cases/{closed['id']}/close", json={"reason": "disputed"}
        )
        assert close.status_code == 200
        await api.harness.sleep_until(date(2024, 3, 9))

        def ids(response: httpx.Response) -> list[int]:
            assert response.status_code == 200, response.text
            return [case["id"] for case in response.json()["data"]]

        assert ids(await api.http.get("/cases")) == [closed["id"], lettered["id"]]
        assert ids(await api.http.get("/cases", params={"status": "open"})) == [
            lettered["id"]
        ]
        assert ids(await api.http.get("/cases", params={"status": "closed"})) == [
            closed["id"]
        ]
        assert ids(await api.http.get("/cases", params={"stage": "letter1"})) == [
            lettered["id"]
        ]
        assert ids(await api.http.get("/cases", params={"stage": "letter2"})) == []
        assert ids(await api.http.get("/cases", params={"limit": 1, "offset": 1})) == [
            lettered["id"]
        ]
        counted = (await api.http.get("/cases", params={"status": "open"})).json()
        assert counted["count"] == 1
        opened = (await api.http.get(f"/cases/{lettered['id']}")).json()
        assert opened["stage"] == "letter1"
        assert opened["overdue_amount"] == "100.00"
        assert opened["next_action_date"] == "2024-03-22"


async def test_list_cases_invalid_query(offline: httpx.AsyncClient) -> None:
    queries = [
        (
            {"status": "pending"},
            ["query", "status"],
            "Input should be 'open' or 'closed'",
        ),
        (
            {"stage": "letter9"},
            ["query", "stage"],
            "Input should be 'overdue', 'letter1', 'letter2', 'letter3', 'letter4', "
            "'letter5' or 'with_agency'",
        ),
        (
            {"limit": 0},
            ["query", "limit"],
            "Input should be greater than or equal to 1",
        ),
        (
            {"offset": -1},
            ["query", "offset"],
            "Input should be greater than or equal to 0",
        ),
    ]
    for params, location, message in queries:
        response = await offline.get("/cases", params=params)

        assert response.status_code == 422, params
        assert locations_of(response) == [location], params
        assert errors_of(response)[0][1] == message, params


async def test_read_case_unknown_id(offline: httpx.AsyncClient) -> None:
    response = await offline.get("/cases/999999")

    assert response.status_code == 404
    assert errors_of(response) == [(["path", "case_id"], "case 999999 not found")]


async def test_read_case_non_integer_id(offline: httpx.AsyncClient) -> None:
    response = await offline.get("/cases/abc")

    assert response.status_code == 422
    assert locations_of(response) == [["path", "case_id"]]
    assert response.json()["detail"][0]["type"] == "int_parsing"


# Letters and the timeline


async def test_letter_one_on_timeline(api_at) -> None:  # type: ignore[no-untyped-def]
    async with api_at(date(2024, 3, 2)) as api:
        add_overdue_customer(api, "C-20", "INV-20", "1000.00")
        case = await open_case(api, "C-20")
        await api.harness.sleep_until(date(2024, 3, 9))

        response = await api.http.get(f"/cases/{case['id']}/timeline")

        assert response.status_code == 200
        timeline = response.json()
        assert timeline["case_id"] == case["id"]
        assert timeline["customer_account"] == "C-20"
        entries = timeline["entries"]
        assert [(entry["date"], entry["kind"]) for entry in entries] == [
            ("2024-03-02", "case_opened"),
            ("2024-03-08", "letter_posted"),
            ("2024-03-08", "stage_changed"),
        ]
        opened, posted, staged = entries
        assert opened["summary"] == "Case opened: overdue amount 1000.00 USD"
        assert opened["details"]["overdue_documents"] == ["INV-20"]
        assert Decimal(opened["details"]["overdue_amount"]) == Decimal("1000.00")

        details = posted["details"]
        assert posted["summary"] == (
            f"Collection letter 1 {details['letter_number']} posted: total due 1000.00 USD"
        )
        assert details["code"] == "letter1"
        assert details["currency"] == "USD"
        assert Decimal(details["overdue_amount"]) == Decimal("1000.00")
        assert Decimal(details["credit_amount"]) == Decimal("0")
        assert Decimal(details["fee"]) == Decimal("0")
        assert Decimal(details["total_due"]) == Decimal("1000.00")
        assert len(details["invoices"]) == 1
        invoice = details["invoices"][0]
        assert invoice["document_number"] == "INV-20"
        assert invoice["code"] == "letter1"
        assert invoice["days_overdue"] == 7
        assert invoice["threshold_days"] == 7
        assert invoice["counted_from"] == "2024-03-01"
        assert Decimal(invoice["open_amount"]) == Decimal("1000.00")

        assert staged["summary"] == "Stage changed from overdue to letter1"
        assert staged["details"] == {"from": "overdue", "to": "letter1"}


async def test_timeline_amounts_in_minor_units(api_at) -> None:  # type: ignore[no-untyped-def]
    async with api_at(date(2024, 3, 2)) as api:
        add_overdue_customer(api, "C-22", "INV-22", "1000.00")
        case = await open_case(api, "C-22")
        await api.harness.sleep_until(date(2024, 3, 9))

        entries = (await api.http.get(f"/cases/{case['id']}/timeline")).json()[
            "entries"
        ]

        assert entries[0]["details"]["overdue_amount"] == "1000.00"
        assert entries[1]["details"]["total_due"] == "1000.00"
        assert entries[1]["details"]["fee"] == "0.00"
        assert entries[1]["details"]["invoices"][0]["open_amount"] == "1000.00"


async def test_letter_lines_and_pdf(api_at) -> None:  # type: ignore[no-untyped-def]
    async with api_at(date(2024, 3, 2)) as api:
        add_overdue_customer(api, "C-21", "INV-21", "1000.00")
        case = await open_case(api, "C-21")
        await api.harness.sleep_until(date(2024, 3, 9))
        timeline = (await api.http.get(f"/cases/{case['id']}/timeline")).json()
        letter_id = timeline["entries"][1]["details"]["letter_id"]

        response = await api.http.get(f"/letters/{letter_id}")

        assert response.status_code == 200
        letter = response.json()
        assert letter["id"] == letter_id
        assert letter["number"] == f"CL{letter_id:07d}"
        assert letter["case_id"] == case["id"]
        assert letter["customer_account"] == "C-21"
        assert letter["letter_date"] == "2024-03-08"
        assert letter["code"] == "letter1"
        assert letter["currency"] == "USD"
        assert letter["language"] == "en"
        assert letter["overdue_amount"] == "1000.00"
        assert letter["credit_amount"] == "0.00"
        assert letter["fee"] == "0.00"
        assert letter["total_due"] == "1000.00"
        assert letter["status"] == "posted"
        assert letter["pdf_url"] == f"/letters/{letter_id}/pdf"
        assert letter["lines"] == [
            {
                "document_number": "INV-21",
                "kind": "invoice",
                "due_date": "2024-03-01",
                "amount": "1000.00",
                "open_amount": "1000.00",
                "days_overdue": 7,
                "code": "letter1",
                "advances": True,
            }
        ]

        pdf = await api.http.get(letter["pdf_url"])

        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["etag"] == f'"{letter["document_sha256"]}"'
        assert pdf.content.startswith(b"%PDF")
        text = "\n".join(
            page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages
        )
        assert letter["number"] in text
        assert "$1,000.00" in text
        assert "INV-21" in text


class _RendererDown(ActivityInboundInterceptor):
    """Fail every rendering of a letter, so posted letters have no PDF."""

    async def execute_activity(self, input: ExecuteActivityInput):  # type: ignore[no-untyped-def]
        if activity.info().activity_type == "render_collection_letter":
            raise ApplicationError("renderer unavailable")
        return await self.next.execute_activity(input)


class _RendererDownInterceptor(Interceptor):
    def intercept_activity(
        self, next: ActivityInboundInterceptor
    ) -> ActivityInboundInterceptor:
        return _RendererDown(next)


async def test_letter_pdf_not_rendered(api_at) -> None:  # type: ignore[no-untyped-def]
    async with api_at(
        date(2024, 3, 2), interceptors=[_RendererDownInterceptor()]
    ) as api:
        add_overdue_customer(api, "C-23", "INV-23", "230.00")
        await open_case(api, "C-23")
        await api.harness.sleep_until(date(2024, 3, 8))
        letters = api.harness.letters("C-23")
        assert len(letters) == 1
        letter_id = letters[0].id

        letter = await api.http.get(f"/letters/{letter_id}")
        pdf = await api.http.get(f"/letters/{letter_id}/pdf")

        assert letter.status_code == 200
        assert letter.json()["pdf_url"] is None
        assert letter.json()["document_sha256"] is None
        assert pdf.status_code == 404
        assert errors_of(pdf) == [
            (
                ["path", "letter_id"],
                f"letter {letter_id} has no rendered PDF yet; try again shortly",
            )
        ]


async def test_unknown_letter_not_found(offline: httpx.AsyncClient) -> None:
    for path in ("/letters/424242", "/letters/424242/pdf"):
        response = await offline.get(path)

        assert response.status_code == 404, path
        assert errors_of(response) == [
            (["path", "letter_id"], "letter 424242 not found")
        ], path


async def test_unknown_case_timeline_not_found(offline: httpx.AsyncClient) -> None:
    response = await offline.get("/cases/31337/timeline")

    assert response.status_code == 404
    assert errors_of(response) == [(["path", "case_id"], "case 31337 not found")]


# POST /payments


def payment(account: str, number: str, amount: str, **fields: Any) -> dict[str, Any]:
    body = {
        "customer_account": account,
        "document_number": number,
        "payment_date": "2024-03-02",
        "amount": amount,
        "currency": "USD",
    }
    body.update(fields)
    return body


async def test_partial_payment_settles_invoice(api_at) -> None:  # type: ignore[no-untyped-def]
    async with api_at(date(2024, 3, 2)) as api:
        add_overdue_customer(api, "C-30", "INV-30", "1000.00")
        api.harness.post(
            "C-30", INVOICE, "INV-31", date(2024, 2, 2), "300.00", due=date(2024, 2, 20)
        )
        case = await open_case(api, "C-30")
        await api.harness.sleep_until(date(2024, 3, 15))

        response = await api.http.post(
            "/payments",
            json=payment(
                "C-30",
                "PAY-30",
                "400.00",
                payment_date="2024-03-15",
                settles=["INV-30"],
            ),
        )

        assert response.status_code == 201, response.text
        paid = response.json()
        assert paid["settlements"] == [
            {
                "document_number": "INV-30",
                "amount": "400.00",
                "open_amount_after": "600.00",
            }
        ]
        assert paid["unapplied_amount"] == "0.00"
        assert paid["case_notified"] is True
        assert paid["payment"]["kind"] == "payment"
        assert paid["payment"]["document_number"] == "PAY-30"
        assert paid["payment"]["transaction_date"] == "2024-03-15"
        assert paid["payment"]["amount"] == "-400.00"
        assert paid["payment"]["open_amount"] == "0.00"

        await api.harness.sleep_until(date(2024, 3, 16))
        still_open = (await api.http.get(f"/cases/{case['id']}")).json()
        assert still_open["status"] == "open"
        assert still_open["overdue_amount"] == "900.00"


async def test_overpayment_leaves_unapplied(api_at) -> None:  # type: ignore[no-untyped-def]
    async with api_at(date(2024, 3, 2)) as api:
        add_overdue_customer(api, "C-31", "INV-32", "150.00")
        case = await open_case(api, "C-31")
        await api.harness.sleep_until(date(2024, 3, 15))

        response = await api.http.post(
            "/payments", json=payment("C-31", "PAY-31", "200.50")
        )

        assert response.status_code == 201, response.text
        paid = response.json()
        assert paid["settlements"] == [
            {
                "document_number": "INV-32",
                "amount": "150.00",
                "open_amount_after": "0.00",
            }
        ]
        assert paid["unapplied_amount"] == "50.50"
        assert paid["payment"]["amount"] == "-200.50"
        assert paid["payment"]["open_amount"] == "-50.50"

        await wait_for_close(api, case)
        closed = (await api.http.get(f"/cases/{case['id']}")).json()
        assert closed["status"] == "closed"
        assert closed["close_reason"] == "paid"
        timeline = (await api.http.get(f"/cases/{case['id']}/timeline")).json()
        payments = [
            entry for entry in timeline["entries"] if entry["kind"] == "payment"
        ]
        assert len(payments) == 1
        assert payments[0]["details"]["unapplied_amount"] == "50.50"


async def test_payment_invalid_fields(api_at) -> None:  # type: ignore[no-untyped-def]
    invalid = [
        (
            payment("C-32", "PAY-A", "10.00", settles=["INV-404"]),
            ["body", "settles"],
            "no invoice or fee 'INV-404' found for customer 'C-32'",
        ),
        (
            payment("C-32", "PAY-B", "10.00", currency="EUR"),
            ["body", "currency"],
            "customer 'C-32' keeps its ledger in USD and multi-currency accounts are "
            "not supported, so a transaction in EUR is rejected",
        ),
        (
            payment("C-32", "PAY-C", "10.00", currency="XYZ"),
            ["body", "currency"],
            "unknown currency 'XYZ': expected an ISO 4217 code such as USD, EUR or NOK",
        ),
        (
            payment("C-32", "PAY-D", "-10.00"),
            ["body", "amount"],
            "Input should be greater than 0",
        ),
        (
            payment("C-32", "PAY-E", "0"),
            ["body", "amount"],
            "Input should be greater than 0",
        ),
        (
            payment("C-32", "PAY-F", "10.005"),
            ["body", "amount"],
            "10.005 has more decimals than USD has (0.01)",
        ),
        (
            payment("C-32", "PAY-G", "ten"),
            ["body", "amount"],
            "Value error, must be a plain decimal number such as 1234.56",
        ),
        (
            payment("C-32", "PAY-H", "10.00", payment_date="2024-02-30"),
            ["body", "payment_date"],
            "Input should be a valid date or datetime, day value is outside expected "
            "range",
        ),
        (
            payment("C-32", "PAY-I", "10.00", payment_date="15.03.2024"),
            ["body", "payment_date"],
            "Input should be a valid date or datetime, invalid character in year",
        ),
        (
            payment("C-32", "", "10.00"),
            ["body", "document_number"],
            "String should have at least 1 character",
        ),
        (
            payment("C-32", "PAY-J", "10.00", note="x"),
            ["body", "note"],
            "Extra inputs are not permitted",
        ),
    ]
    async with api_at(date(2024, 3, 2)) as api:
        add_overdue_customer(api, "C-32", "INV-33", "100.00")
        for body, location, message in invalid:
            response = await api.http.post("/payments", json=body)

            assert response.status_code == 422, body
            assert locations_of(response) == [location], body
            assert errors_of(response)[0][1] == message, body

        missing = payment("C-32", "PAY-K", "10.00")
        del missing["payment_date"]
        response = await api.http.post("/payments", json=missing)
        assert response.status_code == 422
        assert errors_of(response) == [(["body", "payment_date"], "Field required")]

        unknown = await api.http.post(
            "/payments", json=payment("NOBODY", "PAY-L", "10.00")
        )
        assert unknown.status_code == 404
        assert errors_of(unknown) == [
            (["body", "customer_account"], "customer NOBODY not found")
        ]

        invoices = api.harness.transactions("C-32", INVOICE)
        assert [invoice.open_amount for invoice in invoices] == [Decimal("100.00")]
        assert api.harness.transactions("C-32", TransactionKind.PAYMENT) == []


async def test_payment_duplicate_document(api_at) -> None:  # type: ignore[no-untyped-def]
    async with api_at(date(2024, 3, 2)) as api:
        add_overdue_customer(api, "C-33", "INV-34", "100.00")
        first = await api.http.post(
            "/payments", json=payment("C-33", "PAY-33", "10.00")
        )
        assert first.status_code == 201

        again = await api.http.post(
            "/payments", json=payment("C-33", "PAY-33", "20.00")
        )

        assert again.status_code == 409
        assert errors_of(again) == [
            (
                ["body", "document_number"],
                "payment PAY-33 of customer C-33 already exists with amount 10.00",
            )
        ]
        invoice = api.harness.transactions("C-33", INVOICE)[0]
        assert invoice.open_amount == Decimal("90.00")


async def test_full_payment_closes_case(api_at) -> None:  # type: ignore[no-untyped-def]
    async with api_at(date(2024, 3, 2)) as api:
        add_overdue_customer(api, "C-34", "INV-35", "1000.00")
        case = await open_case(api, "C-34")
        await api.harness.sleep_until(date(2024, 3, 15))
        partial = await api.http.post(
            "/payments",
            json=payment(
                "C-34",
                "PAY-34A",
                "400.00",
                payment_date="2024-03-15",
                settles=["INV-35"],
            ),
        )
        assert partial.status_code == 201

        response = await api.http.post(
            "/payments",
            json=payment(
                "C-34",
                "PAY-34B",
                "600.00",
                payment_date="2024-03-15",
                settles=["INV-35"],
            ),
        )

        assert response.status_code == 201, response.text
        assert response.json()["settlements"] == [
            {
                "document_number": "INV-35",
                "amount": "600.00",
                "open_amount_after": "0.00",
            }
        ]
        await wait_for_close(api, case)
        closed = (await api.http.get(f"/cases/{case['id']}")).json()
        assert closed["status"] == "closed"
        assert closed["close_reason"] == "paid"
        assert closed["closed_on"] == "2024-03-15"
        assert closed["closed_by"] is None
        assert closed["next_action_date"] is None

        timeline = (await api.http.get(f"/cases/{case['id']}/timeline")).json()
        entries = timeline["entries"]
        assert [(entry["date"], entry["kind"]) for entry in entries] == [
            ("2024-03-02", "case_opened"),
            ("2024-03-08", "letter_posted"),
            ("2024-03-08", "stage_changed"),
            ("2024-03-15", "payment"),
            ("2024-03-15", "payment"),
            ("2024-03-15", "case_closed"),
        ]
        payments = {
            entry["details"]["document_number"]: entry for entry in entries[3:5]
        }
        assert (
            payments["PAY-34A"]["summary"]
            == "Payment PAY-34A of 400.00 USD settled 1 item(s)"
        )
        assert payments["PAY-34A"]["details"]["settled"] == [
            {"document_number": "INV-35", "amount": "400.00"}
        ]
        assert payments["PAY-34B"]["details"]["amount"] == "600.00"
        assert payments["PAY-34B"]["details"]["unapplied_amount"] == "0.00"
        assert entries[5]["summary"] == "Case closed: paid"
        assert entries[5]["details"] == {"reason": "paid", "closed_by": None}


async def test_backdated_payment_on_timeline(api_at) -> None:  # type: ignore[no-untyped-def]
    async with api_at(date(2024, 3, 4)) as api:
        add_overdue_customer(api, "C-35", "INV-36", "360.00")
        case = await open_case(api, "C-35")

        response = await api.http.post(
            "/payments",
            json=payment("C-35", "PAY-35", "360.00", payment_date="2024-03-01"),
        )

        assert response.status_code == 201, response.text
        await wait_for_close(api, case)
        entries = (await api.http.get(f"/cases/{case['id']}/timeline")).json()[
            "entries"
        ]
        assert [(entry["date"], entry["kind"]) for entry in entries] == [
            ("2024-03-01", "payment"),
            ("2024-03-04", "case_opened"),
            ("2024-03-04", "case_closed"),
        ]
        assert entries[0]["details"]["document_number"] == "PAY-35"
        assert entries[2]["details"]["reason"] == "paid"


# POST /cases/{id}/close


async def test_close_case_with_reason(api_at) -> None:  # type: ignore[no-untyped-def]
    async with api_at(date(2024, 3, 2)) as api:
        add_overdue_customer(api, "C-40", "INV-40", "95.00")
        case = await open_case(api, "C-40")
        await api.harness.sleep_until(date(2024, 3, 4))

        response = await api.http.post(
            f"/cases/{case['id']}/close",
            json={"reason": "customer is insolvent", "user": "kari"},
        )

        assert response.status_code == 200, response.text
        closed = response.json()
        assert closed["id"] == case["id"]
        assert closed["status"] == "closed"
        assert closed["close_reason"] == "customer is insolvent"
        assert closed["closed_by"] == "kari"
        assert closed["closed_on"] == "2024-03-04"
        assert closed["next_action_date"] is None
        timeline = (await api.http.get(f"/cases/{case['id']}/timeline")).json()
        last = timeline["entries"][-1]
        assert last["kind"] == "case_closed"
        assert last["summary"] == "Case closed by kari: customer is insolvent"

        again = await api.http.post(
            f"/cases/{case['id']}/close", json={"reason": "twice"}
        )

        assert again.status_code == 409
        assert errors_of(again) == [
            (["path", "case_id"], f"case {case['id']} is already closed")
        ]


async def test_close_case_invalid_body(api_at) -> None:  # type: ignore[no-untyped-def]
    bodies = [
        ({"reason": "   "}, ["body", "reason"], "Value error, must not be blank"),
        ({"reason": ""}, ["body", "reason"], "String should have at least 1 character"),
        ({}, ["body", "reason"], "Field required"),
        (
            {"reason": "paid", "user": " "},
            ["body", "user"],
            "Value error, must not be blank",
        ),
        (
            {"reason": "paid", "when": "now"},
            ["body", "when"],
            "Extra inputs are not permitted",
        ),
    ]
    async with api_at(date(2024, 3, 2)) as api:
        add_overdue_customer(api, "C-41", "INV-41", "41.00")
        case = await open_case(api, "C-41")
        for body, location, message in bodies:
            response = await api.http.post(f"/cases/{case['id']}/close", json=body)

            assert response.status_code == 422, body
            assert errors_of(response) == [(location, message)], body

        unknown = await api.http.post("/cases/999999/close", json={"reason": "paid"})
        assert unknown.status_code == 404
        assert errors_of(unknown) == [(["path", "case_id"], "case 999999 not found")]
        still_open = (await api.http.get(f"/cases/{case['id']}")).json()
        assert still_open["status"] == "open"


# Letter sequences


async def test_standard_sequence_defaults(offline: httpx.AsyncClient) -> None:
    response = await offline.get("/letter-sequences/STANDARD")

    assert response.status_code == 200
    sequence = response.json()
    assert sequence["name"] == "STANDARD"
    steps = sequence["steps"]
    assert [(step["code"], step["days"]) for step in steps] == [
        ("letter1", 7),
        ("letter2", 14),
        ("letter3", 14),
        ("collection", 14),
    ]
    assert steps[0]["fees"] == {}
    assert steps[1]["fees"] == {}
    assert steps[2]["fees"]["USD"] == "25.00"
    assert steps[2]["fees"]["NOK"] == "25.00"
    assert steps[2]["fees"]["JPY"] == "25"
    assert steps[2]["fees"]["KWD"] == "25.000"
    assert steps[3]["fees"] == {}
    assert steps[2]["text"].startswith("Final notice.")


async def test_put_sequence_creates_fast(offline: httpx.AsyncClient) -> None:
    body = {
        "description": "Short terms",
        "steps": [
            {"code": "letter1", "days": 3, "text": "Please pay."},
            {"code": "letter3", "days": 5, "fees": {"usd": "10.5", "JPY": "1500"}},
            {"code": "collection", "days": 10},
        ],
    }

    response = await offline.put("/letter-sequences/FAST", json=body)

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["name"] == "FAST"
    assert created["description"] == "Short terms"
    assert created["steps"] == [
        {"code": "letter1", "days": 3, "text": "Please pay.", "fees": {}, "texts": {}},
        {
            "code": "letter3",
            "days": 5,
            "text": "",
            "fees": {"USD": "10.50", "JPY": "1500"},
            "texts": {},
        },
        {"code": "collection", "days": 10, "text": "", "fees": {}, "texts": {}},
    ]
    assert (await offline.get("/letter-sequences/FAST")).json() == created
    names = [
        sequence["name"] for sequence in (await offline.get("/letter-sequences")).json()
    ]
    assert names == ["FAST", "STANDARD"]

    replaced = await offline.put(
        "/letter-sequences/FAST", json={"steps": [{"code": "letter1", "days": 4}]}
    )
    assert replaced.status_code == 200
    assert replaced.json()["steps"] == [
        {"code": "letter1", "days": 4, "text": "", "fees": {}, "texts": {}}
    ]
    assert replaced.json()["description"] == ""


async def test_put_sequence_invalid_steps(offline: httpx.AsyncClient) -> None:
    letter1 = {"code": "letter1", "days": 7}
    invalid = [
        (
            [{"code": "letter2", "days": 7}, letter1],
            ["body", "steps"],
            "step 2: code letter1 must come after letter2",
        ),
        (
            [letter1, {"code": "letter1", "days": 7}],
            ["body", "steps"],
            "step 2: code letter1 must come after letter1",
        ),
        (
            [{"code": "collection", "days": 7}],
            ["body", "steps"],
            "a letter sequence must start with a letter, not collection",
        ),
        (
            [
                letter1,
                {"code": "collection", "days": 7},
                {"code": "letter2", "days": 7},
            ],
            ["body", "steps"],
            "step 3: code letter2 must come after collection",
        ),
        (
            [{"code": "letter1", "days": 0}],
            ["body", "steps", 0, "days"],
            "Input should be greater than or equal to 1",
        ),
        (
            [letter1, {"code": "letter2", "days": 3651}],
            ["body", "steps", 1, "days"],
            "Input should be less than or equal to 3650",
        ),
        (
            [{"code": "letter9", "days": 7}],
            ["body", "steps", 0, "code"],
            "Input should be 'letter1', 'letter2', 'letter3', 'letter4', 'letter5' "
            "or 'collection'",
        ),
        (
            [letter1, {"code": "letter2", "days": 7, "fees": {"USD": "-5.00"}}],
            ["body", "steps", 1, "fees", "USD"],
            "fee -5.00 USD is invalid: a fee must not be negative",
        ),
        (
            [{"code": "letter1", "days": 7, "fees": {"XYZ": "5"}}],
            ["body", "steps", 0, "fees", "XYZ"],
            "unknown currency 'XYZ': expected an ISO 4217 code such as USD, EUR or NOK",
        ),
        (
            [{"code": "letter1", "days": 7, "fees": {"USD": "5.001"}}],
            ["body", "steps", 0, "fees", "USD"],
            "fee 5.001 USD is invalid: USD has 2 decimals",
        ),
        (
            [{"code": "letter1", "days": 7, "fees": {"JPY": "5.5"}}],
            ["body", "steps", 0, "fees", "JPY"],
            "fee 5.5 JPY is invalid: JPY has 0 decimals",
        ),
        (
            [{"code": "letter1", "days": 7, "fees": {"USD": "5", "usd": "6"}}],
            ["body", "steps", 0, "fees", "usd"],
            "the fee for USD is given twice",
        ),
        (
            [],
            ["body", "steps"],
            "List should have at least 1 item after validation, not 0",
        ),
        (
            [letter1] * 7,
            ["body", "steps"],
            "List should have at most 6 items after validation, not 7",
        ),
    ]
    for steps, location, message in invalid:
        response = await offline.put("/letter-sequences/FAST", json={"steps": steps})

        assert response.status_code == 422, steps
        assert locations_of(response) == [location], steps
        assert errors_of(response)[0][1] == message, steps

    extra = await offline.put(
        "/letter-sequences/FAST", json={"steps": [letter1], "interest": "5%"}
    )
    assert extra.status_code == 422
    assert locations_of(extra) == [["body", "interest"]]
    long_name = await offline.put(
        "/letter-sequences/" + "N" * 41, json={"steps": [letter1]}
    )
    assert long_name.status_code == 422
    assert locations_of(long_name) == [["path", "name"]]
    assert (await offline.get("/letter-sequences/FAST")).status_code == 404


# Operations


async def test_health_returns_ok(offline: httpx.AsyncClient) -> None:
    response = await offline.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_openapi_lists_routes(offline: httpx.AsyncClient) -> None:
    response = await offline.get("/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    routes = {
        (path, method) for path, operations in paths.items() for method in operations
    }
    assert routes == {
        ("/cases", "get"),
        ("/cases", "post"),
        ("/cases/{case_id}", "get"),
        ("/cases/{case_id}/close", "post"),
        ("/cases/{case_id}/timeline", "get"),
        ("/payments", "post"),
        ("/letters/{letter_id}", "get"),
        ("/letters/{letter_id}/pdf", "get"),
        ("/letter-sequences", "get"),
        ("/letter-sequences/{name}", "get"),
        ("/letter-sequences/{name}", "put"),
        ("/health", "get"),
    }


async def test_temporal_down_rejects_open(
    offline: httpx.AsyncClient, engine: Engine
) -> None:
    add_customer(engine, "C-50")
    with Session(engine) as session:
        session.add(
            CollectionCase(
                customer_account="C-50",
                workflow_id="collections-C-50",
                run_id="run-of-c-50",
                currency="USD",
                opened_on=date(2024, 3, 2),
                stage=CaseStage.LETTER1,
                status=CaseStatus.OPEN,
                overdue_amount=Decimal("50.00"),
            )
        )
        session.commit()

    response = await offline.post("/cases", json={"customer_account": "C-50"})

    assert response.status_code == 503
    assert errors_of(response) == [
        (
            ["temporal"],
            f"Temporal at {UNREACHABLE_TEMPORAL} is unreachable; try again when it is up",
        )
    ]

    listed = await offline.get("/cases")

    assert listed.status_code == 200
    assert [case["customer_account"] for case in listed.json()["data"]] == ["C-50"]
    assert listed.json()["data"][0]["overdue_amount"] == "50.00"
    assert (await offline.get("/health")).status_code == 200


async def test_temporal_down_records_payment(
    offline: httpx.AsyncClient, engine: Engine
) -> None:
    add_customer(engine, "C-51")

    response = await offline.post("/payments", json=payment("C-51", "PAY-51", "75.00"))

    assert response.status_code == 201, response.text
    paid = response.json()
    assert paid["case_notified"] is False
    assert paid["settlements"] == []
    assert paid["unapplied_amount"] == "75.00"
    assert paid["payment"]["open_amount"] == "-75.00"
    again = await offline.post("/payments", json=payment("C-51", "PAY-51", "75.00"))
    assert again.status_code == 200
    assert again.json()["payment"]["id"] == paid["payment"]["id"]
    changed = await offline.post("/payments", json=payment("C-51", "PAY-51", "76.00"))
    assert changed.status_code == 409


async def test_payment_huge_amount_rejected(
    offline: httpx.AsyncClient, engine: Engine
) -> None:
    add_customer(engine, "C-60")

    for amount in ["1000000000000000", "1e300", 1e16]:
        response = await offline.post(
            "/payments", json=payment("C-60", "PAY-60", amount)
        )
        assert response.status_code == 422, amount
        assert locations_of(response) == [["body", "amount"]], amount
    assert api_transactions(engine, "C-60") == 0


async def test_payment_future_date_rejected(
    offline: httpx.AsyncClient, engine: Engine
) -> None:
    add_customer(engine, "C-61")

    response = await offline.post(
        "/payments", json=payment("C-61", "PAY-61", "10.00", payment_date="9999-12-31")
    )
    ancient = await offline.post(
        "/payments", json=payment("C-61", "PAY-61", "10.00", payment_date="0001-01-01")
    )

    assert response.status_code == 422
    assert locations_of(response) == [["body", "payment_date"]]
    assert ancient.status_code == 422
    assert errors_of(ancient) == [
        (["body", "payment_date"], "Value error, must not be before 1900-01-01")
    ]
    assert api_transactions(engine, "C-61") == 0


async def test_control_characters_rejected(
    offline: httpx.AsyncClient, engine: Engine
) -> None:
    add_customer(engine, "C-62")

    response = await offline.post(
        "/payments", json=payment("C-62", "PAY\u000062", "10.00")
    )
    surrogate = await offline.post(
        "/payments",
        content=b'{"customer_account": "C-62", "document_number": "x\\ud800y", '
        b'"payment_date": "2024-03-02", "amount": "10.00", "currency": "USD"}',
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 422
    assert locations_of(response) == [["body", "document_number"]]
    assert surrogate.status_code == 422
    assert locations_of(surrogate) == [["body", "document_number"]]
    assert api_transactions(engine, "C-62") == 0


async def test_huge_ids_rejected(offline: httpx.AsyncClient) -> None:
    too_big = 2**63
    for path in [
        f"/cases/{too_big}",
        f"/cases/{too_big}/timeline",
        f"/letters/{too_big}",
        f"/letters/{too_big}/pdf",
        f"/cases?offset={too_big}",
    ]:
        response = await offline.get(path)
        assert response.status_code == 422, path


async def test_oversized_body_rejected(offline: httpx.AsyncClient) -> None:
    response = await offline.post(
        "/cases/1/close", json={"reason": "x" * (2 * 1024 * 1024), "user": "kari"}
    )

    assert response.status_code == 413
    assert locations_of(response) == [["body"]]


async def test_framework_errors_use_list_shape(offline: httpx.AsyncClient) -> None:
    malformed = await offline.post(
        "/payments", content=b"{not json", headers={"content-type": "application/json"}
    )
    wrong_method = await offline.delete("/cases/1")

    assert malformed.status_code == 422
    assert isinstance(malformed.json()["detail"], list)
    assert wrong_method.status_code == 405
    assert wrong_method.json()["detail"] == [
        {"loc": [], "msg": "Method Not Allowed", "type": "http_error"}
    ]


async def test_sequence_huge_fee_rejected(offline: httpx.AsyncClient) -> None:
    response = await offline.put(
        "/letter-sequences/HUGE",
        json={
            "steps": [
                {"code": "letter1", "days": 7, "fees": {"USD": "10000000000000000"}}
            ]
        },
    )
    bad_name = await offline.put(
        "/letter-sequences/A%20B", json={"steps": [{"code": "letter1", "days": 7}]}
    )

    assert response.status_code == 422
    assert locations_of(response) == [["body", "steps", 0, "fees", "USD"]]
    assert bad_name.status_code == 422
    assert locations_of(bad_name) == [["path", "name"]]


def api_transactions(engine: Engine, account: str) -> int:
    with Session(engine) as session:
        return len(
            session.exec(
                select(CustomerTransaction).where(
                    CustomerTransaction.customer_account == account
                )
            ).all()
        )


async def test_sequence_texts_per_language(offline: httpx.AsyncClient) -> None:
    body = {
        "steps": [
            {
                "code": "letter1",
                "days": 10,
                "text": "Please pay.",
                "texts": {"nb": "Vennligst betal.", "de": "Bitte zahlen."},
            }
        ]
    }
    created = await offline.put("/letter-sequences/LANG", json=body)
    bad = await offline.put(
        "/letter-sequences/LANG",
        json={"steps": [{"code": "letter1", "days": 10, "texts": {"Norsk!": "x"}}]},
    )

    assert created.status_code == 201
    assert created.json()["steps"][0]["texts"] == {
        "nb": "Vennligst betal.",
        "de": "Bitte zahlen.",
    }
    assert bad.status_code == 422
    assert locations_of(bad) == [["body", "steps", 0, "texts"]]
    stored = await offline.get("/letter-sequences/LANG")
    assert stored.json()["steps"][0]["texts"]["nb"] == "Vennligst betal."


async def test_chunked_oversized_body_rejected(offline: httpx.AsyncClient) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(40):
            yield b"x" * 65536

    response = await offline.post(
        "/payments", content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413
    assert locations_of(response) == [["body"]]


async def test_sequence_text_control_characters(offline: httpx.AsyncClient) -> None:
    response = await offline.put(
        "/letter-sequences/CTRL",
        json={"steps": [{"code": "letter1", "days": 7, "text": "Betal\u0007 takk"}]},
    )
    multiline = await offline.put(
        "/letter-sequences/ctrl",
        json={
            "steps": [{"code": "letter1", "days": 7, "text": "Line one.\nLine two."}]
        },
    )
    replaced = await offline.put(
        "/letter-sequences/CTRL",
        json={"steps": [{"code": "letter1", "days": 8}]},
    )

    assert response.status_code == 422
    assert locations_of(response) == [["body", "steps", 0, "text"]]
    assert multiline.status_code == 201
    assert multiline.json()["name"] == "CTRL"
    assert replaced.status_code == 200
