"""The map as self-contained HTML: inline CSS and a tiny toggle script, nothing fetched."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from ..model import JourneyMap
from .labels import labels_for
from .layout import COLUMN_WIDTH, MapLayout, build_layout
from .media import DEFAULT_STAGE, channel_icon, readable_text, shown_image
from .svg import curve_svg

StateChoice = Literal["current", "future", "both"]
_ENV = Environment(
    loader=PackageLoader("journeyscope.render", "assets"),
    autoescape=select_autoescape(["j2", "html"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # package files: compiled once, never checked again per request
)


def layouts_for(
    journey: JourneyMap,
    state: StateChoice = "both",
    persona: str | None = None,
    step_metrics: dict[str, dict[str, str | float]] | None = None,
) -> list[MapLayout]:
    """The layouts to draw: one per state asked for (``both`` = current, then future if any)."""
    if state == "both":
        states = ["current", "future"] if journey.future else ["current"]
    else:
        states = [state]
    return [build_layout(journey, s, persona, step_metrics) for s in states]  # type: ignore[arg-type]


def render_fragment(
    journey: JourneyMap,
    state: StateChoice = "both",
    persona: str | None = None,
    step_metrics: dict[str, dict[str, str | float]] | None = None,
) -> Markup:
    """The map as an HTML fragment (no <html> wrapper) to embed in other pages."""
    layouts = layouts_for(journey, state, persona, step_metrics)
    colors = {c.persona: c.color for c in layouts[0].curves if c.persona}
    return Markup(
        _ENV.get_template("fragment.html.j2").render(
            journey=journey,
            rtl=journey.is_rtl,
            states=layouts,
            curves={layout.state: Markup(curve_svg(layout)) for layout in layouts},
            labels=labels_for(journey.language),
            colors=colors,
            column_width=COLUMN_WIDTH,
            steps_count=sum(1 for _ in journey.steps()),
            default_stage=DEFAULT_STAGE,
            readable_text=readable_text,
            shown_image=shown_image,
            channel_icon=lambda channel: Markup(channel_icon(channel)),
            initials=_initials,
        )
    )


def _initials(name: str) -> str:
    return "".join(word[0] for word in name.split()[:2]).upper()


@cache
def map_css() -> str:
    """The map's style sheet (package data, read once per process)."""
    return (resources.files("journeyscope.render") / "assets" / "map.css").read_text("utf-8")


def render_html(
    journey: JourneyMap,
    state: StateChoice = "both",
    persona: str | None = None,
    step_metrics: dict[str, dict[str, str | float]] | None = None,
) -> str:
    """A complete, self-contained HTML page of the map."""
    return _ENV.get_template("map.html.j2").render(
        journey=journey,
        rtl=journey.is_rtl,
        css=Markup(map_css()),
        fragment=render_fragment(journey, state, persona, step_metrics),
    )
