"""``create_app(settings)``: the FastAPI application of the team workspace."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from .. import __version__
from ..store import open_store
from . import api, pages_auth, pages_evidence, pages_maps
from .auth import LoginRequired
from .evidence import AnalysisRunner
from .rendering import render
from .settings import Settings

STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The workspace app: migrates the database, then serves the pages and ``/api``."""
    settings = settings or Settings()
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(settings.resolved_database_url())
    store.fail_unfinished("the server stopped before this analysis finished")
    runner = AnalysisRunner(store, data_dir, settings.analysis_workers)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
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
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.resolved_secret_key(),
        session_cookie="journeyscope_session",
        max_age=settings.session_max_age,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api.router)
    for module in (pages_auth, pages_maps, pages_evidence):
        app.include_router(module.router)
    _handle_errors(app)
    return app


def _offline_docs(app: FastAPI) -> None:
    """The interactive API docs at /docs with Swagger UI from the ``swagger-ui-bundle``
    package, so the page fetches nothing from the internet."""
    import swagger_ui_bundle
    from fastapi.openapi.docs import get_swagger_ui_html

    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path))

    @app.get("/docs", include_in_schema=False)
    async def docs() -> Response:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
        )


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


def _handle_errors(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _error: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        headers = getattr(error, "headers", None)
        if _wants_json(request):
            return JSONResponse({"detail": error.detail}, error.status_code, headers=headers)
        response = render(
            request, "error.html", {"status": error.status_code, "detail": error.detail}
        )
        response.status_code = error.status_code
        if headers:
            response.headers.update(headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        errors: list[Any] = list(error.errors())
        if _wants_json(request):
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
