"""The shapes of ``journeyscope insights`` (``journeyscope.insights/1``) and of ``journeyscope
check``. Keys added within version 1 (the drill-down: ``examples``, ``dropped_examples``,
``drilldown``; the sentinel's ``new_channels``...) have defaults: described, not required, so
documents written before them stay valid."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from ._base import Count, Number, Shape
from .analysis import LoadReport

__all__ = [
    "Backing",
    "CheckDocument",
    "Deviation",
    "Drilldown",
    "EmotionPoint",
    "Example",
    "Improvement",
    "InsightsDocument",
    "KpiEffect",
    "KpiStatus",
    "MergedFinding",
    "Moment",
    "PainPoint",
    "SegmentDetail",
    "SendResponse",
    "StageSuccess",
    "Staleness",
    "UnmappedEvent",
    "Validation",
]

INSIGHTS_VERSION = "journeyscope.insights/1"


class Answer(Shape):
    """A survey answer of an example customer."""

    kind: str
    score: float
    comment: str | None
    ts: str | None


class Example(Shape):
    """One journey behind a number: the customer and the journey's mapped steps in order (cut
    at 100: ``more_steps`` more); raw ``events`` for unmapped events; ``answers`` for survey
    pain points."""

    customer: str
    steps: list[str]
    more_steps: Count = 0
    events: list[str] = Field(default_factory=list)
    more_events: Count = 0
    answers: list[Answer] = Field(default_factory=list)


Examples = list[Example]


class Deviation(Shape):
    """A backward transition: ``source`` followed by ``target``, earlier on the map."""

    source: str
    target: str
    transitions: Count
    journeys: Count
    examples: Examples = Field(default_factory=list)


class StageSuccess(Shape):
    """Of the journeys entering a stage: how many reach the next stage and the goal."""

    stage: str
    name: str
    journeys: Count
    reached_next: Count | None
    next_rate: Number
    reached_goal: Count
    goal_rate: float
    examples: Examples = Field(default_factory=list)
    dropped_examples: Examples = Field(default_factory=list)
    """Journeys that entered the stage but did not reach the next one."""


class Moment(Shape):
    """Goal rate with and without a step, and whether the difference is real."""

    step: str
    name: str
    with_journeys: Count
    with_rate: float
    without_journeys: Count
    without_rate: float
    difference: float
    ci_low: Number
    ci_high: Number
    p_value: Number
    significant: bool
    stage: str | None = None
    """The compared journeys all entered this stage before the goal (or never reached it)."""
    q_value: Number = None
    """The p-value adjusted over every moment (Benjamini-Hochberg); significant: below 0.05."""


class UnmappedEvent(Shape):
    """An event name the map does not cover."""

    event: str
    customers: Count
    events: Count
    share: float
    examples: Examples = Field(default_factory=list)


class ConformanceDeviation(Shape):
    """A real deviation: ``back`` from ``source`` to ``target`` in an earlier stage, or
    ``skip``: on from ``source`` to ``target`` without the required ``step`` between."""

    kind: Literal["back", "skip"]
    source: str
    target: str
    step: str | None
    transitions: Count
    journeys: Count


class Conformance(Shape):
    """Fit of each journey to the map, allowing its optional steps, repeats and loops within
    a stage: fitness = 1 - deviating moves / moves."""

    journeys: Count
    conforming: Count
    conforming_share: float
    mean_fitness: float
    fitness_quartiles: list[float]
    deviations: list[ConformanceDeviation]


class Validation(Shape):
    """The map against the events: order, stage success, moments that matter, gaps."""

    goal: str
    journeys: Count
    in_order: Count
    in_order_share: float
    unmapped_events: list[UnmappedEvent]
    unobserved_steps: list[str]
    deviations: list[Deviation]
    stages: list[StageSuccess]
    moments: list[Moment]
    conformance: Conformance | None = None
    """How well each journey fits the map (absent in documents written before)."""


class EmotionPoint(Shape):
    """The evidence emotion at one step, on the map's emotion scale."""

    step: str
    name: str
    answers: Count
    customers: Count
    mean: Number
    low: Number
    high: Number
    assumed: Number
    kinds: dict[str, Count]
    """Answers per survey kind."""
    mean_score_share: Number
    """0 = worst .. 1 = best."""
    p_below_middle: Number
    low_score_customers: Count
    negative_comments: list[str]
    """The five most frequent."""
    negative: Count
    comments: Count
    gap: Number
    """Evidence minus assumption."""
    contradicts: bool


