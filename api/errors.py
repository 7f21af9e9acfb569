"""Errors in FastAPI's validation shape: ``{"detail": [{"loc", "msg", "type"}]}``.

Clients get one format for every 4xx, whether pydantic or a domain rule
rejected the request, and ``loc`` names the field. A 503 has the same shape,
with ``loc`` naming the unavailable service (``database``, ``temporal``).
"""

from __future__ import annotations

from fastapi import HTTPException


def field_error(
    status: int, location: tuple[str | int, ...], message: str, kind: str
) -> HTTPException:
    return HTTPException(
        status_code=status,
        detail=[{"loc": list(location), "msg": message, "type": kind}],
    )


def not_found(entity: str, key: object, location: tuple[str, ...]) -> HTTPException:
    return field_error(404, location, f"{entity} {key} not found", "not_found")
