"""What pages and the REST API both do, in one place: each page is a thin shell over these."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request

from ..formats import MapFileError, load_template, parse_map
from ..formats.templates import template_names
from ..model import JourneyMap
from ..model.diff import Change
from ..store import AnalysisInfo, MapInfo, NotFound, StaleVersion, Store, UserInfo
from .auth import MapAccess, check_csrf, settings_of, store_of
from .editor import EditError, apply_edit
from .evidence import AnalysisRunner, Job, metrics_for
from .uploads import SavedFile, Upload, receive_upload

#: further files an evidence upload may carry, by form field: customer attributes, survey answers
EXTRA_FILES = ("customers", "surveys")
EVENT_SUFFIXES = (".csv", ".tsv", ".parquet", ".jsonl", ".ndjson", ".json", ".xes", ".xes.gz")


def current_workspace(request: Request, user: UserInfo, asked: int | None = None) -> int:
    """The workspace the user works in: ``asked`` (remembered), the session's, or the first."""
    workspaces = store_of(request).workspaces_of(user.id)
    ids = [w.id for w in workspaces]
    if not ids:
        raise HTTPException(404, "you are not a member of any workspace yet")
    for candidate in (asked, request.session.get("ws")):
        if candidate in ids:
            request.session["ws"] = candidate
            return int(candidate)
    return ids[0]


def map_from_text(text: str, filename: str) -> JourneyMap:
    fmt = "json" if filename.lower().endswith(".json") else "yaml"
    try:
        return parse_map(text, filename, fmt)
    except MapFileError as error:
        raise HTTPException(400, f"the map file has problems:\n{error}") from None


def map_from_template(name: str, lang: str) -> JourneyMap:
    if name not in template_names():
        raise HTTPException(400, f"no template {name!r}")
    try:
        return load_template(name, lang)
    except KeyError as error:
        raise HTTPException(400, str(error.args[0])) from None


@dataclass
class Saved:
    info: MapInfo | None = None
    stale: StaleVersion | None = None


def save(
    store: Store, access: MapAccess, journey: JourneyMap, base: int, user: UserInfo, message: str
) -> Saved:
    """Save as a new version; a stale base gives ``Saved(stale=...)`` with the changes since."""
    try:
        return Saved(info=store.save_map(access.map.id, journey, base, user.id, message))
    except StaleVersion as stale:
        return Saved(stale=stale)


def edit(store: Store, access: MapAccess, form: dict[str, str], base: int, user: UserInfo) -> Saved:
    """Apply one editor operation to the version the edit was based on, then save it."""
    journey, _ = store.load_journey(access.map.id)
    if base != access.map.current_version:
        # check staleness before applying, so the user sees what changed, not an odd error
        return save(store, access, journey, base, user, "")
    try:
        edited = apply_edit(journey, form)
    except EditError as error:
        raise HTTPException(400, f"the edit was not saved: {error}") from None
    return save(store, access, edited, base, user, _message(form))


def _message(form: dict[str, str]) -> str:
    op = form.get("op", "edit")
    target = form.get("step") or form.get("stage") or form.get("persona") or form.get("kpi")
    return f"{op.replace('_', ' ')} {target}" if target else op.replace("_", " ")


def stale_payload(stale: StaleVersion) -> dict[str, Any]:
    return {
        "detail": str(stale),
        "base_version": stale.base,
        "current_version": stale.current,
        "changes": [change_dict(c) for c in stale.changes],
    }


def change_dict(change: Change) -> dict[str, Any]:
    data = change.as_dict()
    return {
        key: data[key] for key in ("action", "kind", "id", "name", "field", "section", "sentence")
    }


async def start_analysis(
    request: Request, access: MapAccess, user: UserInfo, *, form_csrf: bool
) -> AnalysisInfo:
    """Stream an event file in (size-limited) — with, optionally, a customers file
    (``customers``) and survey answers (``surveys``) in the same form — queue their evaluation,
    return the queued row.

    Pages post the CSRF token as a form field (``form_csrf``); the API has checked its
    caller already (a Bearer token, or the session with the X-CSRF-Token header)."""
    settings = settings_of(request)
    upload: Upload = await receive_upload(
        request,
        Path(settings.data_dir) / "uploads",
        settings.max_upload_bytes,
        suffixes=EVENT_SUFFIXES,
        extra_fields=EXTRA_FILES,
    )
    if form_csrf:
        try:
            check_csrf(request, upload.fields.get("csrf_token"))
        except HTTPException:
            upload.discard()
            raise
    if upload.path is None or not upload.filename:
        upload.discard()
        raise HTTPException(400, "choose an event file to upload")
    names = [upload.filename, *(saved.filename for saved in upload.extra.values())]
    if not all(name.lower().endswith(EVENT_SUFFIXES) for name in names):
        upload.discard()
        raise HTTPException(400, f"data files must be one of: {', '.join(EVENT_SUFFIXES)}")
    store = store_of(request)
    size = upload.size + sum(saved.size for saved in upload.extra.values())
    info = store.create_analysis(
        access.map.id, access.map.current_version, " + ".join(names), size, user.id
    )
    runner: AnalysisRunner = request.app.state.runner
    events = SavedFile(upload.filename, upload.path, upload.size)
    version = access.map.current_version
    extra = upload.extra
    job = Job(info.id, access.map.id, version, events, extra.get("customers"), extra.get("surveys"))
    runner.submit(job)
    return info


def latest_metrics(
    store: Store, map_id: int, journey: JourneyMap | None = None
) -> tuple[AnalysisInfo | None, Any]:
    """The newest evaluation of a map and its evidence lane (drawn for ``journey``, else for
    the map version it evaluated)."""
    latest = store.latest_analysis(map_id)
    if latest is None:
        return None, None
    if journey is None:
        journey, _ = store.load_journey(map_id, latest.map_version)
    return latest, metrics_for(latest.result, latest.insights, journey)


def delete_comment(store: Store, access: MapAccess, user: UserInfo, comment_id: int) -> None:
    """Delete a comment: its author or an owner of the map may (404 / 403 otherwise)."""
    try:
        author = store.comment_author(access.map.id, comment_id)
    except NotFound as error:
        raise HTTPException(404, str(error)) from None
    if author != user.id and not access.can("owner"):
        raise HTTPException(403, "only the author or an owner can delete a comment")
    store.delete_comment(access.map.id, comment_id)
