"""A standalone SVG of one map state: real shapes and text, every user string escaped."""

from __future__ import annotations

from markupsafe import escape

from .labels import labels_for
from .layout import (
    COLUMN_WIDTH,
    CURVE_HEIGHT,
    MapLayout,
    smooth_path,
    wrap,
    zero_line_y,
)
from .media import DEFAULT_STAGE, channel_icon, readable_text

LABEL_WIDTH = 170
LINE = 15
GROUP_FILL = {
    "customer": "#f8fafc",
    "emotion": "#ffffff",
    "insight": "#fff7ed",
    "backstage": "#f1f5f9",
    "evidence": "#ecfdf5",
    "custom": "#f5f3ff",
}
IMAGE_HEIGHT = 96
FONT = (
    "system-ui, -apple-system, 'Segoe UI', 'Noto Sans', 'Noto Sans Hebrew', 'DejaVu Sans', "
    "sans-serif"
)


def _text(x: float, y: float, text: str, cls: str = "", anchor: str = "start") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" class="{cls}" text-anchor="{anchor}">{escape(text)}</text>'
    )


def svg_document(layouts: list[MapLayout]) -> str:
    """One SVG with each layout (state) stacked vertically."""
    parts, y = [], 0.0
    width = LABEL_WIDTH + max(layout.width for layout in layouts)
    for layout in layouts:
        body, height = _state(layout, y)
        parts.append(body)
        y += height + 30
    rtl = layouts[0].rtl
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y:.0f}" '
        f'viewBox="0 0 {width} {y:.0f}" direction="{"rtl" if rtl else "ltr"}" '
        f'font-family="{FONT}" font-size="12">'
        "<style>.title{font-size:20px;font-weight:700}.stage{font-weight:700;fill:#fff}"
        ".step{font-weight:600}.lane{font-weight:600;fill:#334155}.cell{fill:#1e293b}"
        ".point{font-size:11px;font-weight:600}.mot{fill:#b45309;font-weight:700}</style>"
        f'<rect width="100%" height="100%" fill="#ffffff"/>{"".join(parts)}</svg>'
    )


def _x(layout: MapLayout, slot: int) -> float:
    """Left edge of column ``slot`` (in map order), mirrored for right-to-left maps."""
    if layout.rtl:
        return (len(layout.columns) - 1 - slot) * COLUMN_WIDTH
    return LABEL_WIDTH + slot * COLUMN_WIDTH


def _curve_origin(layout: MapLayout) -> float:
    return 0 if layout.rtl else LABEL_WIDTH


def _state(layout: MapLayout, top: float) -> tuple[str, float]:
    journey = layout.journey
    label_x = layout.width + LABEL_WIDTH - 8 if layout.rtl else 8
    anchor = "start"  # under direction="rtl", start is the right end
    state_name = labels_for(journey.language)["future"]
    title = journey.title + (f" — {state_name}" if layout.state == "future" else "")
    out = [_text(label_x, top + 26, title, "title", anchor)]
    personas = ", ".join(p.name for p in journey.personas)
    if personas:
        out.append(_text(label_x, top + 46, personas, "cell", anchor))
    y = top + 60
    for stage, first, count in layout.stage_spans():
        x = _x(layout, first + count - 1) if layout.rtl else _x(layout, first)
        fill = stage.color or DEFAULT_STAGE
        out.append(
            f'<rect x="{x + 2}" y="{y}" width="{count * COLUMN_WIDTH - 4}" height="28" rx="6" '
            f'fill="{fill}" class="stage-bar" data-stage="{escape(stage.id)}"/>'
        )
        name = _text(x + count * COLUMN_WIDTH / 2, y + 19, stage.name, "stage", "middle")
        out.append(name.replace('class="stage"', f'class="stage" fill="{readable_text(fill)}"'))
    y += 34
    for column in layout.columns:
        lines = wrap(column.step.name, 26)[:3]
        x = _x(layout, column.index)
        kind = "" if column.step.kind == "required" else f" ({column.step.kind})"
        for n, line in enumerate(lines):
            text = line + (kind if n == len(lines) - 1 else "")
            out.append(_text(x + COLUMN_WIDTH / 2, y + 14 + n * LINE, text, "step", "middle"))
    y += 3 * LINE + 8
    for lane in layout.lanes:
        body, height = _lane(layout, lane.key, lane.group, y)
        out.append(
            f'<rect x="0" y="{y}" width="{layout.width + LABEL_WIDTH}" height="{height}" '
            f'fill="{GROUP_FILL[lane.group]}" stroke="#e2e8f0"/>'
        )
        label = labels_for(journey.language)["lanes"].get(lane.key, lane.label)
        for n, line in enumerate(wrap(label, 22)[:2]):
            out.append(_text(label_x, y + 18 + n * LINE, line, "lane", anchor))
        out.append(body)
        y += height
    return "".join(out), y - top


