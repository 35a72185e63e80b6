"""``analyze``: load nothing, compute everything a map needs from an event log, in one call.

The result is a typed value with Arrow tables (``.frames()`` gives pandas DataFrames) and a
versioned JSON form, ``journeyscope.analysis/1`` (see ``docs/analytics.md``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from ..engine import Engine, engine_for
from ..events import EventLog
from ..model import JourneyMap
from .channels import compute_channel_switches
from .funnels import FunnelOptions, compute_funnel
from .journeys import JourneyOptions, Prepared, prepare
from .kpis import compute_kpi
from .paths import (
    FlowOptions,
    compute_flows,
    compute_paths,
    compute_reach,
    compute_touchpoint_reach,
    compute_unmapped,
    compute_variants,
)
from .repeats import compute_repeats
from .schema import conform

__all__ = ["SCHEMA_VERSION", "Analysis", "analyze", "analyze_prepared", "default_funnel"]

SCHEMA_VERSION = "journeyscope.analysis/1"
TABLES = (
    "reach",
    "touchpoint_reach",
    "unmapped",
    "variants",
    "flows",
    "paths",
    "funnel",
    "stage_funnel",
    "channel_matrix",
    "channel_rates",
    "repeats",
)


@dataclass
class Analysis:
    """Every number of one analysis, as Arrow tables plus the facts around them."""

    map_id: str | None
    engine: str
    summary: dict[str, Any]
    steps: list[dict[str, Any]]
    tables: dict[str, pa.Table]
    kpis: dict[str, pa.Table] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    load: dict[str, Any] | None = None

    def __getattr__(self, name: str) -> pa.Table:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    def frames(self) -> dict[str, Any]:
        """Every table as a pandas DataFrame."""
        return {name: table.to_pandas() for name, table in self.tables.items()}

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "schema": SCHEMA_VERSION,
            "map": self.map_id,
            "engine": self.engine,
            "summary": self.summary,
            "load": self.load,
            "problems": self.problems,
            "steps": self.steps,
        }
        for name, table in self.tables.items():
            data[name] = _rows(table)
        data["kpis"] = {kpi: _rows(table) for kpi, table in self.kpis.items()}
        return data

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    return [{k: _clean(v) for k, v in row.items()} for row in table.to_pylist()]


def default_funnel(prepared: Prepared, by: str = "step") -> FunnelOptions | None:
    """Map order: every required step (or every stage) that at least one journey reached."""
    reached = {prepared.step_id(code) for code in prepared.reached()}
    infos = [i for i in prepared.binding.steps if i.id in reached]
    if by == "stage":
        stages = list(dict.fromkeys(i.stage for i in infos if i.stage))
        return FunnelOptions(stages, by="stage") if len(stages) >= 2 else None
    steps = [i.id for i in infos if i.kind == "required"] if not prepared.binding.raw else []
    return FunnelOptions(steps) if len(steps) >= 2 else None


def analyze(
    log: EventLog,
    journey: JourneyMap | None = None,
    *,
    engine: str | Engine = "duckdb",
    options: JourneyOptions | None = None,
    funnel: FunnelOptions | None = None,
    flows: FlowOptions | None = None,
    top_variants: int | None = 20,
    repeat_times: int = 2,
    repeat_window_days: float = 7,
) -> Analysis:
    """Bind ``log`` to ``journey`` (or use raw event names) and compute reach, variants, flows,
    funnels (the given one, else every required step in map order), stage funnel, channel
    switches, repeated contacts and the map's KPIs. (``journeyscope.evaluate`` does this and
    the insights in one pass; this is the analytics half on its own.)"""
    options = options or JourneyOptions()
    with engine_for(log, engine) as runner:
        prepared = prepare(runner, journey, options, has_customers=log.has_customers)
        return analyze_prepared(
            prepared, journey, funnel=funnel, flows=flows, top_variants=top_variants,
            repeat_times=repeat_times, repeat_window_days=repeat_window_days,
            load=log.report.as_dict(),
        )  # fmt: skip


def analyze_prepared(
    prepared: Prepared,
    journey: JourneyMap | None,
    *,
    funnel: FunnelOptions | None = None,
    flows: FlowOptions | None = None,
    top_variants: int | None = 20,
    repeat_times: int = 2,
    repeat_window_days: float = 7,
    load: dict[str, Any] | None = None,
) -> Analysis:
    """The analysis of journeys already bound and ordered by :func:`prepare`."""
    tables = {
        "reach": compute_reach(prepared),
        "touchpoint_reach": compute_touchpoint_reach(prepared),
        "unmapped": compute_unmapped(prepared),
        "variants": compute_variants(prepared, top_variants),
        "flows": compute_flows(prepared, flows),
        "paths": compute_paths(prepared),
    }
    funnel = funnel or default_funnel(prepared)
    if funnel is not None:
        tables["funnel"] = compute_funnel(prepared, funnel)
    stage_funnel = default_funnel(prepared, "stage") if journey is not None else None
    if stage_funnel is not None:
        tables["stage_funnel"] = compute_funnel(prepared, stage_funnel)
    tables["channel_matrix"], tables["channel_rates"] = compute_channel_switches(prepared)
    by = "touchpoint" if journey is not None else "step"
    tables["repeats"] = compute_repeats(prepared, repeat_times, repeat_window_days * 86400, by)
    problems = list(prepared.binding.problems)
    kpis = {}
    for kpi in journey.kpis if journey is not None else []:
        if kpi.formula:
            try:
                kpis[kpi.id] = compute_kpi(prepared, kpi)
            except ValueError as error:
                problems.append(str(error))
    # every table in its declared shape (journeyscope.shapes), whichever engine computed it
    tables = {name: conform(name, table) for name, table in tables.items()}
    kpis = {kpi_id: conform("kpi", table) for kpi_id, table in kpis.items()}
    return Analysis(
        map_id=journey.id if journey else None,
        engine=prepared.engine.name,
        summary=_summary(prepared),
        steps=[
            info.__dict__ | {"touchpoints": list(info.touchpoints)}
            for info in prepared.binding.steps
        ],
        tables=tables,
        kpis=kpis,
        problems=problems,
        load=load,
    )


def _summary(prepared: Prepared) -> dict[str, Any]:
    return {
        "customers": prepared.customers,
        "journeys": prepared.journeys,
        "events": prepared.events,
        "mapped_events": prepared.mapped_events,
        "mapped_share": prepared.mapped_events / prepared.events if prepared.events else 0.0,
        "segment_by": prepared.options.segment_by,
        "segments": prepared.segments,
        "state": prepared.options.state,
        "journey_gap_days": prepared.options.journey_gap_days,
        "split_at": prepared.options.split_at.isoformat() if prepared.options.split_at else None,
        "attributes": prepared.attributes,
    }
