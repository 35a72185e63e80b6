"""``compute_insights``: every insight for a map and an event log (and surveys), in one call.

The result's JSON form is versioned ``journeyscope.insights/1``: keys may be added in a minor
change; renaming or removing one means ``journeyscope.insights/2``. The drill-down behind the
numbers (``examples`` on rows, and ``drilldown`` for reach, funnel and flows) is described in
``drilldown.py`` and ``docs/insights.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from ..analytics import JourneyOptions, Prepared, prepare
from ..engine import Engine, connect, engine_for
from ..events import EventLog, SurveyLog
from ..model import InsightSettings, JourneyMap
from ._context import Context, build_context, clean, rows
from .decisions import DecisionStore
from .drilldown import Drilldown, DrilldownOptions, add_survey_examples, compute_drilldown
from .evidence import (
    ElementBacking,
    EmotionPoint,
    EvidenceOptions,
    bind_survey_answers,
    compute_backing,
    compute_emotion_curve,
)
from .improvements import Improvement, ImprovementOptions, compute_improvements
from .kpi_status import KpiOptions, KpiStatus, compute_kpi_status
from .pain_points import PainPoint, PainPointOptions, detect_pain_points
from .segments import SegmentOptions, build_segments
from .sends import SendOptions, SendResponse, compute_sends
from .staleness import Staleness, StalenessOptions, compute_staleness
from .validation import Validation, ValidationOptions, compute_validation

__all__ = [
    "INSIGHTS_SCHEMA",
    "InsightOptions",
    "Insights",
    "compute_insights",
    "insight_context",
    "insight_journeys",
]

INSIGHTS_SCHEMA = "journeyscope.insights/1"


@dataclass(frozen=True)
class InsightOptions:
    """Options of every family, and how events become journeys (time range, journey gap)."""

    journeys: JourneyOptions = field(default_factory=JourneyOptions)
    segments: SegmentOptions = field(default_factory=SegmentOptions)
    evidence: EvidenceOptions = field(default_factory=EvidenceOptions)
    validation: ValidationOptions = field(default_factory=ValidationOptions)
    pain_points: PainPointOptions = field(default_factory=PainPointOptions)
    kpis: KpiOptions = field(default_factory=KpiOptions)
    improvements: ImprovementOptions = field(default_factory=ImprovementOptions)
    staleness: StalenessOptions = field(default_factory=StalenessOptions)
    drilldown: DrilldownOptions = field(default_factory=DrilldownOptions)
    sends: SendOptions = field(default_factory=SendOptions)


@dataclass
class Insights:
    """Every insight of one run; ``to_dict()`` is the ``journeyscope.insights/1`` JSON."""

    map_id: str
    goal: str
    summary: dict[str, Any]
    segments: list[str]
    validation: Validation
    emotion_curve: list[EmotionPoint]
    backing: list[ElementBacking]
    pain_points: list[PainPoint]
    kpis: list[KpiStatus]
    improvements: list[Improvement]
    staleness: Staleness
    load: dict[str, Any] | None = None
    surveys: dict[str, Any] | None = None
    drilldown: Drilldown | None = None
    sends: list[SendResponse] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": INSIGHTS_SCHEMA,
            "map": self.map_id,
            "goal": self.goal,
            "summary": clean(self.summary),
            "segments": self.segments,
            "load": clean(self.load),
            "surveys": clean(self.surveys),
            "validation": clean(self.validation.to_dict()),
            "emotion_curve": rows(self.emotion_curve),
            "backing": rows(self.backing),
            "pain_points": rows(self.pain_points),
            "kpis": rows(self.kpis),
            "improvements": rows(self.improvements),
            "staleness": self.staleness.to_dict(),
            "drilldown": self.drilldown.to_dict() if self.drilldown is not None else None,
            "sends": rows(self.sends),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)


def insight_journeys(options: InsightOptions) -> JourneyOptions:
    """How insights wants the events made into journeys: never segmented (insights finds
    segments itself), with the options' time range, gap and split."""
    j = options.journeys
    return JourneyOptions(j.journey_gap_days, j.start, j.end, split_at=j.split_at)


