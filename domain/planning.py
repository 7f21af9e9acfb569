"""Plan a collections case: which letter and hand-off are due at a business date.

The rules, per open invoice that is not with the agency:

- its valid code is the code of its next letter (the sequence's first code
  until a letter has listed it);
- that code is due on the reference date plus the code's days, where the
  reference date is the invoice's due date before its first letter and the
  date of its previous letter afterwards;
- a due ``collection`` code hands the invoice to the agency, any other due
  code puts it on today's letter, and the letter moves it one code on.

Because only the valid code is ever due, a case that wakes late sends the one
letter that is due and continues one step at a time, never two codes at once.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from domain.case import (
    CasePlan,
    CaseSnapshot,
    CaseStage,
    HandoffLine,
    HandoffPlan,
    LetterLine,
    LetterPlan,
    OpenItem,
    TransactionKind,
)
from domain.codes import CollectionLetterCode, LetterSequenceStep, step_for

ZERO = Decimal(0)


def is_overdue(item: OpenItem, business_date: date) -> bool:
    """Return whether a debit item is past its due date and still open."""
    return item.kind.is_debit and item.open_amount > 0 and item.due_date < business_date


def valid_code(item: OpenItem, steps: list[LetterSequenceStep]) -> CollectionLetterCode:
    return item.valid_collection_letter_code or steps[0].code


def code_due_date(
    item: OpenItem, steps: list[LetterSequenceStep]
) -> tuple[date, LetterSequenceStep]:
    """Return the date the item's valid code falls due, with that code's step.

    A user may set the valid code to ``collection`` on a sequence without a
    collection step; the hand-off is then due at once.
    """
    code = valid_code(item, steps)
    if code is CollectionLetterCode.COLLECTION and steps[-1].code is not code:
        step = LetterSequenceStep(CollectionLetterCode.COLLECTION, 0)
    else:
        step = step_for(steps, code)
    reference = item.collection_letter_date or item.due_date
    return reference + timedelta(days=step.days), step


def sequence_exhausted(item: OpenItem, steps: list[LetterSequenceStep]) -> bool:
    """Return whether the item has had the last letter of a sequence that has
    no collection step, so nothing further is planned for it.

    Without this rule the last letter, with its fee, would repeat forever. A
    user who sets the valid code back to an earlier code restarts it.
    """
    last = item.collection_letter_code
    return (
        last is not None
        and last is not CollectionLetterCode.COLLECTION
        and (valid_code(item, steps) is last)
    )


def _stage(items: list[OpenItem], business_date: date) -> CaseStage:
    overdue = [item for item in items if is_overdue(item, business_date)]
    if any(item.with_agency for item in overdue):
        return CaseStage.WITH_AGENCY
    # A recalled invoice keeps the code collection but is not with the agency;
    # its stage is the letter stage of the other items.
    sent = [
        item.collection_letter_code
        for item in overdue
        if item.collection_letter_code
        and item.collection_letter_code is not CollectionLetterCode.COLLECTION
    ]
    if not sent:
        return CaseStage.OVERDUE
    highest = max(sent, key=lambda code: code.rank)
    return CaseStage(highest.value)


def _letter_line(
    item: OpenItem,
    business_date: date,
    code: CollectionLetterCode | None,
    advances: bool,
    step: LetterSequenceStep | None = None,
) -> LetterLine:
    return LetterLine(
        transaction_id=item.transaction_id,
        kind=item.kind,
        document_number=item.document_number,
        due_date=item.due_date,
        amount=item.amount,
        open_amount=item.open_amount,
        days_overdue=max(0, (business_date - item.due_date).days),
        code=code,
        advances=advances,
        threshold_days=step.days if step else None,
        reference_date=(item.collection_letter_date or item.due_date) if step else None,
    )


def _handoff_line(item: OpenItem, business_date: date) -> HandoffLine:
    return HandoffLine(
        transaction_id=item.transaction_id,
        kind=item.kind,
        document_number=item.document_number,
        due_date=item.due_date,
        open_amount=item.open_amount,
        days_overdue=(business_date - item.due_date).days,
    )


def plan_case(snapshot: CaseSnapshot, business_date: date) -> CasePlan:
    """Return what is due for the customer at ``business_date``.

    The plan has at most one letter (one per customer per date) and at most
    one hand-off. A letter is planned only while the overdue debits outside
    the agency exceed the customer's open credits, so a customer whose net
    balance is not positive gets no letter.
    """
    steps = snapshot.policy.steps
    items = sorted(snapshot.items, key=lambda i: (i.due_date, i.document_number))

    due_for_letter: list[tuple[OpenItem, LetterSequenceStep]] = []
    due_for_handoff: list[OpenItem] = []
    upcoming: list[date] = []
    for item in items:
        if item.kind is not TransactionKind.INVOICE or item.open_amount <= 0:
            continue
        if item.with_agency or item.disputed or sequence_exhausted(item, steps):
            continue
        due_on, step = code_due_date(item, steps)
        if due_on <= business_date and item.due_date < business_date:
            if step.code is CollectionLetterCode.COLLECTION:
                due_for_handoff.append(item)
            else:
                due_for_letter.append((item, step))
        else:
            upcoming.append(max(due_on, item.due_date + timedelta(days=1)))

    # A customer gets at most one letter and one hand-off per date. What
    # falls due later on a day that already had one waits for the next day.
    tomorrow = business_date + timedelta(days=1)
    if due_for_letter and snapshot.last_letter_date == business_date:
        due_for_letter = []
        upcoming.append(tomorrow)
    if due_for_handoff and snapshot.last_handoff_date == business_date:
        due_for_handoff = []
        upcoming.append(tomorrow)

    overdue = [item for item in items if is_overdue(item, business_date)]
    credits = [
        item for item in items if not item.kind.is_debit and item.open_amount < 0
    ]
    overdue_amount = sum((item.open_amount for item in overdue), ZERO)
    credit_amount = -sum((item.open_amount for item in credits), ZERO)
    net_overdue = overdue_amount - credit_amount

    handoff = None
    if due_for_handoff and net_overdue > 0:
        handed = {item.transaction_id for item in due_for_handoff}
        # Open fees go with the invoices: the agency collects the whole claim.
        fees = [
            item
            for item in overdue
            if item.kind is TransactionKind.FEE and not item.with_agency
        ]
        lines = [_handoff_line(item, business_date) for item in due_for_handoff + fees]
        handoff = HandoffPlan(
            agency_name=snapshot.policy.agency_name,
            lines=lines,
            total=sum((line.open_amount for line in lines), ZERO),
        )
    else:
        handed = set()

    letter = None
    skipped_reason = None
    if due_for_letter:
        letter_overdue = [
            item
            for item in overdue
            if not item.with_agency
            and not item.disputed
            and item.transaction_id not in handed
        ]
        letter_overdue_amount = sum((item.open_amount for item in letter_overdue), ZERO)
        letter_net = letter_overdue_amount - credit_amount
        if letter_net <= 0:
            skipped_reason = (
                f"no letter: open credits {credit_amount} cover the overdue "
                f"amount {letter_overdue_amount}"
            )
        else:
            letter = _plan_letter(
                snapshot,
                business_date,
                due_for_letter,
                letter_overdue,
                credits,
                letter_overdue_amount,
                credit_amount,
            )

    if net_overdue <= 0:
        close_reason = "paid" if overdue_amount == 0 else "covered by credits"
    else:
        close_reason = None

    return CasePlan(
        business_date=business_date,
        stage=_stage(items, business_date),
        overdue_amount=overdue_amount,
        net_overdue_amount=net_overdue,
        letter=letter,
        handoff=handoff,
        next_action_date=min(upcoming) if upcoming else None,
        skipped_letter_reason=skipped_reason,
        close_reason=close_reason,
    )


def _plan_letter(
    snapshot: CaseSnapshot,
    business_date: date,
    due_for_letter: list[tuple[OpenItem, LetterSequenceStep]],
    overdue: list[OpenItem],
    credits: list[OpenItem],
    overdue_amount: Decimal,
    credit_amount: Decimal,
) -> LetterPlan:
    advancing = {item.transaction_id: step for item, step in due_for_letter}
    lines: list[LetterLine] = []
    for item in overdue:
        step = advancing.get(item.transaction_id)
        if step is not None:
            lines.append(_letter_line(item, business_date, step.code, True, step))
        else:
            lines.append(
                _letter_line(item, business_date, item.collection_letter_code, False)
            )
    for item in credits:
        lines.append(_letter_line(item, business_date, None, False))

    highest = max(advancing.values(), key=lambda step: step.code.rank)
    fee = highest.fee_for(snapshot.currency)
    return LetterPlan(
        code=highest.code,
        lines=lines,
        overdue_amount=overdue_amount,
        credit_amount=credit_amount,
        fee=fee,
        total_due=overdue_amount - credit_amount + fee,
    )
