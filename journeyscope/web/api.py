"""The REST API under ``/api``: everything the pages do, as JSON (and YAML for map files)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from ..formats import list_templates
from ..store import NotFound, Store, UserInfo
from . import actions, schemas
from .auth import DbId, api_user, map_access, store_of, token_days, workspace_role
from .evidence import metrics_for
from .painpoints import board

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": schemas.ErrorOut, "description": "Bad request"},
    401: {"model": schemas.ErrorOut, "description": "Not signed in / bad token"},
    403: {"model": schemas.ErrorOut, "description": "Not allowed: your role, or a read token"},
    404: {"model": schemas.ErrorOut, "description": "Not found (or not in your workspaces)"},
    413: {"model": schemas.ErrorOut, "description": "Request body too large"},
    503: {"model": schemas.ErrorOut, "description": "Database busy: retry after Retry-After"},
}
STALE: dict[int | str, dict[str, Any]] = {
    409: {"model": schemas.StaleOut, "description": "Stale edit: what changed since"}
}
TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {"model": schemas.ErrorOut, "description": "Upload too large"},
    415: {"model": schemas.ErrorOut, "description": "Not multipart/form-data"},
}

#: Ids and version numbers fit a 32-bit SQL integer; larger ones are a 422, not a crash.
Id = DbId
Number = DbId
OptionalNumber = Annotated[int | None, Query(ge=1, le=2_147_483_647)]

router = APIRouter(prefix="/api", tags=["api"], responses=ERRORS)


def _map_out(store: Store, user: UserInfo, map_id: Id, need: str = "viewer") -> schemas.MapOut:
    access = map_access(store, user, map_id, need)
    journey, _ = store.load_journey(map_id)
    return schemas.MapOut(**asdict(access.map), role=access.role, map=journey)


def _stale(saved: actions.Saved) -> JSONResponse:
    assert saved.stale is not None
    return JSONResponse(actions.stale_payload(saved.stale), status_code=409)


@router.get("/me", response_model=schemas.MeOut)
def me(request: Request, user: UserInfo = Depends(api_user)) -> Any:
    workspaces = store_of(request).workspaces_of(user.id)
    return {"user": asdict(user), "workspaces": [asdict(w) for w in workspaces]}


@router.get("/templates", response_model=list[schemas.TemplateOut])
def templates(lang: str = "en", user: UserInfo = Depends(api_user)) -> Any:
    return [asdict(t) for t in list_templates(lang if lang in ("en", "ru", "he", "pl") else "en")]


@router.get("/maps", response_model=list[schemas.MapSummary])
def list_maps(
    request: Request, workspace_id: OptionalNumber = None, user: UserInfo = Depends(api_user)
) -> Any:
    store = store_of(request)
    ids = (
        [workspace_id] if workspace_id is not None else [w.id for w in store.workspaces_of(user.id)]
    )
    for ident in ids:
        workspace_role(store, user, ident, "viewer")
    return [asdict(info) for ident in ids for info in store.list_maps(ident)]


@router.post("/maps", response_model=schemas.MapOut, status_code=201)
def create_map(
    request: Request, body: schemas.MapCreate, user: UserInfo = Depends(api_user)
) -> Any:
    store = store_of(request)
    workspace_id = body.workspace_id or actions.current_workspace(request, user)
    workspace_role(store, user, workspace_id, "editor")
    if body.map is not None:
        journey = body.map
    elif body.yaml is not None:
        journey = actions.map_from_text(body.yaml, "upload.yaml")
    elif body.template:
        journey = actions.map_from_template(body.template, body.language)
    else:
        raise HTTPException(400, "give a template, a map or yaml")
    info = store.create_map(workspace_id, journey, user.id)
    return _map_out(store, user, info.id)


@router.get("/maps/{map_id}", response_model=schemas.MapOut)
def get_map(request: Request, map_id: Id, user: UserInfo = Depends(api_user)) -> Any:
    return _map_out(store_of(request), user, map_id)


@router.put("/maps/{map_id}", response_model=schemas.MapOut, responses=STALE)
def update_map(
    request: Request, map_id: Id, body: schemas.MapUpdate, user: UserInfo = Depends(api_user)
) -> Any:
    store = store_of(request)
    access = map_access(store, user, map_id, "editor")
    saved = actions.save(store, access, body.map, body.base_version, user, body.message)
    return _stale(saved) if saved.stale else _map_out(store, user, map_id)


@router.post("/maps/{map_id}/edit", response_model=schemas.MapOut, responses=STALE)
def edit_map(
    request: Request, map_id: Id, body: schemas.EditIn, user: UserInfo = Depends(api_user)
) -> Any:
    store = store_of(request)
    access = map_access(store, user, map_id, "editor")
    saved = actions.edit(store, access, {**body.fields, "op": body.op}, body.base_version, user)
    return _stale(saved) if saved.stale else _map_out(store, user, map_id)


@router.delete("/maps/{map_id}", status_code=204)
def delete_map(request: Request, map_id: Id, user: UserInfo = Depends(api_user)) -> None:
    store = store_of(request)
    map_access(store, user, map_id, "owner")
    store.delete_map(map_id)


@router.get(
    "/maps/{map_id}/yaml",
    response_model=None,
    response_class=Response,
    responses={
        200: {
            "description": "The map file (YAML)",
            "content": {"application/yaml": {"schema": {"type": "object"}}},
        }
    },
)
def export_yaml(
    request: Request, map_id: Id, version: OptionalNumber = None, user: UserInfo = Depends(api_user)
) -> Response:
    store = store_of(request)
    map_access(store, user, map_id)
    try:
        text, _ = store.map_text(map_id, version)
    except NotFound as error:
        raise HTTPException(404, str(error)) from None
    return Response(text, media_type="application/yaml")


@router.put("/maps/{map_id}/yaml", response_model=schemas.MapOut, responses=STALE)
def import_yaml(
    request: Request,
    map_id: Id,
    base_version: Annotated[int, Query(ge=1, le=2_147_483_647)],
    text: str = Body(..., media_type="application/yaml", max_length=2 * 1024 * 1024),
    user: UserInfo = Depends(api_user),
) -> Any:
    store = store_of(request)
    access = map_access(store, user, map_id, "editor")
    journey = actions.map_from_text(text, "import.yaml")
    saved = actions.save(store, access, journey, base_version, user, "imported YAML")
    return _stale(saved) if saved.stale else _map_out(store, user, map_id)


@router.get("/maps/{map_id}/versions", response_model=list[schemas.VersionOut])
def versions(request: Request, map_id: Id, user: UserInfo = Depends(api_user)) -> Any:
    store = store_of(request)
    map_access(store, user, map_id)
    return [asdict(v) for v in store.versions(map_id)]


@router.get("/maps/{map_id}/versions/{number}/diff", response_model=list[schemas.ChangeOut])
def version_diff(
    request: Request,
    map_id: Id,
    number: Number,
    against: OptionalNumber = None,
    user: UserInfo = Depends(api_user),
) -> Any:
    """What changed from version ``against`` (default: the one before) to ``number``."""
    store = store_of(request)
    map_access(store, user, map_id)
    try:
        changes = store.diff_versions(
            map_id, against if against is not None else number - 1, number
        )
    except NotFound as error:
        raise HTTPException(404, str(error)) from None
    return [actions.change_dict(c) for c in changes]


@router.post(
    "/maps/{map_id}/versions/{number}/restore", response_model=schemas.MapOut, responses=STALE
)
def restore(
    request: Request,
    map_id: Id,
    number: Number,
    body: schemas.RestoreIn,
    user: UserInfo = Depends(api_user),
) -> Any:
    store = store_of(request)
    access = map_access(store, user, map_id, "editor")
    try:
        journey, _ = store.load_journey(map_id, number)
    except NotFound as error:
        raise HTTPException(404, str(error)) from None
    saved = actions.save(
        store, access, journey, body.base_version, user, f"restored version {number}"
    )
    return _stale(saved) if saved.stale else _map_out(store, user, map_id)


@router.get("/maps/{map_id}/comments", response_model=list[schemas.CommentOut])
def comments(
    request: Request,
    map_id: Id,
    element_id: str | None = None,
    user: UserInfo = Depends(api_user),
) -> Any:
    store = store_of(request)
    map_access(store, user, map_id)
    return [asdict(c) for c in store.comments(map_id, element_id)]


@router.post("/maps/{map_id}/comments", response_model=schemas.CommentOut, status_code=201)
def add_comment(
    request: Request, map_id: Id, body: schemas.CommentIn, user: UserInfo = Depends(api_user)
) -> Any:
    store = store_of(request)
    access = map_access(store, user, map_id, "viewer")  # viewers may comment, not edit
    if not body.body.strip():
        raise HTTPException(400, "a comment needs some text")
    added = actions.add_comment(request, access, user, body.element_id, body.body, body.parent_id)
    return asdict(added)


@router.post("/maps/{map_id}/comments/{comment_id}/resolve", response_model=schemas.CommentOut)
def resolve_comment(
    request: Request,
    map_id: Id,
    comment_id: Id,
    body: schemas.ResolveIn,
    user: UserInfo = Depends(api_user),
) -> Any:
    """Mark a comment's thread done (``resolved: true``) or open it again."""
    store = store_of(request)
    map_access(store, user, map_id, "viewer")
    return asdict(store.resolve_comment(map_id, comment_id, user.id, body.resolved))


