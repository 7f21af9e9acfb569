"""Collection letter sequences: read and change the codes, days and fees."""

from __future__ import annotations

import logging
import re
from decimal import Decimal

from fastapi import APIRouter, Response
from sqlmodel import Session, select

from api.deps import EngineDep, SessionDep
from api.errors import field_error, not_found
from api.schemas import LetterSequenceBody, LetterSequencePublic, SequenceStepBody
from domain.codes import LetterSequenceStep, SequenceError, validate_steps
from domain.money import (
    MINOR_UNITS,
    MoneyError,
    check_currency,
    check_magnitude,
    round_money,
)
from models import LetterSequence, LetterSequenceLine
from models.db import write_session

logger = logging.getLogger(__name__)
SEQUENCE_NAME = re.compile(r"[A-Za-z0-9._-]{1,40}")
router = APIRouter(prefix="/letter-sequences", tags=["letter sequences"])


def _public(session: Session, sequence: LetterSequence) -> LetterSequencePublic:
    lines = session.exec(
        select(LetterSequenceLine)
        .where(LetterSequenceLine.sequence_name == sequence.name)
        .order_by(LetterSequenceLine.position)  # type: ignore[arg-type]
    ).all()
    return LetterSequencePublic(
        name=sequence.name,
        description=sequence.description,
        steps=[
            SequenceStepBody(
                code=line.code,
                days=line.days,
                text=line.text,
                fees=_rounded(line.fee_amounts()),
                texts=dict(line.texts),
            )
            for line in lines
        ],
    )


def _rounded(fees: dict[str, Decimal]) -> dict[str, Decimal]:
    """Return the fees rounded to each currency's minor units, as the API shows money.

    Raises ``MoneyError`` for a currency missing from ``MINOR_UNITS``, which
    ``PUT`` never stores.
    """
    return {currency: round_money(fee, currency) for currency, fee in fees.items()}


@router.get("", response_model=list[LetterSequencePublic])
def list_sequences(session: SessionDep) -> list[LetterSequencePublic]:
    sequences = session.exec(select(LetterSequence).order_by(LetterSequence.name)).all()  # type: ignore[arg-type]
    return [_public(session, sequence) for sequence in sequences]


@router.get("/{name}", response_model=LetterSequencePublic, responses={404: {}})
def read_sequence(name: str, session: SessionDep) -> LetterSequencePublic:
    """Return a sequence; names are case-insensitive (stored upper-case)."""
    sequence = session.get(LetterSequence, name.upper())
    if sequence is None:
        raise not_found("letter sequence", name, ("path", "name"))
    return _public(session, sequence)


def _check_fees(index: int, fees: dict[str, Decimal]) -> dict[str, str]:
    """Return the step's fees keyed by upper-case currency, as exact decimal strings.

    Raises a 422 whose ``loc`` ends with the step's list index and the
    currency as given, for an unknown or repeated currency, a negative fee or
    a fee with more decimals than the currency has.
    """
    checked = {}
    for currency, fee in fees.items():
        location = ("body", "steps", index, "fees", currency)
        try:
            code = check_currency(currency)
        except MoneyError as err:
            raise field_error(422, location, str(err), "invalid_currency") from err
        if code in checked:
            raise field_error(
                422,
                location,
                f"the fee for {code} is given twice",
                "duplicate_currency",
            )
        exponent = fee.as_tuple().exponent
        if not fee.is_finite() or (
            isinstance(exponent, int) and -exponent > MINOR_UNITS[code]
        ):
            raise field_error(
                422,
                location,
                f"fee {fee} {code} is invalid: {code} has {MINOR_UNITS[code]} decimals",
                "invalid_amount",
            )
        if fee < 0:
            raise field_error(
                422,
                location,
                f"fee {fee} {code} is invalid: a fee must not be negative",
                "invalid_amount",
            )
        try:
            check_magnitude(fee)
        except MoneyError as err:
            raise field_error(422, location, str(err), "invalid_amount") from err
        checked[code] = str(round_money(fee, code))
    return checked


@router.put(
    "/{name}",
    response_model=LetterSequencePublic,
    responses={201: {"description": "The sequence was created."}, 422: {}},
)
def replace_sequence(
    name: str, body: LetterSequenceBody, engine: EngineDep, response: Response
) -> LetterSequencePublic:
    """Create (201) or replace (200) a sequence. Running cases use it from their
    next plan. Names are case-insensitive and stored upper-case.

    Invoices keep their valid code; a code that the new sequence lacks moves
    up to the next code the sequence has.
    """
    if not SEQUENCE_NAME.fullmatch(name):
        raise field_error(
            422,
            ("path", "name"),
            "name must be 1 to 40 letters A-Z, digits, '.', '_' or '-'",
            "invalid",
        )
    name = name.upper()
    fees = [_check_fees(index, step.fees) for index, step in enumerate(body.steps)]
    steps = [
        LetterSequenceStep(
            code=step.code, days=step.days, text=step.text, fees=step.fees
        )
        for step in body.steps
    ]
    try:
        validate_steps(steps)
    except SequenceError as err:
        raise field_error(422, ("body", "steps"), str(err), "invalid_sequence") from err

    # A write session, because the lines are read and then replaced.
    with write_session(engine) as session:
        sequence = session.get(LetterSequence, name)
        if sequence is None:
            sequence = LetterSequence(name=name, description=body.description)
            response.status_code = 201
        sequence.description = body.description
        session.add(sequence)
        for line in session.exec(
            select(LetterSequenceLine).where(LetterSequenceLine.sequence_name == name)
        ).all():
            session.delete(line)
        session.flush()
        for position, (step, step_fees) in enumerate(
            zip(body.steps, fees, strict=True), start=1
        ):
            session.add(
                LetterSequenceLine(
                    sequence_name=name,
                    position=position,
                    code=step.code,
                    days=step.days,
                    text=step.text,
                    fees=step_fees,
                    texts=step.texts,
                )
            )
        session.commit()
        logger.info("letter sequence %s replaced: %d codes", name, len(steps))
        return _public(session, sequence)
