"""Reach, variants and flows (directly-follows counts with times) from the ordered ``path``.

Queries group by the integer step codes of ``path``; step ids are put back on the (small)
results in Python.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..sql import literal
from .journeys import Prepared

__all__ = [
    "FlowOptions",
    "compute_flows",
    "compute_paths",
    "compute_reach",
    "compute_unmapped",
    "compute_variants",
    "journey_variants_sql",
]

START, END = "[start]", "[end]"


def _decode(prepared: Prepared, rows: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    for row in rows:
        for key in keys:
            code = row.get(key)
            row[key] = prepared.step_id(code) if isinstance(code, int) else code
    return rows


def compute_reach(prepared: Prepared) -> pa.Table:
    """Per segment and step: customers, journeys and events; share of all customers."""
    rows = prepared.engine.query(
        "SELECT p.segment, p.sid AS step, count(DISTINCT p.cid) AS customers, "
        "count(DISTINCT p.jid) AS journeys, count(*) AS events, "
        "count(DISTINCT p.cid) * 1.0 / max(s.total) AS share "
        f"FROM {prepared.tables.path} p JOIN (SELECT segment, count(DISTINCT cid) AS total "
        f"FROM {prepared.tables.path} "
        "GROUP BY segment) s ON s.segment = p.segment GROUP BY p.segment, p.sid"
    ).to_pylist()
    rows = _decode(prepared, rows, "step")
    rows.sort(key=lambda r: (r["segment"], -r["customers"], r["step"]))
    return _table(rows, ["segment", "step", "customers", "journeys", "events", "share"])


def _table(rows: list[dict[str, Any]], names: list[str]) -> pa.Table:
    if rows:
        return pa.Table.from_pylist(rows)
    return pa.table({name: pa.array([], pa.string()) for name in names})


def compute_touchpoint_reach(prepared: Prepared) -> pa.Table:
    return prepared.engine.query(
        "SELECT segment, touchpoint, count(DISTINCT cid) AS customers, "
        f"count(*) AS events FROM {prepared.tables.path} WHERE touchpoint IS NOT NULL "
        "GROUP BY segment, touchpoint ORDER BY segment, customers DESC, touchpoint"
    )


def compute_unmapped(prepared: Prepared) -> pa.Table:
    """Event names no map element claims, with their reach (customers) and volume."""
    return prepared.engine.query(
        "SELECT event, count(DISTINCT cid) AS customers, count(*) AS events, "
        f"count(DISTINCT cid) * 1.0 / {max(prepared.customers, 1)} "
        f"AS share FROM {prepared.tables.bound} WHERE step IS NULL "
        "GROUP BY event ORDER BY customers DESC, event"
    )


def journey_variants_sql(prepared: Prepared, customers: bool = False) -> str:
    """SQL of each journey's variant: ``segment``, ``jid``, (with ``customers``: ``cid``,)
    ``variant`` — the codes of its mapped steps in journey order, a list. ``compute_variants``
    counts these; the staleness check compares their mix before and after a split."""
    cid = "min(cid) AS cid, " if customers else ""
    return (
        f"SELECT segment, jid, {cid}{prepared.engine.ordered_list('sid', ['pos'])} AS variant "
        f"FROM {prepared.tables.path} GROUP BY segment, jid"
    )


def compute_variants(prepared: Prepared, top: int | None = None) -> pa.Table:
    """Ordered step sequences per journey, counted: ``variant`` (list of step ids), journeys,
    customers, ``coverage`` (share of the segment's journeys), most common first (ties: the
    variant whose first journey belongs to the customer first by id). ``top`` keeps the first
    N per segment; ``segment_variants`` is how many distinct variants the segment has in all."""
    split = prepared.options.splits_journeys  # else a journey is a customer
    counted = prepared.engine.query(
        f"WITH v AS ({journey_variants_sql(prepared, customers=split)}) "
        "SELECT segment, variant, count(*) AS journeys, "
        f"{'count(DISTINCT cid) AS customers, ' if split else ''}"
        "min(jid) AS first FROM v GROUP BY segment, variant "
        "ORDER BY segment, journeys DESC, first"  # the engine sorts in parallel; Arrow would not
    )
    if not split:
        counted = counted.append_column("customers", counted.column("journeys"))
    table = _rank(counted, top)
    return table.set_column(
        table.schema.get_field_index("variant"), "variant", _decode_lists(prepared, table)
    )


def _rank(counted: pa.Table, top: int | None) -> pa.Table:
    """Rank, coverage and running coverage per segment of the counted variants, which arrive
    sorted (segment, most journeys first, ties by first journey), in NumPy: cheaper than a
    window that carries every step list through another sort."""
    table = counted.drop_columns(["first"])
    journeys = table.column("journeys").combine_chunks().to_numpy().astype(np.int64)
    n = len(journeys)
    segments = table.column("segment").combine_chunks()  # compared in Arrow: no Python strings
    changes = pc.not_equal(segments.slice(1), segments.slice(0, max(n - 1, 0)))
    flags = changes.to_numpy(zero_copy_only=False).astype(bool)
    starts = np.flatnonzero(np.r_[True, flags]) if n else np.zeros(0, int)
    sizes = np.diff(np.r_[starts, n]).astype(np.int64)
    first_row = np.repeat(starts, sizes)  # each row's segment start
    rank = np.arange(n, dtype=np.int64) - first_row + 1
    running = np.cumsum(journeys)
    before = np.r_[0, running][starts]  # journeys of the segments before each one
    running = running - np.repeat(before, sizes)
    total = np.repeat(np.add.reduceat(journeys, starts) if n else journeys, sizes)
    table = table.append_column("rank", pa.array(rank))
    table = table.append_column("coverage", pa.array(journeys / np.maximum(total, 1)))
    table = table.append_column("cumulative_coverage", pa.array(running / np.maximum(total, 1)))
    table = table.append_column("segment_variants", pa.array(np.repeat(sizes, sizes)))
    if top is not None:
        table = table.filter(pc.less_equal(table.column("rank"), int(top)))
    return table


def _decode_lists(prepared: Prepared, table: pa.Table) -> pa.Array:
    """The ``variant`` lists of step codes as lists of step ids, vectorised (no Python loop
    per row: a long log has hundreds of thousands of variants). The ids are dictionary-encoded
    (a 2-byte code per step, each name stored once), so the lists cost what the codes cost."""
    codes = pa.chunked_array(table.column("variant")).combine_chunks()
    names = pa.array(["", *(info.id for info in prepared.binding.steps)], pa.string())
    if len(codes) == 0:
        return pa.array([], pa.list_(pa.string()))
    width = pa.int16() if len(names) <= 32_767 else pa.int32()  # page URLs as steps: many
    ids = pa.DictionaryArray.from_arrays(pc.cast(codes.flatten(), width), names)
    offsets = pc.subtract(codes.offsets, codes.offsets[0])  # a sliced array starts past 0
    return pa.ListArray.from_arrays(offsets, ids)


def journey_variant(prepared: Prepared, journey: str) -> list[str]:
    """The ordered steps of one journey (a customer id, or ``id#k`` with journey windows)."""
    rows = prepared.engine.query(
        f"SELECT sid FROM {prepared.tables.path} WHERE jid = {prepared.journey_id(journey)} "
        "ORDER BY pos"
    )
    return [prepared.step_id(sid) for sid in rows.column(0).to_pylist()]


@dataclass(frozen=True)
class FlowOptions:
    """PostHog-style path options.

    ``start``/``end``: only journeys through this step, cut to begin (end) there;
    ``min_count``: drop edges seen fewer times; ``top_steps``: keep the N busiest steps and
    put the rest in an ``other`` bucket; ``groups``: merge steps into named groups
    (``{"support": ["support-call", "support-chat"]}``).
    """

    start: str | None = None
    end: str | None = None
    min_count: int = 1
    top_steps: int | None = None
    groups: dict[str, list[str]] | None = None


def compute_paths(prepared: Prepared, depth: int = 6) -> pa.Table:
    """PostHog-style paths: the first ``depth`` steps of every journey by position. Per segment
    and position ``depth`` (1 = from the first step to the second): ``source`` -> ``target``
    and the journeys taking that move; ``target`` is ``[end]`` where journeys stop. Unlike
    ``compute_flows`` (every directly-follows edge, cycles included) this always draws as a
    left-to-right Sankey."""
    if depth < 2:
        raise ValueError("paths need a depth of at least 2 steps")
    counted = prepared.engine.query(
        f"SELECT segment, pos, prev_sid, sid, count(*) AS count FROM {prepared.tables.path} "
        f"WHERE pos <= {int(depth)} GROUP BY segment, pos, prev_sid, sid"
    ).to_pylist()
    rows = [  # the moves from position pos - 1 to pos
        {"segment": r["segment"], "depth": r["pos"] - 1, "source": r["prev_sid"],
         "target": r["sid"], "count": r["count"]}
        for r in counted
        if r["pos"] >= 2
    ]  # fmt: skip
    ends = _ends(
        ((r["segment"], r["pos"], r["sid"]) if r["pos"] < depth else None,
         (r["segment"], r["pos"] - 1, r["prev_sid"]) if r["pos"] >= 2 else None, r["count"])
        for r in counted
    )  # fmt: skip
    rows += [
        {"segment": segment, "depth": pos, "source": sid, "target": None, "count": n}
        for (segment, pos, sid), n in ends.items()
    ]
    rows.sort(key=lambda r: (r["segment"], r["depth"], -r["count"], r["source"],
                             r["target"] is None, r["target"] or 0))  # fmt: skip
    for row in _decode(prepared, rows, "source", "target"):
        row["target"] = row["target"] or END
    return _table(rows, ["segment", "depth", "source", "target", "count"])


def compute_flows(prepared: Prepared, options: FlowOptions | None = None) -> pa.Table:
    """Directly-follows edges per segment: ``source`` -> ``target``, count, and the median,
    p90 and mean seconds between them. ``[start]`` and ``[end]`` edges open and close each
    journey, so the table draws as a Sankey diagram."""
    options = options or FlowOptions()
    engine = prepared.engine
    times = (
        f"{engine.median('gap')} AS median_seconds, {engine.quantile('gap', 0.9)} AS "
        "p90_seconds, avg(gap) AS mean_seconds"
    )
    nulls = "NULL AS median_seconds, NULL AS p90_seconds, NULL AS mean_seconds"
    plain = not (options.start or options.end or options.top_steps or options.groups)
    if plain:  # the fast path: one grouping over the integer codes, one scan
        rows = engine.query(
            "SELECT segment, prev_sid AS source, sid AS target, count(*) AS count, "
            f"{engine.quantiles('gap', [0.5, 0.9])} AS q, avg(gap) AS mean_seconds "
            f"FROM {prepared.tables.path} GROUP BY segment, prev_sid, sid"
        ).to_pylist()
        rows = _decode(prepared, _with_ends(rows), "source", "target")
        for row in rows:
            row["source"] = row["source"] or START
            row["target"] = row["target"] or END
    else:
        rows = _flows_with_options(prepared, options, times, nulls)
    rows = [r for r in rows if r["count"] >= options.min_count]
    rows.sort(key=lambda r: (r["segment"], -r["count"], r["source"], r["target"]))
    names = ["segment", "source", "target", "count", "median_seconds", "p90_seconds",
             "mean_seconds"]  # fmt: skip
    if not rows:
        return _table(rows, names)
    schema = pa.schema(
        [("segment", pa.string()), ("source", pa.string()), ("target", pa.string()),
         ("count", pa.int64()), ("median_seconds", pa.float64()),
         ("p90_seconds", pa.float64()), ("mean_seconds", pa.float64())]
    )  # fmt: skip
    return pa.Table.from_pylist(rows, schema=schema)


Key = tuple[Any, ...]


def _ends(moves: Iterable[tuple[Key | None, Key | None, int]]) -> dict[Key, int]:
    """Journeys ending at each place, from counted rows ``(place of the row, place it moved
    from, count)`` (None: not counted there): every occurrence of a step is followed by a move
    out of it or ends its journey, so the ends at a place are its occurrences minus the moves
    out of it."""
    balance: Counter[Key] = Counter()
    for into, out_of, count in moves:
        if into is not None:
            balance[into] += count
        if out_of is not None:
            balance[out_of] -= count
    return {place: n for place, n in balance.items() if n > 0}


def _with_ends(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Edges counted by (segment, previous step, step) — a NULL previous step opens a journey —
    plus the edges that close journeys (``_ends``)."""
    for row in rows:
        row["median_seconds"], row["p90_seconds"] = row.pop("q") or (None, None)
    ends = _ends(
        ((r["segment"], r["target"]),
         (r["segment"], r["source"]) if r["source"] is not None else None, r["count"])
        for r in rows
    )  # fmt: skip
    return rows + [
        {"segment": segment, "source": sid, "target": None, "count": n, "median_seconds": None,
         "p90_seconds": None, "mean_seconds": None}
        for (segment, sid), n in ends.items()
    ]  # fmt: skip


def _flows_with_options(
    prepared: Prepared, options: FlowOptions, times: str, nulls: str
) -> list[dict[str, Any]]:
    """Cut at a start/end step, rename by groups and the top-N bucket, then count edges."""
    rows = f"SELECT p.jid, p.segment, p.pos, p.sid, p.gap, s.step FROM {prepared.tables.path} p "
    rows += f"JOIN {prepared.tables.step_codes} s ON s.sid = p.sid"
    cut = []
    for name, step, op in (("cs", options.start, ">="), ("ce", options.end, "<=")):
        if step:
            code = prepared.sid(step)
            rows += (
                f" JOIN (SELECT jid, min(pos) AS at FROM {prepared.tables.path} WHERE sid = {code} "
                f"GROUP BY jid) {name} ON {name}.jid = p.jid"
            )
            cut.append(f"p.pos {op} {name}.at")
    rows += (" WHERE " + " AND ".join(cut)) if cut else ""
    label = _rename_sql(prepared, options, "step")
    window = "OVER (PARTITION BY jid ORDER BY pos)"
    ordered = (
        f"SELECT jid, segment, pos, gap, {label} AS step, lag({label}) {window} AS prev_step, "
        "max(pos) OVER (PARTITION BY jid) AS last_pos, "
        f"min(pos) OVER (PARTITION BY jid) AS first_pos FROM ({rows}) r"
    )
    return prepared.engine.query(
        f"WITH o AS ({ordered}) "
        f"SELECT segment, prev_step AS source, step AS target, count(*) AS count, {times} "
        "FROM o WHERE pos > first_pos GROUP BY segment, prev_step, step "
        f"UNION ALL SELECT segment, '{START}', step, count(*), {nulls} "
        "FROM o WHERE pos = first_pos GROUP BY segment, step "
        f"UNION ALL SELECT segment, step, '{END}', count(*), {nulls} "
        "FROM o WHERE pos = last_pos GROUP BY segment, step"
    ).to_pylist()


def _rename_sql(prepared: Prepared, options: FlowOptions, column: str) -> str:
    """SQL of ``column`` with the groups and the top-N ``other`` bucket applied."""
    cases = []
    for group, members in (options.groups or {}).items():
        names = ", ".join(literal(m) for m in members)
        cases.append(f"WHEN {column} IN ({names}) THEN {literal(group)}")
    if options.top_steps:
        busiest = prepared.engine.query(
            f"SELECT sid FROM {prepared.tables.path} GROUP BY sid ORDER BY count(*) DESC, sid "
            f"LIMIT {int(options.top_steps)}"
        ).column(0)
        keep = [prepared.step_id(code) for code in busiest.to_pylist()]
        grouped = [m for ms in (options.groups or {}).values() for m in ms]
        kept = ", ".join(literal(s) for s in [*keep, *grouped]) or "''"
        cases.append(f"WHEN {column} IS NOT NULL AND {column} NOT IN ({kept}) THEN 'other'")
    return f"CASE {' '.join(cases)} ELSE {column} END" if cases else column
