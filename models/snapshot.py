"""Read a customer's open items and policy as the planner's ``CaseSnapshot``."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from domain.case import CasePolicy, CaseSnapshot, OpenItem
from domain.codes import LetterSequenceStep
from models.cases import AgencyHandoff, CollectionLetter
from models.ledger import Customer, CustomerTransaction
from models.policy import LetterSequenceLine, PostingProfile


class SnapshotError(LookupError):
    """The customer or its posting profile is missing."""


def lock_customer(session: Session, account: str) -> Customer | None:
    """Read the customer row, locked for update on PostgreSQL.

    Letter posting and payment posting both take this lock first, so they
    serialize per customer. SQLite has no row locks; there a writer whose
    reads went stale fails with "database is locked" and is retried.
    """
    return session.exec(
        select(Customer).where(Customer.account == account).with_for_update()
    ).first()


def load_policy(session: Session, posting_profile: str) -> CasePolicy:
    profile = session.get(PostingProfile, posting_profile)
    if profile is None:
        raise SnapshotError(f"posting profile {posting_profile!r} not found")
    lines = session.exec(
        select(LetterSequenceLine)
        .where(LetterSequenceLine.sequence_name == profile.letter_sequence)
        .order_by(LetterSequenceLine.position)  # type: ignore[arg-type]
    ).all()
    if not lines:
        raise SnapshotError(f"letter sequence {profile.letter_sequence!r} has no codes")
    steps = [
        LetterSequenceStep(
            code=line.code,
            days=line.days,
            text=line.text,
            fees=line.fee_amounts(),
            texts=dict(line.texts),
        )
        for line in lines
    ]
    return CasePolicy(
        posting_profile=profile.name,
        sequence_name=profile.letter_sequence,
        steps=steps,
        agency_name=profile.agency,
    )


def load_snapshot(session: Session, account: str) -> CaseSnapshot:
    """Return the customer's open items, oldest due first, with its policy."""
    customer = session.get(Customer, account)
    if customer is None:
        raise SnapshotError(f"customer {account!r} not found")
    transactions = session.exec(
        select(CustomerTransaction)
        .where(
            CustomerTransaction.customer_account == account,
            CustomerTransaction.is_open,
        )
        .order_by(CustomerTransaction.due_date, CustomerTransaction.document_number)  # type: ignore[arg-type]
    ).all()
    items = [
        OpenItem(
            transaction_id=txn.id,  # type: ignore[arg-type]
            kind=txn.kind,
            document_number=txn.document_number,
            transaction_date=txn.transaction_date,
            due_date=txn.due_date,
            currency=txn.currency,
            amount=txn.amount,
            open_amount=txn.open_amount,
            collection_letter_code=txn.collection_letter_code,
            collection_letter_date=txn.collection_letter_date,
            valid_collection_letter_code=txn.valid_collection_letter_code,
            with_agency=txn.with_agency,
            disputed=txn.collections_status == "disputed",
        )
        for txn in transactions
    ]
    last_letter_date = session.exec(
        select(func.max(CollectionLetter.letter_date)).where(
            CollectionLetter.customer_account == account
        )
    ).one()
    last_handoff_date = session.exec(
        select(func.max(AgencyHandoff.handoff_date)).where(
            AgencyHandoff.customer_account == account
        )
    ).one()
    return CaseSnapshot(
        customer_account=account,
        currency=customer.currency,
        policy=load_policy(session, customer.posting_profile),
        items=items,
        last_letter_date=last_letter_date,
        last_handoff_date=last_handoff_date,
    )
