"""``create_app(settings)``: the FastAPI application of the team workspace."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html import escape
from pathlib import Path
from typing import Any

from anyio import to_thread
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import make_url
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from .. import __version__
from ..store import Store, open_store
from . import (
    api,
    assets,
    collab,
    images,
    pages_answers,
    pages_auth,
    pages_binding,
    pages_editor,
    pages_evidence,
    pages_maps,
    pages_notifications,
    pages_share,
    pages_sources,
)
from .auth import LoginRequired
from .errors import error_response, handle_store_errors, wants_json
from .evidence import AnalysisRunner
from .map_status import refresh_map_status
from .middleware import BodyLimit, SecurityHeaders
from .rendering import render
from .scheduler import Scheduler
from .settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """The workspace app: migrates the database, tidies up after a crash (analyses left
    unfinished fail with a reason, their upload files are deleted), then serves the pages and
    ``/api``. One server process per data folder."""
    settings = settings or Settings()
    data_dir = Path(settings.data_dir)
    private_folder(data_dir, created_only=True)
    url = settings.resolved_database_url()
    store = open_store(url, **(settings.pool_options() if _pooled(url) else {}))
    store.fail_unfinished("the server stopped before this analysis finished")
    _delete_orphaned_uploads(data_dir / "uploads")
    private_folder(data_dir / "quarantine")
    runner = AnalysisRunner(store, data_dir, settings.analysis_workers)
    runner.on_done = lambda map_id: _refresh_status(store, settings, map_id)
    scheduler = Scheduler(store, settings, runner)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        scheduler.start()
        yield
        scheduler.stop()
        runner.shutdown()

    app = FastAPI(
        title="Journeyscope workspace",
        version=__version__,
        description="Journey maps, versions, comments and evidence of a team workspace. "
        "Authenticate with `Authorization: Bearer <token>` (make tokens on your account page).",
        lifespan=lifespan,
        docs_url=None,  # served below from the installed swagger-ui files: no CDN, works offline
        redoc_url=None,
    )
    _offline_docs(app)
    app.state.settings, app.state.store, app.state.runner = settings, store, runner
    app.state.scheduler = scheduler
    app.state.rooms = collab.Rooms(store)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.resolved_secret_key(),
        session_cookie="journeyscope_session",
        max_age=settings.session_max_age,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    upload_limit = max(settings.max_upload_bytes, settings.max_map_bytes) + 64 * 1024
    app.add_middleware(BodyLimit, other=settings.max_body_bytes, upload=upload_limit)
    app.add_middleware(SecurityHeaders)
    app.include_router(assets.router)  # fingerprinted, cached, compressed
    app.include_router(api.router)
    app.include_router(pages_notifications.api_router)
    app.include_router(pages_answers.api_router)
    app.include_router(pages_sources.api_router)
    # pages_editor serves the editor, history and compare pages; pages_maps the rest of a map
    modules = (pages_auth, pages_editor, images, collab, pages_maps, pages_evidence, pages_share,
               pages_sources, pages_binding, pages_answers)  # fmt: skip
    for module in (*modules, pages_notifications):
        app.include_router(module.router)
    _handle_errors(app)
    handle_store_errors(app)
    return app


def _refresh_status(store: Store, settings: Settings, map_id: int) -> None:
    """New data arrived: the map's status (and who hears of it) follows at once."""
    try:
        refresh_map_status(store, settings, map_id)
    except Exception:  # the evaluation is stored; the scheduler's next round tries again
        logging.getLogger(__name__).warning("status of map %s", map_id, exc_info=True)


def _pooled(url: str) -> bool:
    """In-memory SQLite keeps one connection per thread: no pool to size."""
    parsed = make_url(url)
    return parsed.get_backend_name() != "sqlite" or parsed.database not in (None, "", ":memory:")


def private_folder(path: Path, *, created_only: bool = False) -> None:
    """A folder only its owner may open (0700): uploads and quarantine files are customer
    data. ``created_only`` leaves the permissions of a folder that was already there."""
    existed = path.exists()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not (existed and created_only):
        path.chmod(0o700)


def _delete_orphaned_uploads(folder: Path) -> None:
    """At start nothing is being analysed, so every file left in ``uploads`` is an orphan of
    a stopped server (its analysis was just marked failed)."""
    private_folder(folder)
    for path in folder.iterdir():
        if path.is_file() or path.is_symlink():
            path.unlink(missing_ok=True)


def _offline_docs(app: FastAPI) -> None:
    """The interactive API docs at /docs with Swagger UI from the ``swagger-ui-bundle``
    package, so the page fetches nothing from the internet; it is started by a static script
    (``static/docs.js``), as the Content-Security-Policy allows no inline script."""
    import swagger_ui_bundle

    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path))

    @app.get("/docs", include_in_schema=False)
    async def docs() -> Response:
        title = escape(f"{app.title} — API")
        openapi = escape(app.openapi_url or "/openapi.json")
        return HTMLResponse(
            "<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>{title}</title>"
            "<link rel='stylesheet' href='/static/swagger/swagger-ui.css'>"
            "<link rel='icon' href='/static/swagger/favicon-32x32.png'></head>"
            f"<body><div id='swagger-ui' data-openapi='{openapi}'></div>"
            "<script src='/static/swagger/swagger-ui-bundle.js'></script>"
            f"<script src='{assets.asset_url('docs.js')}'></script></body></html>"
        )


def _handle_errors(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _error: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        headers = getattr(error, "headers", None)
        return error_response(request, error.status_code, error.detail, headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        errors: list[Any] = list(error.errors())
        if wants_json(request):
            return JSONResponse({"detail": _jsonable(errors)}, 422)
        detail = "; ".join(str(e.get("msg")) for e in errors)
        response: HTMLResponse = render(request, "error.html", {"status": 422, "detail": detail})
        response.status_code = 422
        return response

    del login_required, http_error, invalid  # registered; names kept for tracebacks only


def _jsonable(errors: list[Any]) -> list[Any]:
    return [
        {key: (value if key != "ctx" else {k: str(v) for k, v in value.items()})
         for key, value in e.items() if key != "input" or isinstance(value, str | int | float)}
        for e in errors
    ]  # fmt: skip


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="/")


__all__ = ["HTTPException", "create_app"]
