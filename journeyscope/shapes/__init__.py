"""Every published result shape, declared once: the analysis tables and documents
(``analysis``), the insights records and the check report (``insights``). From the
declarations come the JSON Schemas (draft 2020-12) of ``analyze``, ``insights`` and ``check``
output and the Arrow schema of every analysis table.

>>> arrow_schema("flows").names
['segment', 'source', 'target', 'count', 'median_seconds', 'p90_seconds', 'mean_seconds']
>>> analysis_json_schema()["$id"]
'https://journeyscope.dev/schemas/analysis-1.json'
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from ._base import Shape, arrow_fields, conform_table, document_schema
from .analysis import TABLES, AnalysisDocument
from .insights import CheckDocument, InsightsDocument

__all__ = [
    "TABLES",
    "Shape",
    "analysis_json_schema",
    "arrow_schema",
    "check_json_schema",
    "conform",
    "insights_json_schema",
]


def analysis_json_schema(*, strict: bool = False) -> dict[str, Any]:
    """The JSON Schema of ``journeyscope analyze --format json`` (``journeyscope.analysis/1``);
    ``strict`` refuses keys the declaration does not name."""
    return document_schema(AnalysisDocument, strict=strict)


def insights_json_schema(*, strict: bool = False) -> dict[str, Any]:
    """The JSON Schema of ``journeyscope insights --format json`` (``journeyscope.insights/1``)."""
    return document_schema(InsightsDocument, strict=strict)


def check_json_schema(*, strict: bool = False) -> dict[str, Any]:
    """The JSON Schema of ``journeyscope check --format json``."""
    return document_schema(CheckDocument, strict=strict)


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of an analysis table (``"kpi"``: the table of one KPI)."""
    if table not in TABLES:
        raise KeyError(f"no analysis table {table!r}; tables: {', '.join(TABLES)}")
    return arrow_fields(TABLES[table])


def conform(table_name: str, table: pa.Table) -> pa.Table:
    """``table`` cast to the declared Arrow schema of ``table_name``; a missing, undeclared,
    uncastable or wrongly null column raises ``ValueError`` naming the table and the column."""
    return conform_table(table_name, table, arrow_schema(table_name))
