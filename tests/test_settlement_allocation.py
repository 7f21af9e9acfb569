"""Splitting a credit over open debits with ``allocate_credit``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.settlement import Allocation, OpenDebit, allocate_credit


def debit(
    transaction_id: int,
    open_amount: str,
    due: date,
    *,
    dated: date = date(2024, 1, 1),
    number: str | None = None,
) -> OpenDebit:
    return OpenDebit(
        transaction_id=transaction_id,
        document_number=number or f"INV-{transaction_id}",
        due_date=due,
        transaction_date=dated,
        open_amount=Decimal(open_amount),
    )


def to_pairs(allocations: list[Allocation]) -> list[tuple[int, str]]:
    """Return (transaction id, amount as text) pairs, so scale differences show."""
    return [(a.transaction_id, str(a.amount)) for a in allocations]


def test_oldest_due_first() -> None:
    debits = [
        debit(1, "500.00", date(2024, 3, 1)),
        debit(2, "300.00", date(2024, 2, 1)),
        debit(3, "200.00", date(2024, 4, 1)),
    ]

    result = allocate_credit(Decimal("600.00"), debits)

    assert to_pairs(result) == [(2, "300.00"), (1, "300.00")]


def test_due_tie_by_transaction_date() -> None:
    debits = [
        debit(1, "100.00", date(2024, 3, 1), dated=date(2024, 2, 10)),
        debit(2, "100.00", date(2024, 3, 1), dated=date(2024, 2, 1)),
    ]

    result = allocate_credit(Decimal("150.00"), debits)

    assert to_pairs(result) == [(2, "100.00"), (1, "50.00")]


def test_full_tie_by_document_number() -> None:
    debits = [
        debit(1, "100.00", date(2024, 3, 1), number="INV-0200"),
        debit(2, "100.00", date(2024, 3, 1), number="INV-0100"),
    ]

    result = allocate_credit(Decimal("150.00"), debits)

    assert to_pairs(result) == [(2, "100.00"), (1, "50.00")]


def test_partial_credit_settles_part() -> None:
    result = allocate_credit(Decimal("120.50"), [debit(1, "300.00", date(2024, 3, 1))])

    assert to_pairs(result) == [(1, "120.50")]


def test_credit_above_debits_stops() -> None:
    debits = [debit(1, "100.00", date(2024, 3, 1)), debit(2, "50.00", date(2024, 3, 2))]

    result = allocate_credit(Decimal("1000.00"), debits)

    assert to_pairs(result) == [(1, "100.00"), (2, "50.00")]


def test_exact_credit_no_empty_allocation() -> None:
    debits = [debit(1, "100.00", date(2024, 3, 1)), debit(2, "50.00", date(2024, 3, 2))]

    result = allocate_credit(Decimal("100.00"), debits)

    assert to_pairs(result) == [(1, "100.00")]


def test_settled_debits_are_skipped() -> None:
    debits = [
        debit(1, "0.00", date(2024, 1, 1)),
        debit(2, "-5.00", date(2024, 1, 2)),
        debit(3, "80.00", date(2024, 3, 1)),
    ]

    result = allocate_credit(Decimal("50.00"), debits)

    assert to_pairs(result) == [(3, "50.00")]


def test_named_documents_in_order() -> None:
    debits = [
        debit(1, "100.00", date(2024, 1, 1)),
        debit(2, "200.00", date(2024, 2, 1)),
        debit(3, "300.00", date(2024, 3, 1)),
    ]

    result = allocate_credit(Decimal("350.00"), debits, ["INV-3", "INV-1"])

    assert to_pairs(result) == [(3, "300.00"), (1, "50.00")]


def test_named_leftover_not_spilled() -> None:
    debits = [
        debit(1, "100.00", date(2024, 1, 1)),
        debit(2, "200.00", date(2024, 2, 1)),
    ]

    result = allocate_credit(Decimal("1000.00"), debits, ["INV-2"])

    assert to_pairs(result) == [(2, "200.00")]


def test_named_unknown_is_ignored() -> None:
    debits = [
        debit(1, "100.00", date(2024, 1, 1)),
        debit(2, "200.00", date(2024, 2, 1)),
    ]

    result = allocate_credit(Decimal("150.00"), debits, ["INV-9", "INV-2"])

    assert to_pairs(result) == [(2, "150.00")]


def test_only_unknown_names_allocate_nothing() -> None:
    debits = [debit(1, "100.00", date(2024, 1, 1))]

    assert allocate_credit(Decimal("50.00"), debits, ["INV-9"]) == []


def test_named_settled_debit_ignored() -> None:
    debits = [debit(1, "0.00", date(2024, 1, 1)), debit(2, "200.00", date(2024, 2, 1))]

    result = allocate_credit(Decimal("50.00"), debits, ["INV-1"])

    assert result == []


def test_empty_name_list_allocates_oldest() -> None:
    debits = [
        debit(1, "100.00", date(2024, 3, 1)),
        debit(2, "100.00", date(2024, 2, 1)),
    ]

    result = allocate_credit(Decimal("50.00"), debits, [])

    assert to_pairs(result) == [(2, "50.00")]


@pytest.mark.parametrize("credit", ["0", "0.00", "-10.00"])
def test_nonpositive_credit_allocates_nothing(credit: str) -> None:
    debits = [debit(1, "100.00", date(2024, 1, 1))]

    assert allocate_credit(Decimal(credit), debits) == []


def test_no_debits_allocates_nothing() -> None:
    assert allocate_credit(Decimal("10.00"), []) == []


def test_exact_decimal_sums() -> None:
    debits = [
        debit(1, "0.10", date(2024, 1, 1)),
        debit(2, "0.20", date(2024, 1, 2)),
        debit(3, "0.70", date(2024, 1, 3)),
    ]

    result = allocate_credit(Decimal("0.30"), debits)
    total = sum((a.amount for a in result), Decimal(0))

    assert to_pairs(result) == [(1, "0.10"), (2, "0.20")]
    assert total == Decimal("0.30")
    assert str(total) == "0.30"


def test_three_decimal_split() -> None:
    debits = [
        debit(1, "33.333", date(2024, 1, 1)),
        debit(2, "33.333", date(2024, 1, 2)),
    ]

    result = allocate_credit(Decimal("50.000"), debits)

    assert to_pairs(result) == [(1, "33.333"), (2, "16.667")]
    assert sum((a.amount for a in result), Decimal(0)) == Decimal("50.000")


def test_named_twice_settles_once() -> None:
    debits = [debit(1, "300.00", date(2024, 1, 1))]

    result = allocate_credit(Decimal("1000.00"), debits, ["INV-1", "INV-1"])

    assert to_pairs(result) == [(1, "300.00")]
