"""Posting customers and customer transactions to the ledger.

``post_transaction`` is the only code that inserts customer transactions:
the ledger import and the API's payment endpoint both call it. It validates
the transaction, stores it with its sign (debits positive, credits negative)
and settles a credit at once against open debits.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from sqlalchemy import bindparam
from sqlmodel import Session, select

from domain.case import TransactionKind
from domain.money import MoneyError, check_currency, check_magnitude, quantum
from domain.settlement import OpenDebit, allocate_credit
from models.ledger import Customer, CustomerTransaction, Settlement
from models.policy import PostingProfile

COLLECTIONS_STATUSES = ("not_disputed", "disputed", "promised_to_pay", "resolved")
"""Values of ``CustomerTransaction.collections_status``."""

DEBIT_KINDS = (TransactionKind.INVOICE, TransactionKind.FEE)

# Shape of a language code: an ISO 639 language, optionally with a territory in
# Babel's spelling (``en``, ``nb``, ``en_GB``). Babel must also have the locale.
_LANGUAGE_PATTERN = re.compile(r"[a-z]{2,3}(_[A-Z]{2})?")
_EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

# Maximum lengths of the text columns in models.ledger, checked here so that
# PostgreSQL never rejects a value that SQLite would have stored.
_MAX_ACCOUNT = 40
_MAX_NAME = 200
_MAX_ADDRESS = 1000
_MAX_EMAIL = 320
_MAX_DOCUMENT_NUMBER = 60

logger = logging.getLogger(__name__)


class PostingError(ValueError):
    """A customer or transaction that cannot be posted.

    Attributes:
        field: Name of the invalid input, such as ``currency`` or ``settles``.
        reason: What is wrong with it, as a clause without a final period.
    """

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"Invalid {field}: {reason}.")


def post_transaction(
    session: Session,
    *,
    customer_account: str,
    kind: TransactionKind,
    document_number: str,
    transaction_date: date,
    due_date: date | None,
    currency: str,
    amount: Decimal,
    settles: list[str] | None = None,
    collections_status: str = "not_disputed",
) -> CustomerTransaction:
    """Insert a customer transaction and settle it if it is a credit.

    ``amount`` is positive for every kind. Invoices and fees are stored with
    a positive amount, credit notes and payments with a negative one, and the
    open amount starts equal to the amount. A credit is due on its
    transaction date, so its ``due_date`` may be ``None``.

    A credit is settled at once against the open debits named in ``settles``,
    in that order, or, when none are named, against the open debits with the
    oldest due date first. Each match writes a ``Settlement`` dated on the
    credit's transaction date and lowers both open amounts. What no debit
    absorbs stays open as an unapplied credit. A new debit never consumes
    existing open credits.

    The debits to settle are read with ``SELECT ... FOR UPDATE`` on
    PostgreSQL, so two credits posted at the same time cannot both settle
    the same open amount. The function adds rows to the session and flushes,
    but it does not commit.

    Raises:
        PostingError: an input is invalid. Nothing has been added then.
    """
    customer = session.get(Customer, customer_account)
    if customer is None:
        raise PostingError(
            "customer_account",
            f"customer {customer_account!r} not found; create the customer first",
        )
    fields = validate_transaction(
        kind=kind,
        document_number=document_number,
        transaction_date=transaction_date,
        due_date=due_date,
        currency=currency,
        amount=amount,
        collections_status=collections_status,
    )
    check_customer_currency(customer.account, customer.currency, fields.currency)
    named = _check_settles(fields.kind, settles or [])
    debits = _find_debits_to_settle(session, customer.account, fields, named)
    allocations = _allocate(fields.amount, debits, named or None) if debits else []
    return _insert_transaction(session, customer.account, fields, allocations)


def _check_settles(kind: TransactionKind, settles: list[str]) -> list[str]:
    named = [number.strip() for number in settles]
    if named and kind.is_debit:
        raise PostingError(
            "settles",
            f"only credit notes and payments settle documents, not a {kind.value}",
        )
    if not all(named):
        raise PostingError("settles", f"{settles} contains an empty document number")
    if len(set(named)) != len(named):
        raise PostingError("settles", f"{settles} names a document more than once")
    return named


def _find_debits_to_settle(
    session: Session, account: str, fields: TransactionFields, named: list[str]
) -> list[CustomerTransaction]:
    """Check that the document is new and return the open debits a credit may settle.

    A debit settles nothing, so it gets an empty list. For a credit that
    names its debits, one query loads both the named debits and any
    document with the credit's own number.

    Raises:
        PostingError: the document exists, or a named debit is missing or settled.
    """
    # NOTE: a concurrent insert of the same document between this check and
    # the flush is caught by the unique constraint, so the flush raises
    # IntegrityError instead of PostingError.
    if not named:
        existing = session.exec(
            _DOCUMENT_ID,
            params={
                "account": account,
                "kind": fields.kind,
                "document_number": fields.document_number,
            },
        ).first()
        if existing is not None:
            raise _duplicate_error(account, fields)
        if fields.kind.is_debit:
            return []
        return list(session.exec(_OPEN_DEBITS, params={"account": account}))

    documents = session.exec(
        _DOCUMENTS,
        params={
            "account": account,
            "document_numbers": [*named, fields.document_number],
        },
    ).all()
    for document in documents:
        if (
            document.kind == fields.kind
            and document.document_number == fields.document_number
        ):
            raise _duplicate_error(account, fields)
    debits = [document for document in documents if document.kind.is_debit]
    return _pick_named_debits(account, named, debits)


def _duplicate_error(account: str, fields: TransactionFields) -> PostingError:
    return PostingError(
        "document_number",
        f"{fields.kind.value} {fields.document_number!r} of customer {account!r} "
        "already exists",
    )


def _insert_transaction(
    session: Session,
    account: str,
    fields: TransactionFields,
    allocations: list[tuple[CustomerTransaction, Decimal]],
) -> CustomerTransaction:
    # A credit is inserted with its open amount after settlement, in the same
    # flush as the debits it lowers. The Settlement rows follow once the
    # credit has its id.
    signed_amount = fields.amount if fields.kind.is_debit else -fields.amount
    open_amount = signed_amount + sum((amount for _, amount in allocations), Decimal(0))
    transaction = CustomerTransaction(
        customer_account=account,
        kind=fields.kind,
        document_number=fields.document_number,
        transaction_date=fields.transaction_date,
        due_date=fields.due_date,
        currency=fields.currency,
        amount=signed_amount,
        open_amount=open_amount,
        is_open=open_amount != 0,
        collections_status=fields.collections_status,
    )
    for debit, amount in allocations:
        debit.open_amount -= amount
        debit.is_open = debit.open_amount != 0
    session.add(transaction)
    session.flush()

    for debit, amount in allocations:
        session.add(
            Settlement(
                customer_account=account,
                debit_id=debit.id,
                credit_id=transaction.id,
                amount=amount,
                settlement_date=transaction.transaction_date,
            )
        )
    if allocations:
        session.flush()
    return transaction


def upsert_customer(
    session: Session,
    *,
    account: str,
    name: str,
    language: str,
    currency: str,
    address: str,
    email: str,
    posting_profile: str,
) -> tuple[Customer, bool]:
    """Insert a customer or update the existing one with the same account.

    Returns the customer and whether it was created. The currency of a
    customer that already has transactions cannot change, because every
    transaction of an account is in the account's currency.

    Raises:
        PostingError: an input is invalid. The session is unchanged then.
    """
    fields = validate_customer(
        session,
        account=account,
        name=name,
        language=language,
        currency=currency,
        address=address,
        email=email,
        posting_profile=posting_profile,
    )
    customer = session.get(Customer, fields.account)
    created = customer is None
    if customer is None:
        customer = Customer(
            account=fields.account, name=fields.name, currency=fields.currency
        )
    elif customer.currency != fields.currency and _has_transactions(
        session, fields.account
    ):
        raise PostingError(
            "currency",
            f"customer {fields.account!r} has transactions in {customer.currency}, so "
            f"its currency cannot change to {fields.currency}",
        )
    customer.name = fields.name
    customer.language = fields.language
    customer.currency = fields.currency
    customer.address = fields.address
    customer.email = fields.email
    customer.posting_profile = fields.posting_profile
    session.add(customer)
    session.flush()
    return customer, created


@dataclass(frozen=True)
class CustomerFields:
    """Validated and normalized values of a customer."""

    account: str
    name: str
    language: str
    currency: str
    address: str
    email: str
    posting_profile: str


def validate_customer(
    session: Session,
    *,
    account: str,
    name: str,
    language: str,
    currency: str,
    address: str,
    email: str,
    posting_profile: str,
) -> CustomerFields:
    """Check the values of a customer and return them normalized.

    Text is stripped of surrounding spaces and the currency is upper-cased.
    The session is only read, to look up the posting profile.

    Raises:
        PostingError: the first invalid value, in the order of the parameters.
    """
    account = _check_text("account", account, _MAX_ACCOUNT, required=True)
    name = _check_text("name", name, _MAX_NAME, required=True)
    language = _check_language(language)
    try:
        currency = check_currency(currency)
    except MoneyError as error:
        raise PostingError("currency", str(error)) from None
    address = _check_text("address", address, _MAX_ADDRESS, required=False)
    email = _check_email(email)
    posting_profile = posting_profile.strip()
    if session.get(PostingProfile, posting_profile) is None:
        known = ", ".join(sorted(session.exec(select(PostingProfile.name)).all()))
        raise PostingError(
            "posting_profile",
            f"posting profile {posting_profile!r} not found; known profiles: {known}",
        )
    return CustomerFields(
        account=account,
        name=name,
        language=language,
        currency=currency,
        address=address,
        email=email,
        posting_profile=posting_profile,
    )


@dataclass(frozen=True)
class TransactionFields:
    """Validated and normalized values of a customer transaction.

    ``amount`` is positive and has exactly the currency's decimals. A
    credit's ``due_date`` is its transaction date.
    """

    kind: TransactionKind
    document_number: str
    transaction_date: date
    due_date: date
    currency: str
    amount: Decimal
    collections_status: str


def validate_transaction(
    *,
    kind: TransactionKind | str,
    document_number: str,
    transaction_date: date,
    due_date: date | None,
    currency: str,
    amount: Decimal,
    collections_status: str = "not_disputed",
) -> TransactionFields:
    """Check the values of a transaction that need no database and normalize them.

    The checks against the customer and the ledger (customer found, same
    currency as the customer, document number not taken, documents to
    settle) are made by ``post_transaction``.

    Raises:
        PostingError: the first invalid value, in the order of the parameters.
    """
    kind = _check_kind(kind)
    document_number = _check_text(
        "document_number", document_number, _MAX_DOCUMENT_NUMBER, required=True
    )
    try:
        currency = check_currency(currency)
    except MoneyError as error:
        raise PostingError("currency", str(error)) from None
    due_date = _check_due_date(kind, transaction_date, due_date)
    amount = _check_amount(amount, currency)
    if collections_status not in COLLECTIONS_STATUSES:
        raise PostingError(
            "collections_status",
            f"unknown status {collections_status!r}; expected one of "
            f"{', '.join(COLLECTIONS_STATUSES)}",
        )
    return TransactionFields(
        kind=kind,
        document_number=document_number,
        transaction_date=transaction_date,
        due_date=due_date,
        currency=currency,
        amount=amount,
        collections_status=collections_status,
    )


def check_customer_currency(
    account: str, customer_currency: str, currency: str
) -> None:
    """Raise ``PostingError`` unless ``currency`` is the customer's currency."""
    if currency != customer_currency:
        raise PostingError(
            "currency",
            f"customer {account!r} keeps its ledger in {customer_currency} and "
            "multi-currency accounts are not supported, so a transaction in "
            f"{currency} is rejected",
        )


