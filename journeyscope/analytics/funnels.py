"""Funnels over map steps or stages: ordered, strict or any order, with a conversion window,
exclusions and optional steps (PostHog's funnel options).

Every occurrence of the first step starts an attempt; the attempt takes, for each next step,
its first occurrence after the previous step (``ordered``), the very next mapped event
(``strict``), or counts distinct steps in the window (``any``). A journey counts with its
deepest attempt (ties: the earliest). With ``window_seconds`` every step must happen within
that time of the attempt's first step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pyarrow as pa

from ..sql import literal
from .journeys import Prepared

__all__ = ["Exclusion", "FunnelOptions", "compute_funnel"]


@dataclass(frozen=True)
class Exclusion:
    """Drop attempts where ``step`` happens between funnel steps ``after`` and ``before``
    (1-based positions in the funnel)."""

    step: str
    after: int = 1
    before: int | None = None


@dataclass(frozen=True)
class FunnelOptions:
    steps: list[str]
    mode: Literal["ordered", "strict", "any"] = "ordered"
    window_seconds: float | None = None
    by: Literal["step", "stage"] = "step"
    optional: list[str] = field(default_factory=list)
    exclusions: list[Exclusion] = field(default_factory=list)


def _codes(prepared: Prepared, by: str) -> dict[str, int]:
    """Funnel unit -> integer code: step codes, or stage positions in map order."""
    if by == "step":
        return {info.id: info.index + 1 for info in prepared.binding.steps}
    stages = list(dict.fromkeys(info.stage for info in prepared.binding.steps))
    return {stage: number for number, stage in enumerate(stages, start=1)}


def _unit_sql(prepared: Prepared, by: str) -> str:
    if by == "step":
        return "sid"
    stage_codes = _codes(prepared, "stage")
    cases = " ".join(
        f"WHEN sid = {info.index + 1} THEN {stage_codes[info.stage]}"
        for info in prepared.binding.steps
    )
    return f"CASE {cases} END"


def compute_funnel(prepared: Prepared, options: FunnelOptions) -> pa.Table:
    """One row per segment and funnel step: journeys reaching it, conversion from the first and
    the previous step, drop-off, and median/p90 seconds from the previous and the first step."""
    if len(options.steps) < 2:
        raise ValueError("a funnel needs at least two steps")
    if options.optional and options.optional[0] == options.steps[0]:
        raise ValueError("the first funnel step cannot be optional")
    codes = _codes(prepared, options.by)
    for unit in [*options.steps, *(e.step for e in options.exclusions)]:
        if unit not in codes:
            kind = options.by
            raise ValueError(f"no {kind} {unit!r} in the map; {kind}s: {', '.join(codes)}")
    coded = FunnelOptions(
        steps=[str(codes[s]) for s in options.steps], mode=options.mode,
        window_seconds=options.window_seconds, by=options.by,
        optional=[str(codes[s]) for s in options.optional],
        exclusions=[Exclusion(str(codes[e.step]), e.after, e.before) for e in options.exclusions],
    )  # fmt: skip
    units = ", ".join(sorted({*coded.steps, *(e.step for e in coded.exclusions)}))
    unit = _unit_sql(prepared, options.by)
    # the filter on the expression itself, not on its alias: the scan then applies it (an
    # alias' IN list became a join and a second filter over every event)
    ctes = [
        f"e AS (SELECT jid, segment, pos, t, {unit} AS unit FROM {prepared.tables.path} "
        f"WHERE {unit} IN ({units}))"
    ]
    best = _any_order(ctes, coded) if options.mode == "any" else _sequential(ctes, coded)
    table = _aggregate(prepared, ctes, best, coded)
    names = dict(zip(coded.steps, options.steps, strict=True))
    return table.set_column(
        table.schema.get_field_index("step"), "step",
        pa.array([names.get(code, code) for code in table.column("step").to_pylist()]),
    ) if table.num_rows else table  # fmt: skip


def _within(options: FunnelOptions, alias: str) -> str:
    if options.window_seconds is None:
        return ""
    return f" AND e.t <= {alias}.t1 + {float(options.window_seconds)}"


def _sequential(ctes: list[str], options: FunnelOptions) -> str:
    """Attempt columns p1..pn (positions) and t1..tn (seconds); returns the CTE name."""
    first = options.steps[0]
    # ordered, no window, no exclusion: the attempt from a journey's first occurrence of the
    # first step reaches every step a later attempt reaches (each next step is looked for from
    # an earlier or the same position), and it wins ties: it is the only attempt to follow
    earliest = options.mode == "ordered" and options.window_seconds is None
    earliest = earliest and not options.exclusions
    if earliest:
        return _earliest(ctes, options)
    ctes.append(f"a1 AS (SELECT jid, segment, pos AS p1, t AS t1 FROM e WHERE unit = {first})")
    base = 1  # the last required step: the next step is looked for after it
    for k, unit in enumerate(options.steps[1:], start=2):
        keep = ", ".join(f"a.p{i}, a.t{i}" for i in range(1, k))
        cols = "a.jid, a.segment, " + keep
        after = f"e.pos = a.p{base} + 1" if options.mode == "strict" else f"e.pos > a.p{base}"
        ctes.append(
            f"a{k} AS (SELECT {cols}, min(e.pos) AS p{k}, min(e.t) AS t{k} FROM a{k - 1} a "
            f"LEFT JOIN e ON e.jid = a.jid AND e.unit = {unit} AND {after} "
            f"AND a.p{base} IS NOT NULL{_within(options, 'a')} GROUP BY {cols})"
        )
        if unit not in options.optional:
            base = k
    last = len(options.steps)
    _exclude(ctes, options, last)
    depth = _depth(options)
    pick = f"row_number() OVER (PARTITION BY jid ORDER BY {depth} DESC, p1)"
    ctes.append(f"scored AS (SELECT *, {depth} AS depth, {pick} AS pick FROM kept)")
    return "scored"


def _depth(options: FunnelOptions) -> str:
    """How many required steps an attempt reached."""
    return " + ".join(
        f"CASE WHEN p{k} IS NOT NULL THEN 1 ELSE 0 END"
        for k, unit in enumerate(options.steps, start=1)
        if unit not in options.optional
    )


def _earliest(ctes: list[str], options: FunnelOptions) -> str:
    """One attempt per journey, from its first occurrence of the first step: ``s{k}`` holds
    the journeys reaching step k (position ``p`` and time ``t`` of their first occurrence after
    the last required step before it), so each join reads only the journeys still in the
    funnel; ``kept`` puts the steps side by side. Path is in time order, so the first position
    has the first time too."""
    ctes.append(
        f"s1 AS (SELECT jid, segment, min(pos) AS p, min(t) AS t FROM e "
        f"WHERE unit = {options.steps[0]} GROUP BY jid, segment)"
    )
    base = 1
    for k, unit in enumerate(options.steps[1:], start=2):
        ctes.append(
            f"s{k} AS (SELECT e.jid, min(e.pos) AS p, min(e.t) AS t FROM e JOIN s{base} b "
            f"ON b.jid = e.jid AND e.pos > b.p WHERE e.unit = {unit} GROUP BY e.jid)"
        )
        if unit not in options.optional:
            base = k
    n = len(options.steps)
    columns = ", ".join(f"s{k}.p AS p{k}, s{k}.t AS t{k}" for k in range(1, n + 1))
    joins = " ".join(f"LEFT JOIN s{k} ON s{k}.jid = s1.jid" for k in range(2, n + 1))
    ctes.append(f"kept AS (SELECT s1.jid, s1.segment, {columns} FROM s1 {joins})")
    ctes.append(f"scored AS (SELECT *, {_depth(options)} AS depth, 1 AS pick FROM kept)")
    return "scored"


def _exclude(ctes: list[str], options: FunnelOptions, last: int) -> None:
    conditions = []
    for exclusion in options.exclusions:
        low = f"a.p{exclusion.after}"
        high = f"a.p{exclusion.before}" if exclusion.before else None
        upper = f" AND (x.pos < {high} OR {high} IS NULL)" if high else ""
        conditions.append(
            f"EXISTS (SELECT 1 FROM e x WHERE x.jid = a.jid AND x.unit = "
            f"{exclusion.step} AND x.pos > {low}{upper})"
        )
    where = f"WHERE NOT ({' OR '.join(conditions)})" if conditions else ""
    ctes.append(f"kept AS (SELECT a.* FROM a{last} a {where})")


def _any_order(ctes: list[str], options: FunnelOptions) -> str:
    """Any order: from each funnel event, the distinct funnel steps within the window."""
    window = (
        f" AND e.t <= s.t + {float(options.window_seconds)}"
        if options.window_seconds is not None
        else ""
    )
    flags = ", ".join(
        f"max(CASE WHEN e.unit = {u} THEN e.pos END) AS p{k}, "
        f"max(CASE WHEN e.unit = {u} THEN e.t END) AS t{k}"
        for k, u in enumerate(options.steps, start=1)
    )
    ctes.append(
        f"kept AS (SELECT s.jid, s.segment, s.pos AS start, {flags}, "
        f"count(DISTINCT e.unit) AS depth FROM e s JOIN e ON e.jid = s.jid AND "
        f"e.pos >= s.pos{window} GROUP BY s.jid, s.segment, s.pos)"
    )
    ctes.append(
        "scored AS (SELECT *, row_number() OVER (PARTITION BY jid ORDER BY depth DESC, "
        "start) AS pick FROM kept)"
    )
    return "scored"


def _aggregate(prepared: Prepared, ctes: list[str], best: str, options: FunnelOptions) -> pa.Table:
    engine = prepared.engine
    n = len(options.steps)
    parts = []
    for k, unit in enumerate(options.steps, start=1):
        if options.mode == "any":
            reached = f"depth >= {k}"
            since_prev = since_first = "CAST(NULL AS DOUBLE)"
        else:
            reached = f"p{k} IS NOT NULL"
            prev = max((i for i in range(1, k) if options.steps[i - 1] not in options.optional),
                       default=1)  # fmt: skip
            since_prev = f"t{k} - t{prev}" if k > 1 else "CAST(NULL AS DOUBLE)"
            since_first = f"t{k} - t1" if k > 1 else "CAST(NULL AS DOUBLE)"
        parts.append(
            f"SELECT segment, {k} AS idx, {literal(unit)} AS step, count(*) AS journeys, "
            f"{engine.median(since_prev)} AS median_seconds_from_previous, "
            f"{engine.quantile(since_prev, 0.9)} AS p90_seconds_from_previous, "
            f"{engine.median(since_first)} AS median_seconds_from_start "
            f"FROM best WHERE {reached} GROUP BY segment"
        )
    ctes.append(f"best AS (SELECT * FROM {best} WHERE pick = 1)")
    sql = "WITH " + ", ".join(ctes) + " " + " UNION ALL ".join(parts)
    rows = engine.query(sql).to_pylist()
    return _conversion_table(rows, options, n)


def _conversion_table(rows: list[dict[str, object]], options: FunnelOptions, n: int) -> pa.Table:
    by_key = {(r["segment"], r["idx"]): r for r in rows}
    segments = sorted({str(r["segment"]) for r in rows})
    out = []
    for segment in segments:
        entered = int(by_key.get((segment, 1), {}).get("journeys", 0) or 0)  # type: ignore[call-overload]
        previous = entered
        for k, unit in enumerate(options.steps, start=1):
            row = by_key.get((segment, k), {})
            count = int(row.get("journeys", 0) or 0)  # type: ignore[call-overload]
            optional = unit in options.optional
            out.append({
                "segment": segment, "index": k, "step": unit, "optional": optional,
                "journeys": count,
                "conversion": count / entered if entered else 0.0,
                "step_conversion": count / previous if previous else 0.0,
                "dropped": max(previous - count, 0) if not optional else 0,
                "median_seconds_from_previous": row.get("median_seconds_from_previous"),
                "p90_seconds_from_previous": row.get("p90_seconds_from_previous"),
                "median_seconds_from_start": row.get("median_seconds_from_start"),
            })  # fmt: skip
            if not optional:
                previous = count
    return pa.Table.from_pylist(out) if out else pa.table({"step": pa.array([], pa.string())})
