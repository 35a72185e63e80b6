"""Segments that pain-point detection looks across, at the level where each one lives.

Two tables, one per level:

* ``_ins_seg`` (``jid``, ``dim``, ``value``) — **customer** segments: every customer attribute
  (the same on every event of the customer) and ``persona``, the customer's persona: a column
  of that name in the data (a CRM's own assignment) when there is one, else the map's persona
  rules;
* ``_ins_eseg`` (``jid``, ``step``, ``dim``, ``value``) — **event** segments: every event
  attribute (and the event's ``channel``) as it was *on the journey's first event at that
  step*. A problem at checkout is then tested against the device of the checkout event, not
  the device of the ad that started the journey.

Each dimension is listed once (an event attribute wins over a customer attribute of the same
name). A dimension is kept when it has 2 to ``max_values`` distinct values and covers at least
``min_coverage`` of the journeys (customer level) or of the journeys at the step (event level,
judged step by step) — an attribute only some events carry (a survey score, a comment) is not a
segment. The names are the ones of the data, whatever they are (``step``, ``a b``, ``имя``):
the columns behind them are ``bound``'s own (see ``Prepared.columns``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..analytics import Prepared
from ..sql import Table, ident, literal

__all__ = ["CUSTOMER_SEGMENTS", "EVENT_SEGMENTS", "Segment", "SegmentOptions", "build_segments"]

#: the customer segments each journey is in (see the module docstring)
CUSTOMER_SEGMENTS = Table("_ins_seg", ("jid", "dim", "value"))
#: the event segments of each journey at each step
EVENT_SEGMENTS = Table("_ins_eseg", ("jid", "step", "dim", "value"))
# while they are built: every candidate dimension, and each journey's first event at a step
_CUSTOMER_ALL = Table("_ins_seg_all", CUSTOMER_SEGMENTS.columns)
_EVENT_ALL = Table("_ins_eseg_all", EVENT_SEGMENTS.columns)
_FIRST = Table("_ins_first")

Level = Literal["event", "customer"]


@dataclass(frozen=True)
class Segment:
    """Where a pain point is concentrated: ``dimension`` = ``value``, at the ``level`` of the
    events at the step (``event``) or of the customer (``customer``)."""

    dimension: str
    value: str
    level: Level

    @property
    def key(self) -> str:
        """``dimension=value``: the segment's part of a pain point's key (never parsed back)."""
        return f"{self.dimension}={self.value}"

    def to_dict(self) -> dict[str, Any]:
        return {"dimension": self.dimension, "value": self.value, "level": self.level}


@dataclass(frozen=True)
class SegmentOptions:
    """Which attributes may define segments: ``only`` restricts them (None = all)."""

    only: tuple[str, ...] | None = None
    max_values: int = 20
    min_coverage: float = 0.5


def _dimensions(prepared: Prepared, options: SegmentOptions) -> tuple[list[str], list[str]]:
    """The candidate event-level and customer-level dimensions."""
    # the attributes never hold the events' own columns (customer id, time, order, name): a
    # customers column called "seq" is an attribute like any other
    wanted = ["channel", *prepared.attributes]
    if options.only is not None:
        wanted = [a for a in wanted if a in options.only]
    events = [a for a in wanted if a not in prepared.customer_attributes]
    customers = [a for a in wanted if a in prepared.customer_attributes]
    if "persona" not in prepared.attributes and (options.only is None or "persona" in options.only):
        customers.append("persona")  # the map's persona rules
    return events, customers


def _customer_sql(prepared: Prepared, attribute: str) -> str:
    if attribute == "persona" and attribute not in prepared.columns:
        return (
            "SELECT j.jid, 'persona' AS dim, p.persona AS value FROM (SELECT DISTINCT jid, cid "
            f"FROM {prepared.tables.bound}) j JOIN (SELECT cid, max(_persona) AS persona FROM "
            f"{prepared.tables.bound} GROUP BY cid) p ON p.cid = j.cid WHERE p.persona IS NOT NULL"
        )
    column = ident(prepared.column(attribute))
    return (
        f"SELECT jid, {literal(attribute)} AS dim, max({prepared.engine.to_text(column)}) AS value "
        f"FROM {prepared.tables.bound} WHERE {column} IS NOT NULL GROUP BY jid"
    )


def _build_customer_level(
    prepared: Prepared, dims: list[str], options: SegmentOptions
) -> list[str]:
    parts = [_customer_sql(prepared, d) for d in dims]
    if not parts:
        parts = ["SELECT 0 AS jid, '' AS dim, '' AS value WHERE 1 = 0"]
    engine = prepared.engine
    engine.materialize(_CUSTOMER_ALL.name, " UNION ALL ".join(parts))
    stats = prepared.engine.query(
        f"SELECT dim, count(DISTINCT value) AS k, count(*) AS n FROM {_CUSTOMER_ALL} GROUP BY dim"
    ).to_pylist()
    journeys = max(prepared.journeys, 1)
    kept = sorted(
        r["dim"]
        for r in stats
        if 2 <= r["k"] <= options.max_values and r["n"] / journeys >= options.min_coverage
    )
    names = ", ".join(literal(d) for d in kept) or "NULL"
    engine.materialize(
        CUSTOMER_SEGMENTS.name, f"SELECT * FROM {_CUSTOMER_ALL} WHERE dim IN ({names})"
    )
    engine.drop(_CUSTOMER_ALL.name)
    return kept


def _build_event_level(prepared: Prepared, dims: list[str], options: SegmentOptions) -> list[str]:
    """``_ins_eseg``: one sort of the mapped events gives each journey's first event at each
    step; each dimension is then read off it, and kept at the steps where it is a segment."""
    engine = prepared.engine
    empty = "SELECT 0 AS jid, '' AS step, '' AS dim, '' AS value WHERE 1 = 0"
    if not dims:
        engine.materialize(EVENT_SEGMENTS.name, empty)
        return []
    columns = {d: prepared.column(d) for d in dims}
    picked = ", ".join(f"{ident(c)} AS _d{i}" for i, c in enumerate(columns.values()))
    engine.materialize(
        _FIRST.name,
        f"SELECT * FROM (SELECT jid, step, {picked}, row_number() OVER (PARTITION BY jid, step "
        f"ORDER BY t, seq) AS _rn FROM {prepared.tables.bound} WHERE step IS NOT NULL) f "
        "WHERE _rn = 1",
    )
    parts = [
        f"SELECT jid, step, {literal(d)} AS dim, {engine.to_text(f'_d{i}')} AS value FROM {_FIRST} "
        f"WHERE _d{i} IS NOT NULL"
        for i, d in enumerate(columns)
    ]
    engine.materialize(_EVENT_ALL.name, " UNION ALL ".join(parts))
    at_step = {
        r["step"]: r["n"]
        for r in prepared.engine.query(
            f"SELECT step, count(*) AS n FROM {_FIRST} GROUP BY step"
        ).to_pylist()
    }
    stats = prepared.engine.query(
        f"SELECT step, dim, count(DISTINCT value) AS k, count(*) AS n FROM {_EVENT_ALL} "
        "GROUP BY step, dim"
    ).to_pylist()
    kept = [
        (r["step"], r["dim"])
        for r in stats
        if 2 <= r["k"] <= options.max_values
        and r["n"] / max(at_step.get(r["step"], 0), 1) >= options.min_coverage
    ]
    pairs = " OR ".join(f"(step = {literal(s)} AND dim = {literal(d)})" for s, d in kept) or "FALSE"
    engine.materialize(EVENT_SEGMENTS.name, f"SELECT * FROM {_EVENT_ALL} WHERE {pairs}")
    engine.drop(_EVENT_ALL.name)
    engine.drop(_FIRST.name)
    return sorted({d for _, d in kept})


def build_segments(prepared: Prepared, options: SegmentOptions | None = None) -> list[str]:
    """Materialise ``_ins_seg`` and ``_ins_eseg`` and return the dimensions kept (of both
    levels, each once)."""
    options = options or SegmentOptions()
    events, customers = _dimensions(prepared, options)
    kept = _build_customer_level(prepared, customers, options)
    kept += _build_event_level(prepared, events, options)
    return sorted(set(kept))
