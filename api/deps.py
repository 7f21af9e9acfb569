"""Dependencies shared by the routes: settings, database session, Temporal."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import date, datetime, timezone
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.datastructures import State
from temporalio.client import Client

from api.errors import field_error
from control.cases import connect
from domain.business_days import business_date
from settings import Settings

logger = logging.getLogger(__name__)

# Seconds one request waits for a connection to Temporal before it gives up.
CONNECT_TIMEOUT_SECONDS = 10


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


async def _connect_temporal(state: State) -> Client | None:
    """Return the app's Temporal client, connecting on first use.

    Returns ``None`` while Temporal is unreachable; the next request tries
    to connect again.
    """
    if getattr(state, "temporal", None) is not None:
        return state.temporal
    async with state.temporal_lock:
        if getattr(state, "temporal", None) is None:
            try:
                state.temporal = await asyncio.wait_for(
                    connect(state.settings), timeout=CONNECT_TIMEOUT_SECONDS
                )
            except (RuntimeError, asyncio.TimeoutError) as err:
                logger.error(
                    "connecting to Temporal at %s failed: %s",
                    state.settings.temporal_address,
                    err,
                )
                return None
    return state.temporal


async def get_temporal(request: Request) -> Client:
    """Return the Temporal client, connecting on first use.

    Raises 503 while Temporal is unreachable, so reads that need only the
    database keep working.
    """
    client = await _connect_temporal(request.app.state)
    if client is None:
        address = request.app.state.settings.temporal_address
        raise field_error(
            503,
            ("temporal",),
            f"Temporal at {address} is unreachable; try again when it is up",
            "unavailable",
        )
    return client


async def get_temporal_if_reachable(request: Request) -> Client | None:
    """Return the Temporal client, or ``None`` while Temporal is unreachable.

    For routes that store data first and signal the case afterwards, so the
    write succeeds during a Temporal outage.
    """
    return await _connect_temporal(request.app.state)


def get_business_date(settings: Annotated[Settings, Depends(get_settings)]) -> date:
    return business_date(datetime.now(timezone.utc), settings.zone)


MAX_RECORD_ID = 2**63 - 1
"""Largest id a BIGINT column holds; larger path ids are rejected with 422."""
RecordId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID)]

SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SessionDep = Annotated[Session, Depends(get_session)]
TemporalDep = Annotated[Client, Depends(get_temporal)]
OptionalTemporalDep = Annotated[Client | None, Depends(get_temporal_if_reachable)]
BusinessDateDep = Annotated[date, Depends(get_business_date)]
