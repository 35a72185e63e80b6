"""Segments that pain-point detection looks across: every low-cardinality attribute, personas.

``build_segments`` materialises ``_ins_seg`` (``jid``, ``dim``, ``value``): for each dimension,
a journey's value is the first non-empty value of the attribute on its events (customer
attributes are the same on every event), and ``persona`` is the customer's persona: a column
of that name in the data (a CRM's own assignment) when there is one, else the map's persona
rules. Each dimension is listed once. A
dimension is kept when it has 2 to ``max_values`` distinct values and covers at least
``min_coverage`` of the journeys — an attribute only some events carry (a survey score, a
comment) is not a segment.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..analytics import Prepared
from ..sql import ident
from ._context import q

__all__ = ["SegmentOptions", "build_segments"]

_NOT_SEGMENTS = {"customer_id", "ts", "seq", "event", "t", "cid", "jid", "step", "touchpoint"}


@dataclass(frozen=True)
class SegmentOptions:
    """Which attributes may define segments: ``only`` restricts them (None = all)."""

    only: tuple[str, ...] | None = None
    max_values: int = 20
    min_coverage: float = 0.5


def _first_value_sql(prepared: Prepared, attribute: str) -> str:
    engine = prepared.engine
    column = ident(attribute)
    return (
        f"SELECT jid, {q(attribute)} AS dim, {engine.to_text(column)} AS value FROM ("
        f"SELECT jid, {column}, row_number() OVER (PARTITION BY jid ORDER BY t, seq) AS _rn "
        f"FROM bound WHERE {column} IS NOT NULL) f WHERE _rn = 1"
    )


def _persona_sql() -> str:
    return (
        "SELECT j.jid, 'persona' AS dim, p.persona AS value FROM (SELECT DISTINCT jid, cid "
        "FROM bound) j JOIN (SELECT cid, max(_persona) AS persona FROM bound GROUP BY cid) p "
        "ON p.cid = j.cid WHERE p.persona IS NOT NULL"
    )


def build_segments(prepared: Prepared, options: SegmentOptions | None = None) -> list[str]:
    """Materialise ``_ins_seg`` and return the dimensions kept."""
    options = options or SegmentOptions()
    columns = set(prepared.engine.columns("bound"))
    # each dimension once: a "persona" column of the data stands for the map's persona rules
    candidates = list(dict.fromkeys(["channel", *prepared.attributes, "persona"]))
    wanted = [c for c in candidates if c not in _NOT_SEGMENTS and (c in columns or c == "persona")]
    from_data = "persona" in prepared.attributes and "persona" in columns
    if options.only is not None:
        wanted = [c for c in wanted if c in options.only]
    parts = [
        _persona_sql() if c == "persona" and not from_data else _first_value_sql(prepared, c)
        for c in wanted
    ]
    if not parts:
        parts = ["SELECT 0 AS jid, '' AS dim, '' AS value WHERE 1 = 0"]
    engine = prepared.engine
    engine.materialize("_ins_seg_all", " UNION ALL ".join(parts))
    stats = engine.query(
        "SELECT dim, count(DISTINCT value) AS k, count(*) AS n FROM _ins_seg_all GROUP BY dim"
    ).to_pylist()
    journeys = max(prepared.journeys, 1)
    kept = sorted(
        r["dim"]
        for r in stats
        if 2 <= r["k"] <= options.max_values and r["n"] / journeys >= options.min_coverage
    )
    names = ", ".join(q(d) for d in kept) or "NULL"
    engine.materialize("_ins_seg", f"SELECT * FROM _ins_seg_all WHERE dim IN ({names})")
    engine.drop("_ins_seg_all")
    return kept
