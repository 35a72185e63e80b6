"""Rich display in Jupyter: a map shows as the rendered map, an analysis as a summary table,
an evaluation as its headline with the top pain points in words.

The model and analytics layers know nothing of rendering, so the display hooks are attached
to their classes from here (``journeyscope`` calls :func:`install_notebook_display` when it is
imported inside IPython).
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import escape

from ..analytics.report import Analysis
from ..model import JourneyMap
from .html import map_css, render_fragment
from .lane import pain_point_figure, pain_point_label

__all__ = ["analysis_html", "evaluation_html", "install_notebook_display", "map_html"]


def map_html(journey: JourneyMap) -> str:
    """The map as a notebook cell shows it: the map fragment with its style sheet."""
    # page-wide rules would restyle the whole notebook; keep only the map's own
    css = re.sub(r"(^|\n)\s*(:root|html|body)[^{]*\{[^}]*\}", "", map_css())
    return f"<div><style>{css}</style>{render_fragment(journey)}</div>"


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1%}" if 0 <= value <= 1 else f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def analysis_html(analysis: Analysis) -> str:
    """A compact summary table of an analysis: the headline numbers and its problems."""
    rows = "".join(
        f"<tr><th style='text-align:left'>{escape(key)}</th><td>{escape(_number(value))}</td></tr>"
        for key, value in analysis.summary.items()
        if not isinstance(value, dict | list)
    )
    problems = "".join(f"<li>{escape(problem)}</li>" for problem in analysis.problems)
    title = escape(f"Analysis of {analysis.map_id or 'raw events'} ({analysis.engine})")
    tables = escape(", ".join(sorted(analysis.tables)))
    return (
        f"<div><strong>{title}</strong><table>{rows}</table>"
        + (f"<ul>{problems}</ul>" if problems else "")
        + f"<p><small>tables: {tables}</small></p></div>"
    )


def evaluation_html(result: Any) -> str:
    """An evaluation (``journeyscope.evaluate``) at a glance: what was loaded, the headline
    numbers, the highest-priority pain points in words and whether the map is still true."""
    load = result.load
    parts = [
        f"<div><strong>{escape(f'Evaluation of {result.map_id or chr(8212)}')}</strong>",
        f"<p>{escape(f'{load.loaded:,} of {load.read:,} rows loaded')}"
        + (escape(f", {load.quarantined:,} quarantined") if load.quarantined else "")
        + "</p>",
    ]
    if result.analysis is not None:
        parts.append(analysis_html(result.analysis))
    insights = result.insights
    if insights is not None:
        points = [p.to_dict() for p in insights.pain_points if p.status != "dismissed"][:5]
        items = "".join(
            f"<li>{escape(pain_point_label(p))}: {escape(pain_point_figure(p))}</li>"
            for p in points
        )
        parts.append(f"<p>{escape(f'{len(insights.pain_points)} pain points')}</p><ol>{items}</ol>")
    staleness = result.staleness or (insights.staleness if insights is not None else None)
    if staleness is not None:
        parts.append(f"<p>{escape(f'Map status: {staleness.status}')}</p>")
    return "".join(parts) + "</div>"


def install_notebook_display(*evaluation_types: type) -> None:
    """Give ``JourneyMap``, ``Analysis`` (and the evaluation result types passed in: the
    package's ``Evaluation``) a ``_repr_html_`` for Jupyter."""
    setattr(JourneyMap, "_repr_html_", map_html)  # noqa: B010  (the model cannot define it)
    setattr(Analysis, "_repr_html_", analysis_html)  # noqa: B010
    for kind in evaluation_types:
        setattr(kind, "_repr_html_", evaluation_html)  # noqa: B010