def _has_transactions(session: Session, account: str) -> bool:
    found = session.exec(
        select(CustomerTransaction.id).where(
            CustomerTransaction.customer_account == account
        )
    ).first()
    return found is not None


def _check_kind(kind: TransactionKind | str) -> TransactionKind:
    try:
        return TransactionKind(kind)
    except ValueError:
        expected = ", ".join(member.value for member in TransactionKind)
        raise PostingError(
            "kind", f"unknown kind {kind!r}; expected one of {expected}"
        ) from None


def _check_amount(amount: Decimal, currency: str) -> Decimal:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise PostingError("amount", f"expected a finite Decimal, got {amount!r}")
    if amount <= 0:
        raise PostingError(
            "amount", f"{amount} is not positive; give every kind as a positive amount"
        )
    try:
        check_magnitude(amount)
    except MoneyError as error:
        raise PostingError("amount", str(error)) from None
    smallest = quantum(currency)
    if amount.quantize(smallest) != amount:
        raise PostingError(
            "amount", f"{amount} has more decimals than {currency} has ({smallest})"
        )
    return amount.quantize(smallest)


def _check_due_date(
    kind: TransactionKind, transaction_date: date, due_date: date | None
) -> date:
    if not kind.is_debit:
        if due_date is not None and due_date != transaction_date:
            raise PostingError(
                "due_date",
                f"a {kind.value} is due on its transaction date {transaction_date}, "
                f"not {due_date}; leave the due date empty",
            )
        return transaction_date
    if due_date is None:
        raise PostingError(
            "due_date", f"due date is missing, and every {kind.value} needs one"
        )
    if due_date < transaction_date:
        raise PostingError(
            "due_date",
            f"due date {due_date} is before the transaction date {transaction_date}",
        )
    return due_date


