"""Settlement: match a payment or credit note against open debits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class OpenDebit:
    transaction_id: int
    document_number: str
    due_date: date
    transaction_date: date
    open_amount: Decimal


@dataclass(frozen=True)
class Allocation:
    transaction_id: int
    amount: Decimal


def allocate_credit(
    credit: Decimal,
    debits: list[OpenDebit],
    named: list[str] | None = None,
) -> list[Allocation]:
    """Split ``credit`` (a positive amount) over open debits.

    Named documents are settled first, in the order given. Without names, the
    credit settles the oldest due first (ties by transaction date, then by
    document number). A remittance that names its invoices does not spill
    over onto others, so what remains stays open as an unapplied credit.
    Each debit is settled at most up to its open amount.
    """
    if credit <= 0:
        return []
    remaining = credit
    allocations: list[Allocation] = []
    open_debits = [debit for debit in debits if debit.open_amount > 0]

    if named:
        by_number = {debit.document_number: debit for debit in open_debits}
        unique_names = list(dict.fromkeys(named))
        ordered = [by_number[number] for number in unique_names if number in by_number]
    else:
        ordered = sorted(
            open_debits,
            key=lambda d: (d.due_date, d.transaction_date, d.document_number),
        )

    for debit in ordered:
        if remaining <= 0:
            break
        amount = min(remaining, debit.open_amount)
        allocations.append(Allocation(debit.transaction_id, amount))
        remaining -= amount
    return allocations
