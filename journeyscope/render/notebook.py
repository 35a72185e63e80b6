"""Rich display in Jupyter: a map shows as the rendered map, an analysis as a summary table.

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

__all__ = ["analysis_html", "install_notebook_display", "map_html"]


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


def install_notebook_display() -> None:
    """Give ``JourneyMap`` and ``Analysis`` a ``_repr_html_`` for Jupyter."""
    setattr(JourneyMap, "_repr_html_", map_html)  # noqa: B010  (the model cannot define it)
    setattr(Analysis, "_repr_html_", analysis_html)  # noqa: B010
