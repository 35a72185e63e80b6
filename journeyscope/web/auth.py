"""Who is asking and what they may do: sessions, CSRF, API tokens, roles, sign-in limits."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Annotated

from fastapi import HTTPException, Path, Request

from ..store import MAX_PASSWORD, InvalidValue, MapInfo, NotFound, Store, UserInfo, check_text
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
    """A urlencoded form POST, after its CSRF token is checked (403 otherwise); a NUL
    character in any field is a 400 (no database keeps one the same way)."""
    form = await request.form(max_files=0, max_fields=2000)
    data = {key: value for key, value in form.items() if isinstance(value, str)}
    check_csrf(request, data.get("csrf_token"))
    if any("\x00" in value for value in data.values()):
        raise HTTPException(400, "a form field contains a NUL character")
    return data


# --- who is asking -------------------------------------------------------------------------


def session_user(request: Request) -> UserInfo | None:
    """The signed-in user: the cookie names a session the server still has (so a copied
    cookie stops working at sign-out, or when a password or role changes)."""
    if "user" in request.scope.get("state", {}):
        user: UserInfo | None = request.state.user
        return user
    secret = request.session.get("sid")
    user = store_of(request).user_for_session(secret) if isinstance(secret, str) else None
    if user is None and ("sid" in request.session or "uid" in request.session):
        request.session.clear()
    request.state.user = user
    return user


def page_user(request: Request) -> UserInfo:
    """Dependency of pages: the signed-in user, or a redirect to the sign-in page."""
    user = session_user(request)
    if user is None:
        raise LoginRequired()
    return user


def api_user(request: Request) -> UserInfo:
    """Dependency of the REST API: a Bearer token (a ``read`` one only for reading), or the
    session cookie (with the CSRF header on changes, so other sites cannot make a signed-in
    browser change anything)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        auth = store_of(request).user_for_token(header[7:].strip())
        if auth is None:
            raise HTTPException(401, "unknown, revoked or expired API token")
        if request.method not in SAFE_METHODS and auth.scope != "write":
            raise HTTPException(403, "this API token may only read (its scope is read)")
        return auth.user
    user = session_user(request)
    if user is None:
        raise HTTPException(401, "sign in or send an API token (Authorization: Bearer ...)")
    if request.method not in SAFE_METHODS:
        check_csrf(request, request.headers.get("x-csrf-token"))
    return user


def login(request: Request, user: UserInfo) -> None:
    """A fresh session for ``user`` (a new CSRF token too: no session fixation)."""
    end_session(request)
    request.session["sid"] = store_of(request).start_session(
        user.id, settings_of(request).session_max_age
    )
    request.session["lang"] = user.language
    request.state.user = user
    csrf_token(request)


def end_session(request: Request) -> None:
    """Sign out this browser: the server forgets the session, the cookie is emptied."""
    secret = request.session.get("sid")
    if isinstance(secret, str):
        store_of(request).end_session(secret)
    request.session.clear()
    request.state.user = None


def token_days(request: Request, asked: float | None) -> float:
    """The validity asked for (default ``Settings.token_days``), within the allowed most."""
    settings = settings_of(request)
    days = settings.token_days if asked is None else asked
    if not 0 < days <= settings.token_max_days:
        raise HTTPException(400, f"a token is valid for 1 to {settings.token_max_days:g} days")
    return days


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


# --- password checks: bounded inputs, rate limits per address and per account ----------------

MAX_EMAIL = 320


def check_sign_in_text(email: str, password: str) -> None:
    """400 with a plain message for values no account can have (before any database work)."""
    for value, label, limit in ((email, "email address", MAX_EMAIL),
                                (password, "password", MAX_PASSWORD)):  # fmt: skip
        try:
            check_text(value, label, limit)
        except InvalidValue as error:
            raise HTTPException(400, str(error)) from None


def client_address(request: Request) -> str:
    """The socket peer; behind a trusted proxy (``Settings.trusted_proxies``), the nearest
    address in X-Forwarded-For that is not itself a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    proxies = settings_of(request).resolved_trusted_proxies()
    if not proxies or not _is_in(peer, proxies):
        return peer
    hops = [
        hop.strip()
        for header in request.headers.getlist("x-forwarded-for")
        for hop in header.split(",")
        if hop.strip()
    ]
    for hop in reversed(hops):
        if not _is_in(hop, proxies):
            return hop[:64]
    return hops[0][:64] if hops else peer


def _is_in(host: str, networks: list[IPv4Network | IPv6Network]) -> bool:
    try:
        address = ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in networks)


def check_password_rate(request: Request, email: str) -> tuple[str, ...]:
    """The rate-limit keys of a password check of ``email`` (this address, and the account
    from anywhere); 429 once either had too many recent failures."""
    settings, store = settings_of(request), store_of(request)
    email = email.strip().lower()
    keys = (f"{email}|{client_address(request)}", f"{email}|any")
    limits = (settings.login_max_failures, settings.login_account_max_failures)
    window = dt.timedelta(minutes=settings.login_window_minutes)
    for key, limit in zip(keys, limits, strict=True):
        if store.recent_failures(key, window) >= limit:
            raise HTTPException(
                429,
                "too many failed password attempts; try again in "
                f"{settings.login_window_minutes:g} minutes",
                headers={"Retry-After": str(int(settings.login_window_minutes * 60))},
            )
    return keys


def record_password_check(request: Request, keys: tuple[str, ...], succeeded: bool) -> None:
    for key in keys:
        store_of(request).record_login(key, succeeded)
