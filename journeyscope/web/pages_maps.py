"""Pages: the map list, new maps, the map view, versions, YAML, comments (the editor and
history pages are in :mod:`.pages_editor`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from ..formats import TEMPLATE_LANGUAGES, list_templates, parse_map
from ..model import JourneyMap
from ..render.html import map_css, render_fragment
from ..render.lane import LaneFigures
from ..render.media import image_refs, replace_images
from ..store import AnalysisInfo, MapInfo, NotFound, Store, StoreError, UserInfo
from . import actions
from .auth import (
    DbId,
    MapAccess,
    check_csrf,
    map_access,
    page_user,
    read_form,
    settings_of,
    store_of,
)
from .bundles import BundleRefused, read_bundle, write_bundle
from .evidence import metrics_for
from .i18n import translator
from .images import ImageRefused, checked_image, with_workspace_images
from .map_list import list_maps
from .pages_auth import redirect
from .rendering import Recent, language, page_fragment, render
from .uploads import TooLarge, receive_upload

router = APIRouter(include_in_schema=False)
State = Literal["current", "future", "both"]
STATUS_FILTERS = ("stale", "fresh", "unknown", "none")


@router.get("/maps")
def maps(
    request: Request,
    workspace: int | None = None,
    q: str = "",
    tag: str = "",
    status: str = "",
    owner: int | None = None,
    user: UserInfo = Depends(page_user),
):
    return render(
        request, "maps.html", maps_context(request, user, workspace, q, tag, status, owner)
    )


def maps_context(
    request: Request,
    user: UserInfo,
    workspace: int | None,
    q: str = "",
    tag: str = "",
    status: str = "",
    owner: int | None = None,
) -> dict[str, Any]:
    """The map list with its search and filters (see :mod:`.map_list`)."""
    store = store_of(request)
    workspace_id = actions.current_workspace(request, user, workspace)
    workspaces = store.workspaces_of(user.id)
    role = next(w.role for w in workspaces if w.id == workspace_id)
    q, tag = q.strip()[:200], tag.strip()[:80]
    cards = list_maps(
        store, workspace_id, translator(language(request)),
        query=q, tag=tag, status=status if status in STATUS_FILTERS else "", owner=owner,
    )  # fmt: skip
    filtered = bool(q or tag or status or owner)
    return {
        "maps": [card.info for card in cards],
        "cards": cards,
        "workspaces": workspaces,
        "workspace_id": workspace_id,
        "role": role,
        "q": q,
        "tag": tag,
        "status": status,
        "owner": owner,
        "filtered": filtered,
        "all_tags": store.workspace_tags(workspace_id),
        "members": store.members(workspace_id),
        "status_filters": STATUS_FILTERS,
    }


@router.get("/maps/new")
def new_map(request: Request, user: UserInfo = Depends(page_user)) -> Response:
    lang = language(request)
    templates = list_templates(lang)
    context = {"templates": templates, "languages_of_maps": TEMPLATE_LANGUAGES, "map_lang": lang}
    return render(request, "new_map.html", context)


def _editable_workspace(request: Request, user: UserInfo) -> int:
    workspace_id = actions.current_workspace(request, user)
    if store_of(request).role_of(workspace_id, user.id) not in ("owner", "editor"):
        raise HTTPException(403, "viewers cannot create maps")
    return workspace_id


@router.post("/maps/new")
async def create_map(request: Request, user: UserInfo = Depends(page_user)) -> Response:
    form = await read_form(request)
    workspace_id = _editable_workspace(request, user)
    journey = actions.map_from_template(form.get("template", ""), form.get("language", "en"))
    info = store_of(request).create_map(workspace_id, journey, user.id, "created from template")
    return redirect(f"/maps/{info.id}")


async def _map_upload(request: Request, workspace_id: int, user_id: int) -> JourneyMap:
    """The map of the upload (a map file, pasted text, or a ZIP of a map file with its
    pictures, whose pictures are checked and kept in the workspace)."""
    settings = settings_of(request)
    upload = await receive_upload(
        request,
        Path(settings.data_dir) / "uploads",
        max(settings.max_map_bytes, settings.max_upload_bytes),
        suffixes=(".yaml", ".yml", ".json", ".zip"),
    )
    try:
        check_csrf(request, upload.fields.get("csrf_token"))
        pictures: dict[str, bytes] = {}
        if upload.path is None:
            text, name = upload.fields.get("text", ""), "pasted.yaml"
        elif (upload.filename or "").lower().endswith(".zip"):
            try:
                name, text, pictures = read_bundle(upload.path, settings.max_map_bytes)
            except BundleRefused as refusal:
                raise HTTPException(400, str(refusal)) from None
        elif upload.path.stat().st_size > settings.max_map_bytes:
            raise TooLarge(settings.max_map_bytes)
        else:
            text, name = upload.read_text(), upload.filename or "upload.yaml"
        if not text.strip():
            raise HTTPException(400, "choose a map file or paste its text")
        journey = actions.map_from_text(text, name)
    except UnicodeDecodeError:
        raise HTTPException(400, "the map file is not UTF-8 text") from None
    finally:
        upload.discard()
    return _keep_pictures(store_of(request), workspace_id, user_id, journey, pictures)


def _keep_pictures(
    store: Store, workspace_id: int, user_id: int, journey: JourneyMap, pictures: dict[str, bytes]
) -> JourneyMap:
    """``journey`` pointing at the workspace's copies of the bundle's pictures it uses."""
    renamed = {}
    for ref in sorted(image_refs(journey) & pictures.keys()):
        try:
            image = checked_image(pictures[ref], Path(ref).name)
        except ImageRefused as refusal:
            raise HTTPException(400, f"the picture {ref} in the ZIP: {refusal}") from None
        renamed[ref] = store.save_image(workspace_id, image, user_id).path
    return replace_images(journey, renamed) if renamed else journey


@router.post("/maps/import")
async def import_new_map(request: Request, user: UserInfo = Depends(page_user)) -> Response:
    workspace_id = _editable_workspace(request, user)  # before reading any upload
    journey = await _map_upload(request, workspace_id, user.id)
    info = store_of(request).create_map(workspace_id, journey, user.id, "imported")
    return redirect(f"/maps/{info.id}")


def _access(request: Request, user: UserInfo, map_id: DbId, need: str = "viewer") -> MapAccess:
    return map_access(store_of(request), user, map_id, need)


def _elements(journey: JourneyMap) -> list[tuple[str, str]]:
    """Element ids a comment can be attached to, with a readable label."""
    items = [("map", journey.title)]
    for stage in journey.stages:
        items.append((stage.id, stage.name))
        for step in stage.steps:
            items.append((step.id, f"{stage.name} › {step.name}"))
            items += [(tp.id, f"{step.name} › {tp.name}") for tp in step.touchpoints]
    return items


def map_context(
    request: Request, access: MapAccess, state: State, persona: str | None
) -> dict[str, Any]:
    """The map view's computed context (the API's GET /api/maps/{id} is its JSON twin)."""
    store = store_of(request)
    journey, number = store.load_journey(access.map.id)
    if persona and persona not in {p.id for p in journey.personas}:
        persona = None
    if state == "future" and journey.future is None:
        state = "current"
    latest, metrics = _latest_metrics(store, access.map, number, journey)
    drawn = with_workspace_images(store, access.map.workspace_id, journey)
    return {
        "info": access.map,
        "role": access.role,
        "can_edit": access.can("editor"),
        "journey": journey,
        "state": state,
        "persona": persona,
        "fragment": page_fragment(render_fragment(drawn, state, persona, metrics)),
        "map_css": map_css(),
        "latest": latest,
        "comments": store.comments(access.map.id),
        "elements": _elements(journey),
        "submaps": submaps(store, access.map.workspace_id, journey),
    }


#: The evidence lanes of recent (map version, evaluation) pairs: both never change once
#: stored, and reading the evaluation's documents (JSON, often hundreds of kilobytes) to draw
#: the lane was a good part of every map page.
LANES: Recent[LaneFigures | None] = Recent(64)


def _latest_metrics(
    store: Store, info: MapInfo, number: int, journey: JourneyMap
) -> tuple[AnalysisInfo | None, LaneFigures | None]:
    """The map's newest evaluation (without its documents) and its evidence lane drawn for
    version ``number`` (``journey``), as :func:`actions.latest_metrics` gives. The key holds
    the map's id and creation time and the evaluation's id and times: an id SQLite hands out
    again after a deletion never finds another map's lane. Access is checked by the caller."""
    latest = store.latest_analysis(info.id, full=False)
    if latest is None:
        return None, None
    key = (info.id, info.created_at, number, latest.id, latest.created_at, latest.finished_at)

    def draw() -> LaneFigures | None:
        stored = store.get_analysis(info.id, latest.id, full=("result", "insights"))
        return metrics_for(stored.result, stored.insights, journey)

    lane = LANES.get(key, draw)
    return latest, None if lane is None else {step: dict(m) for step, m in lane.items()}


