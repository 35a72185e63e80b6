"""The analysis as one self-contained HTML report: Sankey of flows, funnels, tables, the map
with its evidence lane. Plotly's script is inlined, so nothing is fetched when it is opened."""

from __future__ import annotations

from functools import cache

from markupsafe import Markup

from ..analytics import Analysis
from ..insights import Insights
from ..model import JourneyMap
from .html import _ENV, map_css, render_fragment

__all__ = ["render_report", "step_metrics"]


@cache
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _names(analysis: Analysis) -> dict[str, str]:
    return {step["id"]: step["name"] for step in analysis.steps}


def _sankey(analysis: Analysis, segment: str) -> str:
    import plotly.graph_objects as go

    names = _names(analysis)
    rows = [r for r in analysis.tables["flows"].to_pylist() if r["segment"] == segment][:60]
    nodes: list[str] = []

    def node(step: str, side: str) -> int:
        # a step drawn once as a target and once as a source keeps the diagram acyclic
        key = f"{step}|{side}" if step not in ("[start]", "[end]") else step
        if key not in nodes:
            nodes.append(key)
        return nodes.index(key)

    link: dict[str, list[int]] = {"source": [], "target": [], "value": []}
    for row in rows:
        link["source"].append(node(row["source"], "out"))
        link["target"].append(node(row["target"], "in"))
        link["value"].append(row["count"])
    labels = [names.get(n.split("|")[0], n.split("|")[0]) for n in nodes]
    figure = go.Figure(go.Sankey(node={"label": labels, "pad": 12}, link=link))
    figure.update_layout(height=520, margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return str(figure.to_html(full_html=False, include_plotlyjs=False))


def _funnel(analysis: Analysis, table: str, segment: str) -> str:
    import plotly.graph_objects as go

    names = _names(analysis) | {s["stage"]: s["stage_name"] for s in analysis.steps}
    rows = [r for r in analysis.tables[table].to_pylist() if r["segment"] == segment]
    figure = go.Figure(
        go.Funnel(
            y=[names.get(r["step"], r["step"]) for r in rows],
            x=[r["journeys"] for r in rows],
            textinfo="value+percent initial",
        )
    )
    figure.update_layout(height=60 + 42 * len(rows), margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return str(figure.to_html(full_html=False, include_plotlyjs=False))


def step_metrics(analysis: Analysis, segment: str = "all") -> dict[str, dict[str, str | float]]:
    """Per step: customers and share reached, funnel conversion — for the map's evidence lane."""
    metrics: dict[str, dict[str, str | float]] = {}
    for row in analysis.tables["reach"].to_pylist():
        if row["segment"] == segment:
            metrics[row["step"]] = {
                "customers": f"{row['customers']:,}",
                "reach": f"{row['share']:.0%}",
            }
    funnel = analysis.tables["funnel"].to_pylist() if "funnel" in analysis.tables else []
    for row in funnel:
        if row["segment"] == segment and row["step"] in metrics:
            metrics[row["step"]]["funnel"] = f"{row['conversion']:.0%} of entrants"
    return metrics


def render_report(
    analysis: Analysis, journey: JourneyMap | None = None, insights: Insights | None = None
) -> str:
    """The whole analysis as one HTML page (user text escaped by the template engine); with
    ``insights``, their section (pain points, evidence, KPIs...) follows."""
    data = analysis.to_dict()
    segments = data["summary"]["segments"] or ["all"]
    segment = segments[0]
    charts = {"sankey": Markup(_sankey(analysis, segment))}
    for table in ("funnel", "stage_funnel"):
        if table in analysis.tables:
            charts[table] = Markup(_funnel(analysis, table, segment))
    fragment = None
    if journey is not None:
        fragment = Markup(
            render_fragment(journey, "current", None, step_metrics(analysis, segment))
        )
    section = None
    if insights is not None and journey is not None:
        from .insights import insights_section

        section = insights_section(insights, journey)
    return _ENV.get_template("report.html.j2").render(
        insights=section,
        data=data,
        names=_names(analysis),
        segment=segment,
        charts=charts,
        journey=journey,
        rtl=bool(journey and journey.is_rtl),
        fragment=fragment,
        css=Markup(map_css()),
        plotly_js=Markup(_plotly_js()),
    )
