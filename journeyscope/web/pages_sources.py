"""Pages: a map's data sources — upload a file, confirm which column is which, analyse."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from ..store import (
    CONNECTION_KINDS,
    REFRESH_INTERVALS,
    SOURCE_ROLES,
    Conflict,
    NotFound,
    SourceInfo,
    Store,
    UserInfo,
)
from .actions import EVENT_SUFFIXES
from .api import ERRORS
from .auth import (
    DbId,
    MapAccess,
    api_user,
    check_csrf,
    map_access,
    page_user,
    read_form,
    settings_of,
    store_of,
)
from .connections import connection_fields, keep_only, queue_evaluation, refresh_connection
from .i18n import translator
from .pages_auth import redirect
from .rendering import language, render
from .sources import (
    FIELDS,
    SURVEY_KINDS,
    TIME_FORMATS,
    FileProblem,
    check_mapping,
    delete_kept,
    expiry,
    guess_mapping,
    keep_upload,
    mapping_from_form,
    preview,
    readable_path,
)
from .uploads import receive_upload
from .words import Words

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["api"], responses=ERRORS)

SOURCE_SUFFIXES = (*EVENT_SUFFIXES, ".xlsx")
ZONES = ("UTC", "Europe/London", "Europe/Berlin", "Europe/Warsaw", "Europe/Moscow",
         "Asia/Jerusalem", "America/New_York", "America/Chicago", "America/Los_Angeles",
         "Asia/Tokyo", "Australia/Sydney")  # fmt: skip


def _data_dir(request: Request) -> Path:
    return Path(settings_of(request).data_dir)


def prune_expired(request: Request) -> int:
    """Delete kept files past the retention (their periods go with them)."""
    store = store_of(request)
    expired = store.expired_source_files(expiry(settings_of(request).source_retention_days))
    for kept in expired:
        delete_kept(_data_dir(request), kept.stored)
        store.delete_source_file(kept.source_id, kept.id)
    return len(expired)


def _source(store: Store, map_id: int, source_id: int) -> SourceInfo:
    try:
        return store.get_source(map_id, source_id)
    except NotFound:
        raise HTTPException(404, "no such data source") from None


@router.get("/maps/{map_id}/sources")
def sources_page(request: Request, map_id: DbId, user: UserInfo = Depends(page_user)) -> Response:
    access = map_access(store_of(request), user, map_id)
    prune_expired(request)
    return _sources_page(request, access)


def _sources_page(
    request: Request, access: MapAccess, error: FileProblem | None = None, status: int = 200
) -> Response:
    store = store_of(request)
    sources = store.sources(access.map.id)
    settings = settings_of(request)
    words = Words(translator(language(request)), {})
    context = {
        "info": access.map,
        "can_edit": access.can("editor"),
        "sources": sources,
        "roles": SOURCE_ROLES,
        "limit": settings.max_upload_bytes,
        "retention": settings.source_retention_days,
        "ready": any(s.role == "events" and s.ready for s in sources),
        "analyses": store.analyses(access.map.id)[:5],
        "error": error,
        "accept": ",".join(SOURCE_SUFFIXES),
        "reason_words": words.reason,
        "location_words": words.location,
        "is_owner": access.can("owner"),
        "databases": sorted(settings.connection_databases),
        "files_allowed": bool(settings.connection_paths),
        "kinds": CONNECTION_KINDS,
        "intervals": REFRESH_INTERVALS,
        "uploaded": [s for s in sources if s.connection is None],
    }
    return render(request, "sources.html", context, status)


@api_router.get("/maps/{map_id}/sources", summary="The data sources of a map")
def sources_json(
    request: Request, map_id: DbId, user: UserInfo = Depends(api_user)
) -> list[dict[str, Any]]:
    """Each source with its periods (rows read and loaded) and, for a server-side connection,
    how often it is read and how the last reading went (``problem``: one word of
    ``journeyscope.web.connections.PROBLEMS``). Where it reads from is shown to workspace
    owners only; a database is named, never given by its address."""
    access = map_access(store_of(request), user, map_id)
    return [_source_json(s, access.can("owner")) for s in store_of(request).sources(map_id)]


def _source_json(source: SourceInfo, owner: bool) -> dict[str, Any]:
    periods = [{"period": f.period, "file": f.filename, "confirmed": f.confirmed,
                "created_at": f.created_at.isoformat(), "read": (f.report or {}).get("read"),
                "loaded": (f.report or {}).get("loaded")} for f in source.files]  # fmt: skip
    out: dict[str, Any] = {"id": source.id, "name": source.name, "role": source.role,
                           "periods": periods, "connection": None}  # fmt: skip
    c = source.connection
    if c is not None:
        read_at = c.read_at.isoformat() if c.read_at else None
        out["connection"] = {"refresh": c.refresh, "state": c.state, "problem": c.problem,
                             "rows": c.rows, "read_at": read_at}  # fmt: skip
        if owner:
            out["connection"].update(kind=c.kind, database=c.database, path=c.path,
                                     table_name=c.table_name, query=c.query)  # fmt: skip
    return out


@router.post("/maps/{map_id}/sources")
async def upload(request: Request, map_id: DbId, user: UserInfo = Depends(page_user)) -> Response:
    store, settings = store_of(request), settings_of(request)
    access = map_access(store, user, map_id, "editor")
    sent = await receive_upload(
        request, _data_dir(request) / "uploads", settings.max_upload_bytes,
        suffixes=SOURCE_SUFFIXES,
    )  # fmt: skip
    try:
        check_csrf(request, sent.fields.get("csrf_token"))
        if sent.path is None or not sent.filename:
            raise FileProblem("file", "sources.error.no_file")
        if not sent.filename.lower().endswith(SOURCE_SUFFIXES):
            raise FileProblem("file", "sources.error.kind_of_file",
                              {"kinds": ", ".join(SOURCE_SUFFIXES)})  # fmt: skip
        source = _target_source(store, access, sent.fields, user)
        kept = store.add_source_file(source.id, sent.filename, "pending", sent.size, user.id)
        folder = _data_dir(request) / "sources" / str(source.id)
        try:
            stored = keep_upload(sent.path, sent.filename, folder, kept.id)
        except FileProblem:
            store.delete_source_file(source.id, kept.id)
            raise
        store.set_source_file_stored(kept.id, stored)
    except FileProblem as problem:
        sent.discard()
        return _sources_page(request, access, problem, 400)
    except HTTPException:
        sent.discard()
        raise
    return redirect(f"/maps/{map_id}/sources/{source.id}/files/{kept.id}")


def _target_source(
    store: Store, access: MapAccess, fields: dict[str, str], user: UserInfo
) -> SourceInfo:
    """The source a file goes to: an existing one of the map (a new period), or a new one."""
    existing = fields.get("source", "new")
    if existing != "new":
        if not existing.isdigit():
            raise FileProblem("source", "sources.error.source")
        chosen = _source(store, access.map.id, int(existing))
        if chosen.connection is not None:  # its periods come from the server, not uploads
            raise FileProblem("source", "sources.error.source")
        return chosen
    role = fields.get("role", "")
    if role not in SOURCE_ROLES:
        raise FileProblem("role", "sources.error.role")
    name = fields.get("name", "").strip()[:200] or fields.get("default_name", role)
    try:
        return store.create_source(access.map.id, name, role, user.id)
    except Conflict:
        raise FileProblem("name", "sources.error.name_taken", {"name": name}) from None


def _file(store: Store, access: MapAccess, source_id: int, file_id: int) -> tuple[SourceInfo, Any]:
    """A kept file of the map's source; a connection's snapshots are its owner's to handle."""
    source = _source(store, access.map.id, source_id)
    if source.connection is not None and not access.can("owner"):
        raise HTTPException(403, "only a workspace owner may change a connection")
    for kept in source.files:
        if kept.id == file_id:
            return source, kept
    raise HTTPException(404, "no such file")


