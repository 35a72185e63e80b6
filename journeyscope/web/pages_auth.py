"""Pages: sign in and out, invites, the account (language, API tokens), the workspace team."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from ..store import ROLES, Conflict, NotFound, StoreError, UserInfo
from .actions import current_workspace
from .auth import (
    DbId,
    check_login_rate,
    login,
    page_user,
    read_form,
    session_user,
    store_of,
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
    key = check_login_rate(request, email)
    store = store_of(request)
    user = store.authenticate(email, form.get("password", ""))
    store.record_login(key, user is not None)
    if user is None:
        context = {"next": target, "error": "login.failed", "email": email}
        return render(request, "login.html", context, status=401)
    login(request, user)
    return redirect(target)


@router.post("/logout")
async def logout(request: Request) -> Response:
    await read_form(request)
    request.session.clear()
    return redirect("/login")


@router.get("/invite/{token}")
def invite_page(request: Request, token: str) -> Response:
    try:
        invite = store_of(request).invite_for(token)
    except NotFound as error:
        raise HTTPException(404, str(error)) from None
    return render(request, "invite.html", {"invite": invite, "token": token, "error": None})


@router.post("/invite/{token}")
async def invite_accept(request: Request, token: str) -> Response:
    form = await read_form(request)
    store = store_of(request)
    try:
        invite = store.invite_for(token)
    except NotFound as error:
        raise HTTPException(404, str(error)) from None
    password = form.get("password", "")
    if len(password) < 8 or password != form.get("password2", ""):
        context = {"invite": invite, "token": token, "error": "invite.password_rule"}
        return render(request, "invite.html", context, status=400)
    try:
        user = store.accept_invite(token, form.get("name", ""), password)
    except Conflict:
        context = {"invite": invite, "token": token, "error": "invite.existing"}
        return render(request, "invite.html", context, status=400)
    login(request, user)
    request.session["ws"] = invite.workspace_id
    return redirect("/maps")


@router.get("/account")
def account(request: Request, user: UserInfo = Depends(page_user)) -> Response:
    tokens = store_of(request).tokens(user.id)
    new_token = request.session.pop("new_token", None)
    context = {"tokens": tokens, "new_token": new_token, "profile": user}
    return render(request, "account.html", context)


@router.post("/account")
async def account_save(request: Request, user: UserInfo = Depends(page_user)) -> Response:
    form = await read_form(request)
    language = form.get("language", "")
    if language not in LANGUAGES:
        raise HTTPException(400, "unknown language")
    store_of(request).set_language(user.id, language)
    request.session["lang"] = language
    return redirect("/account")


@router.post("/account/tokens")
async def token_create(request: Request, user: UserInfo = Depends(page_user)) -> Response:
    form = await read_form(request)
    _, secret = store_of(request).create_token(user.id, form.get("name", "").strip()[:200])
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
