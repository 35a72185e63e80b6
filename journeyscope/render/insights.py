"""Insights as HTML: ranked pain points, the evidence emotion curve beside the assumed one,
one chart per KPI with its target line, validation tables, improvements and staleness.

``insights_section`` is a fragment (the analysis report includes it); ``render_insights`` is a
self-contained page with Plotly inlined.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from ..insights import Insights
from ..model import JourneyMap
from .html import _ENV
from .report import plotly_js

__all__ = ["insights_section", "render_insights"]

_MARGIN = {"l": 10, "r": 10, "t": 30, "b": 10}


def _html(figure: Any) -> Markup:
    return Markup(figure.to_html(full_html=False, include_plotlyjs=False))


def emotion_chart(insights: Insights, journey: JourneyMap) -> Markup:
    """Assumed feeling score per step, and the survey evidence with its 95% interval."""
    import plotly.graph_objects as go

    points = insights.emotion_curve
    names = [p.name for p in points]
    scale = journey.emotion_scale
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=names,
            y=[p.assumed for p in points],
            name="Assumed (map)",
            mode="lines+markers",
            line={"dash": "dot", "color": "#7b8794"},
        )
    )
    evidence = [p for p in points if p.mean is not None]
    figure.add_trace(
        go.Scatter(
            x=[p.name for p in evidence],
            y=[p.mean for p in evidence],
            name="Surveys (95% CI)",
            mode="markers+text",
            marker={"size": 11, "color": "#2f80ed"},
            text=[f"n={p.answers}" for p in evidence],
            textposition="top right",
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [(p.high or 0.0) - (p.mean or 0.0) for p in evidence],
                "arrayminus": [(p.mean or 0.0) - (p.low or 0.0) for p in evidence],
            },
        )
    )
    figure.update_layout(
        height=380,
        margin=_MARGIN,
        legend={"orientation": "h", "y": 1.12},
        yaxis={"range": [scale.min - 0.3, scale.max + 0.3], "title": "Emotion"},
    )
    return _html(figure)


def kpi_chart(kpi: Any) -> Markup:
    """One KPI per period, with its target as a dashed line."""
    import plotly.graph_objects as go

    periods = [p for p in kpi.periods if p["value"] is not None]
    figure = go.Figure(
        go.Scatter(
            x=[p["period"] for p in periods],
            y=[p["value"] for p in periods],
            mode="lines+markers",
            name=kpi.name,
        )
    )
    if kpi.target is not None:
        figure.add_hline(
            y=kpi.target,
            line_dash="dash",
            line_color="#d64545",
            annotation_text=f"target {kpi.target:g}",
        )
    figure.update_layout(height=240, margin=_MARGIN, title={"text": kpi.name, "x": 0})
    return _html(figure)


def _context(insights: Insights, journey: JourneyMap) -> dict[str, Any]:
    names = {step.id: step.name for _, step in journey.steps()}
    names |= {tp.id: tp.name for _, tp in journey.touchpoints()}
    data = insights.to_dict()
    return {
        "data": data,
        "names": names,
        "emotion": emotion_chart(insights, journey)
        if any(p.answers for p in insights.emotion_curve)
        else None,
        "kpi_charts": [
            kpi_chart(k) for k in insights.kpis if any(p["value"] is not None for p in k.periods)
        ],
    }


def insights_section(insights: Insights, journey: JourneyMap) -> Markup:
    """The insights as an HTML fragment (needs Plotly's script on the page)."""
    template = _ENV.get_template("insights.html.j2")
    return Markup(template.render(**_context(insights, journey)))


def render_insights(insights: Insights, journey: JourneyMap) -> str:
    """A self-contained page with every insight."""
    return _ENV.get_template("insights-page.html.j2").render(
        journey=journey,
        section=insights_section(insights, journey),
        plotly_js=Markup(plotly_js()),
        rtl=journey.is_rtl,
    )