@router.get("/maps/{map_id}/sources/{source_id}/files/{file_id}")
def mapping_page(
    request: Request,
    map_id: DbId,
    source_id: DbId,
    file_id: DbId,
    user: UserInfo = Depends(page_user),
) -> Response:
    access = map_access(store_of(request), user, map_id, "editor")
    return _mapping_page(request, access, source_id, file_id)


def _mapping_page(
    request: Request,
    access: MapAccess,
    source_id: int,
    file_id: int,
    chosen: dict[str, Any] | None = None,
    error: FileProblem | None = None,
) -> Response:
    source, kept = _file(store_of(request), access, source_id, file_id)
    try:
        sample = preview(readable_path(_data_dir(request), kept.stored))
    except FileProblem as problem:
        return _sources_page(request, access, problem, 400)
    guessed = guess_mapping(source.role, sample)
    if chosen is None:  # a later period keeps the source's mapping where its columns fit
        known = source.mapping or {}
        fits = all(v in sample.columns for n, v in known.items() if n in FIELDS[source.role] and v)
        chosen = {**guessed, **known} if known and fits else guessed
    context = {
        "info": access.map,
        "source": source,
        "file": kept,
        "preview": sample,
        "fields": FIELDS[source.role],
        "chosen": chosen,
        "used": [chosen.get(name) for name in FIELDS[source.role]],
        "guessed": guessed,
        "error": error,
        "formats": TIME_FORMATS,
        "zones": ZONES,
        "kinds": SURVEY_KINDS,
    }
    return render(request, "sources_mapping.html", context, 400 if error else 200)