def _check_text(field: str, value: str, max_length: int, *, required: bool) -> str:
    text = value.strip()
    if required and not text:
        raise PostingError(field, "value is missing")
    if len(text) > max_length:
        raise PostingError(
            field, f"{len(text)} characters is more than the maximum of {max_length}"
        )
    return text


def _check_language(language: str) -> str:
    code = language.strip()
    if not _LANGUAGE_PATTERN.fullmatch(code):
        raise PostingError(
            "language",
            f"{language!r} is not a language code such as en, nb, de or en_GB",
        )
    try:
        Locale.parse(code)
    except UnknownLocaleError:
        raise PostingError(
            "language", f"language {code!r} is unknown to Babel"
        ) from None
    return code


def _check_email(email: str) -> str:
    text = _check_text("email", email, _MAX_EMAIL, required=False)
    if text and not _EMAIL_PATTERN.fullmatch(text):
        raise PostingError("email", f"{text!r} is not an e-mail address")
    return text


def _pick_named_debits(
    account: str, named: list[str], debits: Sequence[CustomerTransaction]
) -> list[CustomerTransaction]:
    """Return the debits named in ``named``, in that order, checking each is open."""
    by_number: dict[str, list[CustomerTransaction]] = {}
    for debit in debits:
        by_number.setdefault(debit.document_number, []).append(debit)

    picked: list[CustomerTransaction] = []
    for number in named:
        found = by_number.get(number, [])
        if not found:
            raise PostingError(
                "settles",
                f"no invoice or fee {number!r} found for customer {account!r}",
            )
        if len(found) > 1:
            raise PostingError(
                "settles",
                f"{number!r} is both an invoice and a fee of customer {account!r}; "
                "leave settles empty to settle the oldest due debits first",
            )
        debit = found[0]
        if not debit.is_open or debit.open_amount <= 0:
            # Money that arrives for a paid invoice is still money received: it
            # stays open as an unapplied credit for a clerk to refund or apply.
            logger.info(
                "%s %r of customer %s is already settled; the credit stays unapplied",
                debit.kind.value,
                number,
                account,
            )
            continue
        picked.append(debit)
    return picked


