"""Errors as answers: store and database errors become 4xx/503 responses, never a 500.

A busy database (SQLite locked past its busy timeout, a PostgreSQL lock timeout, no free
connection in the pool) is *503* with ``Retry-After``; a clash with what is stored is *409*;
a value the database refuses is *400*.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import exc as sa

from ..formats import MapFileError
from ..store import Conflict, InvalidValue, NotFound, StaleVersion, StoreError
from .rendering import render

__all__ = ["error_response", "handle_store_errors", "wants_json"]

log = logging.getLogger(__name__)
RETRY_AFTER = "1"


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


def error_response(
    request: Request, status: int, detail: object, headers: dict[str, str] | None = None
) -> Response:
    """The error as JSON under /api, as the error page elsewhere."""
    if wants_json(request):
        return JSONResponse({"detail": detail}, status, headers=headers)
    response = render(request, "error.html", {"status": status, "detail": detail})
    response.status_code = status
    if headers:
        response.headers.update(headers)
    return response


def _status_of(error: Exception) -> tuple[int, str]:
    if isinstance(error, sa.TimeoutError | sa.OperationalError):
        log.warning("database busy: %s", error)
        return 503, "the database is busy; try again in a moment"
    if isinstance(error, sa.IntegrityError):
        return 409, "the change clashes with what is stored; reload and try again"
    if isinstance(error, sa.DataError):
        return 400, "the database refused a value of the request (too long or malformed)"
    if isinstance(error, NotFound):
        return 404, str(error)
    if isinstance(error, MapFileError):  # a version stored before today's rules (anchors...)
        return 422, f"this version of the map cannot be read: {error}"
    if isinstance(error, Conflict | StaleVersion):
        return 409, str(error)
    return 400, str(error)


def handle_store_errors(app: FastAPI) -> None:
    async def handler(request: Request, error: Exception) -> Response:
        status, detail = _status_of(error)
        headers = {"Retry-After": RETRY_AFTER} if status == 503 else None
        return error_response(request, status, detail, headers)

    handlers: dict[type[Exception], Callable[[Request, Exception], Awaitable[Response]]] = {
        kind: handler
        for kind in (
            sa.TimeoutError,
            sa.OperationalError,
            sa.IntegrityError,
            sa.DataError,
            StoreError,
            InvalidValue,
            MapFileError,
        )
    }
    for kind, function in handlers.items():
        app.add_exception_handler(kind, function)
