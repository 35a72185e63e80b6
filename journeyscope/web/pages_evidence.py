"""Pages: evidence uploads and their analyses (status, flows, funnel, quarantine), pain points."""

from __future__ import annotations

import copy
import json
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from markupsafe import Markup

from ..store import DECISIONS, AnalysisInfo, NotFound, Store, UserInfo
from . import actions
from .auth import DbId, map_access, page_user, read_form, store_of
from .evidence import charts
from .i18n import translator
from .pages_auth import redirect
from .painpoints import board, insights_available
from .rendering import Recent, language, render
from .words import Words, names_of

router = APIRouter(include_in_schema=False)


@router.get("/maps/{map_id}/evidence")
def evidence(request: Request, map_id: DbId, user: UserInfo = Depends(page_user)) -> Response:
    access = map_access(store_of(request), user, map_id)
    context = {
        "info": access.map,
        "can_edit": access.can("editor"),
        "analyses": store_of(request).analyses(map_id),
        "limit": request.app.state.settings.max_upload_bytes,
    }
    return render(request, "evidence.html", context)


@router.post("/maps/{map_id}/evidence")
async def upload(request: Request, map_id: DbId, user: UserInfo = Depends(page_user)) -> Response:
    access = map_access(store_of(request), user, map_id, "editor")
    info = await actions.start_analysis(request, access, user, form_csrf=True)
    return redirect(f"/maps/{map_id}/analyses/{info.id}")


def _analysis(
    request: Request,
    user: UserInfo,
    map_id: DbId,
    analysis_id: DbId,
    parts: tuple[str, ...] = ("result",),
) -> tuple[Any, AnalysisInfo]:
    """The map's access and its analysis with the stored documents the page shows."""
    access = map_access(store_of(request), user, map_id)
    try:
        return access, store_of(request).get_analysis(map_id, analysis_id, full=parts)
    except NotFound as error:
        raise HTTPException(404, str(error)) from None


def _names(result: dict[str, Any]) -> dict[str, str]:
    return {step["id"]: step["name"] for step in result.get("steps", [])}


@router.get("/maps/{map_id}/analyses/{analysis_id}")
def analysis(
    request: Request, map_id: DbId, analysis_id: DbId, user: UserInfo = Depends(page_user)
):
    access, info = _analysis(request, user, map_id, analysis_id)
    result = info.result or {}
    context = {
        "info": access.map,
        "analysis": info,
        "summary": result.get("summary", {}),
        "reach": result.get("reach", []),
        "names": _names(result),
        "problems": result.get("problems", []),
        "words": Words(translator(language(request)), {}),
    }
    return render(request, "analysis.html", context)


#: The drawn charts of recent evaluations: a finished evaluation's result never changes, and
#: drawing its Sankey and funnels is most of the flows and funnel pages' time.
CHARTS: Recent[dict[str, Markup]] = Recent(32)


def _charts(info: AnalysisInfo, page: str) -> dict[str, Markup]:
    """The page's charts of the finished evaluation ``info`` (access already checked); the
    key holds its map, id and times, so an id SQLite gives again never finds another's."""
    keys = ("sankey",) if page == "flows" else ("funnel", "stage_funnel")

    def draw() -> dict[str, Markup]:
        drawn = charts(info.result or {})
        return {k: static_chart(drawn[k]) for k in keys if k in drawn}

    return CHARTS.get((info.map_id, info.id, info.created_at, info.finished_at, page), draw)


@router.get("/maps/{map_id}/analyses/{analysis_id}/{page}")
def analysis_page(
    request: Request,
    map_id: DbId,
    analysis_id: DbId,
    page: str,
    user: UserInfo = Depends(page_user),
) -> Response:
    if page not in ("flows", "funnel", "quarantine"):
        raise HTTPException(404, "no such page")
    parts = ("result", "quarantine") if page == "quarantine" else ("result",)
    access, info = _analysis(request, user, map_id, analysis_id, parts)
    if info.status != "done" or info.result is None:
        return redirect(f"/maps/{map_id}/analyses/{analysis_id}")
    context: dict[str, Any] = {"info": access.map, "analysis": info, "page": page}
    if page == "quarantine":
        context["quarantine"] = info.quarantine or {"report": {}, "rows": []}
    else:
        context["charts"] = _charts(info, page)
        context["flows"] = info.result.get("flows", [])[:30]
        context["funnel"] = info.result.get("funnel", [])
        context["names"] = _names(info.result)
    return render(request, "analysis_page.html", context)