@router.post("/maps/{map_id}/sources/{source_id}/files/{file_id}")
async def confirm(
    request: Request,
    map_id: DbId,
    source_id: DbId,
    file_id: DbId,
    user: UserInfo = Depends(page_user),
) -> Response:
    form = await read_form(request)
    store = store_of(request)
    access = map_access(store, user, map_id, "editor")
    source, kept = _file(store, access, source_id, file_id)
    path = readable_path(_data_dir(request), kept.stored)
    chosen: dict[str, Any] = {name: form.get(name) or None for name in FIELDS[source.role]}
    chosen.update(ts_format=form.get("ts_format"), timezone=form.get("timezone"))
    chosen["attributes"] = [k[5:] for k in form if k.startswith("attr:")]
    chosen["default_kind"] = form.get("default_kind")
    try:
        mapping = mapping_from_form(source.role, form, preview(path).columns)
        report = check_mapping(source.role, path, mapping)
    except FileProblem as problem:
        return _mapping_page(request, access, source_id, file_id, chosen, problem)
    store.confirm_source_file(source_id, file_id, mapping, report)
    if source.connection is not None:  # the confirmed snapshot replaces the ones before
        keep_only(store, _data_dir(request), source, file_id)
    return redirect(f"/maps/{map_id}/sources#source-{source_id}")


@router.post("/maps/{map_id}/sources/{source_id}/files/{file_id}/delete")
async def delete_file(
    request: Request,
    map_id: DbId,
    source_id: DbId,
    file_id: DbId,
    user: UserInfo = Depends(page_user),
) -> Response:
    await read_form(request)
    store = store_of(request)
    access = map_access(store, user, map_id, "editor")
    _, kept = _file(store, access, source_id, file_id)
    delete_kept(_data_dir(request), kept.stored)
    store.delete_source_file(source_id, file_id)
    return redirect(f"/maps/{map_id}/sources")


@router.post("/maps/{map_id}/sources/analyse")
async def analyse(request: Request, map_id: DbId, user: UserInfo = Depends(page_user)) -> Response:
    await read_form(request)
    store = store_of(request)
    access = map_access(store, user, map_id, "editor")
    info = start_source_analysis(request, access, user)
    if info is None:
        problem = FileProblem("file", "sources.error.no_events")
        return _sources_page(request, access, problem, 400)
    return redirect(f"/maps/{map_id}/analyses/{info.id}")


def start_source_analysis(request: Request, access: MapAccess, user: UserInfo) -> Any:
    """Queue the evaluation of the map's confirmed sources (None: no events source yet)."""
    runner = request.app.state.runner
    return queue_evaluation(store_of(request), _data_dir(request), runner, access.map.id, user.id)


