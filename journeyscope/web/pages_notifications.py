"""The bell: a person's notifications (read/unread) and how they want e-mail (at once or a
daily digest, or none); a map's status as JSON."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from ..store import DIGESTS, StoreError, UserInfo
from .api import ERRORS
from .auth import DbId, api_user, map_access, page_user, read_form, store_of
from .i18n import pick_language, translator
from .map_list import list_maps
from .map_status import describe_status
from .pages_auth import redirect
from .rendering import render

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["notifications"], responses=ERRORS)


@router.get("/notifications")
def notifications(request: Request, user: UserInfo = Depends(page_user)) -> Response:
    store = store_of(request)
    context = {
        "notes": store.notifications(user.id),
        "preferences": store.preferences(user.id),
        "digests": DIGESTS,
    }
    return render(request, "notifications.html", context)


@router.post("/notifications/read")
async def mark_read(request: Request, user: UserInfo = Depends(page_user)) -> Response:
    form = await read_form(request)
    ident = form.get("id", "")
    if ident and not ident.isdigit():
        raise HTTPException(400, "which notification? (a number)")
    ids = [int(ident)] if ident else None
    store_of(request).mark_read(user.id, ids, read=form.get("unread") != "1")
    return redirect("/notifications")


@router.get("/notifications/{note_id}/open")
def open_note(request: Request, note_id: DbId, user: UserInfo = Depends(page_user)) -> Response:
    """Mark the notification read and go where it points (a path in this workspace only)."""
    store = store_of(request)
    note = next((n for n in store.notifications(user.id, limit=1000) if n.id == note_id), None)
    if note is None:
        raise HTTPException(404, "no such notification")
    store.mark_read(user.id, [note.id])
    inside = note.url.startswith("/") and not note.url.startswith("//") and "\\" not in note.url
    return redirect(note.url if inside else "/notifications")


@router.post("/notifications/preferences")
async def preferences(request: Request, user: UserInfo = Depends(page_user)) -> Response:
    form = await read_form(request)
    try:
        store_of(request).set_preferences(
            user.id, digest=form.get("digest", "immediately"), email=form.get("email") == "1"
        )
    except StoreError as error:
        raise HTTPException(400, str(error)) from None
    return redirect("/notifications#settings")


@api_router.get("/notifications")
def api_notifications(
    request: Request, unread: bool = False, user: UserInfo = Depends(api_user)
) -> JSONResponse:
    """Your notifications, newest first (``unread=true``: only the unread ones)."""
    notes = store_of(request).notifications(user.id, unread_only=unread)
    return JSONResponse(
        {
            "unread": store_of(request).unread_count(user.id),
            "notifications": [
                {
                    "id": n.id,
                    "kind": n.kind,
                    "subject": n.subject,
                    "body": n.body,
                    "url": n.url,
                    "map": n.map_id,
                    "created_at": n.created_at.isoformat(),
                    "read": n.read,
                }
                for n in notes
            ],
        }
    )


@api_router.get("/maps/{map_id}/status")
def api_map_status(
    request: Request, map_id: DbId, lang: str = "en", user: UserInfo = Depends(api_user)
) -> JSONResponse:
    """The map's status badge as data: ``state`` (fresh, stale, unknown, or none without
    evidence), ``label`` and ``reasons`` in plain words (``lang``: en, ru, he, pl), and the
    facts behind them as the staleness check stored them."""
    store = store_of(request)
    map_access(store, user, map_id)
    status = store.map_status(map_id)
    journey = store.load_journey(map_id)[0] if status is not None else None
    described = describe_status(status, translator(pick_language(lang)), journey)
    facts = {
        "since": status.since.isoformat() if status and status.since else None,
        "checked_at": status.checked_at.isoformat() if status else None,
        "analysis": status.analysis_id if status else None,
        "facts": status.reasons if status else {},
    }
    return JSONResponse({key: described[key] for key in ("state", "label", "reasons")} | facts)


@api_router.get("/search/maps")
def api_search_maps(
    request: Request,
    workspace: int | None = None,
    q: str = "",
    tag: str = "",
    status: str = "",
    owner: int | None = None,
    lang: str = "en",
    user: UserInfo = Depends(api_user),
) -> JSONResponse:
    """The map list's search and filters as data (the page ``/maps`` shows the same): maps
    of the workspace (default: your first) matching every word of ``q``, in folder ``tag``,
    with ``status`` (stale, fresh, unknown, none) and made by account ``owner``."""
    store = store_of(request)
    workspaces = [w.id for w in store.workspaces_of(user.id)]
    workspace_id = workspace if workspace is not None else (workspaces[0] if workspaces else 0)
    if workspace_id not in workspaces:
        raise HTTPException(404, "no such workspace")
    cards = list_maps(
        store, workspace_id, translator(pick_language(lang)), query=q[:200], tag=tag[:80],
        status=status, owner=owner,
    )  # fmt: skip
    return JSONResponse(
        [
            {
                "id": c.info.id,
                "title": c.info.title,
                "version": c.info.current_version,
                "tags": c.tags,
                "status": c.status["state"],
                "status_label": c.status["label"],
                "reasons": c.status["reasons"],
                "made_by": c.owner[0] if c.owner else None,
                "found_in": [{"where": w, "text": t} for w, t in c.matches],
            }
            for c in cards
        ]
    )
