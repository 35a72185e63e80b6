"""Every extension point of Journeyscope, one hook each (Datasette's ``hookspecs.py``).

A plugin is a module (or any object) with functions of these names marked ``@hookimpl``; each
returns a list of the values it adds. The built-ins are plugins of exactly this kind
(``journeyscope.plugins.default_*``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from ._types import EngineConnector, EventReader, KpiFunction, OutputFormat, PainPointKind

__all__ = ["hookimpl", "hookspec"]

hookspec = pluggy.HookspecMarker("journeyscope")
hookimpl = pluggy.HookimplMarker("journeyscope")


@hookspec
def register_pain_point_kinds() -> list[PainPointKind]:  # type: ignore[empty-body]
    """Kinds of pain points found in the events (``journeyscope insights``)."""


@hookspec
def register_kpi_functions() -> list[KpiFunction]:  # type: ignore[empty-body]
    """Functions KPI formulas may call: ``count(x)``, ``median(x.a)``, ``p95(x.a)``."""


@hookspec
def register_engines() -> list[EngineConnector]:  # type: ignore[empty-body]
    """Engines the analysis runs on, by name (``--engine NAME``, ``connect(log, NAME)``)."""


@hookspec
def register_output_formats() -> list[OutputFormat]:  # type: ignore[empty-body]
    """Ways to write a map out (``journeyscope render -o FILE``, ``journeyscope export -f``)."""


@hookspec
def register_event_readers() -> list[EventReader]:  # type: ignore[empty-body]
    """Kinds of event sources (files by suffix, tables by prefix)."""
