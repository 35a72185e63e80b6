"""Pages: sign in and out, invites, the account (language, API tokens), the workspace team."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from ..store import (
    MAX_PASSWORD,
    ROLES,
    TOKEN_SCOPES,
    Conflict,
    InviteInfo,
    NotFound,
    Store,
    StoreError,
    UserInfo,
)
from .actions import current_workspace
from .auth import (
    DbId,
    check_password_rate,
    check_sign_in_text,
    end_session,
    login,
    page_user,
    read_form,
    record_password_check,
    session_user,
    settings_of,
    store_of,
    token_days,
    workspace_role,
)
from .i18n import LANGUAGES
from .rendering import render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    # only local paths: an open redirect would let phishing links borrow our domain
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/maps"


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/")
def home(request: Request) -> Response:
    return redirect("/maps" if session_user(request) else "/login")


@router.get("/login")
def login_page(request: Request, next: str = "/maps") -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login")
async def login_submit(request: Request) -> Response:
    form = await read_form(request)
    email, target = form.get("email", ""), _safe_next(form.get("next"))
    password = form.get("password", "")
    check_sign_in_text(email, password)
    keys = check_password_rate(request, email)
    user = store_of(request).authenticate(email, password)
    record_password_check(request, keys, user is not None)
    if user is None:
        context = {"next": target, "error": "login.failed", "email": email}
        return render(request, "login.html", context, status=401)
    login(request, user)
    return redirect(target)


@router.post("/logout")
async def logout(request: Request) -> Response:
    await read_form(request)
    end_session(request)
    return redirect("/login")


def _open_invite(store: Store, token: str) -> InviteInfo:
    try:
        return store.invite_for(token)
    except NotFound as error:
        raise HTTPException(404, str(error)) from None


def _sign_in_first(token: str) -> Response:
    return redirect(f"/login?next={quote('/invite/' + token, safe='/')}")


@router.get("/invite/{token}")
def invite_page(request: Request, token: str) -> Response:
    """New people choose a name and password; an existing account joins while signed in
    (never by typing its password here, so the page cannot be used to guess passwords)."""
    store = store_of(request)
    invite = _open_invite(store, token)
    existing = store.account_exists(invite.email)
    if existing and session_user(request) is None:
        return _sign_in_first(token)
    context = {"invite": invite, "token": token, "error": None, "existing": existing}
    return render(request, "invite.html", context)


@router.post("/invite/{token}")
async def invite_accept(request: Request, token: str) -> Response:
    form = await read_form(request)
    store = store_of(request)
    invite = _open_invite(store, token)
    context = {"invite": invite, "token": token, "existing": store.account_exists(invite.email)}
    if context["existing"]:
        user = session_user(request)
        if user is None:
            return _sign_in_first(token)
        try:
            store.join_invite(token, user.id)
        except Conflict:
            return render(request, "invite.html", {**context, "error": "invite.other"}, 403)
    else:
        password, name = form.get("password", ""), form.get("name", "")
        if not 8 <= len(password) <= MAX_PASSWORD or password != form.get("password2", ""):
            context["error"] = "invite.password_rule"
            return render(request, "invite.html", context, status=400)
        try:
            user = store.accept_invite(token, name[:200], password)
        except Conflict:
            return _sign_in_first(token)
    login(request, user)  # a fresh session (a changed role has ended the old ones)
    request.session["ws"] = invite.workspace_id
    return redirect("/maps")


def _account(request: Request, user: UserInfo, error: str | None = None) -> Response:
    tokens = store_of(request).tokens(user.id)
    new_token = request.session.pop("new_token", None)
    context = {
        "tokens": tokens,
        "new_token": new_token,
        "profile": user,
        "scopes": TOKEN_SCOPES,
        "token_days": settings_of(request).token_days,
        "token_max_days": settings_of(request).token_max_days,
        "error": error,
    }
    return render(request, "account.html", context, status=400 if error else 200)


@router.get("/account")
def account(request: Request, user: UserInfo = Depends(page_user)) -> Response:
    return _account(request, user)


@router.post("/account")
async def account_save(request: Request, user: UserInfo = Depends(page_user)) -> Response:
    form = await read_form(request)
    language = form.get("language", "")
    if language not in LANGUAGES:
        raise HTTPException(400, "unknown language")
    store_of(request).set_language(user.id, language)
    request.session["lang"] = language
    return redirect("/account")


@router.post("/account/password")
async def password_change(request: Request, user: UserInfo = Depends(page_user)) -> Response:
    """A new password: every other session and every API token of the user ends."""
    form = await read_form(request)
    current, new = form.get("current", ""), form.get("password", "")
    check_sign_in_text(user.email, current)
    if not 8 <= len(new) <= MAX_PASSWORD or new != form.get("password2", ""):
        return _account(request, user, "invite.password_rule")
    keys = check_password_rate(request, user.email)
    changed = store_of(request).change_password(user.id, current, new)
    record_password_check(request, keys, changed)
    if not changed:
        return _account(request, user, "account.password_wrong")
    login(request, user)  # this browser goes on in a fresh session
    return redirect("/account")


@router.post("/account/tokens")
async def token_create(request: Request, user: UserInfo = Depends(page_user)) -> Response:
    form = await read_form(request)
    scope = form.get("scope", "read")
    if scope not in TOKEN_SCOPES:
        raise HTTPException(400, "a token's scope is read or write")
    try:
        asked = float(form["days"]) if form.get("days") else None
    except ValueError:
        raise HTTPException(400, "give the days a token is valid as a number") from None
    days = token_days(request, asked)
    name = form.get("name", "").strip()[:200]
    _, secret = store_of(request).create_token(user.id, name, scope, days)
    request.session["new_token"] = secret  # shown once on the next page, then forgotten
    return redirect("/account")


@router.post("/account/tokens/{token_id}/delete")
async def token_delete(
    request: Request, token_id: DbId, user: UserInfo = Depends(page_user)
) -> Response:
    await read_form(request)
    try:
        store_of(request).revoke_token(user.id, token_id)
    except NotFound as error:
        raise HTTPException(404, str(error)) from None
    return redirect("/account")


@router.get("/workspace")
def workspace(request: Request, user: UserInfo = Depends(page_user)) -> Response:
    store = store_of(request)
    workspace_id = current_workspace(request, user)
    role = workspace_role(store, user, workspace_id, "viewer")
    link = request.session.pop("invite_link", None)
    context = {
        "workspaces": store.workspaces_of(user.id),
        "workspace_id": workspace_id,
        "role": role,
        "members": store.members(workspace_id),
        "invites": store.invites(workspace_id) if role == "owner" else [],
        "invite_link": link,
        "roles": ROLES,
    }
    return render(request, "workspace.html", context)


@router.post("/workspace/invites")
async def invite_create(request: Request, user: UserInfo = Depends(page_user)) -> Response:
    form = await read_form(request)
    store = store_of(request)
    workspace_id = current_workspace(request, user)
    workspace_role(store, user, workspace_id, "owner")
    if form.get("role") not in ROLES or "@" not in form.get("email", ""):
        raise HTTPException(400, "give an email address and a role")
    _, token = store.create_invite(workspace_id, form["email"], form["role"], user.id)
    request.session["invite_link"] = str(request.url_for("invite_page", token=token))
    return redirect("/workspace")


@router.post("/workspace/members")
async def member_role(request: Request, user: UserInfo = Depends(page_user)) -> Response:
    form = await read_form(request)
    store = store_of(request)
    workspace_id = current_workspace(request, user)
    workspace_role(store, user, workspace_id, "owner")
    try:
        member_id = int(form.get("user_id", ""))
        if member_id == user.id:
            raise HTTPException(400, "owners cannot change their own role")
        if store.role_of(workspace_id, member_id) is None:
            raise HTTPException(404, "no such member")
        store.set_role(workspace_id, member_id, form.get("role", ""))
    except (ValueError, StoreError) as error:
        raise HTTPException(400, str(error)) from None
    return redirect("/workspace")


@router.post("/workspace/members/{member_id}/remove")
async def member_remove(
    request: Request, member_id: DbId, user: UserInfo = Depends(page_user)
) -> Response:
    """Take someone out of the workspace: their sessions and API tokens end at once."""
    await read_form(request)
    store = store_of(request)
    workspace_id = current_workspace(request, user)
    workspace_role(store, user, workspace_id, "owner")
    if member_id == user.id:
        raise HTTPException(400, "owners cannot remove themselves")
    try:
        store.remove_member(workspace_id, member_id)
    except NotFound:
        raise HTTPException(404, "no such member") from None
    return redirect("/workspace")
