"""Posting customer transactions and settling credits against debits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from domain.case import TransactionKind
from ledger.posting import PostingError, post_transaction, upsert_customer
from models.ledger import Customer, CustomerTransaction, Settlement

INVOICE = TransactionKind.INVOICE
PAYMENT = TransactionKind.PAYMENT
CREDIT_NOTE = TransactionKind.CREDIT_NOTE
FEE = TransactionKind.FEE


def add_customer(
    session: Session, account: str = "C-100", currency: str = "USD"
) -> Customer:
    customer, created = upsert_customer(
        session,
        account=account,
        name=f"Customer {account}",
        language="en",
        currency=currency,
        address="1 Main Street\nSpringfield",
        email="ap@example.com",
        posting_profile="GEN",
    )
    assert created
    return customer


def invoice(
    session: Session,
    number: str,
    amount: str,
    *,
    due: date,
    dated: date = date(2024, 1, 1),
    account: str = "C-100",
    currency: str = "USD",
) -> CustomerTransaction:
    return post_transaction(
        session,
        customer_account=account,
        kind=INVOICE,
        document_number=number,
        transaction_date=dated,
        due_date=due,
        currency=currency,
        amount=Decimal(amount),
    )


def credit(
    session: Session,
    number: str,
    amount: str,
    *,
    kind: TransactionKind = PAYMENT,
    dated: date = date(2024, 3, 1),
    settles: list[str] | None = None,
    account: str = "C-100",
    currency: str = "USD",
) -> CustomerTransaction:
    return post_transaction(
        session,
        customer_account=account,
        kind=kind,
        document_number=number,
        transaction_date=dated,
        due_date=None,
        currency=currency,
        amount=Decimal(amount),
        settles=settles,
    )


def reload(engine: Engine, account: str = "C-100") -> dict[str, CustomerTransaction]:
    """Read the customer's transactions back through a new session."""
    with Session(engine) as session:
        rows = session.exec(
            select(CustomerTransaction).where(
                CustomerTransaction.customer_account == account
            )
        ).all()
        return {f"{row.kind.value}:{row.document_number}": row for row in rows}


