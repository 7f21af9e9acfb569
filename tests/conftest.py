"""Shared fixtures: a fresh database per test on SQLite or PostgreSQL.

Set ``OVERDUE_TEST_DATABASE_URL`` (for example
``postgresql://postgres@127.0.0.1:5432/test``) to run the database tests on
PostgreSQL; the tables there are dropped and created again for every test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel

from models.db import create_schema, make_engine

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_LEDGER = PROJECT_ROOT / "data" / "ar-ledger-sample.csv"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return (
        os.environ.get("OVERDUE_TEST_DATABASE_URL")
        or f"sqlite:///{tmp_path / 'overdue.db'}"
    )


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    if engine.dialect.name != "sqlite":
        SQLModel.metadata.drop_all(engine)
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture(scope="session")
def render_pool() -> Iterator[ProcessPoolExecutor]:
    """One PDF rendering process for the whole run, as the worker uses."""
    from worker import make_render_pool

    pool = make_render_pool(1)
    yield pool
    pool.shutdown()
