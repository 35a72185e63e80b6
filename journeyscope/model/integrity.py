"""Checks that span elements: unique ids, references that resolve, scores inside the scale."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .journey import CellImage, JourneyMap, Stage, Step

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One integrity problem: where in the map (a field path) and what is wrong, in plain words."""

    path: Loc
    message: str

    @property
    def where(self) -> str:
        return format_path(self.path)


def format_path(path: Loc) -> str:
    """``('stages', 0, 'name')`` -> ``stages[0].name``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(map)"


def _ids(m: JourneyMap) -> Iterator[tuple[Loc, str]]:
    for i, persona in enumerate(m.personas):
        yield ("personas", i, "id"), persona.id
    yield from _stage_ids(m.stages, ("stages",))
    if m.future:
        yield from _stage_ids(m.future.stages, ("future", "stages"))
    for i, path in enumerate(m.paths):
        yield ("paths", i, "id"), path.id
    for i, kpi in enumerate(m.kpis):
        yield ("kpis", i, "id"), kpi.id
    for i, lane in enumerate(m.lanes):
        yield ("lanes", i, "id"), lane.id


def _stage_ids(stages: list[Stage], base: Loc) -> Iterator[tuple[Loc, str]]:
    for si, stage in enumerate(stages):
        yield (*base, si, "id"), stage.id
        for pi, step in enumerate(stage.steps):
            at = (*base, si, "steps", pi)
            yield (*at, "id"), step.id
            for ti, touchpoint in enumerate(step.touchpoints):
                yield (*at, "touchpoints", ti, "id"), touchpoint.id
            for oi, opportunity in enumerate(step.opportunities):
                yield (*at, "opportunities", oi, "id"), opportunity.id


def find_problems(m: JourneyMap) -> list[Problem]:
    """Every cross-element problem in ``m``, each with its field path."""
    problems: list[Problem] = []
    seen: dict[str, Loc] = {}
    for loc, element_id in _ids(m):
        if element_id in seen:
            problems.append(
                Problem(
                    loc,
                    f"duplicate id {element_id!r}: already used at {format_path(seen[element_id])}",
                )
            )
        else:
            seen[element_id] = loc
    problems += _reference_problems(m)
    problems += _lane_problems(m)
    problems += _state_problems(m.stages, ("stages",), m, future=False)
    if m.future:
        problems += _state_problems(m.future.stages, ("future", "stages"), m, future=True)
    return problems


def _reference_problems(m: JourneyMap) -> list[Problem]:
    problems: list[Problem] = []
    steps = {step.id for _, step in m.steps()}
    touchables = steps | {tp.id for _, tp in m.touchpoints()}
    if m.future:  # a KPI may measure a touchpoint that only exists in the future state
        future_steps = [step for stage in m.future.stages for step in stage.steps]
        touchables |= {s.id for s in future_steps}
        touchables |= {tp.id for s in future_steps for tp in s.touchpoints}
    kpis = {kpi.id for kpi in m.kpis}
    goal = m.insights.goal_step if m.insights else None
    if goal is not None and goal not in steps:
        problems.append(_dangling(("insights", "goal_step"), "step", goal, steps))
    for i, path in enumerate(m.paths):
        for j, ref in enumerate(path.steps):
            if ref not in steps:
                problems.append(_dangling(("paths", i, "steps", j), "step", ref, steps))
    for i, kpi in enumerate(m.kpis):
        for j, ref in enumerate(kpi.touchpoints):
            if ref not in touchables:
                problems.append(
                    _dangling(("kpis", i, "touchpoints", j), "touchpoint or step", ref, touchables)
                )
    for loc, ref in _opportunity_kpi_refs(m):
        if ref not in kpis:
            problems.append(_dangling(loc, "KPI", ref, kpis))
    return problems


def _located_steps(m: JourneyMap) -> Iterator[tuple[Loc, Step]]:
    """Every step of the current and the future state, with where it is in the file."""
    states: list[tuple[Loc, list[Stage]]] = [(("stages",), m.stages)]
    if m.future:
        states.append((("future", "stages"), m.future.stages))
    for base, stages in states:
        for si, stage in enumerate(stages):
            for pi, step in enumerate(stage.steps):
                yield (*base, si, "steps", pi), step


def _opportunity_kpi_refs(m: JourneyMap) -> Iterator[tuple[Loc, str]]:
    for at, step in _located_steps(m):
        for oi, opportunity in enumerate(step.opportunities):
            for ki, ref in enumerate(opportunity.kpis):
                yield (*at, "opportunities", oi, "kpis", ki), ref


def _state_problems(stages: list[Stage], base: Loc, m: JourneyMap, future: bool) -> list[Problem]:
    problems: list[Problem] = []
    personas = {p.id for p in m.personas}
    current_stages = {s.id for s in m.stages}
    current_steps = {step.id for _, step in m.steps()}
    own_steps = {step.id for stage in stages for step in stage.steps}
    scale = m.emotion_scale
    for si, stage in enumerate(stages):
        problems += _current_ref((*base, si, "current"), stage.current, current_stages, future)
        for pi, step in enumerate(stage.steps):
            at = (*base, si, "steps", pi)
            problems += _current_ref((*at, "current"), step.current, current_steps, future)
            for ri, ref in enumerate(step.personas):
                if ref not in personas:
                    problems.append(_dangling((*at, "personas", ri), "persona", ref, personas))
            if step.alternative_to is not None and step.alternative_to not in own_steps:
                problems.append(
                    _dangling((*at, "alternative_to"), "step", step.alternative_to, own_steps)
                )
            for fi, feeling in enumerate(step.feelings):
                if feeling.persona is not None and feeling.persona not in personas:
                    problems.append(
                        _dangling(
                            (*at, "feelings", fi, "persona"), "persona", feeling.persona, personas
                        )
                    )
                if feeling.score is not None and not scale.min <= feeling.score <= scale.max:
                    problems.append(
                        Problem(
                            (*at, "feelings", fi, "score"),
                            f"score {feeling.score:g} is outside the emotion scale "
                            f"{scale.min:g}..{scale.max:g}",
                        )
                    )
    return problems


def _lane_problems(m: JourneyMap) -> list[Problem]:
    """Custom lanes: a metric lane names a KPI of the map, each lane follows a lane that
    exists, and steps put text only in text/list lanes and pictures only in image lanes."""
    from .journey import BUILT_IN_LANES

    problems: list[Problem] = []
    kinds = {lane.id: lane.kind for lane in m.lanes}
    kpis = {kpi.id for kpi in m.kpis}
    places = set(BUILT_IN_LANES) | set(kinds)
    for i, lane in enumerate(m.lanes):
        if lane.kind == "metric" and lane.kpi is None:
            problems.append(Problem(("lanes", i, "kpi"), "a metric lane needs the id of a KPI"))
        elif lane.kpi is not None and lane.kind != "metric":
            problems.append(Problem(("lanes", i, "kpi"), "only a metric lane shows a KPI"))
        elif lane.kpi is not None and lane.kpi not in kpis:
            problems.append(_dangling(("lanes", i, "kpi"), "KPI", lane.kpi, kpis))
        if lane.after is not None and (lane.after not in places or lane.after == lane.id):
            problems.append(_dangling(("lanes", i, "after"), "lane", lane.after, places))
    for at, step in _located_steps(m):
        problems += _cell_problems(at, step.lanes, step.images, kinds)
    return problems


def _cell_problems(
    at: Loc, lanes: dict[str, list[str]], images: list[CellImage], kinds: Mapping[str, str]
) -> list[Problem]:
    problems = []
    texts = {k for k, kind in kinds.items() if kind in ("text", "list")}
    pictures = {k for k, kind in kinds.items() if kind == "image"}
    for key in lanes:
        if key not in texts:
            problems.append(_dangling((*at, "lanes", key), "text or list lane", key, texts))
    for ii, image in enumerate(images):
        if image.lane is not None and image.lane not in pictures:
            problems.append(
                _dangling((*at, "images", ii, "lane"), "image lane", image.lane, pictures)
            )
    return problems


def _current_ref(loc: Loc, ref: str | None, known: set[str], future: bool) -> list[Problem]:
    if ref is None:
        return []
    if not future:
        return [Problem(loc, "'current' is only used in the future state")]
    if ref not in known:
        return [_dangling(loc, "current-state element", ref, known)]
    return []


def _dangling(loc: Loc, kind: str, ref: str, known: set[str]) -> Problem:
    hint = ", ".join(sorted(known)[:8]) or "none defined"
    return Problem(loc, f"unknown {kind} {ref!r} (known: {hint})")