@router.delete("/maps/{map_id}/comments/{comment_id}", status_code=204)
def delete_comment(
    request: Request, map_id: Id, comment_id: Id, user: UserInfo = Depends(api_user)
) -> None:
    store = store_of(request)
    actions.delete_comment(store, map_access(store, user, map_id), user, comment_id)


@router.post(
    "/maps/{map_id}/analyses",
    response_model=schemas.AnalysisOut,
    status_code=202,
    responses=TOO_LARGE,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "customers": {"type": "string", "format": "binary"},
                            "surveys": {"type": "string", "format": "binary"},
                        },
                    }
                }
            },
        }
    },
)
async def upload_events(request: Request, map_id: Id, user: UserInfo = Depends(api_user)) -> Any:
    """Upload an event file (multipart field ``file``), optionally with customer attributes
    (``customers``) and survey answers (``surveys``); the evaluation runs in the background."""
    access = map_access(store_of(request), user, map_id, "editor")
    return asdict(await actions.start_analysis(request, access, user, form_csrf=False))


@router.get("/maps/{map_id}/analyses", response_model=list[schemas.AnalysisOut])
def analyses(request: Request, map_id: Id, user: UserInfo = Depends(api_user)) -> Any:
    store = store_of(request)
    map_access(store, user, map_id)
    return [asdict(a) for a in store.analyses(map_id)]