def static_chart(html: str) -> Markup:
    """A Plotly chart with no inline script (the Content-Security-Policy runs none): the
    figure Plotly would draw goes into a ``data-figure`` attribute, and ``static/app.js``
    draws it with the plotly.js the page loads."""
    decoder = json.JSONDecoder()
    start = html.index("Plotly.newPlot(") + len("Plotly.newPlot(")
    parts: list[Any] = []
    while len(parts) < 4:
        while html[start] in " \t\r\n,":
            start += 1
        value, start = decoder.raw_decode(html, start)
        parts.append(value)
    _, data, layout, config = parts
    figure = json.dumps({"data": data, "layout": layout, "config": config})
    return Markup('<div class="plotly-graph-div js-plotly" data-figure="{}"></div>').format(figure)


#: What the board shows of recent evaluations: their detected pain points (a small part of
#: the stored insights) and step names, read once per finished evaluation.
BOARDS: Recent[tuple[dict[str, Any] | None, dict[str, Any]]] = Recent(32)


def _board_evidence(
    store: Store, latest: AnalysisInfo
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The insights the board reads (``pain_points`` and ``error``; None without insights)
    and the result's step names, of the finished evaluation ``latest`` (access checked by
    the caller; keyed by map, id and times). Each caller gets its own copy."""

    def read() -> tuple[dict[str, Any] | None, dict[str, Any]]:
        stored = store.get_analysis(latest.map_id, latest.id, full=("result", "insights"))
        found = stored.insights
        shown: tuple[str, ...] = ("pain_points", "error")
        part = None if found is None else {k: found[k] for k in shown if k in found}
        steps = [{"id": s["id"], "name": s["name"]} for s in (stored.result or {}).get("steps", [])]
        return part, {"steps": steps}

    key = (latest.map_id, latest.id, latest.created_at, latest.finished_at)
    return copy.deepcopy(BOARDS.get(key, read))


@router.get("/maps/{map_id}/pain-points")
def pain_points(request: Request, map_id: DbId, user: UserInfo = Depends(page_user)) -> Response:
    access = map_access(store_of(request), user, map_id)
    store = store_of(request)
    journey, _ = store.load_journey(map_id)
    opportunities = [(o.id, o.title) for _, step in journey.steps() for o in step.opportunities]
    latest = store.latest_analysis(map_id, full=False)
    insights, steps = _board_evidence(store, latest) if latest else (None, None)
    words = Words(translator(language(request)), names_of(steps, journey))
    context = {
        "info": access.map,
        "can_edit": access.can("editor"),
        "rows": board(journey, store.decisions(map_id), insights, words),
        "statuses": DECISIONS,
        "opportunities": opportunities,
        "insights_available": insights_available(),
        "latest": latest,
        "insights_error": (insights or {}).get("error"),
    }
    return render(request, "pain_points.html", context)


@router.post("/maps/{map_id}/pain-points")
async def decide(request: Request, map_id: DbId, user: UserInfo = Depends(page_user)) -> Response:
    form = await read_form(request)
    map_access(store_of(request), user, map_id, "editor")
    store = store_of(request)
    journey, _ = store.load_journey(map_id)
    latest = store.latest_analysis(map_id)
    keys = {row["key"] for row in board(journey, {}, latest.insights if latest else None)}
    key = form.get("pain_point", "")
    if key not in keys or form.get("status") not in DECISIONS:
        raise HTTPException(400, "unknown pain point or status")
    store.set_decision(
        map_id,
        key,
        form["status"],
        owner=form.get("owner", "").strip()[:200] or None,
        opportunity_id=form.get("opportunity_id") or None,
        note=form.get("note", "")[:10_000],
        user_id=user.id,
    )
    return redirect(f"/maps/{map_id}/pain-points")
