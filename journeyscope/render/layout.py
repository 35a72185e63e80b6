"""Pure layout: a journey map (one state) -> columns, lanes and emotion-curve points.

HTML and SVG both draw from this view model, so the two pictures always agree.
"""

from __future__ import annotations

import itertools
import textwrap
from dataclasses import dataclass, field

from ..model import BUILT_IN_LANES, CustomLane, JourneyMap, MapState, Opportunity, Stage, Step
from .media import shown_image

COLUMN_WIDTH = 200
CURVE_HEIGHT = 170
PALETTE = ("#2563eb", "#db2777", "#059669", "#d97706", "#7c3aed", "#0891b2")
#: each persona's curve also has its own dash and marker, so equal scores stay told apart
DASHES = ("", "8 5", "2 4", "12 4 2 4", "5 3", "1 3")
MARKERS = ("circle", "square", "triangle", "diamond", "circle", "square")
#: px between the curves of personas with the same score
CURVE_OFFSET = 4.0


@dataclass(frozen=True)
class Lane:
    key: str
    label: str
    group: str  # "customer", "emotion", "insight", "backstage", "evidence", "custom"
    kind: str = "builtin"  # or a custom lane's kind: text, list, image, metric


LANES = (
    Lane("actions", "Actions", "customer"),
    Lane("touchpoints", "Touchpoints & channels", "customer"),
    Lane("thoughts", "Thoughts", "customer"),
    Lane("emotion", "Emotion curve", "emotion"),
    Lane("feeling_words", "Feelings", "emotion"),
    Lane("needs", "Needs & expectations", "customer"),
    Lane("pain_points", "Pain points", "insight"),
    Lane("delights", "Delights", "insight"),
    Lane("moment_of_truth", "Moments of truth", "insight"),
    Lane("opportunities", "Opportunities", "insight"),
    Lane("teams", "Backstage: teams & owner", "backstage"),
    Lane("systems", "Backstage: systems", "backstage"),
    Lane("processes", "Backstage: processes & policies", "backstage"),
    Lane("evidence", "Evidence", "evidence"),
)


@dataclass
class Column:
    index: int
    stage: Stage
    step: Step
    cells: dict[str, list[str]] = field(default_factory=dict)
    #: touchpoints as (channel, text), drawn with the channel's icon
    chips: list[tuple[str, str]] = field(default_factory=list)
    #: pictures as (data: URI or None when not embedded, caption), by image lane ("" = the step)
    images: dict[str, list[tuple[str | None, str]]] = field(default_factory=dict)


@dataclass(frozen=True)
class CurvePoint:
    persona: str | None
    step_id: str
    x: float
    y: float
    score: float
    label: str


@dataclass
class Curve:
    persona: str | None
    name: str
    color: str
    points: list[CurvePoint]
    dash: str = ""
    marker: str = "circle"
    #: runs of points between steps without a score: the line breaks there, never drops to 0
    segments: list[list[CurvePoint]] = field(default_factory=list)


@dataclass
class MapLayout:
    journey: JourneyMap
    state: MapState
    columns: list[Column]
    lanes: list[Lane]
    curves: list[Curve]
    rtl: bool

    @property
    def width(self) -> int:
        return max(1, len(self.columns)) * COLUMN_WIDTH

    def stage_spans(self) -> list[tuple[Stage, int, int]]:
        """(stage, first column index, number of columns) in drawing order."""
        spans: list[tuple[Stage, int, int]] = []
        for column in self.columns:
            if spans and spans[-1][0].id == column.stage.id:
                stage, first, count = spans[-1]
                spans[-1] = (stage, first, count + 1)
            else:
                spans.append((column.stage, column.index, 1))
        return spans


def build_layout(
    journey: JourneyMap,
    state: MapState = "current",
    persona: str | None = None,
    step_metrics: dict[str, dict[str, str | float]] | None = None,
) -> MapLayout:
    """Lay out one state of ``journey``.

    ``step_metrics`` (step id -> figures) adds an evidence lane.
    """
    columns: list[Column] = []
    for stage in journey.stages_of(state):
        for step in stage.steps:
            column = Column(len(columns), stage, step, _cells(step, step_metrics))
            _custom_cells(journey, column, step_metrics)
            columns.append(column)
    lanes = [
        lane
        for lane in lane_order(journey)
        if lane.key in ("emotion", "actions", "touchpoints")
        or lane.kind != "builtin"
        or any(column.cells.get(lane.key) for column in columns)
    ]
    rtl = journey.is_rtl
    curves = _curves(journey, columns, persona, rtl)
    return MapLayout(journey, state, columns, lanes, curves, rtl)


def _cells(step: Step, metrics: dict[str, dict[str, str | float]] | None) -> dict[str, list[str]]:
    backstage = step.backstage
    words = sorted({w for f in step.feelings for w in f.words})
    cells = {
        "actions": list(step.actions),
        "touchpoints": [f"{tp.name} · {tp.channel}" for tp in step.touchpoints],
        "thoughts": [f"“{t}”" for t in step.thoughts],
        "feeling_words": words,
        "needs": [*step.needs, *step.expectations],
        "pain_points": list(step.pain_points),
        "delights": list(step.delights),
        "moment_of_truth": ["★"] if step.moment_of_truth else [],
        "opportunities": [_opportunity(o) for o in step.opportunities],
        "teams": [*backstage.teams, *_owner(backstage.owner)] if backstage else [],
        "systems": list(backstage.systems) if backstage else [],
        "processes": [*backstage.processes, *backstage.policies] if backstage else [],
    }
    if metrics and step.id in metrics:
        cells["evidence"] = [f"{k}: {v}" for k, v in metrics[step.id].items()]
    return cells


def lane_order(journey: JourneyMap) -> list[Lane]:
    """The built-in lanes with the map's custom lanes placed after the lane each names."""
    order = list(LANES)
    assert tuple(lane.key for lane in LANES) == BUILT_IN_LANES
    for custom in journey.lanes:
        lane = Lane(custom.id, custom.name, "custom", custom.kind)
        keys = [item.key for item in order]
        order.insert(keys.index(custom.after) + 1 if custom.after in keys else len(order), lane)
    return order


def kpi_label(journey: JourneyMap, kpi_id: str) -> str:
    """The evidence lane's label of a KPI's figure (``KPI Conversion``), in the map's language."""
    from .labels import labels_for

    name = next((k.name for k in journey.kpis if k.id == kpi_id), kpi_id)
    return str(labels_for(journey.language)["evidence_lane"]["kpi"]).format(name=name)


def _custom_cells(
    journey: JourneyMap, column: Column, metrics: dict[str, dict[str, str | float]] | None
) -> None:
    step = column.step
    column.chips = [(tp.channel, tp.name) for tp in step.touchpoints]
    for image in step.images:
        column.images.setdefault(image.lane or "", []).append(
            (shown_image(image.image), image.caption or "")
        )
    for lane in journey.lanes:
        if lane.kind in ("text", "list"):
            column.cells[lane.id] = list(step.lanes.get(lane.id, []))
        elif lane.kind == "metric":
            column.cells[lane.id] = _metric(journey, lane, column, metrics)


def _metric(
    journey: JourneyMap,
    lane: CustomLane,
    column: Column,
    metrics: dict[str, dict[str, str | float]] | None,
) -> list[str]:
    """The KPI's figure on this step, moved out of the evidence lane into its own lane."""
    label = kpi_label(journey, lane.kpi or "")
    figures = (metrics or {}).get(column.step.id, {})
    evidence = column.cells.get("evidence", [])
    column.cells["evidence"] = [item for item in evidence if not item.startswith(label + ": ")]
    if not column.cells["evidence"]:
        column.cells.pop("evidence")
    return [str(figures[label])] if label in figures else []


def _owner(owner: str | None) -> list[str]:
    return [f"Owner: {owner}"] if owner else []


def _opportunity(opportunity: Opportunity) -> str:
    details = [d for d in (opportunity.owner, opportunity.status, opportunity.priority) if d]
    return opportunity.title + (f" ({', '.join(details)})" if details else "")


def _curves(
    journey: JourneyMap, columns: list[Column], emphasis: str | None, rtl: bool
) -> list[Curve]:
    personas: list[tuple[str | None, str]] = [(p.id, p.name) for p in journey.personas]
    if emphasis:
        personas = [(pid, name) for pid, name in personas if pid == emphasis]
    if not personas or not any(f.persona for _, s in journey.steps() for f in s.feelings):
        personas = personas[:1] or [(None, "Customer")]
    scale = journey.emotion_scale
    curves = []
    for number, (persona_id, name) in enumerate(personas):
        offset = (number - (len(personas) - 1) / 2) * CURVE_OFFSET
        points: list[CurvePoint] = []
        segments: list[list[CurvePoint]] = [[]]
        for column in columns:
            feeling = column.step.feeling_for(persona_id)
            if feeling is None or feeling.score is None:
                if segments[-1]:
                    segments.append([])  # no score: the line breaks here
                continue
            slot = len(columns) - 1 - column.index if rtl else column.index
            fraction = (feeling.score - scale.min) / (scale.max - scale.min)
            point = CurvePoint(
                persona_id,
                column.step.id,
                x=slot * COLUMN_WIDTH + COLUMN_WIDTH / 2,
                y=20 + (1 - fraction) * (CURVE_HEIGHT - 40) + offset,
                score=feeling.score,
                label=f"{feeling.score:+g}" + (f" {feeling.words[0]}" if feeling.words else ""),
            )
            points.append(point)
            segments[-1].append(point)
        style = number % len(PALETTE)
        curve = Curve(persona_id, name, PALETTE[style], points, DASHES[style], MARKERS[style])
        curve.segments = [segment for segment in segments if segment]
        curves.append(curve)
    return curves


def zero_line_y(journey: JourneyMap) -> float | None:
    """Where score 0 sits on the curve, when the scale spans it."""
    scale = journey.emotion_scale
    if not scale.min < 0 < scale.max:
        return None
    return 20 + (1 - (0 - scale.min) / (scale.max - scale.min)) * (CURVE_HEIGHT - 40)


def smooth_path(points: list[CurvePoint]) -> str:
    """An SVG path through the points, smoothed with horizontal cubic Bézier handles."""
    ordered = sorted(points, key=lambda p: p.x)
    if not ordered:
        return ""
    parts = [f"M{ordered[0].x:.1f},{ordered[0].y:.1f}"]
    for prev, point in itertools.pairwise(ordered):
        mid = (prev.x + point.x) / 2
        parts.append(f"C{mid:.1f},{prev.y:.1f} {mid:.1f},{point.y:.1f} {point.x:.1f},{point.y:.1f}")
    return " ".join(parts)


def wrap(text: str, width: int = 28) -> list[str]:
    """Lines of ``text`` for a column, by estimated character width."""
    return textwrap.wrap(text, width=width, break_long_words=True) or [""]
