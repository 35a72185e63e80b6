"""The story's closing chart: each persona's emotion curve before (current) and after (future).

Both states are drawn on one axis of current-state stages: a future stage sits in the band of
the current stage its ``current:`` names, so the two curves line up stage by stage. The same
curves, blended, give the animation frames of the video.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from markupsafe import escape

from ..model import JourneyMap, Stage
from .labels import labels_for
from .layout import Curve, CurvePoint, build_layout, smooth_path
from .svg import FONT

WIDTH, HEIGHT = 1120, 400
TOP, BOTTOM, SIDE = 44, 46, 24


@dataclass(frozen=True)
class PersonaCurves:
    """One persona's points (x, score) in the current and the future state."""

    name: str
    color: str
    current: list[tuple[float, float]]
    future: list[tuple[float, float]]


def _bands(journey: JourneyMap) -> dict[str, tuple[float, float]]:
    width = (WIDTH - 2 * SIDE) / len(journey.stages)
    return {s.id: (SIDE + n * width, SIDE + (n + 1) * width) for n, s in enumerate(journey.stages)}


def _positions(journey: JourneyMap, groups: dict[str, list[str]]) -> dict[str, float]:
    """Step id -> x: the steps of each band spread evenly across it (mirrored when RTL)."""
    positions: dict[str, float] = {}
    for stage_id, (left, right) in _bands(journey).items():
        steps = groups.get(stage_id, [])
        for n, step_id in enumerate(steps):
            x = left + (n + 0.5) / len(steps) * (right - left)
            positions[step_id] = WIDTH - x if journey.is_rtl else x
    return positions


def _future_groups(journey: JourneyMap) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    future: list[Stage] = journey.future.stages if journey.future else []
    for stage in future:
        if stage.current:
            groups.setdefault(stage.current, []).extend(step.id for step in stage.steps)
    return groups


def persona_curves(journey: JourneyMap) -> list[PersonaCurves]:
    """Every persona's current and future emotion points on the shared stage axis.

    A stage the future state does not redraw carries its current points over.
    """
    current_groups = {s.id: [step.id for step in s.steps] for s in journey.stages}
    future_groups = _future_groups(journey)
    current_x = _positions(journey, current_groups)
    kept = {s: steps for s, steps in current_groups.items() if s not in future_groups}
    future_x = _positions(journey, future_groups) | _positions(journey, kept)
    current = build_layout(journey, "current").curves
    future = build_layout(journey, "future").curves if journey.future else []
    by_persona = {curve.persona: curve for curve in future}
    out = []
    for curve in current:
        later = _placed(by_persona.get(curve.persona), future_x)
        if later:
            kept_x = {step: x for step, x in current_x.items() if step in future_x}
            later = sorted(later + _placed(curve, kept_x))
        out.append(PersonaCurves(curve.name, curve.color, _placed(curve, current_x), later))
    return out


def _placed(curve: Curve | None, xs: dict[str, float]) -> list[tuple[float, float]]:
    if curve is None:
        return []
    return sorted((xs[p.step_id], p.score) for p in curve.points if p.step_id in xs)


def _y(journey: JourneyMap, score: float) -> float:
    scale = journey.emotion_scale
    fraction = (score - scale.min) / (scale.max - scale.min)
    return TOP + (1 - fraction) * (HEIGHT - TOP - BOTTOM)


def _path(journey: JourneyMap, points: list[tuple[float, float]], lift: float, smooth: bool) -> str:
    placed = [(x, _y(journey, score) + lift) for x, score in points]
    if not smooth:
        return "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in placed)
    return smooth_path([CurvePoint(None, "", x, y, 0, "") for x, y in placed])


def _at(points: list[tuple[float, float]], x: float) -> float:
    """The score at ``x``, eased between neighbouring points (flat beyond the ends)."""
    if x <= points[0][0]:
        return points[0][1]
    for (x0, s0), (x1, s1) in itertools.pairwise(points):
        if x0 <= x <= x1:
            fraction = (x - x0) / (x1 - x0) if x1 > x0 else 0.0
            # cosine easing matches the horizontal handles of the drawn Bézier curves
            return s0 + (s1 - s0) * (1 - math.cos(math.pi * fraction)) / 2
    return points[-1][1]


def blend(curves: PersonaCurves, t: float, samples: int = 120) -> list[tuple[float, float]]:
    """The curve ``t`` of the way from the current (0) to the future state (1)."""
    if not curves.future or not curves.current:
        return curves.current or curves.future
    xs = [x for x, _ in curves.current + curves.future]
    left, right = min(xs), max(xs)
    return [
        (x, (1 - t) * _at(curves.current, x) + t * _at(curves.future, x))
        for x in (left + (right - left) * n / (samples - 1) for n in range(samples))
    ]


