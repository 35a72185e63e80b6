"""Small SVG charts of evidence, drawn on the server (no script): a KPI's value per period
against its target, and the feelings measured in surveys beside the ones the map draws.

Every text is escaped; the words (legend, axis) come from the caller, in its language.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["FeelingPoint", "feelings_svg", "kpi_svg"]

W, H, PAD_X, PAD_Y = 640, 220, 48, 28


def _scale(lo: float, hi: float, top: float, bottom: float) -> Callable[[float], float]:
    span = (hi - lo) or 1.0
    return lambda v: bottom - (v - lo) / span * (bottom - top)


def _x(i: int, n: int) -> float:
    return PAD_X + (i * (W - 2 * PAD_X) / max(n - 1, 1))


def _text(x: float, y: float, text: str, anchor: str = "middle", cls: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="{cls}">'
            f"{escape(text)}</text>")  # fmt: skip


def kpi_svg(
    periods: Sequence[tuple[str, float | None]],
    target: float | None,
    *,
    title: str,
    value_label: str,
    target_label: str,
    percent: bool = False,
) -> str:
    """A line of the KPI's value per period, a dashed line at the target."""
    values = [v for _, v in periods if v is not None]
    if not values:
        return ""
    lo, hi = (
        min([*values, *([target] if target is not None else [])]),
        max([*values, *([target] if target is not None else [])]),
    )
    lo, hi = (min(lo, 0.0), hi * 1.1 if hi > 0 else hi + 1)
    y = _scale(lo, hi, PAD_Y, H - PAD_Y)
    n = len(periods)
    points = " ".join(f"{_x(i, n):.1f},{y(v):.1f}" for i, (_, v) in enumerate(periods)
                      if v is not None)  # fmt: skip
    fmt = (lambda v: f"{v:.0%}") if percent else (lambda v: f"{v:,.3g}")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" '
        f'class="chart-svg kpi-chart" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{PAD_X}" y1="{H - PAD_Y}" x2="{W - PAD_X}" y2="{H - PAD_Y}" class="axis"/>',
        _text(PAD_X - 6, y(hi) + 4, fmt(hi), "end", "tick"),
        _text(PAD_X - 6, y(lo) + 4, fmt(lo), "end", "tick"),
        f'<polyline points="{points}" class="value-line"/>',
    ]
    for i, (label, v) in enumerate(periods):
        if v is not None:
            parts.append(f'<circle cx="{_x(i, n):.1f}" cy="{y(v):.1f}" r="3" class="value-dot">'
                         f"<title>{escape(label)}: {escape(fmt(v))}</title></circle>")  # fmt: skip
    if target is not None:
        ty = y(target)
        parts.append(f'<line x1="{PAD_X}" y1="{ty:.1f}" x2="{W - PAD_X}" y2="{ty:.1f}" '
                     'class="target-line"/>')  # fmt: skip
        parts.append(_text(W - PAD_X, ty - 6, f"{target_label} {fmt(target)}", "end", "legend"))
    if periods:
        parts.append(_text(PAD_X, H - 8, periods[0][0], "start", "tick"))
        parts.append(_text(W - PAD_X, H - 8, periods[-1][0], "end", "tick"))
    parts.append(_text(PAD_X, 16, value_label, "start", "legend value-legend"))
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class FeelingPoint:
    name: str
    drawn: float | None
    measured: float | None
    low: float | None = None
    high: float | None = None


def feelings_svg(
    points: Sequence[FeelingPoint],
    lo: float,
    hi: float,
    *,
    title: str,
    drawn_label: str,
    measured_label: str,
    rtl: bool = False,
) -> str:
    """Two curves over the steps: as drawn on the map, and as measured (with its 95% interval)."""
    if not points:
        return ""
    n = len(points)
    y = _scale(lo, hi, PAD_Y, H - PAD_Y - 30)

    def x(i: int) -> float:
        return _x(n - 1 - i if rtl else i, n)

    def line(values: list[tuple[int, float | None]], cls: str) -> str:
        pts = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in values if v is not None)
        return f'<polyline points="{pts}" class="{cls}"/>' if pts else ""

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" '
        f'class="chart-svg feelings-chart" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{PAD_X}" y1="{y((lo + hi) / 2):.1f}" x2="{W - PAD_X}" '
        f'y2="{y((lo + hi) / 2):.1f}" class="axis"/>',
        _text(PAD_X - 6, y(hi) + 4, f"{hi:+g}", "end", "tick"),
        _text(PAD_X - 6, y(lo) + 4, f"{lo:+g}", "end", "tick"),
    ]
    for i, p in enumerate(points):
        if p.low is not None and p.high is not None:
            parts.append(f'<line x1="{x(i):.1f}" y1="{y(p.low):.1f}" x2="{x(i):.1f}" '
                         f'y2="{y(p.high):.1f}" class="interval"/>')  # fmt: skip
    parts.append(line([(i, p.drawn) for i, p in enumerate(points)], "drawn-line"))
    parts.append(line([(i, p.measured) for i, p in enumerate(points)], "measured-line"))
    for i, p in enumerate(points):
        if p.measured is not None:
            dot = f'<circle cx="{x(i):.1f}" cy="{y(p.measured):.1f}" r="4" class="measured-dot">'
            parts.append(f"{dot}<title>{escape(p.name)}</title></circle>")
        # steps by number (the table beside the chart names them): names would overlap
        parts.append(_text(x(i), H - 14, str(i + 1), "middle", "tick step-tick"))
    parts.append(_text(PAD_X, 14, f"— {drawn_label}", "start", "legend drawn-legend"))
    parts.append(_text(PAD_X + 200, 14, f"● {measured_label}", "start", "legend measured-legend"))
    parts.append("</svg>")
    return "".join(parts)
