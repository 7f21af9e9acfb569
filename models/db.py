"""Engine, schema creation and the default collection policy."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, create_engine, select

import models  # noqa: F401  (registers every table on SQLModel.metadata)
from domain.codes import default_steps
from models.policy import (
    CollectionAgency,
    LetterSequence,
    LetterSequenceLine,
    PostingProfile,
)

logger = logging.getLogger(__name__)

DEFAULT_POSTING_PROFILE = "GEN"
DEFAULT_SEQUENCE = "STANDARD"
DEFAULT_AGENCY = "Default collection agency"


def _enable_sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # Let SQLAlchemy emit BEGIN itself (see _begin_sqlite): pysqlite would
    # otherwise start a transaction only at the first write, so the reads
    # before it could see a state that a concurrent writer has already changed.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets the API read while the worker writes; the busy timeout makes
    # a writer wait for the other process instead of failing at once.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_sqlite(connection) -> None:  # type: ignore[no-untyped-def]
    # A write session takes the write lock at BEGIN, so what it read cannot
    # change before it writes. Read sessions stay deferred and do not wait
    # for writers, because SQLite in WAL mode lets readers run beside a writer.
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def write_session(engine: Engine) -> Session:
    """Open a session for a read-then-write unit of work.

    On SQLite it begins with ``BEGIN IMMEDIATE``, so it waits for other
    writers up front (within the busy timeout) instead of failing when its
    reads have gone stale. On PostgreSQL it is an ordinary session; use row
    locks (``lock_customer``) there.
    """
    return Session(
        engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False
    )


def make_engine(database_url: str) -> Engine:
    """Create an engine for SQLite or PostgreSQL from a SQLAlchemy URL.

    A ``postgresql://`` URL is served by psycopg 3. A SQLite file's folder
    is created when missing.
    """
    url = make_url(database_url)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}
        )
        event.listen(engine, "connect", _enable_sqlite_pragmas)
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def create_schema(engine: Engine) -> None:
    """Create missing tables and the default policy. Safe to run repeatedly."""
    # NOTE: create_all adds missing tables but never alters existing ones;
    # a changed table needs a migration tool (Alembic) before production use.
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        seed_default_policy(session)
        session.commit()


def seed_default_policy(session: Session) -> None:
    """Add the default agency, letter sequence and posting profile if missing."""
    if session.get(CollectionAgency, DEFAULT_AGENCY) is None:
        session.add(CollectionAgency(name=DEFAULT_AGENCY))
    if session.get(LetterSequence, DEFAULT_SEQUENCE) is None:
        session.add(
            LetterSequence(
                name=DEFAULT_SEQUENCE,
                description="Letters after 7, 14 and 14 days, then collection",
            )
        )
        session.flush()
        for position, step in enumerate(default_steps(), start=1):
            session.add(
                LetterSequenceLine(
                    sequence_name=DEFAULT_SEQUENCE,
                    position=position,
                    code=step.code,
                    days=step.days,
                    text=step.text,
                    texts=step.texts,
                    fees={currency: str(fee) for currency, fee in step.fees.items()},
                )
            )
    session.flush()
    existing = session.exec(
        select(PostingProfile).where(PostingProfile.name == DEFAULT_POSTING_PROFILE)
    ).first()
    if existing is None:
        session.add(
            PostingProfile(
                name=DEFAULT_POSTING_PROFILE,
                description="General customers",
                letter_sequence=DEFAULT_SEQUENCE,
                agency=DEFAULT_AGENCY,
            )
        )


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """Yield a session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise
