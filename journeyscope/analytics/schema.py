"""The JSON Schema of ``journeyscope analyze --format json`` (``journeyscope.analysis/1``) and
the Arrow schema of every analysis table, generated from the declarations in
``journeyscope.shapes.analysis``.

Version 1 promises: the keys declared there exist with these types; new keys may be added in a
minor change; renaming or removing one means ``journeyscope.analysis/2``.
"""

from __future__ import annotations

from ..shapes import analysis_json_schema, arrow_schema, conform

__all__ = ["analysis_json_schema", "arrow_schema", "conform"]
