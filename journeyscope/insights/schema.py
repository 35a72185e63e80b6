"""The JSON Schema of ``journeyscope insights --format json`` (``journeyscope.insights/1``).

Version 1 promises: the keys below exist with these types; new keys may be added in a minor
change; renaming or removing one means ``journeyscope.insights/2``. Keys added within version 1
(the drill-down: ``examples``, ``dropped_examples``, ``drilldown``...) are described here but not
required, so documents written before them stay valid.
"""

from __future__ import annotations

from typing import Any

__all__ = ["insights_json_schema"]

_NUM = {"type": ["number", "null"]}
_INT = {"type": "integer", "minimum": 0}
_STR = {"type": "string"}
_STRS = {"type": "array", "items": _STR}


def _rows(properties: dict[str, Any], added: dict[str, Any] | None = None) -> dict[str, Any]:
    """An array of objects with ``properties`` (required) and ``added`` (optional: keys added
    within version 1)."""
    return {
        "type": "array",
        "items": {
            "type": "object",
            "properties": properties | (added or {}),
            "required": list(properties),
        },
    }


#: one example journey of the drill-down: the customer and the journey's mapped steps in order
#: (cut at 100: ``more_steps`` more); raw ``events`` for unmapped events; ``answers`` for survey
#: pain points
_EXAMPLE = {
    "type": "object",
    "required": ["customer", "steps"],
    "properties": {
        "customer": _STR, "steps": _STRS, "more_steps": _INT, "events": _STRS,
        "more_events": _INT,
        "answers": {"type": "array", "items": {"type": "object", "properties": {
            "kind": _STR, "score": {"type": "number"}, "comment": {"type": ["string", "null"]},
            "ts": {"type": ["string", "null"]}}}},
    },
}  # fmt: skip
_EXAMPLES = {"type": "array", "items": _EXAMPLE}
_EXAMPLES_ADDED = {"examples": _EXAMPLES}


_PAIN_POINT = {
    "key": _STR,
    "kind": {"enum": ["drop_off", "slow_transition", "repeat_contact", "channel_switch",
                      "bounce", "failed_step", "loop", "low_score", "negative_comment"]},
    "element": _STR, "segment": _STR, "steps": _STRS, "touchpoints": _STRS, "events": _STRS,
    "customers_affected": _INT, "severity": {"type": "number"}, "evidence": {"type": "object"},
    "value_at_risk": _NUM, "handling_cost": _NUM, "owners": _STRS, "teams": _STRS,
    "systems": _STRS, "opportunity": {"type": ["string", "null"]}, "priority": {"type": "number"},
    "status": {"enum": ["open", "accepted", "dismissed"]},
}  # fmt: skip
_DRILLDOWN = {
    "type": ["object", "null"],
    "required": ["examples", "steps", "funnel", "flows"],
    "properties": {
        "examples": _INT,
        "steps": _rows({"step": _STR, "customers": _INT, "journeys": _INT, "share": _NUM,
                        "examples": _EXAMPLES}),
        "funnel": _rows({"index": _INT, "step": _STR, "journeys": _INT,
                         "dropped_after": {"type": ["integer", "null"]}, "examples": _EXAMPLES,
                         "dropped_examples": _EXAMPLES}),
        "flows": _rows({"source": _STR, "target": _STR, "count": _INT, "examples": _EXAMPLES}),
    },
}  # fmt: skip
_VALIDATION = {
    "type": "object",
    "required": ["goal", "journeys", "in_order_share", "unmapped_events", "unobserved_steps",
                 "deviations", "stages", "moments"],
    "properties": {
        "in_order_share": {"type": "number"}, "unobserved_steps": _STRS,
        "deviations": _rows({"source": _STR, "target": _STR, "transitions": _INT},
                            _EXAMPLES_ADDED),
        "stages": _rows({"stage": _STR, "journeys": _INT, "next_rate": _NUM, "goal_rate": _NUM},
                        _EXAMPLES_ADDED | {"dropped_examples": _EXAMPLES}),
        "unmapped_events": _rows({"event": _STR, "customers": _INT}, _EXAMPLES_ADDED),
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
            "pain_points": _rows(_PAIN_POINT, _EXAMPLES_ADDED),
            "kpis": _rows({"kpi": _STR, "status": {"enum": ["met", "missed", "no_target",
                           "no_data"]}, "trend": _STR, "last": _NUM, "periods": {"type": "array"}},
                          _EXAMPLES_ADDED | {"last_period": {"type": ["string", "null"]},
                                             "examples_note": {"type": ["string", "null"]}}),
            "improvements": _rows({"opportunity": _STR, "launch_date": _STR,
                                   "effects": {"type": "array"}}),
            "staleness": {"type": "object", "required": ["status", "reasons", "split"],
                          "properties": {"status": {"enum": ["fresh", "stale", "unknown"]},
                                         "reasons": _STRS}},
            "drilldown": _DRILLDOWN,
        },
    }  # fmt: skip
