"""The sample ledger end to end: import as of 2013-06-30, open the cases,
and check each customer's first letter against its invoices' ages."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from domain.case import CaseStage, CaseStatus
from domain.codes import CollectionLetterCode
from ledger.importer import import_ledger
from models import CollectionCase, CollectionLetter, CollectionLetterLine
from tests.conftest import SAMPLE_LEDGER
from tests.harness import (
    CaseHarness,
    case_settings,
    environment_start,
    running_worker,
    time_skipping_env,
)

AS_OF = date(2013, 6, 30)
GRACE_DAYS = 7


def _us_date(text: str) -> date:
    month, day, year = (int(part) for part in text.split("/"))
    return date(year, month, day)


def overdue_invoices_from_csv(
    as_of: date,
) -> dict[str, list[tuple[str, date, Decimal]]]:
    """Read the sample with the csv module alone: open, past-due invoices per customer."""
    overdue: dict[str, list[tuple[str, date, Decimal]]] = {}
    with SAMPLE_LEDGER.open(newline="") as handle:
        for row in csv.DictReader(handle):
            invoiced = _us_date(row["InvoiceDate"])
            settled = _us_date(row["SettledDate"])
            due = _us_date(row["DueDate"])
            if invoiced <= as_of < settled and due < as_of:
                overdue.setdefault(row["customerID"], []).append(
                    (row["invoiceNumber"], due, Decimal(row["InvoiceAmount"]))
                )
    return overdue


@pytest.fixture
def expected() -> Iterator[dict[str, list[tuple[str, date, Decimal]]]]:
    yield overdue_invoices_from_csv(AS_OF)


def test_sample_has_twelve_overdue_customers(expected) -> None:  # type: ignore[no-untyped-def]
    assert len(expected) == 12
    assert sum(len(invoices) for invoices in expected.values()) == 12


async def _run_sample(harness: CaseHarness, shift_to: date | None) -> None:
    report = import_ledger(
        harness.engine, SAMPLE_LEDGER, as_of=AS_OF, shift_to=shift_to
    )
    await harness.notify(*sorted(report.accounts))
    await harness.wait_for_plans(sorted(overdue_invoices_from_csv(AS_OF)))


def _check_cases(
    harness: CaseHarness,
    expected: dict[str, list[tuple[str, date, Decimal]]],
    today: date,
    shift: timedelta,
) -> None:
    with Session(harness.engine) as session:
        cases = session.exec(select(CollectionCase)).all()
        assert sorted(case.customer_account for case in cases) == sorted(expected)
        assert all(case.status is CaseStatus.OPEN for case in cases)

        for case in cases:
            invoices = expected[case.customer_account]
            (number, due, amount) = invoices[0]
            due += shift
            days_overdue = (today - due).days
            letters = session.exec(
                select(CollectionLetter).where(
                    CollectionLetter.customer_account == case.customer_account
                )
            ).all()
            if days_overdue >= GRACE_DAYS:
                assert [(letter.letter_date, letter.code) for letter in letters] == [
                    (today, CollectionLetterCode.LETTER1)
                ], case.customer_account
                lines = session.exec(
                    select(CollectionLetterLine).where(
                        CollectionLetterLine.letter_id == letters[0].id
                    )
                ).all()
                assert [
                    (line.document_number, line.open_amount, line.days_overdue)
                    for line in lines
                ] == [(number, amount, days_overdue)], case.customer_account
                assert letters[0].total_due == amount
                assert letters[0].document_sha256 is not None
                assert case.stage is CaseStage.LETTER1
            else:
                assert letters == [], case.customer_account
                assert case.stage is CaseStage.OVERDUE
                assert case.next_action_date is not None
                assert case.next_action_date <= due + timedelta(days=GRACE_DAYS)
            assert case.overdue_amount == amount


async def test_sample_cases_as_of(engine, render_pool, expected) -> None:  # type: ignore[no-untyped-def]
    async with time_skipping_env(environment_start(AS_OF)) as env:
        harness = CaseHarness(env, engine, case_settings(f"sample-{uuid.uuid4()}"))
        async with running_worker(harness, render_pool):
            await _run_sample(harness, shift_to=None)
            _check_cases(harness, expected, AS_OF, timedelta(0))

    letter_customers = sorted(
        account
        for account, invoices in expected.items()
        if (AS_OF - invoices[0][1]).days >= GRACE_DAYS
    )
    assert letter_customers == ["5573-KSOIA", "5875-VZQCZ", "7209-MDWKR", "9181-HEKGV"]


async def test_sample_shifted_to_today(engine, render_pool, expected) -> None:  # type: ignore[no-untyped-def]
    async with time_skipping_env() as env:
        harness = CaseHarness(env, engine, case_settings(f"sample-{uuid.uuid4()}"))
        today = await harness.today()
        async with running_worker(harness, render_pool):
            await _run_sample(harness, shift_to=today)
            _check_cases(harness, expected, today, today - AS_OF)