def submaps(store: Store, workspace_id: int, journey: JourneyMap) -> list[dict[str, Any]]:
    """The steps that link a more detailed map (``detail_map``), each with the workspace map
    of that id (None when the workspace has no map with it)."""
    linked = [step for stage in journey.stages for step in stage.steps if step.detail_map]
    if not linked:
        return []
    by_id: dict[str, MapInfo] = {}
    for info in store.list_maps(workspace_id):
        by_id.setdefault(store.load_journey(info.id)[0].id, info)
    return [{"step": step, "map": by_id.get(step.detail_map or "")} for step in linked]


@router.get("/maps/{map_id}")
def view_map(
    request: Request,
    map_id: DbId,
    state: State = "current",
    persona: str | None = None,
    user: UserInfo = Depends(page_user),
) -> Response:
    access = _access(request, user, map_id)
    return render(request, "map.html", map_context(request, access, state, persona))


def _base_version(form: dict[str, str]) -> int:
    try:
        return int(form.get("base_version", ""))
    except ValueError:
        raise HTTPException(400, "the edit does not say which version it was based on") from None


def _conflict(request: Request, access: MapAccess, saved: actions.Saved, form: dict[str, str]):
    assert saved.stale is not None
    resend = {k: v for k, v in form.items() if k not in ("csrf_token", "base_version")}
    context = {"info": access.map, "stale": saved.stale, "resend": resend}
    return render(request, "conflict.html", context, status=409)