@router.get("/maps/{map_id}/analyses/{analysis_id}", response_model=schemas.AnalysisResultOut)
def analysis(
    request: Request,
    map_id: Id,
    analysis_id: Id,
    include_result: bool = False,
    user: UserInfo = Depends(api_user),
) -> Any:
    """Status and progress; with ``include_result=true`` also the stored analysis JSON."""
    store = store_of(request)
    map_access(store, user, map_id)
    try:
        info = store.get_analysis(map_id, analysis_id, full=include_result)
    except NotFound as error:
        raise HTTPException(404, str(error)) from None
    journey = store.load_journey(map_id, info.map_version)[0] if info.result else None
    return {**asdict(info), "step_metrics": metrics_for(info.result, info.insights, journey)}


@router.get("/maps/{map_id}/pain-points", response_model=list[schemas.PainPointOut])
def pain_points(request: Request, map_id: Id, user: UserInfo = Depends(api_user)) -> Any:
    store = store_of(request)
    map_access(store, user, map_id)
    journey, _ = store.load_journey(map_id)
    return board(journey, store.decisions(map_id), _latest_insights(store, map_id))


def _latest_insights(store: Store, map_id: int) -> dict[str, Any] | None:
    latest = store.latest_analysis(map_id)
    return latest.insights if latest else None


@router.put("/maps/{map_id}/pain-points", response_model=list[schemas.PainPointOut])
def decide(
    request: Request, map_id: Id, body: schemas.DecisionIn, user: UserInfo = Depends(api_user)
) -> Any:
    store = store_of(request)
    map_access(store, user, map_id, "editor")
    journey, _ = store.load_journey(map_id)
    insights = _latest_insights(store, map_id)
    if body.pain_point not in {row["key"] for row in board(journey, {}, insights)}:
        raise HTTPException(404, "no such pain point in the map or its latest analysis")
    store.set_decision(
        map_id,
        body.pain_point,
        body.status,
        owner=body.owner,
        opportunity_id=body.opportunity_id,
        note=body.note,
        user_id=user.id,
    )
    return board(journey, store.decisions(map_id), insights)


@router.get("/tokens", response_model=list[schemas.TokenOut])
def tokens(request: Request, user: UserInfo = Depends(api_user)) -> Any:
    return [asdict(t) for t in store_of(request).tokens(user.id)]


@router.post("/tokens", response_model=schemas.NewTokenOut, status_code=201)
def create_token(
    request: Request, body: schemas.TokenIn, user: UserInfo = Depends(api_user)
) -> Any:
    days = token_days(request, body.days)
    info, secret = store_of(request).create_token(user.id, body.name, body.scope, days)
    return {**asdict(info), "token": secret}


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(request: Request, token_id: Id, user: UserInfo = Depends(api_user)) -> None:
    try:
        store_of(request).revoke_token(user.id, token_id)
    except NotFound as error:
        raise HTTPException(404, str(error)) from None


__all__ = ["router"]