def count_rows(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        transactions = session.exec(
            select(func.count()).select_from(CustomerTransaction)
        ).one()
        settlements = session.exec(select(func.count()).select_from(Settlement)).one()
        return transactions, settlements


def test_invoice_stored_positive_and_open(engine: Engine, session: Session) -> None:
    add_customer(session)
    invoice(session, "INV-1", "125.50", due=date(2024, 1, 31))
    session.commit()

    stored = reload(engine)["invoice:INV-1"]
    assert stored.amount == Decimal("125.50")
    assert stored.open_amount == Decimal("125.50")
    assert stored.is_open
    assert stored.due_date == date(2024, 1, 31)
    assert stored.collections_status == "not_disputed"


def test_payment_settles_invoice_in_full(engine: Engine, session: Session) -> None:
    add_customer(session)
    debit = invoice(session, "INV-1", "125.50", due=date(2024, 1, 31))
    payment = credit(
        session, "PAY-1", "125.50", settles=["INV-1"], dated=date(2024, 2, 5)
    )
    session.commit()

    stored = reload(engine)
    assert stored["invoice:INV-1"].open_amount == Decimal("0")
    assert not stored["invoice:INV-1"].is_open
    assert stored["payment:PAY-1"].amount == Decimal("-125.50")
    assert stored["payment:PAY-1"].open_amount == Decimal("0")
    assert not stored["payment:PAY-1"].is_open
    assert stored["payment:PAY-1"].due_date == date(2024, 2, 5)

    settlements = session.exec(select(Settlement)).all()
    assert len(settlements) == 1
    assert settlements[0].debit_id == debit.id
    assert settlements[0].credit_id == payment.id
    assert settlements[0].amount == Decimal("125.50")
    assert settlements[0].settlement_date == date(2024, 2, 5)


def test_partial_payment_leaves_exact_rest(engine: Engine, session: Session) -> None:
    add_customer(session)
    invoice(session, "INV-1", "100.00", due=date(2024, 1, 31))
    credit(session, "PAY-1", "33.33", settles=["INV-1"])
    credit(session, "PAY-2", "33.33", settles=["INV-1"], dated=date(2024, 3, 2))
    session.commit()

    stored = reload(engine)
    assert stored["invoice:INV-1"].open_amount == Decimal("33.34")
    assert stored["invoice:INV-1"].is_open
    assert stored["payment:PAY-1"].open_amount == Decimal("0")
    assert stored["payment:PAY-2"].open_amount == Decimal("0")


def test_unnamed_payment_settles_oldest_due_first(
    engine: Engine, session: Session
) -> None:
    add_customer(session)
    invoice(session, "A", "100.00", due=date(2024, 2, 1))
    invoice(session, "B", "50.00", due=date(2024, 1, 15))
    invoice(session, "C", "80.00", due=date(2024, 3, 1))
    credit(session, "PAY-1", "120.00")
    session.commit()

    stored = reload(engine)
    assert stored["invoice:B"].open_amount == Decimal("0")
    assert not stored["invoice:B"].is_open
    assert stored["invoice:A"].open_amount == Decimal("30.00")
    assert stored["invoice:C"].open_amount == Decimal("80.00")
    assert stored["payment:PAY-1"].open_amount == Decimal("0")
    amounts = sorted(row.amount for row in session.exec(select(Settlement)).all())
    assert amounts == [Decimal("50.00"), Decimal("70.00")]


def test_due_tie_uses_transaction_date(engine: Engine, session: Session) -> None:
    add_customer(session)
    invoice(session, "LATE", "40.00", due=date(2024, 2, 1), dated=date(2024, 1, 20))
    invoice(session, "EARLY", "40.00", due=date(2024, 2, 1), dated=date(2024, 1, 2))
    credit(session, "PAY-1", "40.00")
    session.commit()

    stored = reload(engine)
    assert stored["invoice:EARLY"].open_amount == Decimal("0")
    assert stored["invoice:LATE"].open_amount == Decimal("40.00")


def test_named_settlement_follows_given_order(engine: Engine, session: Session) -> None:
    add_customer(session)
    invoice(session, "A", "100.00", due=date(2024, 1, 10))
    invoice(session, "B", "50.00", due=date(2024, 2, 10))
    invoice(session, "C", "80.00", due=date(2024, 3, 10))
    credit(session, "PAY-1", "100.00", settles=["C", "B"])
    session.commit()

    stored = reload(engine)
    assert stored["invoice:C"].open_amount == Decimal("0")
    assert stored["invoice:B"].open_amount == Decimal("30.00")
    assert stored["invoice:A"].open_amount == Decimal("100.00"), (
        "oldest due was not named"
    )


def test_named_remainder_stays_unapplied(engine: Engine, session: Session) -> None:
    add_customer(session)
    invoice(session, "A", "100.00", due=date(2024, 1, 10))
    invoice(session, "B", "50.00", due=date(2024, 2, 10))
    credit(session, "PAY-1", "120.00", settles=["B"])
    session.commit()

    stored = reload(engine)
    assert stored["invoice:B"].open_amount == Decimal("0")
    assert stored["invoice:A"].open_amount == Decimal("100.00")
    assert stored["payment:PAY-1"].open_amount == Decimal("-70.00")
    assert stored["payment:PAY-1"].is_open


def test_overpayment_leaves_unapplied_credit(engine: Engine, session: Session) -> None:
    add_customer(session)
    invoice(session, "A", "60.00", due=date(2024, 1, 10))
    credit(session, "PAY-1", "100.00")
    session.commit()

    stored = reload(engine)
    assert stored["invoice:A"].open_amount == Decimal("0")
    assert stored["payment:PAY-1"].open_amount == Decimal("-40.00")
    assert stored["payment:PAY-1"].is_open


def test_credit_without_debits_stays_open(engine: Engine, session: Session) -> None:
    add_customer(session)
    credit(session, "CN-1", "30.00", kind=CREDIT_NOTE)
    session.commit()

    stored = reload(engine)["credit_note:CN-1"]
    assert stored.amount == Decimal("-30.00")
    assert stored.open_amount == Decimal("-30.00")
    assert stored.is_open
    assert session.exec(select(Settlement)).all() == []


def test_new_invoice_keeps_open_credit(engine: Engine, session: Session) -> None:
    add_customer(session)
    credit(session, "CN-1", "30.00", kind=CREDIT_NOTE, dated=date(2024, 1, 1))
    invoice(session, "A", "100.00", due=date(2024, 2, 1), dated=date(2024, 1, 2))
    session.commit()

    stored = reload(engine)
    assert stored["invoice:A"].open_amount == Decimal("100.00")
    assert stored["credit_note:CN-1"].open_amount == Decimal("-30.00")


def test_credit_note_settles_fee(engine: Engine, session: Session) -> None:
    add_customer(session)
    post_transaction(
        session,
        customer_account="C-100",
        kind=FEE,
        document_number="FEE-1",
        transaction_date=date(2024, 1, 5),
        due_date=date(2024, 1, 19),
        currency="USD",
        amount=Decimal("7.50"),
    )
    credit(session, "CN-1", "7.50", kind=CREDIT_NOTE, settles=["FEE-1"])
    session.commit()

    stored = reload(engine)
    assert stored["fee:FEE-1"].amount == Decimal("7.50")
    assert stored["fee:FEE-1"].open_amount == Decimal("0")
    assert stored["credit_note:CN-1"].open_amount == Decimal("0")


def test_currency_minor_units_are_exact(engine: Engine, session: Session) -> None:
    add_customer(session, "JP-1", currency="JPY")
    add_customer(session, "KW-1", currency="KWD")
    invoice(
        session, "J-1", "10000", due=date(2024, 2, 1), account="JP-1", currency="JPY"
    )
    credit(session, "JP-PAY", "3333", account="JP-1", currency="JPY")
    invoice(
        session, "K-1", "10.125", due=date(2024, 2, 1), account="KW-1", currency="KWD"
    )
    credit(session, "KW-PAY", "0.001", account="KW-1", currency="KWD")
    session.commit()

    assert reload(engine, "JP-1")["invoice:J-1"].open_amount == Decimal("6667")
    assert reload(engine, "KW-1")["invoice:K-1"].open_amount == Decimal("10.124")


def test_error_names_field_and_reason() -> None:
    error = PostingError("currency", "unknown currency 'XYZ'")
    assert error.field == "currency"
    assert error.reason == "unknown currency 'XYZ'"
    assert str(error) == "Invalid currency: unknown currency 'XYZ'."


INVALID_POSTINGS = [
    (
        "unknown customer",
        {"customer_account": "NOBODY"},
        "customer_account",
        "not found",
    ),
    ("unknown currency", {"currency": "XYZ"}, "currency", "unknown currency"),
    (
        "other currency",
        {"currency": "EUR"},
        "currency",
        "multi-currency accounts are not supported",
    ),
    ("zero amount", {"amount": Decimal("0")}, "amount", "not positive"),
    ("negative amount", {"amount": Decimal("-5.00")}, "amount", "not positive"),
    ("too many decimals", {"amount": Decimal("10.005")}, "amount", "more decimals"),
    (
        "due before date",
        {"due_date": date(2023, 12, 31)},
        "due_date",
        "before the transaction date",
    ),
    ("missing due date", {"due_date": None}, "due_date", "missing"),
    ("empty number", {"document_number": "  "}, "document_number", "missing"),
    (
        "duplicate number",
        {"document_number": "INV-1"},
        "document_number",
        "already exists",
    ),
    (
        "unknown status",
        {"collections_status": "angry"},
        "collections_status",
        "unknown status",
    ),
    (
        "settles on invoice",
        {"settles": ["INV-1"]},
        "settles",
        "only credit notes and payments",
    ),
]


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [case[1:] for case in INVALID_POSTINGS],
    ids=[case[0] for case in INVALID_POSTINGS],
)
def test_invalid_invoice_rejected(
    engine: Engine,
    session: Session,
    changes: dict[str, object],
    field: str,
    reason: str,
) -> None:
    add_customer(session)
    invoice(session, "INV-1", "10.00", due=date(2024, 1, 31))
    session.commit()
    before = count_rows(engine)

    arguments: dict[str, object] = {
        "customer_account": "C-100",
        "kind": INVOICE,
        "document_number": "INV-2",
        "transaction_date": date(2024, 1, 1),
        "due_date": date(2024, 1, 31),
        "currency": "USD",
        "amount": Decimal("10.00"),
    } | changes
    with pytest.raises(PostingError) as raised:
        post_transaction(session, **arguments)  # type: ignore[arg-type]
    session.commit()

    assert raised.value.field == field
    assert reason in raised.value.reason
    assert count_rows(engine) == before