@router.get("/maps/{map_id}/versions/{number}")
def version(request: Request, map_id: DbId, number: DbId, user: UserInfo = Depends(page_user)):
    access = _access(request, user, map_id)
    try:
        text, _ = store_of(request).map_text(map_id, number)
    except NotFound as error:
        raise HTTPException(404, str(error)) from None
    return render(request, "version.html", {"info": access.map, "number": number, "text": text})


@router.post("/maps/{map_id}/versions/{number}/restore")
async def restore(
    request: Request, map_id: DbId, number: DbId, user: UserInfo = Depends(page_user)
):
    form = await read_form(request)
    access = _access(request, user, map_id, "editor")
    store = store_of(request)
    try:
        journey, _ = store.load_journey(map_id, number)
    except NotFound as error:
        raise HTTPException(404, str(error)) from None
    saved = actions.save(
        store, access, journey, _base_version(form), user, f"restored version {number}"
    )
    if saved.stale is not None:
        return _conflict(request, access, saved, {})
    return redirect(f"/maps/{map_id}/history")


@router.get("/maps/{map_id}/export.yaml")
def export(request: Request, map_id: DbId, user: UserInfo = Depends(page_user)) -> Response:
    _access(request, user, map_id)
    text, number = store_of(request).map_text(map_id)
    journey_id = parse_map(text, f"map-{map_id}-v{number}.yaml").id
    headers = {"Content-Disposition": f'attachment; filename="{journey_id}-v{number}.yaml"'}
    return Response(text, media_type="application/yaml; charset=utf-8", headers=headers)


@router.get("/maps/{map_id}/export.zip")
def export_bundle(request: Request, map_id: DbId, user: UserInfo = Depends(page_user)) -> Response:
    """The map file with the pictures it points at, as one ZIP."""
    access = _access(request, user, map_id)
    store = store_of(request)
    text, number = store.map_text(map_id)
    journey = parse_map(text, f"map-{map_id}-v{number}.yaml")
    pictures = store.images(access.map.workspace_id, image_refs(journey))
    data = write_bundle(f"{journey.id}.yaml", text, pictures)
    headers = {"Content-Disposition": f'attachment; filename="{journey.id}-v{number}.zip"'}
    return Response(data, media_type="application/zip", headers=headers)


@router.post("/maps/{map_id}/import")
async def import_version(request: Request, map_id: DbId, user: UserInfo = Depends(page_user)):
    access = _access(request, user, map_id, "editor")
    journey = await _map_upload(request, access.map.workspace_id, user.id)
    base = access.map.current_version
    saved = actions.save(store_of(request), access, journey, base, user, "imported YAML")
    if saved.stale is not None:
        return _conflict(request, access, saved, {})
    return redirect(f"/maps/{map_id}/history")


@router.post("/maps/{map_id}/comments")
async def comment(request: Request, map_id: DbId, user: UserInfo = Depends(page_user)) -> Response:
    form = await read_form(request)
    _access(request, user, map_id)
    try:
        store_of(request).add_comment(
            map_id, form.get("element_id", "map")[:80], user.id, form.get("body", "")[:10_000]
        )
    except StoreError as error:
        raise HTTPException(400, str(error)) from None
    return redirect(f"/maps/{map_id}#comments")


@router.post("/maps/{map_id}/comments/{comment_id}/delete")
async def comment_delete(
    request: Request, map_id: DbId, comment_id: DbId, user: UserInfo = Depends(page_user)
):
    await read_form(request)
    actions.delete_comment(store_of(request), _access(request, user, map_id), user, comment_id)
    return redirect(f"/maps/{map_id}#comments")


@router.post("/maps/{map_id}/delete")
async def delete(request: Request, map_id: DbId, user: UserInfo = Depends(page_user)) -> Response:
    await read_form(request)
    _access(request, user, map_id, "owner")
    store_of(request).delete_map(map_id)
    return redirect("/maps")
