"""Pure renderers: a map (plus optional evidence figures) -> HTML, SVG, PNG, PDF."""

from __future__ import annotations

from pathlib import Path

from .. import plugins
from ..model import JourneyMap
from .browser import BrowserMissing
from .html import StateChoice, layouts_for, render_fragment, render_html
from .layout import MapLayout, build_layout
from .svg import svg_document


def _drawings() -> dict[str, plugins.OutputFormat]:
    """The registered output formats that draw a map, by file suffix."""
    return {f.suffix: f for f in plugins.output_formats().values() if f.render is not None}


#: the file suffixes ``render_file`` draws (.html, .svg, .png, .pdf and any a plugin adds)
FORMATS = plugins.Names(_drawings)


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
    """Render to ``path``; the suffix picks the output format (.html, .svg, .png, .pdf, or
    one a plugin registers)."""
    path = Path(path)
    drawing = _drawings().get(path.suffix.lower())
    if drawing is None or drawing.render is None:
        raise ValueError(f"cannot render to {path.name}: use one of {', '.join(FORMATS)}")
    return drawing.render(journey, path, state, persona, step_metrics)


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
