"""Collection policy: posting profiles, letter sequences and agencies."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from domain.codes import CollectionLetterCode


class CollectionAgency(SQLModel, table=True):
    """A collection agency that invoices are handed to at ``collection``."""

    name: str = Field(primary_key=True, max_length=100)
    email: str = Field(default="", max_length=320)


class LetterSequence(SQLModel, table=True):
    """A named collection letter sequence."""

    name: str = Field(primary_key=True, max_length=40)
    description: str = Field(default="", max_length=200)


class LetterSequenceLine(SQLModel, table=True):
    """One code of a sequence: days to wait, letter text and fee per currency."""

    __table_args__ = (UniqueConstraint("sequence_name", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    sequence_name: str = Field(foreign_key="lettersequence.name", max_length=40)
    position: int
    code: CollectionLetterCode = Field(max_length=20)
    days: int
    text: str = Field(default="", max_length=4000)
    fees: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    """Fee per currency code, as decimal strings so JSON keeps them exact."""
    texts: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    """Letter text per language code; ``text`` serves every other language."""

    def fee_amounts(self) -> dict[str, Decimal]:
        return {currency: Decimal(amount) for currency, amount in self.fees.items()}


class PostingProfile(SQLModel, table=True):
    """Per customer group: the letter sequence and the collection agency."""

    name: str = Field(primary_key=True, max_length=20)
    description: str = Field(default="", max_length=200)
    letter_sequence: str = Field(foreign_key="lettersequence.name", max_length=40)
    agency: str = Field(foreign_key="collectionagency.name", max_length=100)
