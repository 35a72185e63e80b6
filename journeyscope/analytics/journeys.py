"""Journeys: events bound to the map, split into journeys, ordered once, segmented.

``prepare`` builds what every analysis reads, each named by a handle on ``Prepared.tables``
(a :class:`~journeyscope.sql.Table` with its declared columns: queries write
``f"... FROM {prepared.tables.path}"``, never the name):

* ``step_codes`` (``_steps``) — the step dictionary: ``sid`` (1, 2, ... in map order),
  ``step`` id, ``stage``;
* ``customer_codes`` (``_cust``) — the customer dictionary: ``customer_id`` -> integer ``cid``;
* ``bound`` — every event in the time range with its ``step``/``touchpoint`` (NULL when
  unmapped), ``cid``, journey id ``jid``, ``t`` (seconds since the epoch) and customer
  attributes (a view, or a table when journeys are split by inactivity);
* ``journey_segments`` (``_jseg``) — each journey's segment (only when segmenting);
* ``path`` — the mapped events in journey order (timestamp, then ingestion order), narrow and
  integer-coded: ``jid``, ``cid``, ``segment``, ``t``, ``sid``, ``touchpoint``, the position
  ``pos``, the previous step ``prev_sid`` and the seconds since it (``gap``).
  This is the one ordered pass the other numbers share (a view over the table ``_path``, which
  stores only the columns that vary). Where journeys end needs no column of its own: a step's
  occurrences minus the moves out of it are the journeys ending there (see ``compute_flows``).

Integer codes instead of text keep the sort and the hash tables small: on 10M events this
is what makes the pass fast (see ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal

from ..engine import Engine
from ..model import JourneyMap, MapState
from ..sql import Table, ident, literal, qualified
from .binding import Binding, bind_map, bind_raw, by_stage, rule_sql

__all__ = ["Attribute", "JourneyOptions", "Prepared", "Tables", "attribute_columns", "prepare"]

_ORDER = "ts, seq"
_CORE = ("customer_id", "ts", "seq", "event", "channel")
JOURNEYS_PER_CUSTOMER = 100_000  # jid = cid * this + k when journeys are split by inactivity


@dataclass(frozen=True)
class JourneyOptions:
    """How events become journeys.

    ``journey_gap_days``: a customer's new journey starts after this many days without events
    (None: one journey per customer). ``start``/``end``: keep events in [start, end).
    ``segment_by``: an event or customer attribute, or ``"persona"``; numbers are then given
    per segment value (a journey's segment is its customer's attribute, or the attribute of the
    journey's first event). ``state``: bind to the current or the future state of the map.
    ``collapse_repeats``: count A, A, B as A, B in variants and flows.
    ``level``: ``"stage"`` makes each stage one step (step ids become stage ids everywhere),
    usually with ``collapse_repeats``, to read long journeys stage by stage.
    ``split_at``: every journey also ends at this moment, so the same customers can be compared
    in two calendar windows (a lifecycle map's first and second half-year).
    """

    journey_gap_days: float | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    segment_by: str | None = None
    state: MapState = "current"
    collapse_repeats: bool = False
    level: Literal["step", "stage"] = "step"
    split_at: dt.datetime | None = None

    @property
    def splits_journeys(self) -> bool:
        """True when a customer can have several journeys (``jid`` differs from ``cid``)."""
        return self.journey_gap_days is not None or self.split_at is not None


#: the loaded log, as every engine names it (``journeyscope.engine``); the columns beyond
#: ``_CORE`` (and the customers' ``customer_id``) are the data's own, so none are declared
EVENTS = Table("events")
CUSTOMERS = Table("customers")
STEP_CODES = Table("_steps", ("sid", "step", "stage"))
CUSTOMER_CODES = Table("_cust", ("customer_id", "cid"))
JOURNEY_SEGMENTS = Table("_jseg", ("jid", "segment"))
PATH = Table("path", ("jid", "cid", "segment", "t", "sid", "touchpoint", "pos", "prev_sid", "gap"))
_PATH_ROWS = Table("_path")  # what ``path`` reads: only the columns that vary
_PATH_IN = Table("_path_in")  # the rows of ``_path`` before the window over them
#: the columns of ``bound`` before and after the data's attributes (and the window columns
#: when journeys are split)
_BOUND_HEAD = ("cid", "customer_id", "ts", "t", "seq", "event", "channel")
_BOUND_TAIL = ("jid", "step", "touchpoint", "_persona")


@dataclass(frozen=True)
class Tables:
    """The tables ``prepare`` made, by what they hold (see the module docstring): the handles
    other modules name them by, each with its declared columns."""

    step_codes: Table
    customer_codes: Table
    bound: Table
    path: Table
    #: None unless journeys are segmented
    journey_segments: Table | None = None


def _tables(options: JourneyOptions, attributes: list[Attribute]) -> Tables:
    window = ("_new", "_k") if options.splits_journeys else ()
    columns = (*_BOUND_HEAD, *(a.column for a in attributes), *window, *_BOUND_TAIL)
    segments = JOURNEY_SEGMENTS if options.segment_by else None
    return Tables(STEP_CODES, CUSTOMER_CODES, Table("bound", columns), PATH, segments)


@dataclass
class Prepared:
    """The tables and facts every analysis module starts from."""

    engine: Engine
    binding: Binding
    options: JourneyOptions
    customers: int  # customers with at least one event in range
    journeys: int
    events: int
    mapped_events: int
    segments: list[str] = field(default_factory=list)
    #: the attributes of the data by the names the user gave them (never the core columns)
    attributes: list[str] = field(default_factory=list)
    #: every name a rule, a setting or a segment may use -> the column of ``bound`` holding it
    columns: dict[str, str] = field(default_factory=dict)
    #: the attributes that come from the customers table (the same on every event)
    customer_attributes: set[str] = field(default_factory=set)
    #: the tables made, by name and columns
    tables: Tables = field(kw_only=True)
    _reached: list[int] | None = field(default=None, init=False, repr=False)

    def column(self, name: str) -> str:
        """The column of ``bound`` holding attribute ``name`` (KeyError when there is none)."""
        return self.columns[name]

    def reached(self) -> list[int]:
        """The codes of the steps at least one journey reached (has in ``path``), in map
        order: read once, then kept (every funnel, check and validation asks)."""
        if self._reached is None:
            codes = self.engine.query(f"SELECT DISTINCT sid FROM {self.tables.path}")
            self._reached = sorted(int(code) for code in codes.column(0).to_pylist())
        return list(self._reached)

    def step_id(self, sid: int) -> str:
        """The step id of a code in ``path.sid``."""
        return self.binding.steps[sid - 1].id

    def sid(self, step: str) -> int:
        """The code of a step id (KeyError naming the steps when there is none)."""
        return self.binding.step(step).index + 1

    def journey_id(self, journey: str) -> str:
        """SQL selecting the ``jid`` of a customer id (or ``customer#k`` with windows)."""
        customer, _, k = journey.rpartition("#") if "#" in journey else (journey, "", "1")
        codes = self.tables.customer_codes
        cid = f"(SELECT cid FROM {codes} WHERE customer_id = {literal(customer)})"
        if not self.options.splits_journeys:
            return cid
        return f"{cid} * {JOURNEYS_PER_CUSTOMER} + {int(k)}"


def _epoch(value: dt.datetime) -> float:
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp()


def prepare(
    engine: Engine,
    journey: JourneyMap | None,
    options: JourneyOptions,
    has_customers: bool = False,
) -> Prepared:
    """Bind, window and order the events once; see the module docstring for the tables."""
    event_columns = engine.columns(EVENTS.name)
    customer_columns = engine.columns(CUSTOMERS.name) if has_customers else []
    attributes = attribute_columns(event_columns, customer_columns)
    columns = {name: name for name in _CORE} | {a.name: a.column for a in attributes}
    if journey is None and options.level == "stage":
        raise ValueError("stage level needs a map: without one there are no stages")
    if journey is None:
        names = engine.query(f"SELECT event FROM {EVENTS} GROUP BY event ORDER BY min(seq)")
        binding = bind_raw([str(v) for v in names.column(0).to_pylist()])
    else:
        binding = bind_map(journey, engine, columns, options.state)
        if options.level == "stage":
            binding = by_stage(binding)
    tables = _tables(options, attributes)
    _build_dictionaries(engine, binding, tables)
    persona = _persona_sql(engine, journey, columns)
    _build_bound(engine, binding, options, attributes, has_customers, persona, tables)
    _build_segments(engine, options, columns, tables)
    _build_path(engine, options, binding, tables)
    customers, journeys, events = _totals(engine, options, tables)
    prepared = Prepared(
        engine, binding, options, customers=int(customers or 0), journeys=int(journeys or 0),
        events=int(events or 0),
        mapped_events=_mapped_events(engine, options, tables),
        attributes=sorted(a.name for a in attributes),
        columns=columns,
        customer_attributes={a.name for a in attributes if a.table == "customers"},
        tables=tables,
    )  # fmt: skip
    if tables.journey_segments is not None:
        values = engine.query(
            f"SELECT DISTINCT segment FROM {tables.journey_segments} ORDER BY segment"
        )
        prepared.segments = [str(v) for v in values.column(0).to_pylist()]
    return prepared


@dataclass(frozen=True)
class Attribute:
    """An attribute of the data: its name as the user wrote it, the table and column it comes
    from, and the column of ``bound`` that holds it (``_a1``, ``_a2``...: a name of the data
    can never collide with one of ours, however it is spelled)."""

    name: str
    table: Literal["events", "customers"]
    source: str
    column: str


_RENAMED = re.compile(r"(.+)_([0-9]+)")


def _user_name(column: str, earlier: list[str]) -> str:
    """The name a user gave a column the loader had to rename: DuckDB makes names unique
    without regard to case, so an attribute ``Event`` beside the event name becomes
    ``Event_1``. Only then (the base differs in case alone from an earlier column, and is no
    column itself) is the name given back."""
    match = _RENAMED.fullmatch(column)
    if match is None or match.group(1) in earlier:
        return column
    base = match.group(1)
    return base if base.lower() in {c.lower() for c in earlier} else column


def attribute_columns(event_columns: list[str], customer_columns: list[str]) -> list[Attribute]:
    """The attributes of the events (after the five core columns) and of the customers (those
    the events do not have already), each with its own column of ``bound``.

    >>> events = ["customer_id", "ts", "seq", "event", "channel", "Event_1", "cid"]
    >>> [(a.name, a.column) for a in attribute_columns(events, ["customer_id", "seq"])]
    [('Event', '_a1'), ('cid', '_a2'), ('seq', '_a3')]
    """
    found: list[Attribute] = []
    # the order of loading and the time are ours to keep, not names a user may take: a
    # customers column "seq" or "ts" is an attribute; "event" and "channel" stay the events'
    names: set[str] = {"customer_id", "event", "channel"}
    tables: list[tuple[Literal["events", "customers"], list[str]]] = [
        ("events", event_columns), ("customers", customer_columns),
    ]  # fmt: skip
    for table, columns in tables:
        for index, column in enumerate(columns):
            if column in (_CORE if table == "events" else ("customer_id",)):
                continue
            name = _user_name(column, columns[:index])
            if name in names:  # an event attribute wins over a customer's of the same name
                continue
            names.add(name)
            found.append(Attribute(name, table, column, f"_a{len(found) + 1}"))
    return found


def _totals(engine: Engine, options: JourneyOptions, tables: Tables) -> tuple[int, int, int]:
    """Customers, journeys and events in range; without a time range the dictionaries already
    know (saves a pass over every event)."""
    bound, codes = tables.bound, tables.customer_codes
    if options.start or options.end:
        sql = (
            f"SELECT count(DISTINCT cid) AS c, count(DISTINCT jid) AS j, count(*) AS e FROM {bound}"
        )
    else:
        journeys = f"(SELECT count(DISTINCT jid) FROM {bound})"
        if not options.splits_journeys:
            journeys = f"(SELECT count(*) FROM {codes})"
        sql = (
            f"SELECT (SELECT count(*) FROM {codes}) AS c, {journeys} AS j, "
            f"(SELECT count(*) FROM {EVENTS}) AS e"
        )
    row = engine.query(sql).to_pylist()[0]
    customers, journeys_, events = (int(v or 0) for v in row.values())
    return customers, journeys_, events


def _mapped_events(engine: Engine, options: JourneyOptions, tables: Tables) -> int:
    """Events bound to a step; with collapsed repeats ``path`` holds fewer rows than that."""
    table = f"{tables.bound} WHERE step IS NOT NULL" if options.collapse_repeats else _PATH_ROWS
    return int(engine.query(f"SELECT count(*) AS n FROM {table}").column(0)[0].as_py())


def _build_dictionaries(engine: Engine, binding: Binding, tables: Tables) -> None:
    rows = ", ".join(
        f"({info.index + 1}, {literal(info.id)}, {literal(info.stage)})" for info in binding.steps
    )
    # SMALLINT where the codes fit: they travel through every sort and hash table of the
    # analyses; raw event names as steps (page URLs) can be many more than 32,767
    kind = "SMALLINT" if len(binding.steps) < 32_767 else "INTEGER"
    values = (
        f"SELECT CAST(sid AS {kind}) AS sid, step, stage FROM (VALUES {rows}) v(sid, step, stage)"
        if rows
        else "SELECT 0 AS sid, '' AS step, '' AS stage WHERE 1 = 0"
    )
    engine.materialize(tables.step_codes.name, values)
    # codes in customer-id order: the same codes on every run and engine, so ties (variants
    # with as many journeys) are always broken the same way
    engine.materialize(
        tables.customer_codes.name,
        "SELECT customer_id, CAST(row_number() OVER (ORDER BY customer_id) AS INTEGER) AS cid "
        f"FROM (SELECT DISTINCT customer_id FROM {EVENTS}) c",
    )


def _filters(options: JourneyOptions) -> str:
    where = []
    if options.start:
        where.append(f"e.ts >= {literal(options.start)}")
    if options.end:
        where.append(f"e.ts < {literal(options.end)}")
    return ("WHERE " + " AND ".join(where)) if where else ""


def _build_bound(
    engine: Engine,
    binding: Binding,
    options: JourneyOptions,
    attributes: list[Attribute],
    has_customers: bool,
    persona: str,
    tables: Tables,
) -> None:
    """Events with binding, ids and attributes: a view (nothing copied) unless journeys are
    split by inactivity, which needs a window and so a table."""
    attrs = "".join(
        f", {qualified('e' if a.table == 'events' else 'cu', a.source)} AS {ident(a.column)}"
        for a in attributes
    )
    join = f"LEFT JOIN {CUSTOMERS} cu ON cu.customer_id = e.customer_id" if has_customers else ""
    base = (
        f"SELECT c.cid, e.customer_id, e.ts, {engine.seconds('e.ts')} AS t, e.seq, e.event, "
        f"e.channel{attrs} FROM {EVENTS} e JOIN {tables.customer_codes} c "
        f"ON c.customer_id = e.customer_id {join} {_filters(options)}"
    )
    jid = "cid"
    if options.splits_journeys:
        previous = f"lag(t) OVER (PARTITION BY cid ORDER BY {_ORDER})"
        starts = []
        if options.journey_gap_days is not None:
            starts.append(f"t - {previous} > {float(options.journey_gap_days) * 86400}")
        if options.split_at is not None:
            at = _epoch(options.split_at)
            starts.append(f"({previous} < {at} AND t >= {at})")
        base = (
            f"SELECT *, CASE WHEN {' OR '.join(starts)} THEN 1 ELSE 0 END AS _new FROM ({base}) b0"
        )
        base = (
            "SELECT *, sum(_new) OVER (PARTITION BY cid ORDER BY ts, seq ROWS BETWEEN "
            f"UNBOUNDED PRECEDING AND CURRENT ROW) AS _k FROM ({base}) b1"
        )
        jid = f"cid * {JOURNEYS_PER_CUSTOMER} + _k + 1"
    sql = (
        f"SELECT *, {jid} AS jid, {binding.step_sql} AS step, "
        f"{binding.touchpoint_sql} AS touchpoint, {persona} AS _persona FROM ({base}) b"
    )
    if not options.splits_journeys:
        engine.create_view(tables.bound.name, sql)
    else:
        engine.materialize(tables.bound.name, sql)


def _persona_sql(engine: Engine, journey: JourneyMap | None, columns: dict[str, str]) -> str:
    """The first persona whose segment conditions an event's row meets (NULL if none)."""
    if journey is None or not journey.personas:
        return "CAST(NULL AS VARCHAR)"
    from ..model import EvidenceRule

    cases = []
    for persona in journey.personas:
        if not persona.segment:
            continue
        rule = EvidenceRule(event_glob="*", where=persona.segment)
        sql, missing = rule_sql(rule, engine, columns)
        if not missing:
            cases.append(f"WHEN {sql} THEN {literal(persona.id)}")
    return f"CASE {' '.join(cases)} END" if cases else "CAST(NULL AS VARCHAR)"


def _build_segments(
    engine: Engine, options: JourneyOptions, columns: dict[str, str], tables: Tables
) -> None:
    """``_jseg``: one row per journey with its segment — the attribute on its first event
    (customer attributes are the same on every event), or its customer's persona."""
    by, made, bound = options.segment_by, tables.journey_segments, tables.bound
    if not by or made is None:
        return
    if by == "persona" and by not in columns:  # a persona column of the data is its own
        # a customer is a persona when any of their events meets its conditions
        engine.materialize(
            made.name,
            "SELECT j.jid, coalesce(p.persona, '(no persona)') AS segment FROM "
            f"(SELECT DISTINCT jid, cid FROM {bound}) j LEFT JOIN (SELECT cid, max(_persona) AS "
            f"persona FROM {bound} GROUP BY cid) p ON p.cid = j.cid",
        )
        return
    if by not in columns:
        known = ", ".join(sorted(columns)) or "none"
        raise ValueError(f"no attribute {by!r} to segment by; the data has: {known}")
    column = ident(columns[by])
    engine.materialize(
        made.name,
        f"SELECT jid, coalesce({engine.to_text(column)}, '(none)') AS segment FROM ("
        f"SELECT jid, {column}, row_number() OVER (PARTITION BY jid ORDER BY {_ORDER}) "
        f"AS _rn FROM {bound}) f WHERE _rn = 1",
    )


def _build_path(engine: Engine, options: JourneyOptions, binding: Binding, tables: Tables) -> None:
    """``_path`` holds only what varies (narrow integer columns: on 10M events every byte per
    row is 10 MB); the ``path`` view adds the constant columns back."""
    split = options.splits_journeys
    segmented = bool(options.segment_by)
    touchpoints = binding.touchpoint_sql != "NULL"
    keep = [
        "b.jid", *(["b.cid"] if split else []), *(["g.segment"] if segmented else []),
        "b.t", "b.seq", "s.sid", *(["b.touchpoint"] if touchpoints else []),
    ]  # fmt: skip
    join = f"JOIN {tables.journey_segments} g ON g.jid = b.jid" if segmented else ""
    rows = (
        f"SELECT {', '.join(keep)} FROM {tables.bound} b "
        f"JOIN {tables.step_codes} s ON s.step = b.step {join}"
    )
    if options.collapse_repeats:
        rows = (
            "SELECT * FROM (SELECT *, lag(sid) OVER (PARTITION BY jid ORDER BY t, seq) "
            f"AS _p FROM ({rows}) r0) r1 WHERE _p IS NULL OR _p <> sid"
        )
    # the rows first, then the window over them: on 10M events this is twice as fast as one
    # query (the window's input arrives from a table, not through the joins)
    engine.materialize(_PATH_IN.name, rows)
    window = "OVER (PARTITION BY jid ORDER BY t, seq)"
    names = [column.split(".")[1] for column in keep if column not in ("b.seq",)]
    engine.materialize(
        _PATH_ROWS.name,
        f"SELECT {', '.join(names)}, CAST(row_number() {window} AS INTEGER) AS pos, "
        f"lag(sid) {window} AS prev_sid, t - lag(t) {window} AS gap FROM {_PATH_IN} r",
    )
    engine.drop(_PATH_IN.name)
    cid = "cid" if split else "jid AS cid"
    segment = "segment" if segmented else "'all' AS segment"
    touchpoint = "touchpoint" if touchpoints else "CAST(NULL AS VARCHAR) AS touchpoint"
    engine.create_view(
        tables.path.name,
        f"SELECT jid, {cid}, {segment}, t, sid, {touchpoint}, pos, prev_sid, gap FROM {_PATH_ROWS}",
    )
