"""Pure renderers: a map (plus optional evidence figures) -> HTML, SVG, PNG, PDF."""

from __future__ import annotations

from pathlib import Path

from ..formats import atomic_write_text
from ..model import JourneyMap
from .browser import BrowserMissing, html_to_pdf, html_to_png
from .html import StateChoice, layouts_for, render_fragment, render_html
from .layout import MapLayout, build_layout
from .svg import svg_document

FORMATS = (".html", ".svg", ".png", ".pdf")


def render_svg(
    journey: JourneyMap,
    state: StateChoice = "both",
    persona: str | None = None,
    step_metrics: dict[str, dict[str, str | float]] | None = None,
) -> str:
    """A standalone SVG of the map; with ``both``, the future state is drawn below the current."""
    return svg_document(layouts_for(journey, state, persona, step_metrics))


def render_file(
    journey: JourneyMap,
    path: str | Path,
    state: StateChoice = "both",
    persona: str | None = None,
    step_metrics: dict[str, dict[str, str | float]] | None = None,
) -> Path:
    """Render to ``path``; the suffix picks the format (.html, .svg, .png, .pdf)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        atomic_write_text(path, render_svg(journey, state, persona, step_metrics))
        return path
    html = render_html(journey, state, persona, step_metrics)
    if suffix == ".html":
        atomic_write_text(path, html)
        return path
    if suffix == ".png":
        return html_to_png(html, path)
    if suffix == ".pdf":
        return html_to_pdf(html, path)
    raise ValueError(f"cannot render to {path.name}: use one of {', '.join(FORMATS)}")


__all__ = [
    "FORMATS",
    "BrowserMissing",
    "MapLayout",
    "build_layout",
    "render_file",
    "render_fragment",
    "render_html",
    "render_svg",
]
