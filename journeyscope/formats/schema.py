"""The JSON Schema of map files, generated from the model."""

from __future__ import annotations

from typing import Any

from ..model import JourneyMap

SCHEMA_ID = "https://journeyscope.dev/schema/map-1.json"


def map_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) for format version 1 of a journey map file."""
    schema = JourneyMap.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }
