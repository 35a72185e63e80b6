"""The JSON Schemas of ``journeyscope insights --format json`` (``journeyscope.insights/1``)
and of ``journeyscope check --format json``, generated from the declarations in
``journeyscope.shapes.insights``.

Version 1 promises: the keys declared there exist with these types; new keys may be added in a
minor change; renaming or removing one means ``journeyscope.insights/2``. Keys added within
version 1 (the drill-down: ``examples``, ``dropped_examples``, ``drilldown``...) are described
but not required, so documents written before them stay valid.
"""

from __future__ import annotations

from ..shapes import check_json_schema, insights_json_schema

__all__ = ["check_json_schema", "insights_json_schema"]
