"""Who is asking and what they may do: sessions, CSRF, API tokens, roles, sign-in limits."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import HTTPException, Path, Request

from ..store import MapInfo, NotFound, Store, UserInfo
from .settings import Settings

#: A path id that fits a 32-bit SQL integer (larger ones are a 422, not a database error).
DbId = Annotated[int, Path(ge=1, le=2_147_483_647)]

ROLE_RANK = {"viewer": 1, "editor": 2, "owner": 3}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """A page needs a signed-in user; the app redirects to the sign-in page."""


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# --- CSRF --------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use); every form carries it."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if not submitted or not isinstance(expected, str):
        raise HTTPException(403, "missing CSRF token: reload the page and try again")
    if not hmac.compare_digest(submitted.encode(), expected.encode()):
        raise HTTPException(403, "wrong CSRF token: reload the page and try again")


async def read_form(request: Request) -> dict[str, str]:
    """A urlencoded form POST, after its CSRF token is checked (403 otherwise)."""
    form = await request.form(max_files=0, max_fields=2000)
    data = {key: value for key, value in form.items() if isinstance(value, str)}
    check_csrf(request, data.get("csrf_token"))
    return data


# --- who is asking -------------------------------------------------------------------------


def session_user(request: Request) -> UserInfo | None:
    user_id = request.session.get("uid")
    if not isinstance(user_id, int):
        return None
    try:
        return store_of(request).get_user(user_id)
    except NotFound:
        request.session.clear()
        return None


def page_user(request: Request) -> UserInfo:
    """Dependency of pages: the signed-in user, or a redirect to the sign-in page."""
    user = session_user(request)
    if user is None:
        raise LoginRequired()
    return user


def api_user(request: Request) -> UserInfo:
    """Dependency of the REST API: a Bearer token, or the session cookie (with the CSRF
    header on changes, so other sites cannot make a signed-in browser change anything)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = store_of(request).user_for_token(header[7:].strip())
        if user is None:
            raise HTTPException(401, "unknown or revoked API token")
        return user
    user = session_user(request)
    if user is None:
        raise HTTPException(401, "sign in or send an API token (Authorization: Bearer ...)")
    if request.method not in SAFE_METHODS:
        check_csrf(request, request.headers.get("x-csrf-token"))
    return user


def login(request: Request, user: UserInfo) -> None:
    """A fresh session for ``user`` (a new CSRF token too: no session fixation)."""
    request.session.clear()
    request.session["uid"] = user.id
    request.session["lang"] = user.language
    csrf_token(request)


# --- roles ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapAccess:
    map: MapInfo
    role: str

    def can(self, need: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[need]


def map_access(store: Store, user: UserInfo, map_id: int, need: str = "viewer") -> MapAccess:
    """The map with the user's role in its workspace; 404 for maps of other workspaces (their
    existence is not revealed), 403 when the role is too low."""
    try:
        info = store.get_map(map_id)
    except NotFound:
        raise HTTPException(404, "no such map") from None
    role = store.role_of(info.workspace_id, user.id)
    if role is None:
        raise HTTPException(404, "no such map")
    access = MapAccess(info, role)
    if not access.can(need):
        raise HTTPException(403, f"this needs the {need} role; you are a {role}")
    return access


def workspace_role(store: Store, user: UserInfo, workspace_id: int, need: str) -> str:
    role = store.role_of(workspace_id, user.id)
    if role is None:
        raise HTTPException(404, "no such workspace")
    if ROLE_RANK[role] < ROLE_RANK[need]:
        raise HTTPException(403, f"this needs the {need} role; you are a {role}")
    return role


# --- sign-in rate limit --------------------------------------------------------------------


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def check_login_rate(request: Request, email: str) -> str:
    """The rate-limit key of this attempt; 429 once too many recent attempts failed."""
    settings = settings_of(request)
    key = f"{email.strip().lower()}|{client_address(request)}"
    window = dt.timedelta(minutes=settings.login_window_minutes)
    if store_of(request).recent_failures(key, window) >= settings.login_max_failures:
        raise HTTPException(
            429,
            f"too many failed sign-ins; try again in {settings.login_window_minutes:g} minutes",
            headers={"Retry-After": str(int(settings.login_window_minutes * 60))},
        )
    return key
