"""The built-in output formats: drawings (HTML, SVG, PNG, PDF) and exports (Mermaid, CSV, JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from ._types import OutputFormat
from .hookspecs import hookimpl

if TYPE_CHECKING:
    from ..model import JourneyMap, MapState
    from ..render.html import StateChoice
    from ..render.lane import LaneFigures

Metrics: TypeAlias = "LaneFigures | None"  # the evidence lane's figures per step


# Imported when asked (here and below): every layer may import the registry, and a map export
# needs no renderer loaded.
def render_html(
    journey: JourneyMap, path: Path, state: StateChoice, persona: str | None, step_metrics: Metrics
) -> Path:
    from ..formats import atomic_write_text
    from ..render.html import render_html

    atomic_write_text(path, render_html(journey, state, persona, step_metrics))
    return path


def render_svg(
    journey: JourneyMap, path: Path, state: StateChoice, persona: str | None, step_metrics: Metrics
) -> Path:
    from ..formats import atomic_write_text
    from ..render import render_svg

    atomic_write_text(path, render_svg(journey, state, persona, step_metrics))
    return path


def render_png(
    journey: JourneyMap, path: Path, state: StateChoice, persona: str | None, step_metrics: Metrics
) -> Path:
    from ..render.browser import html_to_png
    from ..render.html import render_html

    return html_to_png(render_html(journey, state, persona, step_metrics), path)


def render_pdf(
    journey: JourneyMap, path: Path, state: StateChoice, persona: str | None, step_metrics: Metrics
) -> Path:
    from ..render.browser import html_to_pdf
    from ..render.html import render_html

    return html_to_pdf(render_html(journey, state, persona, step_metrics), path)


def export_mermaid(journey: JourneyMap, state: MapState, persona: str | None) -> str:
    from ..formats.export import to_mermaid

    return to_mermaid(journey, state, persona)


def export_csv(journey: JourneyMap, state: MapState, persona: str | None) -> str:
    from ..formats.export import to_csv

    return to_csv(journey, state)


def export_json(journey: JourneyMap, state: MapState, persona: str | None) -> str:
    from ..formats.export import to_json

    return to_json(journey)


@hookimpl
def register_output_formats() -> list[OutputFormat]:
    return [
        OutputFormat("html", ".html", render=render_html),
        OutputFormat("svg", ".svg", render=render_svg),
        OutputFormat("png", ".png", render=render_png),
        OutputFormat("pdf", ".pdf", render=render_pdf),
        OutputFormat("mermaid", ".mmd", export=export_mermaid),
        OutputFormat("csv", ".csv", export=export_csv),
        OutputFormat("json", ".json", export=export_json),
    ]
