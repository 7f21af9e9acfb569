"""Database tables of Overdue (SQLModel on SQLite or PostgreSQL)."""

from models.cases import (
    AgencyHandoff,
    AgencyHandoffLine,
    CaseEvent,
    CollectionCase,
    CollectionLetter,
    CollectionLetterLine,
    StoredDocument,
)
from models.ledger import (
    Customer,
    CustomerTransaction,
    LedgerImport,
    Settlement,
)
from models.policy import (
    CollectionAgency,
    LetterSequence,
    LetterSequenceLine,
    PostingProfile,
)

__all__ = [
    "AgencyHandoff",
    "AgencyHandoffLine",
    "CaseEvent",
    "CollectionAgency",
    "CollectionCase",
    "CollectionLetter",
    "CollectionLetterLine",
    "Customer",
    "CustomerTransaction",
    "LedgerImport",
    "LetterSequence",
    "LetterSequenceLine",
    "PostingProfile",
    "Settlement",
    "StoredDocument",
]
