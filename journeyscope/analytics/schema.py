"""The JSON Schema of ``journeyscope analyze --format json`` (``journeyscope.analysis/1``).

Version 1 promises: the keys below exist with these types; new keys may be added in a minor
change; renaming or removing one means ``journeyscope.analysis/2``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["analysis_json_schema"]

_NUM = {"type": ["number", "null"]}
_INT = {"type": "integer", "minimum": 0}
_STR = {"type": "string"}
_SEGMENT = {"type": "string", "description": "Segment value; 'all' when not segmented."}


def _rows(description: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "array",
        "description": description,
        "items": {"type": "object", "properties": properties, "required": required},
    }


def analysis_json_schema() -> dict[str, Any]:
    """The schema as a dict (JSON Schema draft 2020-12)."""
    flows = {
        "segment": _SEGMENT,
        "source": {"type": "string", "description": "Step id, or [start]."},
        "target": {"type": "string", "description": "Step id, or [end]."},
        "count": _INT,
        "journeys": _INT,
        "median_seconds": _NUM,
        "p90_seconds": _NUM,
        "mean_seconds": _NUM,
    }
    paths = {
        "segment": _SEGMENT,
        "depth": {"type": "integer", "description": "Position of the source (1 = first step)."},
        "source": _STR,
        "target": {"type": "string", "description": "Step id, or [end]."},
        "count": _INT,
    }
    variants = {
        "segment": _SEGMENT,
        "variant": {"type": "array", "items": _STR, "description": "Step ids in order."},
        "journeys": _INT,
        "customers": _INT,
        "rank": _INT,
        "coverage": {"type": "number"},
        "cumulative_coverage": {"type": "number"},
    }
    funnel = {
        "segment": _SEGMENT,
        "index": _INT,
        "step": {"type": "string", "description": "Step id (stage id in stage_funnel)."},
        "optional": {"type": "boolean"},
        "journeys": _INT,
        "conversion": {"type": "number", "description": "Share of journeys entering step 1."},
        "step_conversion": {"type": "number", "description": "Share of the previous step."},
        "dropped": _INT,
        "median_seconds_from_previous": _NUM,
        "p90_seconds_from_previous": _NUM,
        "median_seconds_from_start": _NUM,
    }
    reach = {"segment": _SEGMENT, "step": _STR, "customers": _INT, "journeys": _INT,
             "events": _INT, "share": {"type": "number"}}  # fmt: skip
    unmapped = {"event": _STR, "customers": _INT, "events": _INT, "share": {"type": "number"}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://journeyscope.dev/schemas/analysis-1.json",
        "title": "Journeyscope analysis, version 1",
        "type": "object",
        "required": ["schema", "summary", "steps", "variants", "flows", "reach", "unmapped"],
        "properties": {
            "schema": {"const": "journeyscope.analysis/1"},
            "map": {"type": ["string", "null"], "description": "Map id; null for raw events."},
            "engine": {"enum": ["duckdb", "spark"]},
            "summary": {
                "type": "object",
                "required": ["customers", "journeys", "events", "mapped_events"],
                "properties": {
                    "customers": _INT,
                    "journeys": _INT,
                    "events": _INT,
                    "mapped_events": _INT,
                    "mapped_share": {"type": "number"},
                    "segments": {"type": "array", "items": _STR},
                },
            },
            "load": {"type": ["object", "null"], "description": "Rows read/loaded/quarantined."},
            "problems": {"type": "array", "items": _STR},
            "steps": _rows(
                "The steps in map order.",
                {"id": _STR, "name": _STR, "stage": _STR, "index": _INT},
                ["id", "name", "index"],
            ),
            "reach": _rows("Customers per step.", reach, ["step", "customers"]),
            "touchpoint_reach": _rows("Customers per touchpoint.", {}, []),
            "unmapped": _rows("Events no map element claims.", unmapped, ["event", "customers"]),
            "variants": _rows("Ordered step sequences.", variants, ["variant", "journeys"]),
            "flows": _rows("Directly-follows edges.", flows, ["source", "target", "count"]),
            "paths": _rows("The first steps by position.", paths, ["depth", "source", "target"]),
            "funnel": _rows("Step funnel.", funnel, ["step", "journeys", "conversion"]),
            "stage_funnel": _rows("Stage funnel.", funnel, ["step", "journeys"]),
            "channel_matrix": _rows("Channel to channel transitions.", {}, []),
            "channel_rates": _rows("Switch rates per segment.", {}, []),
            "repeats": _rows("Repeated contacts per element.", {}, []),
            "kpis": {
                "type": "object",
                "additionalProperties": _rows(
                    "KPI values per period.",
                    {"segment": _SEGMENT, "period": _STR, "value": _NUM},
                    ["period", "value"],
                ),
            },
        },
    }
