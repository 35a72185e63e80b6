"""The bell: a person's notifications (read/unread) and how they want e-mail (at once or a
daily digest, or none)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from ..store import DIGESTS, StoreError, UserInfo
from .auth import DbId, api_user, page_user, read_form, store_of
from .pages_auth import redirect
from .rendering import render

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["notifications"])


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
