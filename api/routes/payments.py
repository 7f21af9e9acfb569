"""Payments pushed by an ERP or bank integration."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from api.deps import BusinessDateDep, EngineDep, OptionalTemporalDep, SettingsDep
from api.errors import field_error, not_found
from api.schemas import (
    PaymentPublic,
    PaymentRequest,
    SettlementPublic,
    TransactionPublic,
)
from control.cases import notify_ledger_changed
from domain.case import TransactionKind
from domain.money import round_money
from ledger.posting import PostingError, post_transaction
from models import CustomerTransaction, Settlement
from models.db import write_session
from models.snapshot import lock_customer

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/payments", tags=["payments"])

# Request fields that PostingError may name, mapped to the request body's names.
_FIELD_NAMES = {"transaction_date": "payment_date"}


@router.post(
    "",
    status_code=201,
    response_model=PaymentPublic,
    responses={404: {}, 409: {}, 422: {}},
)
async def record_payment(
    body: PaymentRequest,
    response: Response,
    engine: EngineDep,
    settings: SettingsDep,
    client: OptionalTemporalDep,
    today: BusinessDateDep,
) -> PaymentPublic:
    """Record a payment, settle it and tell the customer's case.

    The payment settles the named invoices, or the oldest due open items
    first; what no item absorbs stays open as an unapplied payment. While
    Temporal is unreachable the payment is still recorded, with
    ``case_notified`` false.
    """
    # A write session, because the posting reads open items and then settles
    # them. It ends before the Temporal calls, because its write lock (BEGIN
    # IMMEDIATE on SQLite) would block the worker's writes for the case.
    if body.payment_date > today:
        raise field_error(
            422,
            ("body", "payment_date"),
            f"payment date {body.payment_date} is after today ({today}); record a "
            "payment when it has been received",
            "invalid",
        )
    with write_session(engine) as session:
        resent = _same_payment(session, body)
        if resent is not None:
            # An ERP that retries after a timeout sends the same payment again,
            # so return what was recorded instead of a conflict.
            response.status_code = 200
            return PaymentPublic(
                payment=TransactionPublic.of(resent),
                settlements=_settlements_of(session, resent),
                unapplied_amount=round_money(-resent.open_amount, resent.currency),
                case_notified=False,
            )
        payment = _post_payment(session, body)
        settlements = _settlements_of(session, payment)
    logger.info(
        "payment %s of %s %s recorded for customer %s: %d settlements",
        payment.document_number,
        body.amount,
        payment.currency,
        payment.customer_account,
        len(settlements),
    )

    # NOTE: a case that is not signalled sees the payment only when its timer
    # next fires, and a case with every item at the agency has no timer, so it
    # waits for the next ledger change.
    notified = False
    if client is None:
        logger.error(
            "payment %s stored but the case of customer %s was not signalled: "
            "Temporal is unreachable",
            payment.document_number,
            payment.customer_account,
        )
    else:
        try:
            await notify_ledger_changed(
                client, settings, engine, [payment.customer_account], today
            )
            notified = True
        # The payment is stored already, so a failed signal is logged, not raised.
        except Exception as err:  # noqa: BLE001
            logger.error(
                "payment %s stored but the case of customer %s was not signalled: %s",
                payment.document_number,
                payment.customer_account,
                err,
            )
    return PaymentPublic(
        payment=TransactionPublic.of(payment),
        settlements=settlements,
        unapplied_amount=round_money(-payment.open_amount, payment.currency),
        case_notified=notified,
    )


def _same_payment(session: Session, body: PaymentRequest) -> CustomerTransaction | None:
    """Return the stored payment if this request repeats it exactly."""
    existing = session.exec(
        select(CustomerTransaction).where(
            CustomerTransaction.customer_account == body.customer_account,
            CustomerTransaction.kind == TransactionKind.PAYMENT,
            CustomerTransaction.document_number == body.document_number,
        )
    ).first()
    if existing is None:
        return None
    differences = []
    if existing.transaction_date != body.payment_date:
        differences.append(f"payment_date {existing.transaction_date}")
    if -existing.amount != body.amount:
        differences.append(f"amount {round_money(-existing.amount, existing.currency)}")
    if existing.currency != body.currency.upper():
        differences.append(f"currency {existing.currency}")
    if body.settles is not None:
        settled = {row.document_number for row in _settlements_of(session, existing)}
        if set(number.strip() for number in body.settles) != settled:
            differences.append(f"settles {sorted(settled)}")
    if differences:
        raise field_error(
            409,
            ("body", "document_number"),
            f"payment {existing.document_number} of customer "
            f"{existing.customer_account} already exists with "
            + ", ".join(differences),
            "duplicate",
        )
    return existing


def _post_payment(session: Session, body: PaymentRequest) -> CustomerTransaction:
    """Post and commit the payment, raising 404, 409 or 422 for invalid input."""
    if lock_customer(session, body.customer_account) is None:
        raise not_found("customer", body.customer_account, ("body", "customer_account"))
    try:
        payment = post_transaction(
            session,
            customer_account=body.customer_account,
            kind=TransactionKind.PAYMENT,
            document_number=body.document_number,
            transaction_date=body.payment_date,
            due_date=None,
            currency=body.currency,
            amount=body.amount,
            settles=body.settles,
        )
        session.commit()
    except PostingError as err:
        session.rollback()
        status = 409 if "already exists" in err.reason else 422
        raise field_error(
            status,
            ("body", _FIELD_NAMES.get(err.field, err.field)),
            err.reason,
            "invalid",
        ) from err
    except IntegrityError as err:
        session.rollback()
        raise field_error(
            409,
            ("body", "document_number"),
            f"payment {body.document_number} already exists for customer "
            f"{body.customer_account}",
            "duplicate",
        ) from err
    return payment


def _settlements_of(
    session: Session, payment: CustomerTransaction
) -> list[SettlementPublic]:
    rows = session.exec(
        select(Settlement, CustomerTransaction)
        .join(CustomerTransaction, Settlement.debit_id == CustomerTransaction.id)  # type: ignore[arg-type]
        .where(Settlement.credit_id == payment.id)
        .order_by(Settlement.id)  # type: ignore[arg-type]
    ).all()
    return [
        SettlementPublic(
            document_number=debit.document_number,
            amount=round_money(settlement.amount, payment.currency),
            open_amount_after=round_money(debit.open_amount, payment.currency),
        )
        for settlement, debit in rows
    ]
