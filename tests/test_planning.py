"""Planning a collections case with ``plan_case``: letters, fees, hand-offs.

Unless a test sets other values, the customer pays in USD and follows the
default sequence. Letter 1 comes seven days after the due date, letters 2
and 3 fourteen days after the previous letter, and the hand-off to the
agency fourteen days after letter 3. Letter 3 carries a fee of 25 in every
currency.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from domain.case import (
    CasePlan,
    CasePolicy,
    CaseSnapshot,
    CaseStage,
    HandoffLine,
    LetterLine,
    OpenItem,
    TransactionKind,
)
from domain.codes import CollectionLetterCode, LetterSequenceStep, default_steps
from domain.planning import plan_case

LETTER1 = CollectionLetterCode.LETTER1
LETTER2 = CollectionLetterCode.LETTER2
LETTER3 = CollectionLetterCode.LETTER3
COLLECTION = CollectionLetterCode.COLLECTION

INVOICE = TransactionKind.INVOICE
CREDIT_NOTE = TransactionKind.CREDIT_NOTE
PAYMENT = TransactionKind.PAYMENT
FEE = TransactionKind.FEE

AGENCY = "Nordic Collection AS"


def invoice(
    transaction_id: int,
    due: date,
    *,
    amount: str = "1000.00",
    open_amount: str | None = None,
    currency: str = "USD",
    last_code: CollectionLetterCode | None = None,
    last_letter_date: date | None = None,
    valid_code: CollectionLetterCode | None = None,
    with_agency: bool = False,
) -> OpenItem:
    """Build an open invoice dated 30 days before its due date."""
    return OpenItem(
        transaction_id=transaction_id,
        kind=INVOICE,
        document_number=f"INV-{transaction_id}",
        transaction_date=due - timedelta(days=30),
        due_date=due,
        currency=currency,
        amount=Decimal(amount),
        open_amount=Decimal(open_amount if open_amount is not None else amount),
        collection_letter_code=last_code,
        collection_letter_date=last_letter_date,
        valid_collection_letter_code=valid_code,
        with_agency=with_agency,
    )


def credit(
    transaction_id: int,
    open_amount: str,
    *,
    kind: TransactionKind = CREDIT_NOTE,
    dated: date = date(2024, 3, 5),
) -> OpenItem:
    """Build an open credit note or unapplied payment with a negative open amount."""
    return OpenItem(
        transaction_id=transaction_id,
        kind=kind,
        document_number=f"CN-{transaction_id}",
        transaction_date=dated,
        due_date=dated,
        currency="USD",
        amount=Decimal(open_amount),
        open_amount=Decimal(open_amount),
    )


def fee_item(transaction_id: int, dated: date, open_amount: str = "25.00") -> OpenItem:
    """Build an open letter fee, due on the date of the letter that charged it."""
    return OpenItem(
        transaction_id=transaction_id,
        kind=FEE,
        document_number=f"FEE-{transaction_id}",
        transaction_date=dated,
        due_date=dated,
        currency="USD",
        amount=Decimal(open_amount),
        open_amount=Decimal(open_amount),
    )


def snapshot(
    items: list[OpenItem],
    *,
    steps: list[LetterSequenceStep] | None = None,
    currency: str = "USD",
) -> CaseSnapshot:
    return CaseSnapshot(
        customer_account="C-100",
        currency=currency,
        policy=CasePolicy(
            posting_profile="GEN",
            sequence_name="STANDARD",
            steps=steps if steps is not None else default_steps(),
            agency_name=AGENCY,
        ),
        items=items,
    )


def plan(
    items: list[OpenItem],
    business_date: date,
    *,
    steps: list[LetterSequenceStep] | None = None,
    currency: str = "USD",
) -> CasePlan:
    return plan_case(snapshot(items, steps=steps, currency=currency), business_date)


# One invoice of 1000.00 due 2024-03-01 through the default sequence. The
# letter dates are the ones the sequence produces: letter 1 on 03-08, letter 2
# on 03-22, letter 3 on 04-05 and the hand-off on 04-19.
DUE = date(2024, 3, 1)


@dataclass(frozen=True)
class TimelineRow:
    business_date: date
    last_code: CollectionLetterCode | None
    last_letter_date: date | None
    valid_code: CollectionLetterCode | None
    letter_code: CollectionLetterCode | None
    fee: Decimal | None
    total_due: Decimal | None
    handoff_total: Decimal | None
    next_action_date: date | None


# Each row gives the business date and the invoice's last code, last letter
# date and valid code. The other five values are the expected letter code,
# fee, total due, hand-off total and next action date.
TIMELINE = {
    "grace period": TimelineRow(
        date(2024, 3, 7), None, None, None, None, None, None, None, date(2024, 3, 8)
    ),
    "letter1 due": TimelineRow(
        date(2024, 3, 8), None, None, None,
        LETTER1, Decimal("0"), Decimal("1000.00"), None, None,
    ),
    "letter2 waits": TimelineRow(
        date(2024, 3, 21), LETTER1, date(2024, 3, 8), LETTER2,
        None, None, None, None, date(2024, 3, 22),
    ),
    "letter2 due": TimelineRow(
        date(2024, 3, 22), LETTER1, date(2024, 3, 8), LETTER2,
        LETTER2, Decimal("0"), Decimal("1000.00"), None, None,
    ),
    "letter3 waits": TimelineRow(
        date(2024, 4, 4), LETTER2, date(2024, 3, 22), LETTER3,
        None, None, None, None, date(2024, 4, 5),
    ),
    "letter3 due with fee": TimelineRow(
        date(2024, 4, 5), LETTER2, date(2024, 3, 22), LETTER3,
        LETTER3, Decimal("25.00"), Decimal("1025.00"), None, None,
    ),
    "handoff waits": TimelineRow(
        date(2024, 4, 18), LETTER3, date(2024, 4, 5), COLLECTION,
        None, None, None, None, date(2024, 4, 19),
    ),
    "handoff due": TimelineRow(
        date(2024, 4, 19), LETTER3, date(2024, 4, 5), COLLECTION,
        None, None, None, Decimal("1000.00"), None,
    ),
}  # fmt: skip


@pytest.mark.parametrize("row", TIMELINE.values(), ids=TIMELINE.keys())
def test_default_sequence_timeline(row: TimelineRow) -> None:
    item = invoice(
        1,
        DUE,
        last_code=row.last_code,
        last_letter_date=row.last_letter_date,
        valid_code=row.valid_code,
    )

    result = plan([item], row.business_date)

    letter_code = result.letter.code if result.letter is not None else None
    fee = result.letter.fee if result.letter is not None else None
    total_due = result.letter.total_due if result.letter is not None else None
    handoff_total = result.handoff.total if result.handoff is not None else None
    assert letter_code == row.letter_code
    assert fee == row.fee
    assert total_due == row.total_due
    assert handoff_total == row.handoff_total
    assert result.next_action_date == row.next_action_date
    assert result.overdue_amount == Decimal("1000.00")
    assert result.close_reason is None
    assert result.skipped_letter_reason is None


def test_letter3_lists_fee_and_total() -> None:
    item = invoice(
        1,
        DUE,
        last_code=LETTER2,
        last_letter_date=date(2024, 3, 22),
        valid_code=LETTER3,
    )

    letter = plan([item], date(2024, 4, 5)).letter

    assert letter is not None
    assert letter.code is LETTER3
    assert letter.fee == Decimal("25.00")
    assert letter.overdue_amount == Decimal("1000.00")
    assert letter.credit_amount == Decimal("0")
    assert letter.total_due == Decimal("1025.00")
    assert str(letter.total_due) == "1025.00"
    assert letter.lines == [
        LetterLine(
            transaction_id=1,
            kind=INVOICE,
            document_number="INV-1",
            due_date=DUE,
            amount=Decimal("1000.00"),
            open_amount=Decimal("1000.00"),
            days_overdue=35,
            code=LETTER3,
            advances=True,
            threshold_days=14,
            reference_date=date(2024, 3, 22),
        )
    ]


def test_handoff_includes_open_fee() -> None:
    items = [
        invoice(
            1,
            DUE,
            last_code=LETTER3,
            last_letter_date=date(2024, 4, 5),
            valid_code=COLLECTION,
        ),
        fee_item(2, date(2024, 4, 5)),
    ]

    result = plan(items, date(2024, 4, 19))

    assert result.letter is None
    assert result.handoff is not None
    assert result.handoff.agency_name == AGENCY
    assert result.handoff.total == Decimal("1025.00")
    assert result.handoff.lines == [
        HandoffLine(
            transaction_id=1,
            kind=INVOICE,
            document_number="INV-1",
            due_date=DUE,
            open_amount=Decimal("1000.00"),
            days_overdue=49,
        ),
        HandoffLine(
            transaction_id=2,
            kind=FEE,
            document_number="FEE-2",
            due_date=date(2024, 4, 5),
            open_amount=Decimal("25.00"),
            days_overdue=14,
        ),
    ]
    assert result.overdue_amount == Decimal("1025.00")
    assert result.close_reason is None


def test_agency_items_get_nothing() -> None:
    items = [
        invoice(
            1,
            DUE,
            last_code=COLLECTION,
            last_letter_date=date(2024, 4, 19),
            valid_code=COLLECTION,
            with_agency=True,
        )
    ]

    result = plan(items, date(2024, 6, 1))

    assert result.letter is None
    assert result.handoff is None
    assert result.next_action_date is None
    assert result.stage is CaseStage.WITH_AGENCY
    assert result.overdue_amount == Decimal("1000.00")
    assert result.close_reason is None


def test_late_wake_sends_letter1_only() -> None:
    result = plan([invoice(1, DUE)], date(2024, 4, 30))

    assert result.letter is not None
    assert result.letter.code is LETTER1
    assert result.letter.fee == Decimal("0")
    assert result.letter.total_due == Decimal("1000.00")
    assert result.handoff is None
    assert [line.code for line in result.letter.lines] == [LETTER1]
    assert result.letter.lines[0].days_overdue == 60


def test_late_wake_then_waits_14_days() -> None:
    after_letter1 = invoice(
        1,
        DUE,
        last_code=LETTER1,
        last_letter_date=date(2024, 4, 30),
        valid_code=LETTER2,
    )

    waiting = plan([after_letter1], date(2024, 5, 13))
    due = plan([after_letter1], date(2024, 5, 14))

    assert waiting.letter is None
    assert waiting.next_action_date == date(2024, 5, 14)
    assert due.letter is not None
    assert due.letter.code is LETTER2


def test_one_letter_per_customer() -> None:
    # Invoice 1 is due for letter 3 and invoice 2 for letter 2 on 04-05.
    # Invoice 3 had letter 1 on 03-29, so its letter 2 waits until 04-12.
    items = [
        invoice(
            1,
            date(2024, 2, 1),
            last_code=LETTER2,
            last_letter_date=date(2024, 3, 22),
            valid_code=LETTER3,
        ),
        invoice(
            2,
            date(2024, 3, 1),
            amount="400.00",
            last_code=LETTER1,
            last_letter_date=date(2024, 3, 22),
            valid_code=LETTER2,
        ),
        invoice(
            3,
            date(2024, 3, 20),
            amount="250.00",
            last_code=LETTER1,
            last_letter_date=date(2024, 3, 29),
            valid_code=LETTER2,
        ),
    ]

    result = plan(items, date(2024, 4, 5))

    letter = result.letter
    assert letter is not None
    assert letter.code is LETTER3
    assert letter.fee == Decimal("25.00")
    assert letter.overdue_amount == Decimal("1650.00")
    assert letter.total_due == Decimal("1675.00")
    assert [line.transaction_id for line in letter.lines] == [1, 2, 3]
    assert [line.code for line in letter.lines] == [LETTER3, LETTER2, LETTER1]
    assert [line.advances for line in letter.lines] == [True, True, False]
    assert result.handoff is None
    assert result.next_action_date == date(2024, 4, 12)


def test_letter_fee_from_highest_code() -> None:
    steps = [
        LetterSequenceStep(LETTER1, 7, fees={"USD": Decimal("10.00")}),
        LetterSequenceStep(LETTER2, 14, fees={"USD": Decimal("20.00")}),
        LetterSequenceStep(COLLECTION, 14),
    ]
    items = [
        invoice(
            1,
            DUE,
            last_code=LETTER1,
            last_letter_date=date(2024, 3, 8),
            valid_code=LETTER2,
        ),
        invoice(2, date(2024, 3, 15), amount="500.00"),
    ]

    letter = plan(items, date(2024, 3, 22), steps=steps).letter

    assert letter is not None
    assert letter.code is LETTER2
    assert letter.fee == Decimal("20.00")
    assert letter.total_due == Decimal("1520.00")
    assert [line.code for line in letter.lines] == [LETTER2, LETTER1]
    assert [line.advances for line in letter.lines] == [True, True]


def test_letter_line_thresholds_and_references() -> None:
    items = [
        invoice(
            1,
            DUE,
            last_code=LETTER1,
            last_letter_date=date(2024, 3, 8),
            valid_code=LETTER2,
        ),
        invoice(2, date(2024, 3, 15), amount="500.00"),
        invoice(3, date(2024, 3, 18), amount="300.00"),
    ]

    letter = plan(items, date(2024, 3, 22)).letter

    assert letter is not None
    first, second, third = letter.lines
    assert first.days_overdue == 21
    assert first.threshold_days == 14
    assert first.reference_date == date(2024, 3, 8)
    assert second.days_overdue == 7
    assert second.threshold_days == 7
    assert second.reference_date == date(2024, 3, 15)
    assert third.days_overdue == 4
    assert third.advances is False
    assert third.code is None
    assert third.threshold_days is None
    assert third.reference_date is None


def test_partial_payment_shows_open() -> None:
    letter = plan([invoice(1, DUE, open_amount="600.00")], date(2024, 3, 8)).letter

    assert letter is not None
    assert letter.lines[0].amount == Decimal("1000.00")
    assert letter.lines[0].open_amount == Decimal("600.00")
    assert letter.overdue_amount == Decimal("600.00")
    assert letter.total_due == Decimal("600.00")


def test_smaller_credit_is_deducted() -> None:
    result = plan([invoice(1, DUE), credit(2, "-200.00")], date(2024, 3, 8))

    letter = result.letter
    assert letter is not None
    assert letter.overdue_amount == Decimal("1000.00")
    assert letter.credit_amount == Decimal("200.00")
    assert letter.total_due == Decimal("800.00")
    assert str(letter.total_due) == "800.00"
    assert letter.lines[1] == LetterLine(
        transaction_id=2,
        kind=CREDIT_NOTE,
        document_number="CN-2",
        due_date=date(2024, 3, 5),
        amount=Decimal("-200.00"),
        open_amount=Decimal("-200.00"),
        days_overdue=3,
        code=None,
        advances=False,
    )
    assert result.net_overdue_amount == Decimal("800.00")
    assert result.close_reason is None


def test_unapplied_payment_is_deducted() -> None:
    items = [invoice(1, DUE), credit(2, "-150.55", kind=PAYMENT)]

    letter = plan(items, date(2024, 3, 8)).letter

    assert letter is not None
    assert letter.credit_amount == Decimal("150.55")
    assert letter.total_due == Decimal("849.45")


@pytest.mark.parametrize(
    "credit_amount", ["-1500.00", "-1000.00"], ids=["larger", "equal"]
)
def test_covering_credit_skips_letter(credit_amount: str) -> None:
    result = plan([invoice(1, DUE), credit(2, credit_amount)], date(2024, 3, 8))

    covered = credit_amount.lstrip("-")
    assert result.letter is None
    assert result.skipped_letter_reason == (
        f"no letter: open credits {covered} cover the overdue amount 1000.00"
    )
    assert result.close_reason == "covered by credits"
    assert result.net_overdue_amount == Decimal("1000.00") + Decimal(credit_amount)


def test_nothing_overdue_closes_paid() -> None:
    paid = invoice(1, DUE, open_amount="0.00")

    result = plan([paid], date(2024, 3, 8))

    assert result.close_reason == "paid"
    assert result.letter is None
    assert result.overdue_amount == Decimal("0")
    assert result.next_action_date is None


def test_empty_ledger_closes_paid() -> None:
    result = plan([], date(2024, 3, 8))

    assert result.close_reason == "paid"
    assert result.stage is CaseStage.OVERDUE
    assert result.next_action_date is None


def test_not_yet_due_invoice_closes_paid() -> None:
    # With no overdue balance the plan closes the case even though an
    # invoice is still open, and the reason reads "paid". The daily overdue
    # scan starts a new case once the invoice is overdue.
    result = plan([invoice(1, DUE)], date(2024, 2, 20))

    assert result.close_reason == "paid"
    assert result.next_action_date == date(2024, 3, 8)
    assert result.letter is None
    assert result.overdue_amount == Decimal("0")


def test_not_yet_due_beside_overdue() -> None:
    items = [invoice(1, DUE), invoice(2, date(2024, 3, 20), amount="500.00")]

    result = plan(items, date(2024, 3, 5))

    assert result.close_reason is None
    assert result.letter is None
    assert result.overdue_amount == Decimal("1000.00")
    assert result.next_action_date == date(2024, 3, 8)


def test_invoice_due_today_not_overdue() -> None:
    result = plan([invoice(1, DUE)], DUE)

    assert result.overdue_amount == Decimal("0")
    assert result.next_action_date == date(2024, 3, 8)


STAGES = {
    "no letter yet": ([invoice(1, DUE)], CaseStage.OVERDUE),
    "highest last code": (
        [
            invoice(
                1,
                DUE,
                last_code=LETTER2,
                last_letter_date=date(2024, 3, 22),
                valid_code=LETTER3,
            ),
            invoice(
                2,
                date(2024, 3, 10),
                last_code=LETTER1,
                last_letter_date=date(2024, 3, 22),
                valid_code=LETTER2,
            ),
            invoice(3, date(2024, 3, 20)),
        ],
        CaseStage.LETTER2,
    ),
    "letter3 sent": (
        [
            invoice(
                1,
                DUE,
                last_code=LETTER3,
                last_letter_date=date(2024, 3, 25),
                valid_code=COLLECTION,
            )
        ],
        CaseStage.LETTER3,
    ),
    "one invoice with agency": (
        [
            invoice(
                1,
                DUE,
                last_code=COLLECTION,
                last_letter_date=date(2024, 3, 20),
                valid_code=COLLECTION,
                with_agency=True,
            ),
            invoice(
                2,
                date(2024, 3, 10),
                last_code=LETTER1,
                last_letter_date=date(2024, 3, 20),
                valid_code=LETTER2,
            ),
        ],
        CaseStage.WITH_AGENCY,
    ),
}


@pytest.mark.parametrize(("items", "stage"), STAGES.values(), ids=STAGES.keys())
def test_case_stage(items: list[OpenItem], stage: CaseStage) -> None:
    assert plan(items, date(2024, 3, 28)).stage is stage


def test_recalled_invoice_plans_without_error() -> None:
    recalled = invoice(
        1,
        DUE,
        last_code=COLLECTION,
        last_letter_date=date(2024, 4, 19),
        valid_code=COLLECTION,
        with_agency=False,
    )

    result = plan([recalled], date(2024, 5, 1))

    assert result.overdue_amount == Decimal("1000.00")
    assert result.stage is CaseStage.OVERDUE


def test_override_to_collection_hands_off() -> None:
    # After letter 1, a collector sets the valid code straight to collection.
    # The hand-off counts the collection step's 14 days from letter 1.
    item = invoice(
        1,
        DUE,
        last_code=LETTER1,
        last_letter_date=date(2024, 3, 8),
        valid_code=COLLECTION,
    )

    waiting = plan([item], date(2024, 3, 21))
    due = plan([item], date(2024, 3, 22))

    assert waiting.handoff is None
    assert waiting.letter is None
    assert waiting.next_action_date == date(2024, 3, 22)
    assert due.letter is None
    assert due.handoff is not None
    assert [line.transaction_id for line in due.handoff.lines] == [1]
    assert due.handoff.total == Decimal("1000.00")


def test_override_back_to_letter1() -> None:
    # After letter 3 and its fee, a collector sets the invoice back to letter
    # 1, which is due 7 days after letter 3 and carries no fee.
    items = [
        invoice(
            1,
            DUE,
            last_code=LETTER3,
            last_letter_date=date(2024, 4, 5),
            valid_code=LETTER1,
        ),
        fee_item(2, date(2024, 4, 5)),
    ]

    waiting = plan(items, date(2024, 4, 11))
    result = plan(items, date(2024, 4, 12))

    assert waiting.letter is None
    assert waiting.next_action_date == date(2024, 4, 12)
    letter = result.letter
    assert letter is not None
    assert letter.code is LETTER1
    assert letter.fee == Decimal("0")
    assert letter.total_due == Decimal("1025.00")
    assert [line.kind for line in letter.lines] == [INVOICE, FEE]
    assert [line.code for line in letter.lines] == [LETTER1, None]
    assert [line.advances for line in letter.lines] == [True, False]
    assert letter.lines[0].threshold_days == 7
    assert letter.lines[0].reference_date == date(2024, 4, 5)
    assert result.handoff is None
    assert result.stage is CaseStage.LETTER3


TWO_LETTERS = [
    LetterSequenceStep(LETTER1, 7),
    LetterSequenceStep(LETTER2, 14, fees={"USD": Decimal("10.00")}),
]


def test_two_letter_sequence_stops_after_last() -> None:
    # Without a collection step the invoice stays at letter 2 after letter 2
    # was sent. Nothing further is planned, so the final letter and its fee
    # are not repeated.
    after_letter2 = invoice(
        1,
        DUE,
        last_code=LETTER2,
        last_letter_date=date(2024, 3, 22),
        valid_code=LETTER2,
    )

    result = plan([after_letter2], date(2024, 4, 5), steps=TWO_LETTERS)

    assert result.letter is None
    assert result.handoff is None
    assert result.next_action_date is None
    assert result.close_reason is None


def test_two_letter_reset_restarts_sequence() -> None:
    item = invoice(
        1,
        DUE,
        last_code=LETTER2,
        last_letter_date=date(2024, 3, 22),
        valid_code=LETTER1,
    )

    result = plan([item], date(2024, 3, 29), steps=TWO_LETTERS)

    assert result.letter is not None
    assert result.letter.code is LETTER1


def test_two_letter_override_to_collection() -> None:
    # A collection override on a sequence without a collection step hands
    # the invoice off at once.
    item = invoice(
        1,
        DUE,
        last_code=LETTER1,
        last_letter_date=date(2024, 3, 8),
        valid_code=COLLECTION,
    )

    result = plan([item], date(2024, 3, 9), steps=TWO_LETTERS)

    assert result.letter is None
    assert result.handoff is not None
    assert [line.document_number for line in result.handoff.lines] == ["INV-1"]


def test_jpy_fee_has_no_decimals() -> None:
    item = invoice(
        1,
        DUE,
        amount="150000",
        currency="JPY",
        last_code=LETTER2,
        last_letter_date=date(2024, 3, 22),
        valid_code=LETTER3,
    )

    letter = plan([item], date(2024, 4, 5), currency="JPY").letter

    assert letter is not None
    assert letter.fee == Decimal("25")
    assert str(letter.fee) == "25"
    assert letter.total_due == Decimal("150025")
    assert str(letter.total_due) == "150025"


def test_kwd_fee_and_total() -> None:
    item = invoice(
        1,
        DUE,
        amount="1000.000",
        currency="KWD",
        last_code=LETTER2,
        last_letter_date=date(2024, 3, 22),
        valid_code=LETTER3,
    )

    letter = plan([item], date(2024, 4, 5), currency="KWD").letter

    assert letter is not None
    assert letter.fee == Decimal("25.000")
    assert letter.total_due == Decimal("1025.000")
    assert str(letter.total_due) == "1025.000"


def test_fee_uses_customer_currency() -> None:
    steps = [
        LetterSequenceStep(
            LETTER1, 7, fees={"NOK": Decimal("70.00"), "USD": Decimal("7.00")}
        ),
        LetterSequenceStep(COLLECTION, 14),
    ]

    letter = plan(
        [invoice(1, DUE)], date(2024, 3, 8), steps=steps, currency="NOK"
    ).letter

    assert letter is not None
    assert letter.fee == Decimal("70.00")


def test_disputed_invoice_gets_no_letter() -> None:
    disputed = replace(invoice(1, DUE), disputed=True)
    undisputed = invoice(2, DUE, amount="200.00")

    both = plan([disputed, undisputed], date(2024, 3, 8))
    alone = plan([disputed], date(2024, 3, 8))

    assert both.letter is not None
    assert [line.document_number for line in both.letter.lines] == ["INV-2"]
    assert both.letter.total_due == Decimal("200.00")
    assert both.overdue_amount == Decimal("1200.00")
    assert alone.letter is None
    assert alone.handoff is None
    assert alone.close_reason is None
    assert alone.next_action_date is None
