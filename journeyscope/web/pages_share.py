"""Share and export a map from the browser: downloads (PNG, PDF, SVG, the story deck as HTML
and MP4, PowerPoint, the evidence report), revocable read-only links that open without an
account, watching a map, its tags.

A read-only link carries a secret (``/s/jss_…``); the store keeps only its hash. It opens that
one map, read-only, with no edit surface and no link to any other map; a revoked or unknown
link is a 404, and every link is rate limited (per link and per address).
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from ..render import BrowserMissing, render_file
from ..render.deck import render_pptx
from ..render.html import map_css, render_fragment
from ..render.report import render_report
from ..render.story import render_story
from ..store import StoreError, UserInfo
from . import actions
from .auth import (
    DbId,
    MapAccess,
    client_address,
    map_access,
    page_user,
    read_form,
    settings_of,
    store_of,
)
from .evidence import analysis_from_dict
from .i18n import translator
from .images import with_workspace_images
from .map_status import describe_status
from .pages_auth import redirect
from .rendering import language, page_fragment, render

router = APIRouter(include_in_schema=False)
State = Literal["current", "future", "both"]
Format = Literal["png", "pdf", "svg", "pptx", "story.html", "story.mp4", "report.html"]
MEDIA = {
    "png": "image/png",
    "pdf": "application/pdf",
    "svg": "image/svg+xml",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "story.html": "text/html; charset=utf-8",
    "story.mp4": "video/mp4",
    "report.html": "text/html; charset=utf-8",
}


def _access(request: Request, user: UserInfo, map_id: int, need: str = "viewer") -> MapAccess:
    return map_access(store_of(request), user, map_id, need)


def share_context(request: Request, access: MapAccess, new_link: str = "") -> dict[str, Any]:
    store = store_of(request)
    journey, _ = store.load_journey(access.map.id)
    _ = translator(language(request))
    user = request.state.user
    return {
        "info": access.map,
        "journey": journey,
        "can_edit": access.can("editor"),
        "links": store.shares(access.map.id),
        "new_link": new_link,
        "watching": store.is_watching(access.map.id, user.id),
        "owner_hears": user.id in store.map_owners(access.map.id),
        "tags": store.tags_of([access.map.id]).get(access.map.id, []),
        "status": describe_status(store.map_status(access.map.id), _, journey),
        "has_evidence": store.latest_analysis(access.map.id) is not None,
        "formats": list(MEDIA),
    }


@router.get("/maps/{map_id}/share")
def share_page(request: Request, map_id: DbId, user: UserInfo = Depends(page_user)) -> Response:
    access = _access(request, user, map_id)
    return render(request, "share.html", share_context(request, access))


@router.get("/maps/{map_id}/download")
def download(
    request: Request,
    map_id: DbId,
    format: Format = "png",
    state: State = "current",
    persona: str | None = None,
    user: UserInfo = Depends(page_user),
) -> Response:
    _access(request, user, map_id)
    return export_response(request, map_id, format, state, persona)


def export_response(
    request: Request, map_id: int, fmt: str, state: State, persona: str | None
) -> Response:
    """The map in ``fmt``, as a file download named after the map."""
    store = store_of(request)
    journey, number = store.load_journey(map_id)
    if persona and persona not in {p.id for p in journey.personas}:
        persona = None
    if state != "current" and journey.future is None:
        state = "current"
    latest, metrics = actions.latest_metrics(store, map_id, journey)
    journey = with_workspace_images(store, store.get_map(map_id).workspace_id, journey)
    try:
        data = _export(journey, fmt, state, persona, metrics, latest)
    except BrowserMissing as error:
        raise HTTPException(503, str(error)) from None
    suffix = "-".join(p for p in (state if fmt in ("png", "pdf", "svg") else "", persona) if p)
    name = f"{journey.id}-v{number}" + (f"-{suffix}" if suffix else "") + f".{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(data, media_type=MEDIA[fmt], headers=headers)


#: exports that start a browser (PNG, PDF, PowerPoint, video) at once; more wait their turn,
#: so a burst of downloads cannot start a chromium per request
BROWSER_EXPORTS = threading.BoundedSemaphore(2)
BROWSER_WAIT_SECONDS = 60


def _export(journey: Any, fmt: str, state: State, persona: str | None, metrics: Any, latest: Any):
    if fmt in ("png", "pdf", "pptx", "story.mp4"):
        if not BROWSER_EXPORTS.acquire(timeout=BROWSER_WAIT_SECONDS):
            raise HTTPException(503, "the server is busy drawing maps: try again in a minute",
                                {"Retry-After": "60"})  # fmt: skip
        try:
            return _draw(journey, fmt, state, persona, metrics, latest)
        finally:
            BROWSER_EXPORTS.release()
    return _draw(journey, fmt, state, persona, metrics, latest)


def _draw(journey: Any, fmt: str, state: State, persona: str | None, metrics: Any, latest: Any):
    if fmt == "story.html":
        return render_story(journey).encode()
    if fmt == "report.html":
        if latest is None or not latest.result:
            raise HTTPException(404, "this map has no evidence yet: upload data to get a report")
        return render_report(analysis_from_dict(latest.result), journey).encode()
    with tempfile.TemporaryDirectory(prefix="journeyscope-export-") as tmp:
        if fmt == "story.mp4":
            from ..render.video import FfmpegMissing, render_story_video

            try:
                return render_story_video(
                    journey, Path(tmp) / "story.mp4", seconds=2.0
                ).read_bytes()
            except FfmpegMissing as error:
                raise HTTPException(503, str(error)) from None
        if fmt == "pptx":
            png = render_file(journey, Path(tmp) / "map.png", state, persona, metrics)
            points = (latest.insights or {}).get("pain_points") if latest else None
            return render_pptx(journey, png.read_bytes(), points)
        return render_file(journey, Path(tmp) / f"map.{fmt}", state, persona, metrics).read_bytes()


@router.post("/maps/{map_id}/share-links")
async def create_link(request: Request, map_id: DbId, user: UserInfo = Depends(page_user)):
    form = await read_form(request)
    access = _access(request, user, map_id, "editor")
    _info, secret = store_of(request).create_share(map_id, user.id, form.get("label", ""))
    link = str(request.base_url).rstrip("/") + f"/s/{secret}"
    return render(request, "share.html", share_context(request, access, new_link=link))


@router.post("/maps/{map_id}/share-links/{link_id}/revoke")
async def revoke_link(
    request: Request, map_id: DbId, link_id: DbId, user: UserInfo = Depends(page_user)
) -> Response:
    await read_form(request)
    _access(request, user, map_id, "editor")
    store_of(request).revoke_share(map_id, link_id)
    return redirect(f"/maps/{map_id}/share#links")


@router.post("/maps/{map_id}/watch")
async def watch(request: Request, map_id: DbId, user: UserInfo = Depends(page_user)) -> Response:
    form = await read_form(request)
    _access(request, user, map_id)
    store_of(request).watch_map(map_id, user.id, form.get("watch") == "1")
    back = form.get("back", "")
    return redirect(back if back.startswith(f"/maps/{map_id}") else f"/maps/{map_id}/share")


@router.post("/maps/{map_id}/tags")
async def set_tags(request: Request, map_id: DbId, user: UserInfo = Depends(page_user)):
    form = await read_form(request)
    _access(request, user, map_id, "editor")
    try:
        store_of(request).set_tags(map_id, form.get("tags", "").split(","))
    except StoreError as error:
        raise HTTPException(400, str(error)) from None
    return redirect(f"/maps/{map_id}/share#tags")


# --- the read-only link -----------------------------------------------------------------


class RateLimit:
    """At most ``limit`` hits per key within a minute (kept in this process's memory)."""

    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, limit: int, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._hits) > 10_000:  # forget idle keys rather than grow without end
                self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - 60}
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - 60:
                hits.popleft()
            if len(hits) >= limit:
                return False
            hits.append(now)
            return True