def _images(layout: MapLayout, key: str, y: float) -> tuple[str, float]:
    out, tallest = [], 2.0 * LINE
    for column in layout.columns:
        x, top = _x(layout, column.index) + 8, y + 8
        for src, caption in column.images.get(key, []):
            if src:
                out.append(
                    f'<image href="{escape(src)}" x="{x}" y="{top}" width="{COLUMN_WIDTH - 16}" '
                    f'height="{IMAGE_HEIGHT}" preserveAspectRatio="xMidYMid meet"/>'
                )
                top += IMAGE_HEIGHT + 4
            if caption:
                out.append(_text(x, top + 11, caption, "cell"))
                top += LINE
        tallest = max(tallest, top - y)
    return "".join(out), tallest + 6


def _chips(layout: MapLayout, y: float) -> tuple[str, float]:
    out, tallest = [], 2
    for column in layout.columns:
        lines = 0
        for channel, name in column.chips:
            left = _x(layout, column.index) + 8
            wrapped = wrap(name, 24)
            text_x = left + 18 if not layout.rtl else _x(layout, column.index) + COLUMN_WIDTH - 26
            icon_x = left if not layout.rtl else _x(layout, column.index) + COLUMN_WIDTH - 22
            top = y + 18 + lines * LINE
            out.append(
                f'<g class="channel" data-channel="{escape(channel)}" color="#3730a3">'
                f"<title>{escape(channel)}</title>{channel_icon(channel, 13, icon_x, top - 11)}</g>"
            )
            for n, line in enumerate(wrapped):
                out.append(_text(text_x, top + n * LINE, line, "cell"))
            lines += len(wrapped) + 1
        tallest = max(tallest, lines - 1)
    return "".join(out), tallest * LINE + 14


def _lane(layout: MapLayout, key: str, group: str, y: float) -> tuple[str, float]:
    if key == "emotion":
        return _curve(layout, y), CURVE_HEIGHT
    if key == "touchpoints":
        return _chips(layout, y)
    if any(lane.key == key and lane.kind == "image" for lane in layout.lanes):
        return _images(layout, key, y)
    out, tallest = [], 2
    for column in layout.columns:
        lines = [line for item in column.cells.get(key, []) for line in [*wrap(item, 27), ""]][:-1]
        tallest = max(tallest, len(lines))
        x = _x(layout, column.index) + (COLUMN_WIDTH - 8 if layout.rtl else 8)
        cls = "mot" if key == "moment_of_truth" else "cell"
        anchor = "start"  # under direction="rtl", start is the right end
        for n, line in enumerate(lines):
            out.append(_text(x, y + 18 + n * LINE, line, cls, anchor))
    return "".join(out), tallest * LINE + 14


def _curve(layout: MapLayout, y: float) -> str:
    origin = _curve_origin(layout)
    out = [f'<g transform="translate({origin},{y})">']
    zero = zero_line_y(layout.journey)
    if zero is not None:
        out.append(
            f'<rect x="0" y="0" width="{layout.width}" height="{zero:.1f}" fill="#ecfdf5"/>'
            f'<rect x="0" y="{zero:.1f}" width="{layout.width}" height="{CURVE_HEIGHT - zero:.1f}" '
            f'fill="#fef2f2"/><line x1="0" x2="{layout.width}" y1="{zero:.1f}" y2="{zero:.1f}" '
            'stroke="#94a3b8" stroke-dasharray="4 4"/>'
        )
    for curve in layout.curves:
        dash = f' stroke-dasharray="{curve.dash}"' if curve.dash else ""
        for segment in curve.segments:
            out.append(
                f'<path d="{smooth_path(segment)}" fill="none" stroke="{curve.color}" '
                f'stroke-width="3"{dash} class="emotion-curve" '
                f'data-persona="{escape(curve.persona or "")}"/>'
            )
        for point in curve.points:
            attrs = (
                f'fill="{curve.color}" class="emotion-point" data-step="{escape(point.step_id)}" '
                f'data-persona="{escape(point.persona or "")}" data-marker="{curve.marker}"'
            )
            out.append(marker(curve.marker, point.x, point.y, attrs))
    out.extend(_point_labels(layout))
    out.append(_legend(layout))
    out.append("</g>")
    return "".join(out)