class Backing(Shape):
    """What backs one step or touchpoint, and how recent the newest piece is."""

    element: str
    kind: Literal["step", "touchpoint"]
    name: str
    events: Count
    customers: Count
    answers: Count
    research: Count
    newest: str | None
    """ISO date."""
    age_days: int | None
    stale_research: Count
    status: Literal["evidenced", "stale", "assumption"]


class Evidence(Shape):
    """The numbers behind a pain point; which keys exist depends on its kind."""

    model_config = ConfigDict(extra="allow")

    test: str | None = None
    p_value: Number = None
    q_value: Number = None
    severity: Number = None
    rate: Number = None
    rest_rate: Number = None
    lift: Number = None
    threshold: Number = None
    journeys: Count | None = None
    hits: Count | None = None
    answers: Count | None = None
    ci_low: Number = None
    ci_high: Number = None
    goal_rate_affected: Number = None
    goal_rate_unaffected: Number = None
    goal_p_value: Number = None


#: the built-in kinds; a plugin registers more (``journeyscope.plugins``), so a document may
#: name any kind written as a registered name is
BUILT_IN_KINDS = (
    "drop_off", "slow_transition", "repeat_contact", "channel_switch", "bounce", "failed_step",
    "loop", "escalation", "low_score", "negative_comment",
)  # fmt: skip


class SegmentDetail(Shape):
    """The segment a pain point is concentrated in, in parts."""

    dimension: str
    """The attribute (or ``persona``), by the name the data gives it."""
    value: str
    level: Literal["event", "customer"]
    """``event``: the attribute of the events at the pain point's step (the device of the
    checkout event); ``customer``: of the customer (a customers-file column, the persona)."""


class MergedFinding(Shape):
    """A finding merged into a pain point: the same customers' same problem."""

    key: str
    kind: str
    element: str
    steps: list[str]
    customers_affected: Count
    severity: float
    evidence: Evidence


class PainPoint(Shape):
    """One pain point, ranked, assigned and decided on."""

    key: str
    kind: str = Field(
        pattern=r"^[a-z][a-z0-9_]*$",
        description="The kind of problem: " + ", ".join(BUILT_IN_KINDS) + ", or a plugin's own.",
    )
    element: str
    segment: str
    steps: list[str]
    touchpoints: list[str]
    events: list[str]
    customers_affected: Count
    severity: float
    evidence: Evidence
    lost_customers: Number
    value_at_risk: Number
    handling_cost: Number
    owners: list[str]
    teams: list[str]
    systems: list[str]
    processes: list[str]
    opportunity: str | None
    effort: str | None
    priority: float
    status: Literal["open", "accepted", "dismissed"]
    decision_owner: str | None
    examples: Examples = Field(default_factory=list)
    segment_detail: SegmentDetail | None = None
    """The segment in parts; None (or absent) for all customers."""
    kinds: list[str] = Field(default_factory=list)
    """Every kind of evidence of this one problem, its own first (findings on the same
    customers merged: a low score and negative comments; a loop over search and view)."""
    merged: list[MergedFinding] = Field(default_factory=list)
    """The findings merged into this one, each with its own evidence."""


class KpiPeriod(Shape):
    """A KPI's value in one period."""

    period: str
    """ISO date: the first day of the period."""
    value: Number
    complete: bool = True
    """False for a period the data covers only in part."""
    events: Count = 0


class KpiStatus(Shape):
    """A KPI's last value against its target, and its trend."""

    kpi: str
    name: str
    unit: str | None
    target: Number
    direction: str
    cadence: str
    owner: str | None
    periods: list[KpiPeriod]
    last: Number
    previous: Number
    status: Literal["met", "missed", "no_target", "no_data"]
    trend: Literal["improving", "worsening", "flat", "unknown"]
    slope: Number
    slope_p_value: Number
    error: str | None
    change: Number
    last_period: str | None = None
    examples: Examples = Field(default_factory=list)
    examples_note: str | None = None


class KpiEffect(Shape):
    """How one KPI moved around an opportunity's launch."""

    kpi: str
    name: str
    method: Literal["before/after", "difference-in-differences"]
    test: str | None
    before: Number
    after: Number
    effect: Number
    ci_low: Number
    ci_high: Number
    p_value: Number
    periods_before: Count
    periods_after: Count
    significant: bool
    better: bool | None
    verdict: str


