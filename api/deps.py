"""Dependencies shared by the routes: settings, database session, Temporal."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import date, datetime, timezone
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.client import Client

from control.cases import connect
from domain.business_days import business_date
from settings import Settings

logger = logging.getLogger(__name__)


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


async def get_temporal(request: Request) -> Client:
    """Return the Temporal client, connecting on first use.

    Raises 503 while Temporal is unreachable, so reads that need only the
    database keep working.
    """
    state = request.app.state
    if getattr(state, "temporal", None) is not None:
        return state.temporal
    async with state.temporal_lock:
        if getattr(state, "temporal", None) is None:
            try:
                state.temporal = await asyncio.wait_for(connect(state.settings), timeout=10)
            except (RuntimeError, asyncio.TimeoutError) as err:
                logger.error(
                    "connecting to Temporal at %s failed: %s",
                    state.settings.temporal_address,
                    err,
                )
                raise HTTPException(
                    status_code=503,
                    detail=f"Temporal at {state.settings.temporal_address} is unreachable; "
                    "try again when it is up",
                ) from err
    return state.temporal


def get_business_date(settings: Annotated[Settings, Depends(get_settings)]) -> date:
    return business_date(datetime.now(timezone.utc), settings.zone)


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SessionDep = Annotated[Session, Depends(get_session)]
TemporalDep = Annotated[Client, Depends(get_temporal)]
BusinessDateDep = Annotated[date, Depends(get_business_date)]
