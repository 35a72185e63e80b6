"""The shapes of ``journeyscope analyze``: every analysis table (one row model each, which is
also its Arrow schema) and the ``journeyscope.analysis/1`` document around them."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import ConfigDict, Field

from ._base import Count, Number, Segment, Shape

__all__ = [
    "TABLES",
    "AnalysisDocument",
    "ChannelRate",
    "ChannelTransition",
    "Flow",
    "FunnelStep",
    "KpiValue",
    "LoadReport",
    "PathEdge",
    "Reach",
    "Repeat",
    "SourceLoad",
    "StepInfo",
    "Summary",
    "TouchpointReach",
    "Unmapped",
    "Variant",
]


class Reach(Shape):
    """Customers per step."""

    segment: Segment
    step: str
    customers: Count
    journeys: Count
    events: Count
    share: float
    """Share of the segment's customers."""


class TouchpointReach(Shape):
    """Customers per touchpoint."""

    segment: Segment
    touchpoint: str
    customers: Count
    events: Count


class Unmapped(Shape):
    """Events no map element claims."""

    event: str
    customers: Count
    events: Count
    share: float
    """Share of all customers."""


class Variant(Shape):
    """Ordered step sequences, most common first."""

    segment: Segment
    variant: list[str]
    """Step ids in order."""
    journeys: Count
    customers: Count
    rank: Count
    coverage: float
    """Share of the segment's journeys."""
    cumulative_coverage: float
    segment_variants: Count
    """Distinct variants of the segment (the table may list only the top ones)."""


class Flow(Shape):
    """Directly-follows edges."""

    segment: Segment
    source: str
    """Step id, or [start]."""
    target: str
    """Step id, or [end]."""
    count: Count
    median_seconds: Number
    p90_seconds: Number
    mean_seconds: Number


class PathEdge(Shape):
    """The first steps by position."""

    segment: Segment
    depth: int
    """Position of the source (1 = first step)."""
    source: str
    target: str
    """Step id, or [end]."""
    count: Count


class FunnelStep(Shape):
    """One step of a funnel (a stage of the stage funnel)."""

    segment: Segment
    index: Count
    step: str
    """Step id (stage id in stage_funnel)."""
    optional: bool
    journeys: Count
    conversion: float
    """Share of journeys entering step 1."""
    step_conversion: float
    """Share of the previous step."""
    dropped: Count
    median_seconds_from_previous: Number
    p90_seconds_from_previous: Number
    median_seconds_from_start: Number


class ChannelTransition(Shape):
    """Channel to channel transitions (the same channel too)."""

    segment: Segment
    from_channel: str
    to_channel: str
    count: Count


class ChannelRate(Shape):
    """Switch rates per segment."""

    segment: Segment
    switch_rate: Number
    """Share of channel-to-channel transitions that switch channel."""
    journeys_switching: float
    """Share (not a count) of the journeys that switch channel at least once."""
    journeys: Count
    """Journeys with two or more channel events."""


class Repeat(Shape):
    """Repeated contacts per element (touchpoint, or step for raw events)."""

    segment: Segment
    element: str
    customers: Count
    repeat_customers: Count
    repeat_share: float
    repeat_events: Count


class KpiValue(Shape):
    """A KPI's value in one period."""

    segment: Segment
    period: dt.date
    """First day of the period."""
    value: Number


#: every analysis table by its key in the document (and in ``Analysis.tables``)
TABLES: dict[str, type[Shape]] = {
    "reach": Reach,
    "touchpoint_reach": TouchpointReach,
    "unmapped": Unmapped,
    "variants": Variant,
    "flows": Flow,
    "paths": PathEdge,
    "funnel": FunnelStep,
    "stage_funnel": FunnelStep,
    "channel_matrix": ChannelTransition,
    "channel_rates": ChannelRate,
    "repeats": Repeat,
    "kpi": KpiValue,
}


class SourceLoad(Shape):
    """One source of a sources file: its rows read, loaded and quarantined."""

    name: str
    source: str
    read: Count
    loaded: Count
    quarantined: Count
    reasons: dict[str, Count]
    linked_ids: Count
    notes: list[str]


class LoadReport(Shape):
    """Rows read, loaded and quarantined, and why."""

    source: str
    read: Count
    loaded: Count
    quarantined: Count
    reasons: dict[str, Count]
    """Quarantined rows per reason."""
    quarantine_file: str | None
    customers: Count
    customer_rows_quarantined: Count
    linked_ids: Count
    """Anonymous ids (a browser, a device) joined to a customer id."""
    notes: list[str]
    """What the load decided, in sentences (an inferred time unit, file order)."""
    sources: list[SourceLoad]
    """A sources file's sources, each with its own counts."""


class Summary(Shape):
    """The size of the log and how the events became journeys."""

    customers: Count
    journeys: Count
    events: Count
    mapped_events: Count
    mapped_share: float
    segment_by: str | None
    segments: list[str]
    state: str
    journey_gap_days: Number
    split_at: str | None = None
    """ISO time journeys were cut at, if any."""
    attributes: list[str]


class StepInfo(Shape):
    """A step of the map (an event name, for raw events)."""

    id: str
    name: str
    stage: str
    stage_name: str
    index: Count
    kind: str
    touchpoints: list[str]


class AnalysisDocument(Shape):
    """Version 1 promises: the keys below exist with these types; new keys may be added in a
    minor change; renaming or removing one means journeyscope.analysis/2."""

    model_config = ConfigDict(
        title="Journeyscope analysis, version 1",
        json_schema_extra={"$id": "https://journeyscope.dev/schemas/analysis-1.json"},
    )

    schema_: Literal["journeyscope.analysis/1"] = Field(alias="schema")
    map: str | None
    """Map id; null for raw events."""
    engine: Literal["duckdb", "spark"]
    summary: Summary
    load: LoadReport | None
    problems: list[str]
    steps: list[StepInfo]
    """The steps in map order."""
    reach: list[Reach]
    touchpoint_reach: list[TouchpointReach]
    unmapped: list[Unmapped]
    variants: list[Variant]
    flows: list[Flow]
    paths: list[PathEdge] = Field(default_factory=list)
    funnel: list[FunnelStep] = Field(default_factory=list)
    """Step funnel: every required step reached, in map order (absent with fewer than two)."""
    stage_funnel: list[FunnelStep] = Field(default_factory=list)
    """Stage funnel (absent without a map or with fewer than two stages reached)."""
    channel_matrix: list[ChannelTransition]
    channel_rates: list[ChannelRate]
    repeats: list[Repeat]
    kpis: dict[str, list[KpiValue]]
    """KPI values per period, by KPI id."""
