"""The JSON Schema of ``journeyscope insights --format json`` (``journeyscope.insights/1``).

Version 1 promises: the keys below exist with these types; new keys may be added in a minor
change; renaming or removing one means ``journeyscope.insights/2``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["insights_json_schema"]

_NUM = {"type": ["number", "null"]}
_INT = {"type": "integer", "minimum": 0}
_STR = {"type": "string"}
_STRS = {"type": "array", "items": _STR}


def _rows(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"type": "object", "properties": properties, "required": list(properties)},
    }


_PAIN_POINT = {
    "key": _STR,
    "kind": {"enum": ["drop_off", "slow_transition", "repeat_contact", "channel_switch",
                      "bounce", "failed_step", "low_score", "negative_comment"]},
    "element": _STR, "segment": _STR, "steps": _STRS, "touchpoints": _STRS, "events": _STRS,
    "customers_affected": _INT, "severity": {"type": "number"}, "evidence": {"type": "object"},
    "value_at_risk": _NUM, "handling_cost": _NUM, "owners": _STRS, "teams": _STRS,
    "systems": _STRS, "opportunity": {"type": ["string", "null"]}, "priority": {"type": "number"},
    "status": {"enum": ["open", "accepted", "dismissed"]},
}  # fmt: skip
_VALIDATION = {
    "type": "object",
    "required": ["goal", "journeys", "in_order_share", "unmapped_events", "unobserved_steps",
                 "deviations", "stages", "moments"],
    "properties": {
        "in_order_share": {"type": "number"}, "unobserved_steps": _STRS,
        "deviations": _rows({"source": _STR, "target": _STR, "transitions": _INT}),
        "stages": _rows({"stage": _STR, "journeys": _INT, "next_rate": _NUM, "goal_rate": _NUM}),
        "moments": _rows({"step": _STR, "with_rate": _NUM, "without_rate": _NUM,
                          "difference": _NUM, "p_value": _NUM}),
    },
}  # fmt: skip


def insights_json_schema() -> dict[str, Any]:
    """The schema as a dict (JSON Schema draft 2020-12)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://journeyscope.dev/schemas/insights-1.json",
        "title": "Journeyscope insights, version 1",
        "type": "object",
        "required": ["schema", "map", "goal", "summary", "validation", "emotion_curve",
                     "backing", "pain_points", "kpis", "improvements", "staleness"],
        "properties": {
            "schema": {"const": "journeyscope.insights/1"},
            "map": _STR, "goal": _STR, "segments": _STRS,
            "validation": _VALIDATION,
            "emotion_curve": _rows({"step": _STR, "answers": _INT, "mean": _NUM, "low": _NUM,
                                    "high": _NUM, "assumed": _NUM}),
            "backing": _rows({"element": _STR, "kind": {"enum": ["step", "touchpoint"]},
                              "status": {"enum": ["evidenced", "stale", "assumption"]}}),
            "pain_points": _rows(_PAIN_POINT),
            "kpis": _rows({"kpi": _STR, "status": {"enum": ["met", "missed", "no_target",
                           "no_data"]}, "trend": _STR, "last": _NUM, "periods": {"type": "array"}}),
            "improvements": _rows({"opportunity": _STR, "launch_date": _STR,
                                   "effects": {"type": "array"}}),
            "staleness": {"type": "object", "required": ["status", "reasons", "split"],
                          "properties": {"status": {"enum": ["fresh", "stale", "unknown"]},
                                         "reasons": _STRS}},
        },
    }  # fmt: skip
