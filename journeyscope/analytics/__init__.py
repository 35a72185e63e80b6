"""Journey numbers from event logs: reach, variants, flows, funnels, timings, channel switches,
repeated contacts and KPIs. One SQL implementation; engines come through ``journeyscope.engine``."""

from .binding import Binding, StepInfo, bind_map, bind_raw
from .channels import compute_channel_switches
from .funnels import Exclusion, FunnelOptions, compute_funnel
from .journeys import JourneyOptions, Prepared, Tables, prepare
from .kpis import compute_kpi
from .paths import (
    FlowOptions,
    compute_flows,
    compute_paths,
    compute_reach,
    compute_unmapped,
    compute_variants,
    journey_variant,
)
from .repeats import compute_repeats
from .report import SCHEMA_VERSION, Analysis, analyze, analyze_prepared
from .timing import compute_time_between

__all__ = [
    "SCHEMA_VERSION",
    "Analysis",
    "Binding",
    "Exclusion",
    "FlowOptions",
    "FunnelOptions",
    "JourneyOptions",
    "Prepared",
    "StepInfo",
    "Tables",
    "analyze",
    "analyze_prepared",
    "bind_map",
    "bind_raw",
    "compute_channel_switches",
    "compute_flows",
    "compute_funnel",
    "compute_kpi",
    "compute_paths",
    "compute_reach",
    "compute_repeats",
    "compute_time_between",
    "compute_unmapped",
    "compute_variants",
    "journey_variant",
    "prepare",
]