# --- server-side connections: a workspace owner's to create, change and delete -------------


@router.post("/maps/{map_id}/connections")
async def create_connection(
    request: Request, map_id: DbId, user: UserInfo = Depends(page_user)
) -> Response:
    form = await read_form(request)
    store, settings = store_of(request), settings_of(request)
    access = map_access(store, user, map_id, "owner")
    try:
        fields = connection_fields(form, settings)
        role = form.get("role", "")
        if role not in SOURCE_ROLES:
            raise FileProblem("role", "sources.error.role")
        name = form.get("name", "").strip()[:200] or role
        try:
            source = store.create_source(map_id, name, role, user.id, connection=fields)
        except Conflict:
            raise FileProblem("name", "sources.error.name_taken", {"name": name}) from None
        reading = refresh_connection(store, settings, source, confirm=False)
        if reading is None:  # the first read failed: nothing is kept, the owner corrects it
            problem = _source(store, map_id, source.id).connection
            store.delete_source(map_id, source.id)
            assert problem is not None
            raise FileProblem("connection", f"connections.problem.{problem.problem}")
    except FileProblem as problem:
        return _sources_page(request, access, problem, 400)
    return redirect(f"/maps/{map_id}/sources/{source.id}/files/{reading.file_id}")


def _connection_source(
    request: Request, user: UserInfo, map_id: int, source_id: int
) -> tuple[MapAccess, SourceInfo]:
    access = map_access(store_of(request), user, map_id, "owner")
    source = _source(store_of(request), map_id, source_id)
    if source.connection is None:
        raise HTTPException(404, "this source has no connection")
    return access, source


@router.post("/maps/{map_id}/connections/{source_id}")
async def edit_connection(
    request: Request, map_id: DbId, source_id: DbId, user: UserInfo = Depends(page_user)
) -> Response:
    """New settings of a connection: read at once, the snapshot's columns confirmed again."""
    form = await read_form(request)
    store, settings = store_of(request), settings_of(request)
    access, _ = _connection_source(request, user, map_id, source_id)
    try:
        store.update_connection(source_id, **connection_fields(form, settings))
        reading = refresh_connection(
            store, settings, _source(store, map_id, source_id), confirm=False
        )
        if reading is None:
            problem = _source(store, map_id, source_id).connection
            assert problem is not None
            raise FileProblem("connection", f"connections.problem.{problem.problem}")
    except FileProblem as problem:
        return _sources_page(request, access, problem, 400)
    return redirect(f"/maps/{map_id}/sources/{source_id}/files/{reading.file_id}")


@router.post("/maps/{map_id}/connections/{source_id}/read")
async def read_connection_now(
    request: Request, map_id: DbId, source_id: DbId, user: UserInfo = Depends(page_user)
) -> Response:
    """Read the connection now instead of at its next scheduled time; changed rows are
    analysed at once, as the scheduler would."""
    await read_form(request)
    store, settings = store_of(request), settings_of(request)
    _, source = _connection_source(request, user, map_id, source_id)
    reading = refresh_connection(store, settings, source)
    if reading is not None and not reading.confirmed:
        return redirect(f"/maps/{map_id}/sources/{source_id}/files/{reading.file_id}")
    if reading is not None and reading.changed:
        runner = request.app.state.runner
        queue_evaluation(store, _data_dir(request), runner, map_id, user.id)
    return redirect(f"/maps/{map_id}/sources#source-{source_id}")


@router.post("/maps/{map_id}/connections/{source_id}/delete")
async def delete_connection(
    request: Request, map_id: DbId, source_id: DbId, user: UserInfo = Depends(page_user)
) -> Response:
    """The connection goes with its source and its snapshots (analyses made stay)."""
    await read_form(request)
    store = store_of(request)
    _, source = _connection_source(request, user, map_id, source_id)
    for kept in source.files:
        delete_kept(_data_dir(request), kept.stored)
    store.delete_source(map_id, source_id)
    return redirect(f"/maps/{map_id}/sources")
