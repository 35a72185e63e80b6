"""What pages and the REST API both do, in one place: each page is a thin shell over these."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request

from ..formats import MapFileError, load_template, parse_map
from ..formats.templates import template_names
from ..model import JourneyMap
from ..model.diff import Change
from ..model.merge import Conflict
from ..notify import group_by_language, notify
from ..store import (
    AnalysisInfo,
    CommentInfo,
    MapInfo,
    NotFound,
    StaleVersion,
    Store,
    StoreError,
    UserInfo,
)
from .auth import MapAccess, check_csrf, settings_of, store_of
from .editor import EditError, apply_edit, choices_in, merge_edit
from .evidence import AnalysisRunner, Job, metrics_for
from .i18n import translator
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


class Conflicted(StaleVersion):
    """A stale edit that changed the same field as the edit saved meanwhile: a choice to make."""

    def __init__(self, stale: StaleVersion, conflicts: list[Conflict]):
        super().__init__(stale.base, stale.current, stale.changes)
        self.conflicts = conflicts


@dataclass
class Saved:
    info: MapInfo | None = None
    stale: StaleVersion | None = None
    merged: bool = False  # saved on top of someone else's newer version


def save(
    store: Store,
    access: MapAccess,
    journey: JourneyMap,
    base: int,
    user: UserInfo,
    message: str,
    previous: JourneyMap | None = None,
) -> Saved:
    """Save as a new version; a stale base gives ``Saved(stale=...)`` with the changes since.
    ``previous``: the map of version ``base``, if at hand (saves reading it again)."""
    try:
        info = store.save_map(access.map.id, journey, base, user.id, message, previous)
        return Saved(info=info)
    except StaleVersion as stale:
        return Saved(stale=stale)


MERGE_ATTEMPTS = 5


def edit(store: Store, access: MapAccess, form: dict[str, str], base: int, user: UserInfo) -> Saved:
    """Apply one editor operation to the version it was based on and save it; when others saved
    meanwhile, merge it into theirs field by field (a three-way merge). Only the same field
    changed by both is not saved: ``Saved(stale=Conflicted(...))`` lists the choices."""
    map_id = access.map.id
    if not 1 <= base <= access.map.current_version:
        raise HTTPException(400, f"the edit is based on version {base}, which the map never had")
    original, _ = store.load_journey(map_id, base)
    try:
        mine = apply_edit(original, form)
    except EditError as error:
        raise HTTPException(400, f"the edit was not saved: {error}") from None
    saved, current = Saved(), base
    for _ in range(MERGE_ATTEMPTS):  # someone may save between our read and our save
        candidate, previous = mine, original
        if current != base:
            theirs, _ = store.load_journey(map_id, current)
            try:
                candidate, conflicts = merge_edit(original, mine, theirs, choices_in(form))
            except EditError as error:
                raise HTTPException(400, f"the edit was not saved: {error}") from None
            if conflicts:
                stale = StaleVersion(base, current, store.diff_versions(map_id, base, current))
                return Saved(stale=Conflicted(stale, conflicts))
            previous = theirs
        saved = save(store, access, candidate, current, user, _message(form), previous)
        if saved.info is not None:
            saved.merged = current != base
            return saved
        assert saved.stale is not None
        current = saved.stale.current
    return saved


def _message(form: dict[str, str]) -> str:
    op = form.get("op", "edit")
    target = form.get("step") or form.get("stage") or form.get("persona") or form.get("kpi")
    return f"{op.replace('_', ' ')} {target}" if target else op.replace("_", " ")


def stale_payload(stale: StaleVersion) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "detail": str(stale),
        "base_version": stale.base,
        "current_version": stale.current,
        "changes": [change_dict(c) for c in stale.changes],
    }
    if isinstance(stale, Conflicted):
        # resend the edit with its base_version and fields "choice:<key>": mine|theirs|both
        payload["conflicts"] = [
            {"key": c.key, "path": list(c.path), "base": c.base, "mine": c.mine,
             "theirs": c.theirs, "joinable": c.joinable}
            for c in stale.conflicts
        ]  # fmt: skip
    return payload


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


def mentioned(body: str, members: list[UserInfo]) -> list[UserInfo]:
    """The members a comment @mentions: ``@`` then their name or their e-mail's local part,
    in any case, not followed by a letter or digit.

    >>> ana = UserInfo(1, "ana@example.com", "Ana Lima", "en")
    >>> bo = UserInfo(2, "bo@example.com", "Bo", "en")
    >>> [u.name for u in mentioned("Thanks @ana lima and @bob", [ana, bo])]
    ['Ana Lima']
    """
    found = []
    for member in members:
        names = {member.name, member.email.split("@")[0]}
        pattern = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
        if re.search(rf"(?<![\w@])@(?:{pattern})(?![\w])", body, re.IGNORECASE):
            found.append(member)
    return found


def add_comment(
    request: Request,
    access: MapAccess,
    user: UserInfo,
    element_id: str,
    body: str,
    parent_id: int | None = None,
) -> CommentInfo:
    """Add a comment (or a reply); the members it @mentions are told through the
    notification service (in the app, and by e-mail when the server sends e-mail)."""
    store = store_of(request)
    members = [m.user for m in store.members(access.map.workspace_id)]
    told = [m for m in mentioned(body, members) if m.id != user.id]
    try:
        added = store.add_comment(
            access.map.id, element_id[:80], user.id, body, parent_id, [m.id for m in told]
        )
    except NotFound as error:
        raise HTTPException(404, str(error)) from None
    except StoreError as error:
        raise HTTPException(400, str(error)) from None
    link = f"/maps/{access.map.id}/edit#comment-{added.id}"
    for lang, ids in group_by_language(store, [m.id for m in told]).items():
        say = translator(lang)
        subject = say("threads.mention_subject", name=user.name, map=access.map.title)
        notify(store, settings_of(request), ids, "mention", subject, body[:1000], link,
               access.map.id, webhook=False)  # fmt: skip
    return added


def delete_comment(store: Store, access: MapAccess, user: UserInfo, comment_id: int) -> None:
    """Delete a comment: its author or an owner of the map may (404 / 403 otherwise)."""
    try:
        author = store.comment_author(access.map.id, comment_id)
    except NotFound as error:
        raise HTTPException(404, str(error)) from None
    if author != user.id and not access.can("owner"):
        raise HTTPException(403, "only the author or an owner can delete a comment")
    store.delete_comment(access.map.id, comment_id)
