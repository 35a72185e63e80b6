"""The story: a self-contained slide deck told from the map.

A title slide (title, personas), one slide per stage (its current state beside its future
state and opportunities) and a closing slide (emotion curves before and after, KPI targets).
Narration from the map file shows as each slide's caption.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from ..model import KPI, JourneyMap, Opportunity, Stage, Step
from .html import _ENV
from .labels import labels_for
from .lane import LaneFigures, evidence_lane, pain_point_figure, pain_point_label
from .media import shown_image
from .story_chart import before_after_svg

if TYPE_CHECKING:
    from ..insights import Insights

__all__ = ["StepView", "StoryStage", "kpi_target", "render_story", "story_stages"]


@dataclass
class StepView:
    """One step as a stage slide shows it."""

    name: str
    kind: str
    actions: list[str]
    touchpoints: list[str]
    emotions: list[str]
    pain_points: list[str]
    delights: list[str]
    measured: list[str] = field(default_factory=list)  # the step's evidence lane


@dataclass
class StoryStage:
    """A stage slide: the current stage, its future counterpart, the opportunities."""

    stage: Stage
    current: list[StepView]
    future: list[StepView]
    future_names: list[str]
    opportunities: list[Opportunity] = field(default_factory=list)
    effects: dict[str, list[str]] = field(default_factory=dict)  # opportunity id -> measured


def _emotions(journey: JourneyMap, step: Step) -> list[str]:
    personas: list[tuple[str | None, str]] = [(p.id, p.name) for p in journey.personas]
    out = []
    for persona_id, name in personas or [(None, "")]:
        feeling = step.feeling_for(persona_id)
        if feeling is None or feeling.score is None:
            continue
        words = f" {', '.join(feeling.words)}" if feeling.words else ""
        score = f"{feeling.score:+g}" if feeling.score else "0"
        out.append(f"{name + ': ' if name else ''}{score}{words}")
    return out


def _measured(step: Step, lane: LaneFigures) -> list[str]:
    """The step's evidence lane, line by line: the same figures the map and report show."""
    return [f"{label}: {figure}" for label, figure in lane.get(step.id, {}).items()]


def _effects(insights: Insights | None) -> dict[str, list[str]]:
    """Per opportunity, the tracked KPI effects as sentences (``verdict`` says significance)."""
    if insights is None:
        return {}
    return {
        item.opportunity: [f"{effect.name}: {effect.verdict}" for effect in item.effects]
        for item in insights.improvements
    }


def _step_view(journey: JourneyMap, step: Step, lane: LaneFigures | None = None) -> StepView:
    return StepView(
        name=step.name,
        kind=step.kind,
        actions=list(step.actions),
        touchpoints=[f"{tp.name} · {tp.channel}" for tp in step.touchpoints],
        emotions=_emotions(journey, step),
        pain_points=list(step.pain_points),
        delights=list(step.delights),
        measured=_measured(step, lane or {}),
    )


def story_stages(journey: JourneyMap, insights: Insights | None = None) -> list[StoryStage]:
    """One entry per current stage, paired with the future stages whose ``current`` names it;
    with ``insights``, the pain points found in the evidence and the measured effects."""
    future = journey.future.stages if journey.future else []
    effects = _effects(insights)
    lane = evidence_lane(journey, None, insights) if insights is not None else {}
    slides = []
    for stage in journey.stages:
        later = [f for f in future if f.current == stage.id]
        later_steps = [step for f in later for step in f.steps]
        slides.append(
            StoryStage(
                stage=stage,
                current=[_step_view(journey, s, lane) for s in stage.steps],
                future=[_step_view(journey, s) for s in later_steps],
                future_names=[f.name for f in later if f.name != stage.name],
                opportunities=[o for s in [*stage.steps, *later_steps] for o in s.opportunities],
                effects=effects,
            )
        )
    return slides


def kpi_target(kpi: KPI) -> str:
    """A KPI's target as people read it: 0.3 with unit % is 30%."""
    if kpi.target is None:
        return "—"
    arrow = "↓" if kpi.direction == "lower_is_better" else "↑"
    if kpi.unit == "%" and abs(kpi.target) <= 1:
        return f"{arrow} {kpi.target * 100:g}%"
    return f"{arrow} {kpi.target:g}{' ' + kpi.unit if kpi.unit else ''}"


def _overview(journey: JourneyMap, insights: Insights | None) -> dict[str, Any]:
    """The title slide's summary: the facts of the map and, with evidence, the headline."""
    words = labels_for(journey.language)["story"]
    steps = [step for _, step in journey.steps()]
    facts = words["facts"].format(
        steps=len(steps),
        moments=sum(1 for s in steps if s.moment_of_truth),
        opportunities=sum(len(s.opportunities) for s in steps),
        kpis=len(journey.kpis),
    )
    headline, top = None, None
    points = [p for p in insights.pain_points if p.status != "dismissed"] if insights else []
    if insights is not None and points:
        customers = insights.summary.get("customers") or insights.summary.get("journeys") or 0
        headline = words["found"].format(count=len(points), customers=f"{customers:,}")
        best = max(points, key=lambda p: p.priority)
        step = next((s.name for s in steps if best.steps and s.id == best.steps[0]), best.element)
        point = best.to_dict()
        language = journey.language
        people = {p.id: p.name for p in journey.personas}
        label = pain_point_label(point, language, people)
        top = f"{step}: {label}: {pain_point_figure(point, language)}"
    return {"facts": facts, "headline": headline, "top": top}


def story_context(journey: JourneyMap, insights: Insights | None = None) -> dict[str, Any]:
    """Everything the deck template draws (also handy as data)."""
    stages = story_stages(journey, insights)
    return {
        "journey": journey,
        "rtl": journey.is_rtl,
        "labels": labels_for(journey.language),
        "stages": stages,
        "chart": Markup(before_after_svg(journey)),
        "kpis": [(kpi, kpi_target(kpi)) for kpi in journey.kpis],
        "slide_count": len(stages) + 2,
        "overview": _overview(journey, insights),
        "photos": {p.id: shown_image(p.photo) for p in journey.personas},
    }


def render_story(journey: JourneyMap, insights: Insights | None = None) -> str:
    """The story as one self-contained HTML slide deck (inline CSS and JS, nothing fetched).
    With ``insights`` (``journeyscope.insights.compute_insights``) the stage slides also show
    the pain points found in the evidence, with customers, value at risk and handling cost,
    and the opportunities their measured effect."""
    return _ENV.get_template("story.html.j2").render(**story_context(journey, insights))
