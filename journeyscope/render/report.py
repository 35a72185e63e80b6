"""The analysis as one self-contained HTML report: Sankey of flows, funnels, tables, the map
with its evidence lane. Plotly's script is inlined, so nothing is fetched when it is opened."""

from __future__ import annotations

from functools import cache

from markupsafe import Markup

from ..analytics import Analysis
from ..insights import Insights
from ..model import JourneyMap
from .html import _ENV, map_css, render_fragment
from .lane import add_feelings_and_kpis, add_pain_points, duration, evidence_lane, step_metrics

__all__ = [  # the lane's functions stay importable from here
    "add_feelings_and_kpis",
    "add_pain_points",
    "duration",
    "evidence_lane",
    "funnel_html",
    "plotly_js",
    "render_report",
    "sankey_html",
    "step_metrics",
]


@cache
def plotly_js() -> str:
    """Plotly's script, to inline in a page (nothing is fetched when it opens)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _names(analysis: Analysis) -> dict[str, str]:
    return {step["id"]: step["name"] for step in analysis.steps}


_ENV.filters["duration"] = duration

MIN_EDGE_SHARE = 0.01  # paths Sankey: moves taken by fewer journeys than this are left out
MAX_EDGES = 90


def _paths_sankey(analysis: Analysis, segment: str) -> str:
    """The first steps by position, left to right (``compute_paths``): one column per position,
    an end node where journeys stop."""
    import plotly.graph_objects as go

    names = _names(analysis)
    rows = [r for r in analysis.tables["paths"].to_pylist() if r["segment"] == segment]
    journeys = sum(r["count"] for r in rows if r["depth"] == 1) or 1
    rows = [r for r in rows if r["count"] >= MIN_EDGE_SHARE * journeys][:MAX_EDGES]
    nodes: list[tuple[int, str]] = []

    def node(depth: int, step: str) -> int:
        if (depth, step) not in nodes:
            nodes.append((depth, step))
        return nodes.index((depth, step))

    link: dict[str, list[int]] = {"source": [], "target": [], "value": []}
    for row in rows:
        link["source"].append(node(row["depth"], row["source"]))
        link["target"].append(node(row["depth"] + 1, row["target"]))
        link["value"].append(row["count"])
    labels = [f"{depth}. {names.get(step, step)}" if step != "[end]" else "(leaves)"
              for depth, step in nodes]  # fmt: skip
    x, y = _positions(nodes, link)
    node_spec = {"label": labels, "pad": 10, "x": x, "y": y}
    figure = go.Figure(go.Sankey(arrangement="snap", node=node_spec, link=link))
    figure.update_layout(height=640, margin={"l": 10, "r": 10, "t": 10, "b": 30})
    return str(figure.to_html(full_html=False, include_plotlyjs=False))


def _positions(
    nodes: list[tuple[int, str]], link: dict[str, list[int]]
) -> tuple[list[float], list[float]]:
    """Fixed node places: one column per position (so "(leaves)" stays where journeys stop,
    not at the far right), nodes stacked in each column by the journeys through them."""
    into, out = [0] * len(nodes), [0] * len(nodes)
    for source, target, value in zip(link["source"], link["target"], link["value"], strict=True):
        out[source] += value
        into[target] += value
    size = [max(a, b) for a, b in zip(into, out, strict=True)]
    last = max((depth for depth, _ in nodes), default=1)
    x = [0.001 + 0.998 * (depth - 1) / max(last - 1, 1) for depth, _ in nodes]
    y = [0.0] * len(nodes)
    for depth in {d for d, _ in nodes}:
        column = [i for i, (d, _) in enumerate(nodes) if d == depth]
        total, top = sum(size[i] for i in column) or 1, 0
        for i in column:
            y[i] = 0.001 + 0.998 * (top + size[i] / 2) / total
            top += size[i]
    return x, y


def _segment(analysis: Analysis) -> str:
    """The segment the charts show: ``all``, else the one with the most journeys."""
    segments = analysis.summary.get("segments") or ["all"]
    if "all" in segments or "paths" not in analysis.tables:
        return "all" if "all" in segments else str(segments[0])
    sizes: dict[str, int] = {}
    for row in analysis.tables["paths"].to_pylist():
        if row["depth"] == 1:
            sizes[row["segment"]] = sizes.get(row["segment"], 0) + row["count"]
    return max(segments, key=lambda s: (sizes.get(s, 0), s))


def sankey_html(analysis: Analysis, segment: str) -> str:
    """The Sankey of one segment as an HTML fragment: the paths by position when the analysis
    has them, else the directly-follows flows."""
    if "paths" in analysis.tables:
        return _paths_sankey(analysis, segment)
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


def funnel_html(analysis: Analysis, table: str, segment: str) -> str:
    """A funnel chart (``funnel`` or ``stage_funnel``) of one segment as an HTML fragment."""
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


def render_report(
    analysis: Analysis, journey: JourneyMap | None = None, insights: Insights | None = None
) -> str:
    """The whole analysis as one HTML page (user text escaped by the template engine); with
    ``insights``, their section (pain points, evidence, KPIs...) follows."""
    data = analysis.to_dict()
    segment = _segment(analysis)
    charts = {"sankey": Markup(sankey_html(analysis, segment))}
    for table in ("funnel", "stage_funnel"):
        if table in analysis.tables:
            charts[table] = Markup(funnel_html(analysis, table, segment))
    fragment = None
    if journey is not None:
        fragment = Markup(
            render_fragment(
                journey, "current", None, evidence_lane(journey, analysis, insights, segment)
            )
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
        plotly_js=Markup(plotly_js()),
    )