def _frame(journey: JourneyMap) -> list[str]:
    out = [f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff" rx="12"/>']
    for n, (stage_id, (left, right)) in enumerate(_bands(journey).items()):
        if journey.is_rtl:
            left, right = WIDTH - right, WIDTH - left
        fill = "#f8fafc" if n % 2 == 0 else "#eef2ff"
        name = next(s.name for s in journey.stages if s.id == stage_id)
        out.append(
            f'<rect x="{left:.1f}" y="{TOP - 8}" width="{right - left:.1f}" '
            f'height="{HEIGHT - TOP - BOTTOM + 16}" fill="{fill}"/>'
            f'<text x="{(left + right) / 2:.1f}" y="{TOP - 16}" text-anchor="middle" '
            f'class="band">{escape(name)}</text>'
        )
    scale = journey.emotion_scale
    if scale.min < 0 < scale.max:
        zero = _y(journey, 0)
        out.append(
            f'<line x1="{SIDE}" x2="{WIDTH - SIDE}" y1="{zero:.1f}" y2="{zero:.1f}" '
            'stroke="#94a3b8" stroke-dasharray="4 4"/>'
        )
    return out


def _key(x: float, color: str, name: str, rtl: bool, dashed: bool = False) -> tuple[str, float]:
    """One legend entry at ``x`` (its outer edge); returns the markup and the next free x."""
    width = 22 + 7.5 * len(name)
    left = x - width if rtl else x
    dash = ' stroke-dasharray="5 4"' if dashed else ""
    swatch_x, text_x = (left + width - 16, left + width - 22) if rtl else (left, left + 22)
    anchor = "end" if rtl else "start"
    y = HEIGHT - 20
    markup = (
        f'<line x1="{swatch_x:.0f}" x2="{swatch_x + 16:.0f}" y1="{y}" y2="{y}" stroke="{color}" '
        f'stroke-width="4"{dash}/><text x="{text_x:.0f}" y="{y + 5}" text-anchor="{anchor}" '
        f'class="legend">{escape(name)}</text>'
    )
    return markup, (left - 24 if rtl else left + width + 24)


def _legend(journey: JourneyMap, curves: list[PersonaCurves], animated: bool) -> str:
    labels, rtl = labels_for(journey.language), journey.is_rtl
    out, x = [], float(WIDTH - SIDE if rtl else SIDE)
    for curve in curves:
        markup, x = _key(x, curve.color, curve.name, rtl)
        out.append(markup)
    if not animated:
        # the state key sits at the far end, drawn from that edge inwards
        far = float(SIDE if rtl else WIDTH - SIDE)
        for name, dashed in ((labels["future"], False), (labels["current"], True)):
            width = 46 + 7.5 * len(name)
            markup, _ = _key(far if rtl else far - width, "#475569", name, False, dashed)
            out.append(markup)
            far = far + width if rtl else far - width
    return "".join(out)


def before_after_svg(journey: JourneyMap, t: float | None = None) -> str:
    """The before/after chart; with ``t`` (0..1) one animation frame of the blended curve."""
    curves = persona_curves(journey)
    out = _frame(journey)
    for n, curve in enumerate(curves):
        # personas who feel the same are drawn a few pixels apart, so no curve hides another
        lift = (n - (len(curves) - 1) / 2) * 4
        if t is None:
            out.append(_stroke(journey, curve.current, curve.color, lift, "before"))
            out.append(_stroke(journey, curve.future, curve.color, lift, "after"))
            out += [_dot(journey, p, curve.color, lift) for p in curve.current + curve.future]
        else:
            out.append(_stroke(journey, curve.current, "#cbd5e1", lift, "before"))
            out.append(_stroke(journey, blend(curve, t), curve.color, lift, "blend"))
    out.append(_legend(journey, curves, t is not None))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="story-curve" viewBox="0 0 {WIDTH} '
        f'{HEIGHT}" width="{WIDTH}" height="{HEIGHT}" direction="ltr" font-family="{FONT}" '
        'font-size="14">'
        "<style>.band{font-weight:700;fill:#1e3a8a}.legend{fill:#1e293b}</style>"
        f"{''.join(out)}</svg>"
    )


def _stroke(
    journey: JourneyMap, points: list[tuple[float, float]], color: str, lift: float, kind: str
) -> str:
    if not points:
        return ""
    dash = ' stroke-dasharray="7 6" opacity="0.8"' if kind == "before" else ""
    path = _path(journey, points, lift, smooth=kind != "blend")
    return (
        f'<path d="{path}" fill="none" stroke="{color}" stroke-width="4"{dash} '
        f'stroke-linejoin="round" class="story-{kind}"/>'
    )


def _dot(journey: JourneyMap, point: tuple[float, float], color: str, lift: float) -> str:
    x, score = point
    return f'<circle cx="{x:.1f}" cy="{_y(journey, score) + lift:.1f}" r="5" fill="{color}"/>'
