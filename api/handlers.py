"""Error handlers that give every 4xx FastAPI's list shape, and a body limit.

FastAPI returns a plain string ``detail`` for malformed JSON, unknown methods
and the like. These handlers turn those into the same
``[{"loc", "msg", "type"}]`` list as field errors. Validation errors leave
out the rejected input, so a huge or unencodable value is not echoed back.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
"""Largest request body the API accepts; no request needs more than a few KiB."""


def _error_list(
    location: list[str | int], message: str, kind: str
) -> list[dict[str, object]]:
    return [{"loc": location, "msg": message, "type": kind}]


async def _validation_error(
    request: Request, exc: RequestValidationError
) -> JSONResponse:
    errors = [
        {
            "loc": list(error.get("loc", ())),
            "msg": str(error.get("msg", "invalid value")),
            "type": str(error.get("type", "value_error")),
        }
        for error in exc.errors()
    ]
    return JSONResponse(status_code=422, content={"detail": errors})


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail
    if not isinstance(detail, list):
        detail = _error_list([], str(detail), "http_error")
    return JSONResponse(
        status_code=exc.status_code, content={"detail": detail}, headers=exc.headers
    )


class BodySizeLimit:
    """Reject request bodies over ``MAX_BODY_BYTES`` with 413.

    A body with a Content-Length header is judged by the header. A chunked
    body is read here, up to the limit, and then passed on to the app.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None:
            if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
                await self._reject(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return

        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > MAX_BODY_BYTES:
                await self._reject(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    @staticmethod
    async def _reject(scope: Scope, receive: Receive, send: Send) -> None:
        logger.warning(
            "request to %s rejected: body over %d bytes",
            scope.get("path"),
            MAX_BODY_BYTES,
        )
        response = JSONResponse(
            status_code=413,
            content={
                "detail": _error_list(
                    ["body"],
                    f"request body is larger than {MAX_BODY_BYTES} bytes",
                    "too_large",
                )
            },
        )
        await response(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_middleware(BodySizeLimit)