_LIMITS_LOCK = threading.Lock()


def _limiter(request: Request) -> RateLimit:
    """Each app keeps its own counts (one per server process)."""
    state = request.app.state
    with _LIMITS_LOCK:
        if not hasattr(state, "share_limit"):
            state.share_limit = RateLimit()
    limiter: RateLimit = state.share_limit
    return limiter


def _shared_map(request: Request, token: str) -> int:
    limit, limiter = settings_of(request).share_rate_per_minute, _limiter(request)
    for key in (f"link:{token[:100]}", f"addr:{client_address(request)}"):
        if not limiter.allow(key, limit):
            raise HTTPException(429, "too many requests: wait a minute", {"Retry-After": "60"})
    map_id = store_of(request).map_for_share(token)
    if map_id is None:
        raise HTTPException(404, "this link does not open anything (it may have been revoked)")
    return map_id


@router.get("/s/{token}")
def shared(
    request: Request, token: str, state: State = "current", persona: str | None = None
) -> Response:
    map_id = _shared_map(request, token)
    store = store_of(request)
    journey, number = store.load_journey(map_id)
    if persona and persona not in {p.id for p in journey.personas}:
        persona = None
    if state != "current" and journey.future is None:
        state = "current"
    _latest, metrics = actions.latest_metrics(store, map_id, journey)
    journey = with_workspace_images(store, store.get_map(map_id).workspace_id, journey)
    _ = translator(language(request))
    context = {
        "journey": journey,
        "number": number,
        "state": state,
        "persona": persona,
        "fragment": page_fragment(render_fragment(journey, state, persona, metrics)),
        "map_css": map_css(),
        "status": describe_status(store.map_status(map_id), _, journey),
        "token": token,
    }
    response = render(request, "shared.html", context)
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"  # the secret stays out of Referer
    response.headers["Cache-Control"] = "private, no-store"
    return response


@router.get("/s/{token}/download")
def shared_download(
    request: Request,
    token: str,
    format: Literal["png", "pdf", "svg"] = "png",
    state: State = "current",
    persona: str | None = None,
) -> Response:
    return export_response(request, _shared_map(request, token), format, state, persona)