INVALID_CREDITS = [
    ("unknown document", {"settles": ["NOPE"]}, "settles", "no invoice or fee 'NOPE'"),
    ("named twice", {"settles": ["INV-1", "INV-1"]}, "settles", "more than once"),
    ("empty name", {"settles": [""]}, "settles", "empty document number"),
    (
        "other customer's invoice",
        {"settles": ["OTHER-1"]},
        "settles",
        "no invoice or fee 'OTHER-1'",
    ),
    (
        "due date differs",
        {"due_date": date(2024, 4, 1)},
        "due_date",
        "due on its transaction date",
    ),
    ("duplicate number", {"document_number": "PAY-0"}, "document_number", "exists"),
    (
        "duplicate named",
        {"document_number": "PAY-0", "settles": ["INV-1"]},
        "document_number",
        "exists",
    ),
]


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [case[1:] for case in INVALID_CREDITS],
    ids=[case[0] for case in INVALID_CREDITS],
)
def test_invalid_credit_rejected(
    engine: Engine,
    session: Session,
    changes: dict[str, object],
    field: str,
    reason: str,
) -> None:
    add_customer(session)
    add_customer(session, "C-200")
    invoice(session, "INV-1", "10.00", due=date(2024, 1, 31))
    invoice(session, "PAID", "10.00", due=date(2024, 1, 31))
    invoice(session, "OTHER-1", "10.00", due=date(2024, 1, 31), account="C-200")
    credit(session, "PAY-0", "10.00", settles=["PAID"])
    session.commit()
    before = count_rows(engine)

    arguments: dict[str, object] = {
        "customer_account": "C-100",
        "kind": PAYMENT,
        "document_number": "PAY-1",
        "transaction_date": date(2024, 3, 1),
        "due_date": None,
        "currency": "USD",
        "amount": Decimal("10.00"),
    } | changes
    with pytest.raises(PostingError) as raised:
        post_transaction(session, **arguments)  # type: ignore[arg-type]
    session.commit()

    assert raised.value.field == field
    assert reason in raised.value.reason
    assert count_rows(engine) == before
    assert reload(engine)["invoice:INV-1"].open_amount == Decimal("10.00")


