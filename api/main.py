"""The FastAPI application: ``uvicorn api.main:app``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import text

from api import handlers
from api.deps import EngineDep
from api.errors import field_error
from api.routes import cases, letters, payments, sequences
from models.db import make_engine
from settings import Settings, load_settings

logger = logging.getLogger("overdue.api")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; settings default to the environment."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.engine = make_engine(settings.database_url)
        app.state.temporal = getattr(app.state, "temporal", None)
        app.state.temporal_lock = asyncio.Lock()
        logger.info(
            "API started: database %s, Temporal %s",
            app.state.engine.url.render_as_string(hide_password=True),
            settings.temporal_address,
        )
        yield
        app.state.engine.dispose()
        logger.info("API stopped")

    app = FastAPI(
        title="Overdue",
        summary="Collections case manager: overdue customers become durable workflows.",
        version="0.1.0",
        lifespan=lifespan,
    )
    handlers.install(app)
    app.include_router(cases.router)
    app.include_router(payments.router)
    app.include_router(letters.router)
    app.include_router(sequences.router)

    @app.get("/health", tags=["operations"])
    def health(engine: EngineDep) -> dict[str, str]:
        """Return 200 when the database responds."""
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as err:  # noqa: BLE001  (reported as 503, logged)
            logger.error("health check: database unreachable: %s", err)
            raise field_error(
                503, ("database",), "database unreachable", "unavailable"
            ) from err
        return {"status": "ok", "database": "ok"}

    return app


def _app_from_environment() -> FastAPI:
    settings = load_settings()
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return create_app(settings)


app = _app_from_environment()