class Improvement(Shape):
    """A launched opportunity and the effects on its KPIs."""

    opportunity: str
    title: str
    step: str
    status: str
    launch_date: str
    """ISO date."""
    effects: list[KpiEffect]


class StepChange(Shape):
    """A step's reach or conversion, before and after the split."""

    step: str
    measure: Literal["reach", "conversion"]
    before: float
    after: float
    difference: float
    p_value: Number
    q_value: Number


class VariantShare(Shape):
    """A variant's share of the journeys in either window."""

    variant: list[str]
    """Step ids in order; ["other"] pools the rest."""
    share_before: float
    share_after: float


class EmotionGap(Shape):
    """A step whose measured feeling is away from the drawn one."""

    step: str
    drawn: Number
    measured: Number
    low: Number
    high: Number
    answers: Count


class Staleness(Shape):
    """Has customer behaviour moved away from the map?"""

    split: str
    """ISO time the two windows are split at."""
    journeys_before: Count
    journeys_after: Count
    status: Literal["fresh", "stale", "unknown"]
    reasons: list[str]
    new_unmapped: list[dict[str, Any]]
    """Events the map does not cover that became common: event, shares, p_value."""
    step_changes: list[StepChange]
    variant_distance: float
    variants: list[VariantShare]
    stale_elements: list[str]
    new_channels: list[dict[str, Any]] = Field(default_factory=list)
    """Channels that became common: channel, shares, p_value."""
    kpi_breaches: list[str] = Field(default_factory=list)
    emotion_gaps: list[EmotionGap] = Field(default_factory=list)
    stale: bool = False


class StepReach(Shape):
    """Reach of a step, with journeys that include it."""

    step: str
    customers: Count
    journeys: Count
    share: Number
    examples: Examples


class FunnelDrill(Shape):
    """A step of the step funnel, with journeys reaching it and journeys dropped after it."""

    index: Count
    step: str
    journeys: Count
    dropped_after: Count | None
    examples: Examples
    dropped_examples: Examples


class FlowDrill(Shape):
    """One of the busiest directly-follows edges, with journeys that take it."""

    source: str
    target: str
    count: Count
    examples: Examples


class Drilldown(Shape):
    """The journeys behind the numbers shown elsewhere: reach, step funnel, busiest flows."""

    examples: Count
    """Journeys listed per number."""
    steps: list[StepReach]
    funnel: list[FunnelDrill]
    flows: list[FlowDrill]


class InsightsSummary(Shape):
    """The size of the log and of the survey answers."""

    customers: Count
    journeys: Count
    events: Count
    mapped_events: Count
    answers: Count
    mean_value_per_customer: Number
    problems: list[str]


class SendResponse(Shape):
    """The answers to the sends of one company step (``initiated_by: company``): a send is
    answered by a step of the customer's own within ``window_days``, before the next send."""

    step: str
    name: str
    sends: Count
    customers: Count
    responded: Count
    response_rate: float
    rate_low: Number
    rate_high: Number
    """The 95% Wilson interval of the response rate."""
    median_hours: Number
    """Median time from a send to its answer, in hours (null: no answers)."""
    window_days: float


class InsightsDocument(Shape):
    """Version 1 promises: the keys below exist with these types; new keys may be added in a
    minor change; renaming or removing one means journeyscope.insights/2."""

    model_config = ConfigDict(
        title="Journeyscope insights, version 1",
        json_schema_extra={"$id": "https://journeyscope.dev/schemas/insights-1.json"},
    )

    schema_: Literal["journeyscope.insights/1"] = Field(alias="schema")
    map: str
    goal: str
    summary: InsightsSummary
    segments: list[str]
    load: LoadReport | None
    surveys: LoadReport | None
    """The survey answers' load report; null without surveys."""
    validation: Validation
    emotion_curve: list[EmotionPoint]
    backing: list[Backing]
    pain_points: list[PainPoint]
    kpis: list[KpiStatus]
    improvements: list[Improvement]
    staleness: Staleness
    drilldown: Drilldown | None = None
    sends: list[SendResponse] = Field(default_factory=list)
    """What each company step's sends set off (absent in documents written before)."""


class CheckDocument(Shape):
    """The staleness sentinel's report: exit code 1 when status is stale."""

    model_config = ConfigDict(
        title="Journeyscope check report, version 1",
        json_schema_extra={"$id": "https://journeyscope.dev/schemas/check-1.json"},
    )

    schema_: Literal["journeyscope.insights/1"] = Field(alias="schema")
    """The check report is versioned with the insights."""
    map: str
    staleness: Staleness
