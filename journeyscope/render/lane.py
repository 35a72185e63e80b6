"""The map's evidence lane: one function, :func:`evidence_lane`, gives every step's figures for
the report, the workspace and the story alike, in the map's language.

Per step: customers reached and their share, funnel conversion and the median wait from the
previous step (from the analysis); the highest-priority pain points found in the evidence with
the customers and money at stake, the feeling measured in surveys and the status of the KPIs
on the step's touchpoints (from the insights).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..model import JourneyMap
from .labels import labels_for

if TYPE_CHECKING:  # values in: the lane needs neither engine nor statistics to draw them
    from ..analytics import Analysis
    from ..insights import Insights

__all__ = [
    "PAIN_POINTS_PER_STEP",
    "LaneFigures",
    "add_feelings_and_kpis",
    "add_pain_points",
    "duration",
    "evidence_lane",
    "lane_pain_points",
    "pain_point_figure",
    "pain_point_label",
    "step_metrics",
]

#: step id -> label -> figure, in the order the lane shows them
LaneFigures = dict[str, dict[str, str | float]]

PAIN_POINTS_PER_STEP = 2


def duration(seconds: float | None) -> str:
    """Seconds as people read them: 40 s, 7 min, 3.2 h, 4.1 days.

    >>> duration(40), duration(420), duration(11520), duration(357000), duration(None)
    ('40 s', '7 min', '3.2 h', '4.1 days', '–')
    """
    if seconds is None:
        return "–"
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if abs(seconds) >= size * (1 if unit != "min" else 2):
            value = seconds / size
            return f"{value:.0f} {unit}" if unit == "min" else f"{value:.1f} {unit}"
    return f"{seconds:.0f} s"


def _words(language: str) -> dict[str, Any]:
    return dict(labels_for(language)["evidence_lane"])


def evidence_lane(
    journey: JourneyMap | None,
    analysis: Analysis | None = None,
    insights: Insights | Mapping[str, Any] | None = None,
    segment: str = "all",
) -> LaneFigures:
    """Every step's evidence figures (``segment`` of a segmented analysis), in the map's
    language. ``insights`` is the result (anything with its ``to_dict()``) or its stored JSON."""
    language = journey.language if journey is not None else "en"
    people = {p.id: p.name for p in journey.personas} if journey is not None else {}
    metrics = (
        step_metrics(analysis, segment, language, people.get(segment, segment))
        if analysis is not None
        else {}
    )
    data = insights if isinstance(insights, Mapping) or insights is None else insights.to_dict()
    if data and not data.get("error"):
        add_pain_points(metrics, data.get("pain_points") or [], language, people)
        add_feelings_and_kpis(metrics, data, journey)
    return metrics


def step_metrics(
    analysis: Analysis, segment: str = "all", language: str = "en", label: str | None = None
) -> LaneFigures:
    """Per step: customers and share reached, funnel conversion and the median wait. In a
    segmented analysis the figures are the segment's, and their first label says so (the pain
    points beside them are about every customer)."""
    words = _words(language)
    customers = words["customers"] + ("" if segment == "all" else f" ({label or segment})")
    metrics: LaneFigures = {}
    for row in analysis.tables["reach"].to_pylist():
        if row["segment"] == segment:
            metrics[row["step"]] = {
                customers: f"{row['customers']:,}",
                words["reach"]: f"{row['share']:.0%}",
            }
    funnel = analysis.tables["funnel"].to_pylist() if "funnel" in analysis.tables else []
    for row in funnel:
        if row["segment"] == segment and row["step"] in metrics:
            share = f"{row['conversion']:.0%}"
            metrics[row["step"]][words["funnel"]] = words["of_entrants"].format(share=share)
            if row.get("median_seconds_from_previous") is not None:
                wait = duration(row["median_seconds_from_previous"])
                metrics[row["step"]][words["wait"]] = wait
    return metrics


def add_feelings_and_kpis(
    metrics: LaneFigures, insights: Mapping[str, Any], journey: JourneyMap | None = None
) -> LaneFigures:
    """The measured feeling per step (survey answers on the map's emotion scale) and, with the
    map, the status of each KPI on the steps and touchpoints it names."""
    words = _words(journey.language if journey is not None else "en")
    for point in insights.get("emotion_curve") or []:
        if point.get("mean") is not None and point.get("answers"):
            feeling = f"{point['mean']:+.1f} (n={point['answers']:,})"
            metrics.setdefault(point["step"], {})[words["feeling"]] = feeling
    if journey is None:
        return metrics
    owner = {tp.id: step.id for _, step in journey.steps() for tp in step.touchpoints}
    owner |= {step.id: step.id for _, step in journey.steps()}
    names = {kpi.id: kpi.touchpoints for kpi in journey.kpis}
    for kpi in insights.get("kpis") or []:
        if kpi.get("last") is None or kpi.get("status") not in ("met", "missed"):
            continue
        for element in names.get(kpi["kpi"], []):
            if element in owner:
                value = f"{kpi['last']:.3g} ({words[kpi['status']]})"
                metrics.setdefault(owner[element], {})[words["kpi"].format(name=kpi["name"])] = (
                    value
                )
    return metrics


def pain_point_figure(point: Mapping[str, Any], language: str = "en") -> str:
    """A pain point's size as the lane and the story show it: its rate, the customers
    affected, the value at risk and the handling cost (``38%, 1,234 customers, 3,059 at
    risk``)."""
    words = _words(language)
    parts = [words["people"].format(count=f"{point.get('customers_affected') or 0:,}")]
    if point.get("severity") is not None:
        parts.insert(0, f"{point['severity']:.0%}")
    if point.get("value_at_risk"):
        parts.append(words["at_risk"].format(money=f"{point['value_at_risk']:,.0f}"))
    if point.get("handling_cost"):
        parts.append(words["cost"].format(money=f"{point['handling_cost']:,.0f}"))
    return ", ".join(parts)


def pain_point_label(
    point: Mapping[str, Any], language: str = "en", personas: Mapping[str, str] | None = None
) -> str:
    """``⚠ Drop-off`` (with the segment when it is one; a persona by its name): what the
    finding is, in words."""
    kinds = labels_for(language)["story"]["kinds"]
    kind = kinds.get(point["kind"], str(point["kind"]).replace("_", " "))
    segment = point.get("segment") or "all"
    detail = point.get("segment_detail") or {}
    # the parts, when the document has them: a dimension may itself contain "="
    dim, _, value = segment.partition("=")
    dim, value = detail.get("dimension", dim), detail.get("value", value)
    if dim == "persona" and value in (personas or {}):
        segment = (personas or {})[value]
    return f"⚠ {kind}" + ("" if segment == "all" else f" ({segment})")


def lane_pain_points(
    pain_points: list[Mapping[str, Any]], step: str | None = None
) -> dict[str, list[Mapping[str, Any]]]:
    """Per step customers leave, its highest-priority open pain points (at most
    ``PAIN_POINTS_PER_STEP``; dismissed ones stay out): the lane's choice, shared by the story."""
    chosen: dict[str, list[Mapping[str, Any]]] = {}
    for point in sorted(pain_points, key=lambda p: -(p.get("priority") or 0)):
        steps = point.get("steps") or []
        if not steps or point.get("status") == "dismissed" or (step and steps[0] != step):
            continue
        on_step = chosen.setdefault(steps[0], [])
        if len(on_step) < PAIN_POINTS_PER_STEP:
            on_step.append(point)
    return chosen


def add_pain_points(
    metrics: LaneFigures,
    pain_points: list[Mapping[str, Any]],
    language: str = "en",
    personas: Mapping[str, str] | None = None,
) -> LaneFigures:
    """Put the highest-priority pain points found in the evidence (``Insights.to_dict()``'s
    ``pain_points``) into the lane, on the step customers leave. Returns ``metrics``, extended."""
    for step, points in lane_pain_points(pain_points).items():
        for point in points:
            label = pain_point_label(point, language, personas)
            metrics.setdefault(step, {})[label] = pain_point_figure(point, language)
    return metrics