def _allocate(
    credit_amount: Decimal, debits: list[CustomerTransaction], named: list[str] | None
) -> list[tuple[CustomerTransaction, Decimal]]:
    """Split a credit's positive amount over ``debits`` with ``allocate_credit``."""
    by_id = {debit.id: debit for debit in debits}
    open_debits = [
        OpenDebit(
            transaction_id=debit.id,
            document_number=debit.document_number,
            due_date=debit.due_date,
            transaction_date=debit.transaction_date,
            open_amount=debit.open_amount,
        )
        for debit in debits
        if debit.id is not None
    ]
    return [
        (by_id[allocation.transaction_id], allocation.amount)
        for allocation in allocate_credit(credit_amount, open_debits, named)
    ]


# Statements built once: the import posts thousands of transactions, and
# building a statement costs more than running it on SQLite. The debits are
# locked (FOR UPDATE, which SQLite ignores because it has one writer at a
# time) and reloaded even if the session holds them already, so a credit
# settles what another transaction left open.
_DOCUMENT_ID = select(CustomerTransaction.id).where(
    CustomerTransaction.customer_account == bindparam("account"),
    CustomerTransaction.kind == bindparam("kind"),
    CustomerTransaction.document_number == bindparam("document_number"),
)
_DOCUMENTS = (
    select(CustomerTransaction)
    .where(
        CustomerTransaction.customer_account == bindparam("account"),
        CustomerTransaction.document_number.in_(  # type: ignore[attr-defined]
            bindparam("document_numbers", expanding=True)
        ),
    )
    .with_for_update()
    .execution_options(populate_existing=True)
)
_OPEN_DEBITS = (
    select(CustomerTransaction)
    .where(
        CustomerTransaction.customer_account == bindparam("account"),
        CustomerTransaction.is_open,
        CustomerTransaction.kind.in_(DEBIT_KINDS),  # type: ignore[attr-defined]
        CustomerTransaction.open_amount > 0,
    )
    .with_for_update()
    .execution_options(populate_existing=True)
)
