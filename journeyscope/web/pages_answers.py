"""Pages: the answers of the newest evaluation — overview, validation, pain points with money,
KPIs against targets, improvement verdicts, feelings — and its JSON at
``/api/maps/{id}/evaluation``. Every number is read from the stored evaluation; nothing is
computed again."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from markupsafe import Markup

from ..render.evidence_charts import FeelingPoint, feelings_svg, kpi_svg
from ..store import AnalysisInfo, UserInfo
from .api import ERRORS
from .auth import DbId, api_user, map_access, page_user, store_of
from .i18n import translator
from .rendering import language, render
from .words import Words, names_of

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["api"], responses=ERRORS)

PAGES = ("validation", "pain-points", "kpis", "improvements", "feelings")


@api_router.get(
    "/maps/{map_id}/evaluation",
    summary="The newest evaluation of a map (insights JSON)",
)
def evaluation_json(
    request: Request, map_id: DbId, user: UserInfo = Depends(api_user)
) -> dict[str, Any]:
    """The document ``journeyscope insights --format json`` prints for the same map and data:
    validation, pain points with value at risk and handling cost, segments, KPIs per period,
    improvements, the emotion curve, staleness — of the map's newest finished analysis."""
    store = store_of(request)
    map_access(store, user, map_id)
    latest = store.latest_analysis(map_id)
    if latest is None or not latest.insights:
        raise HTTPException(404, "this map has no finished analysis yet")
    return latest.insights


def _context(request: Request, user: UserInfo, map_id: int) -> dict[str, Any]:
    store = store_of(request)
    access = map_access(store, user, map_id)
    latest: AnalysisInfo | None = store.latest_analysis(map_id)
    journey, _ = store.load_journey(map_id, latest.map_version if latest else None)
    insights = (latest.insights if latest else None) or {}
    words = Words(translator(language(request)), names_of(latest.result if latest else None,
                                                          journey))  # fmt: skip
    return {
        "info": access.map,
        "can_edit": access.can("editor"),
        "latest": latest,
        "ins": insights,
        "summary": (latest.result or {}).get("summary", {}) if latest else {},
        "w": words,
        "journey": journey,
    }


@router.get("/maps/{map_id}/answers")
def overview(request: Request, map_id: DbId, user: UserInfo = Depends(page_user)) -> Response:
    context = _context(request, user, map_id)
    ins = context["ins"]
    points = sorted(ins.get("pain_points", []), key=lambda p: -(p.get("priority") or 0))
    context.update(page="overview", top=points[:3])
    return render(request, "answers.html", context)


@router.get("/maps/{map_id}/answers/{page}")
def answers_page(
    request: Request, map_id: DbId, page: str, user: UserInfo = Depends(page_user)
) -> Response:
    if page not in PAGES:
        raise HTTPException(404, "no such page")
    context = _context(request, user, map_id)
    context["page"] = page
    ins, words = context["ins"], context["w"]
    if page == "kpis":
        context["charts"] = {k["kpi"]: _kpi_chart(k, words) for k in ins.get("kpis", [])}
        # the KPIs with values first, each group in the map's order
        context["kpis"] = sorted(ins.get("kpis", []), key=lambda k: k.get("last") is None)
    if page == "feelings":
        context["chart"] = _feelings_chart(context, words, language(request) == "he")
    if page == "pain-points":
        context["points"] = sorted(ins.get("pain_points", []),
                                   key=lambda p: -(p.get("priority") or 0))  # fmt: skip
    return render(request, "answers.html", context)


def _kpi_chart(kpi: dict[str, Any], words: Words) -> Markup:
    periods = [(str(p.get("period", "")), p.get("value")) for p in kpi.get("periods", [])]
    svg = kpi_svg(
        periods, kpi.get("target"), title=words._("kpi.chart", name=kpi.get("name", "")),
        value_label=words._("kpi.actual"), target_label=words._("kpi.target"),
        percent=kpi.get("unit") == "%",
    )  # fmt: skip
    return Markup(svg)


def _feelings_chart(context: dict[str, Any], words: Words, rtl: bool) -> Markup:
    journey = context["journey"]
    points = [
        FeelingPoint(words.name(p.get("step")), p.get("assumed"), p.get("mean"), p.get("low"),
                     p.get("high"))
        for p in context["ins"].get("emotion_curve", [])
    ]  # fmt: skip
    scale = journey.emotion_scale
    svg = feelings_svg(
        points, scale.min, scale.max, title=words._("feelings.chart"),
        drawn_label=words._("feelings.drawn"), measured_label=words._("feelings.measured"),
        rtl=rtl,
    )  # fmt: skip
    return Markup(svg)