def test_same_number_allowed_for_other_kind(engine: Engine, session: Session) -> None:
    add_customer(session)
    invoice(session, "1001", "10.00", due=date(2024, 1, 31))
    credit(session, "1001", "10.00", kind=CREDIT_NOTE, settles=["1001"])
    session.commit()

    stored = reload(engine)
    assert stored["invoice:1001"].open_amount == Decimal("0")
    assert stored["credit_note:1001"].open_amount == Decimal("0")


def test_upsert_customer_updates_existing(engine: Engine, session: Session) -> None:
    add_customer(session)
    customer, created = upsert_customer(
        session,
        account="C-100",
        name="Renamed AS",
        language="nb",
        currency="USD",
        address="Storgata 2",
        email="",
        posting_profile="GEN",
    )
    session.commit()

    assert not created
    with Session(engine) as fresh:
        stored = fresh.get(Customer, "C-100")
        assert stored is not None
        assert stored.name == "Renamed AS"
        assert stored.language == "nb"
        assert stored.address == "Storgata 2"
        assert stored.email == ""


def test_customer_currency_fixed_by_transactions(session: Session) -> None:
    add_customer(session)
    customer_fields = {
        "account": "C-100",
        "name": "Customer C-100",
        "language": "en",
        "currency": "EUR",
        "address": "",
        "email": "",
        "posting_profile": "GEN",
    }
    customer, _ = upsert_customer(session, **customer_fields)
    assert customer.currency == "EUR", (
        "a customer without transactions may change currency"
    )

    invoice(session, "INV-1", "10.00", due=date(2024, 1, 31), currency="EUR")
    with pytest.raises(PostingError) as raised:
        upsert_customer(session, **customer_fields | {"currency": "USD"})
    assert raised.value.field == "currency"
    assert "cannot change" in raised.value.reason


INVALID_CUSTOMERS = [
    ("empty account", {"account": ""}, "account"),
    ("long account", {"account": "A" * 41}, "account"),
    ("empty name", {"name": " "}, "name"),
    ("language word", {"language": "english"}, "language"),
    ("unknown language", {"language": "xx"}, "language"),
    ("unknown currency", {"currency": "ABC"}, "currency"),
    ("bad email", {"email": "not an address"}, "email"),
    ("unknown posting profile", {"posting_profile": "VIP"}, "posting_profile"),
]


@pytest.mark.parametrize(
    ("changes", "field"),
    [case[1:] for case in INVALID_CUSTOMERS],
    ids=[case[0] for case in INVALID_CUSTOMERS],
)
def test_invalid_customer_rejected(
    session: Session, changes: dict[str, str], field: str
) -> None:
    arguments = {
        "account": "C-300",
        "name": "Customer C-300",
        "language": "de",
        "currency": "EUR",
        "address": "",
        "email": "",
        "posting_profile": "GEN",
    } | changes
    with pytest.raises(PostingError) as raised:
        upsert_customer(session, **arguments)

    assert raised.value.field == field
    assert session.get(Customer, "C-300") is None


def test_credit_for_settled_invoice_unapplied(engine: Engine, session: Session) -> None:
    add_customer(session)
    invoice(session, "PAID", "100.00", due=date(2024, 1, 31))
    credit(session, "PAY-1", "100.00", settles=["PAID"], dated=date(2024, 2, 5))
    credit(session, "PAY-2", "100.00", settles=["PAID"], dated=date(2024, 2, 6))
    session.commit()

    stored = reload(engine)
    assert stored["payment:PAY-2"].open_amount == Decimal("-100.00")
    assert stored["payment:PAY-2"].is_open
    assert stored["invoice:PAID"].open_amount == Decimal("0")
