"""The JSON Schema of map files, generated from the model."""

from __future__ import annotations

import re
from typing import Any

from ..model import JourneyMap
from ..model.evidence import _CONDITION_RE

SCHEMA_ID = "https://journeyscope.dev/schema/map-1.json"

_CONDITION = "#/$defs/Condition"
#: the one-line condition form (``channel == web``) as a pattern every JSON Schema validator
#: reads: no Python named groups (ECMA-262 and Python ``re`` both know ``(?:``)
CONDITION_TEXT = {
    "type": "string",
    "pattern": re.sub(r"\(\?P<\w+>", "(?:", _CONDITION_RE.pattern),
    "description": "A condition in one line: 'attribute op value', e.g. 'channel == web'.",
}


def map_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) for format version 1 of a journey map file.

    Pydantic describes what the model *holds*; a map file may also write a condition as one
    line (``channel == web``), which the model reads before validating, so every place a
    condition goes accepts that text too.
    """
    schema = _with_condition_text(JourneyMap.model_json_schema(mode="validation"))
    schema["$defs"]["ConditionText"] = CONDITION_TEXT
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def _with_condition_text(node: Any) -> Any:
    """``node`` with each reference to a condition object made "that object or its text"."""
    if isinstance(node, list):
        return [_with_condition_text(item) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("$ref") == _CONDITION:
        rest = {k: v for k, v in node.items() if k != "$ref"}
        return {"anyOf": [{"$ref": _CONDITION}, {"$ref": "#/$defs/ConditionText"}], **rest}
    return {key: _with_condition_text(value) for key, value in node.items()}
