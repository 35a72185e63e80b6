"""The analysis as one self-contained HTML report: Sankey of flows, funnels, tables, the map
with its evidence lane. Plotly's script is inlined, so nothing is fetched when it is opened."""

from __future__ import annotations

from functools import cache
from typing import Any

from markupsafe import Markup

from ..analytics import Analysis
from ..insights import Insights
from ..model import JourneyMap
from .html import _ENV, map_css, render_fragment
from .labels import labels_for

__all__ = [
    "add_feelings_and_kpis",
    "add_pain_points",
    "duration",
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


def duration(seconds: float | None) -> str:
    """Seconds as people read them: 40 s, 7 min, 3.2 h, 4.1 days.

    >>> duration(40), duration(420), duration(11520), duration(357000), duration(None)
    ('40 s', '7 min', '3.2 h', '4.1 days', '–')
    """
    if seconds is None:
        return "–"
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if abs(seconds) >= size * (1 if unit != "min" else 2):
            value = seconds / size
            return f"{value:.0f} {unit}" if unit == "min" else f"{value:.1f} {unit}"
    return f"{seconds:.0f} s"


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


def _lane(
    analysis: Analysis, segment: str, insights: Insights | None, journey: JourneyMap | None = None
) -> dict[str, dict[str, str | float]]:
    metrics = step_metrics(analysis, segment)
    if insights is not None:
        data = insights.to_dict()
        add_pain_points(metrics, data["pain_points"])
        add_feelings_and_kpis(metrics, data, journey)
    return metrics


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
            if row.get("median_seconds_from_previous") is not None:
                wait = duration(row["median_seconds_from_previous"])
                metrics[row["step"]]["median time from previous"] = wait
    return metrics


def add_feelings_and_kpis(
    metrics: dict[str, dict[str, str | float]],
    insights: dict[str, Any],
    journey: JourneyMap | None = None,
) -> dict[str, dict[str, str | float]]:
    """The measured feeling per step (survey answers on the map's emotion scale) and, with the
    map, the status of each KPI on the steps and touchpoints it names."""
    for point in insights.get("emotion_curve") or []:
        if point.get("mean") is not None and point.get("answers"):
            feeling = f"{point['mean']:+.1f} (n={point['answers']:,})"
            metrics.setdefault(point["step"], {})["measured feeling"] = feeling
    if journey is None:
        return metrics
    owner = {tp.id: step.id for _, step in journey.steps() for tp in step.touchpoints}
    owner |= {step.id: step.id for _, step in journey.steps()}
    names = {kpi.id: kpi.touchpoints for kpi in journey.kpis}
    for kpi in insights.get("kpis") or []:
        if kpi.get("last") is None or kpi.get("status") not in ("met", "missed"):
            continue
        for element in names.get(kpi["kpi"], []):
            if element in owner:
                value = f"{kpi['last']:.3g} ({kpi['status']})"
                metrics.setdefault(owner[element], {})[f"KPI {kpi['name']}"] = value
    return metrics


PAIN_POINTS_PER_STEP = 2


def add_pain_points(
    metrics: dict[str, dict[str, str | float]], pain_points: list[dict[str, Any]]
) -> dict[str, dict[str, str | float]]:
    """Put the highest-priority pain points found in the evidence (``Insights.to_dict()``'s
    ``pain_points``) into the evidence lane, on the step customers leave; dismissed ones stay
    out. Returns ``metrics``, extended."""
    kinds = labels_for("en")["story"]["kinds"]
    shown: dict[str, int] = {}
    for point in sorted(pain_points, key=lambda p: -(p.get("priority") or 0)):
        steps = point.get("steps") or []
        if not steps or point.get("status") == "dismissed":
            continue
        step = steps[0]
        if shown.get(step, 0) >= PAIN_POINTS_PER_STEP:
            continue
        shown[step] = shown.get(step, 0) + 1
        kind = kinds.get(point["kind"], point["kind"].replace("_", " "))
        segment = point.get("segment") or "all"
        label = f"⚠ {kind}" + ("" if segment == "all" else f" ({segment})")
        figure = f"{point.get('customers_affected', 0):,} customers"
        if point.get("severity") is not None:
            figure = f"{point['severity']:.0%}, {figure}"
        metrics.setdefault(step, {})[label] = figure
    return metrics


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
            render_fragment(journey, "current", None, _lane(analysis, segment, insights, journey))
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
