"""Pages: the map editor and what it shows when two people changed the same thing."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from ..model import KNOWN_CHANNELS, JourneyMap
from ..model import MapState as EditState
from ..model.merge import Conflict
from ..render.media import STAGE_PALETTE
from ..store import NotFound, UserInfo
from . import actions
from .auth import DbId, MapAccess, map_access, page_user, read_form, store_of
from .editor import CHOICE, step_form
from .i18n import translator
from .pages_auth import redirect
from .rendering import language, render

router = APIRouter(include_in_schema=False)
#: the built-in lanes the editor offers to place a custom lane after
LANE_PLACES = ("actions", "touchpoints", "thoughts", "needs", "pain_points", "opportunities")
EDITOR_JS = Path(__file__).parent / "static" / "editor.js"


@cache
def script_keys() -> tuple[str, ...]:
    """The UI strings editor.js asks for (``S["key"]``, ``say("key")``)."""
    text = EDITOR_JS.read_text(encoding="utf-8")
    return tuple(sorted(set(re.findall(r'(?:S\[|say\()"([a-z_.]+)"', text))))


def board_strings(lang: str) -> dict[str, str]:
    """What the editor's script needs: its strings and the channel names, in ``lang``."""
    say = translator(lang)
    return {
        "strings": json.dumps({key: say(key) for key in script_keys()}, ensure_ascii=False),
        "channels": json.dumps(
            {c: say(f"channel.{c}") for c in KNOWN_CHANNELS}, ensure_ascii=False
        ),
    }


def _access(request: Request, user: UserInfo, map_id: int, need: str) -> MapAccess:
    return map_access(store_of(request), user, map_id, need)


@router.get("/maps/{map_id}/edit")
def editor(
    request: Request,
    map_id: DbId,
    state: EditState = "current",
    user: UserInfo = Depends(page_user),
) -> Response:
    access = _access(request, user, map_id, "editor")
    journey, _ = store_of(request).load_journey(map_id)
    if state == "future" and journey.future is None:
        state = "current"
    stages = journey.future.stages if state == "future" and journey.future else journey.stages
    context = {
        "info": access.map,
        "journey": journey,
        "state": state,
        "stages": stages,
        "forms": {step.id: step_form(step) for stage in stages for step in stage.steps},
        "feeling_rows": [("", None)] + [(p.id, p.name) for p in journey.personas],
        "open": request.query_params.get("open", ""),
        "saved": request.query_params.get("saved", ""),
        **board_strings(language(request)),
        "palette": json.dumps(STAGE_PALETTE),
        "lane_places": LANE_PLACES,
        "members": json.dumps(
            [m.user.name for m in store_of(request).members(access.map.workspace_id)],
            ensure_ascii=False,
        ),
    }
    return render(request, "editor.html", context)


@router.post("/maps/{map_id}/edit")
async def edit_submit(
    request: Request, map_id: DbId, user: UserInfo = Depends(page_user)
) -> Response:
    form = await read_form(request)
    access = _access(request, user, map_id, "editor")
    try:
        base = int(form.get("base_version", ""))
    except ValueError:
        raise HTTPException(400, "the edit does not say which version it was based on") from None
    saved = actions.edit(store_of(request), access, form, base, user)
    if saved.stale is not None:
        return _conflict(request, access, saved.stale, form)
    anchor = form.get("step") or form.get("stage") or form.get("persona") or form.get("kpi") or ""
    future = form.get("state") == "future" or form.get("op") == "add_future"
    query = {"state": "future"} if future else {}
    query["saved"] = "merged" if saved.merged else "1"
    if anchor:
        query["open"] = anchor
    target = f"/maps/{map_id}/edit?{urlencode(query)}"
    return redirect(target + (f"#el-{anchor}" if anchor else ""))


PER_PAGE = 20


@router.get("/maps/{map_id}/history")
def history(
    request: Request,
    map_id: DbId,
    page: int = Query(1, ge=1, le=1_000_000),
    user: UserInfo = Depends(page_user),
) -> Response:
    """The versions, newest first, a page at a time, each with what changed (stored)."""
    access = _access(request, user, map_id, "viewer")
    versions, total = store_of(request).version_page(map_id, (page - 1) * PER_PAGE, PER_PAGE)
    context = {
        "info": access.map,
        "versions": versions,
        "page": page,
        "pages": max(1, -(-total // PER_PAGE)),
        "can_edit": access.can("editor"),
    }
    return render(request, "history.html", context)


@router.get("/maps/{map_id}/compare")
def compare(
    request: Request,
    map_id: DbId,
    a: Annotated[int, Query(ge=1, le=2_147_483_647)],
    b: Annotated[int, Query(ge=1, le=2_147_483_647)],
    user: UserInfo = Depends(page_user),
) -> Response:
    """What changed from version ``a`` to version ``b`` (any two, either way round)."""
    access = _access(request, user, map_id, "viewer")
    try:
        changes = store_of(request).diff_versions(map_id, a, b)
    except NotFound as error:
        raise HTTPException(404, str(error)) from None
    context = {"info": access.map, "a": a, "b": b, "changes": changes}
    return render(request, "compare.html", context)


def _conflict(request: Request, access: MapAccess, stale: Any, form: dict[str, str]) -> Response:
    conflicts: list[Conflict] = getattr(stale, "conflicts", [])
    journey, _ = store_of(request).load_journey(access.map.id, stale.current)
    say = translator(language(request))
    resend = {
        k: v for k, v in form.items() if k != "csrf_token" and not k.startswith(CHOICE)
    }  # base_version stays the edit's own: the merge starts from it again
    rows = [
        {
            "key": CHOICE + c.key,
            "label": conflict_label(c, journey, say),
            "mine": _shown(c.mine),
            "theirs": _shown(c.theirs),
            "joinable": c.joinable,
        }
        for c in conflicts
    ]
    context = {"info": access.map, "stale": stale, "resend": resend, "conflicts": rows}
    return render(request, "conflict.html", context, status=409)


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return "" if value is None else str(value)


def conflict_label(conflict: Conflict, journey: JourneyMap, say: Any) -> str:
    """Where the conflict is, in words: e.g. ``Step "Pay" · Name``."""
    path = list(conflict.path)
    if path[0] == "future":
        path = path[1:]
    where = ""
    kinds = {"step": "step", "stage": "stage", "personas": "persona", "kpis": "kpi"}
    if path[0] in kinds and len(path) > 2:
        kind, ident, path = kinds[path[0]], path[1], path[2:]
        where = f'{say("merge.kind." + kind)} "{_name_of(journey, ident)}" · '
    words = []
    for part in path:
        if part.startswith("persona:"):
            persona = part.removeprefix("persona:")
            words.append(_name_of(journey, persona) if persona else say("edit.everyone"))
        else:
            text = say(f"field.{part}")
            words.append(text if text != f"field.{part}" else part.replace("_", " "))
    return where + " · ".join(words)


def _name_of(journey: JourneyMap, ident: str) -> str:
    names: dict[str, str] = {p.id: p.name for p in journey.personas}
    names.update((k.id, k.name) for k in journey.kpis)
    for state in ("current", "future") if journey.future else ("current",):
        for stage in journey.stages_of(state):
            names[stage.id] = stage.name
            for step in stage.steps:
                names[step.id] = step.name
                names.update((t.id, t.name) for t in step.touchpoints)
                names.update((o.id, o.title) for o in step.opportunities)
    return names.get(ident, ident)