def insight_context(
    log: EventLog,
    journey: JourneyMap,
    *,
    surveys: SurveyLog | pa.Table | None = None,
    options: InsightOptions | None = None,
    settings: InsightSettings | None = None,
    engine: str | Engine = "duckdb",
    prepared: Prepared | None = None,
) -> Context:
    """Prepare the journeys (unless ``prepared`` already holds them, bound as
    :func:`insight_journeys` says) and the context every family computes from."""
    options = options or InsightOptions()
    if prepared is None:
        runner = engine if isinstance(engine, Engine) else connect(log, engine)
        prepared = prepare(runner, journey, insight_journeys(options), log.has_customers)
    engine = prepared.engine
    if isinstance(surveys, SurveyLog) and surveys.con is log.con and engine.has("answers"):
        # loaded next to the events (into the log, or read by Spark with them): the engine's
        context = build_context(prepared, journey, settings)
        context.answers = bind_survey_answers(context)
        return context
    answers = surveys.answers() if isinstance(surveys, SurveyLog) else surveys
    return build_context(prepared, journey, settings, answers)


def compute_insights(
    log: EventLog,
    journey: JourneyMap,
    *,
    surveys: SurveyLog | pa.Table | None = None,
    options: InsightOptions | None = None,
    settings: InsightSettings | None = None,
    decisions: DecisionStore | None = None,
    engine: str | Engine = "duckdb",
    prepared: Prepared | None = None,
) -> Insights:
    """Validation, evidence, pain points, KPIs, improvements and staleness for ``journey``.
    ``settings`` replace the map's own ``insights`` settings; ``decisions`` marks pain points
    accepted or dismissed and links them to opportunities. An engine opened here is closed
    before returning (``journeyscope.evaluate`` runs this with the analysis on one engine)."""
    options = options or InsightOptions()
    if prepared is not None:
        context = insight_context(log, journey, surveys=surveys, options=options,
                                  settings=settings, prepared=prepared)  # fmt: skip
        return _from_context(context, log, journey, surveys, options, decisions)
    with engine_for(log, engine) as runner:
        context = insight_context(log, journey, surveys=surveys, options=options,
                                  settings=settings, engine=runner)  # fmt: skip
        return _from_context(context, log, journey, surveys, options, decisions)


def _from_context(
    context: Context,
    log: EventLog,
    journey: JourneyMap,
    surveys: SurveyLog | pa.Table | None,
    options: InsightOptions,
    decisions: DecisionStore | None,
) -> Insights:
    prepared, answers = context.prepared, context.answers
    segments = context.segments = build_segments(prepared, options.segments)
    curve = compute_emotion_curve(context, options.evidence)
    backing = compute_backing(context, options.evidence)
    kpis = compute_kpi_status(context, options.kpis)
    points = detect_pain_points(context, curve, options.pain_points, decisions)
    add_survey_examples(context, points, options.drilldown.examples)
    return Insights(
        map_id=journey.id,
        goal=context.goal,
        summary={
            "customers": prepared.customers,
            "journeys": prepared.journeys,
            "events": prepared.events,
            "mapped_events": prepared.mapped_events,
            "answers": answers or 0,
            "mean_value_per_customer": context.mean_value,
            "problems": list(prepared.binding.problems),
        },
        segments=segments,
        validation=compute_validation(context, options.validation),
        emotion_curve=curve,
        backing=backing,
        pain_points=points,
        kpis=kpis,
        improvements=compute_improvements(context, options.improvements),
        staleness=compute_staleness(context, backing, options.staleness, kpis, curve),
        load=log.report.as_dict(),
        surveys=surveys.report.as_dict() if isinstance(surveys, SurveyLog) else None,
        drilldown=compute_drilldown(context, options.drilldown),
        sends=compute_sends(context, options.sends),
    )
