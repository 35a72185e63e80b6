"""The map as a PowerPoint deck (.pptx, python-pptx): a title slide, the map picture, one
slide per stage with its steps, and the top pain points — those the evidence found when there
is an evaluation, else the ones drawn on the map.

>>> from journeyscope.formats import load_template
>>> data = render_pptx(load_template("support-agent"))
>>> data[:2] == b"PK"  # a .pptx is a zip file
True
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from ..model import JourneyMap, Stage
from .labels import labels_for
from .lane import pain_point_figure, pain_point_label

__all__ = ["render_pptx"]

#: pain points on the closing slide
TOP_PAIN_POINTS = 6
#: steps listed on a stage slide (the rest counted)
STEPS_PER_SLIDE = 8


def render_pptx(
    journey: JourneyMap,
    map_png: bytes | None = None,
    pain_points: list[Mapping[str, Any]] | None = None,
) -> bytes:
    """The deck as bytes. ``map_png`` (a picture of the map, e.g. from ``render_file(...png)``)
    gets a slide of its own; ``pain_points`` are stored insights rows (``Insights.to_dict()``
    ``["pain_points"]``)."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    labels = labels_for(journey.language)
    _title_slide(deck, journey, labels)
    if map_png:
        _picture_slide(deck, journey.title, map_png)
    for stage in journey.stages:
        _stage_slide(deck, stage, labels)
    _pain_point_slide(deck, journey, labels, pain_points)
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def _title_slide(deck: Any, journey: JourneyMap, labels: dict[str, Any]) -> None:
    slide = deck.slides.add_slide(deck.slide_layouts[0])
    slide.shapes.title.text = journey.title
    steps = sum(len(s.steps) for s in journey.stages)
    moments = sum(st.moment_of_truth for s in journey.stages for st in s.steps)
    opportunities = sum(len(st.opportunities) for s in journey.stages for st in s.steps)
    facts = labels["story"]["facts"].format(
        steps=steps, moments=moments, opportunities=opportunities, kpis=len(journey.kpis)
    )
    subtitle = slide.placeholders[1]
    subtitle.text = "\n".join(t for t in (journey.description or "", facts) if t)


def _picture_slide(deck: Any, title: str, png: bytes) -> None:
    from PIL import Image
    from pptx.util import Emu, Inches

    slide = deck.slides.add_slide(deck.slide_layouts[5])  # title only
    slide.shapes.title.text = title
    with Image.open(io.BytesIO(png)) as image:
        width, height = image.size
    box_w, box_h, top = deck.slide_width - Inches(0.6), deck.slide_height - Inches(1.7), Inches(1.4)
    scale = min(box_w / width, box_h / height)
    w, h = int(width * scale), int(height * scale)
    left = (deck.slide_width - w) // 2
    slide.shapes.add_picture(io.BytesIO(png), Emu(left), Emu(top), Emu(w), Emu(h))


def _stage_slide(deck: Any, stage: Stage, labels: dict[str, Any]) -> None:
    slide = deck.slides.add_slide(deck.slide_layouts[1])  # title and content
    slide.shapes.title.text = stage.name
    body = slide.placeholders[1].text_frame
    body.clear()
    lines: list[tuple[str, int]] = []
    if stage.goals:
        lines.append((f"{labels['goals']}: " + "; ".join(stage.goals), 0))
    for step in stage.steps[:STEPS_PER_SLIDE]:
        feeling = step.feeling_for(None)
        mark = " ★" if step.moment_of_truth else ""
        score = f" ({feeling.score:+g})" if feeling and feeling.score is not None else ""
        lines.append((f"{step.name}{mark}{score}", 0))
        for pain in step.pain_points[:2]:
            lines.append((f"⚠ {pain}", 1))
        for opportunity in step.opportunities[:1]:
            lines.append((f"→ {opportunity.title}", 1))
    if len(stage.steps) > STEPS_PER_SLIDE:
        lines.append((f"… +{len(stage.steps) - STEPS_PER_SLIDE}", 0))
    for number, (text, level) in enumerate(lines):
        paragraph = body.paragraphs[0] if number == 0 else body.add_paragraph()
        paragraph.text, paragraph.level = text, level


def _pain_point_slide(
    deck: Any,
    journey: JourneyMap,
    labels: dict[str, Any],
    found: list[Mapping[str, Any]] | None,
) -> None:
    names = {st.id: st.name for s in journey.stages for st in s.steps}
    personas = {p.id: p.name for p in journey.personas}
    lines: list[str] = []
    if found:
        ranked = sorted(
            (p for p in found if p.get("status") != "dismissed"),
            key=lambda p: -(p.get("priority") or 0),
        )
        for point in ranked[:TOP_PAIN_POINTS]:
            where = ", ".join(names.get(s, s) for s in point.get("steps") or [])
            label = pain_point_label(point, journey.language, personas)
            figure = pain_point_figure(point, journey.language)
            lines.append(f"{label} — {where}: {figure}" if where else f"{label}: {figure}")
    else:
        for stage in journey.stages:
            for step in stage.steps:
                lines += [f"⚠ {step.name}: {pain}" for pain in step.pain_points]
        lines = lines[:TOP_PAIN_POINTS]
    if not lines:
        return
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = labels["lanes"]["pain_points"]
    body = slide.placeholders[1].text_frame
    body.clear()
    for number, text in enumerate(lines):
        (body.paragraphs[0] if number == 0 else body.add_paragraph()).text = text