LABEL_GAP = 12  # px between stacked score labels
LEGEND_GAP, LEGEND_CHAR = 40, 7.0  # legend spacing: a gap plus about 7 px per character


def _point_labels(layout: MapLayout) -> list[str]:
    """Score labels per step: identical ones once, the rest stacked so none overlap (four
    personas with close scores on one step otherwise print on top of each other)."""
    by_x: dict[float, dict[tuple[str, float], tuple[float, str]]] = {}
    for curve in layout.curves:
        for point in curve.points:
            by_x.setdefault(round(point.x, 1), {}).setdefault(
                (point.label, point.score), (round(point.y, 1), curve.color)
            )
    out = []
    for x, labels in by_x.items():
        last = -1e9
        for (label, _), (y, color) in sorted(labels.items(), key=lambda item: item[1][0]):
            top = max(y - 9, last + LABEL_GAP)
            if top > y - 9:  # pushed down onto its own point: put it below the point instead
                top = max(top, y + 18)
            last = top
            out.append(
                f'<text x="{x:.1f}" y="{top:.1f}" class="point" fill="{color}" '
                f'text-anchor="middle" direction="ltr" unicode-bidi="embed">{escape(label)}</text>'
            )
    return out


def marker(shape: str, x: float, y: float, attrs: str, r: float = 5) -> str:
    """A curve point: circle, square, triangle or diamond centred on (x, y)."""
    if shape == "square":
        return f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r}" height="{2 * r}" {attrs}/>'
    if shape == "triangle":
        corners = f"{x:.1f},{y - r - 1:.1f} {x + r + 1:.1f},{y + r:.1f} {x - r - 1:.1f},{y + r:.1f}"
        return f'<polygon points="{corners}" {attrs}/>'
    if shape == "diamond":
        corners = f"{x:.1f},{y - r - 1:.1f} {x + r + 1:.1f},{y:.1f} {x:.1f},{y + r + 1:.1f} "
        corners += f"{x - r - 1:.1f},{y:.1f}"
        return f'<polygon points="{corners}" {attrs}/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" {attrs}/>'


def _legend(layout: MapLayout) -> str:
    if len(layout.curves) < 2:
        return ""
    out, offset = [], 10.0
    for curve in layout.curves:
        if layout.rtl:  # right to left: the legend starts at the right edge and reads leftwards
            x = layout.width - offset - 12
            text = _text(x - 12, CURVE_HEIGHT - 10, curve.name, "cell")  # rtl: start is right
        else:
            x = offset
            x = offset + 8
            text = _text(x + 18, CURVE_HEIGHT - 10, curve.name, "cell")
        offset += LEGEND_GAP + 10 + LEGEND_CHAR * len(curve.name)
        dash = f' stroke-dasharray="{curve.dash}"' if curve.dash else ""
        line_y = CURVE_HEIGHT - 14
        sample = (
            f'<line x1="{x - 8}" x2="{x + 12}" y1="{line_y}" y2="{line_y}" stroke="{curve.color}" '
            f'stroke-width="3"{dash} class="legend-line"/>'
            + marker(curve.marker, x + 2, line_y, f'fill="{curve.color}"', 4)
        )
        out.append(f'<g class="legend" data-persona="{escape(curve.persona or "")}">')
        out.append(sample + text + "</g>")
    return "".join(out)


def curve_svg(layout: MapLayout) -> str:
    """The emotion-curve lane alone, as an inline SVG element for the HTML map."""
    inner = _curve(layout, 0).replace(
        f'<g transform="translate({_curve_origin(layout)},0)">', "<g>", 1
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="curve" width="{layout.width}" '
        f'height="{CURVE_HEIGHT}" viewBox="0 0 {layout.width} {CURVE_HEIGHT}" '
        f'font-family="{FONT}" font-size="12">'
        "<style>.point{font-size:11px;font-weight:600}.cell{fill:#1e293b}</style>"
        f"{inner}</svg>"
    )
