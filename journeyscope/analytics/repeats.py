"""Repeated contacts: the same touchpoint (or step) k or more times within a time window."""

from __future__ import annotations

import pyarrow as pa

from .journeys import Prepared

__all__ = ["compute_repeats", "in_window_sql"]


def in_window_sql(column: str, window_seconds: float) -> str:
    """SQL of a window over ``path``-like rows (``jid``, ``t``, ``column``): how many of the
    journey's events at the same ``column`` value (a step code, a touchpoint) fell in the
    ``window_seconds`` up to each one. A repeat is this reaching the number of times asked
    for; the pain-point checks count repeated contacts and loops with it too."""
    return (
        f"count(*) OVER (PARTITION BY jid, {column} ORDER BY t RANGE BETWEEN "
        f"{float(window_seconds)} PRECEDING AND CURRENT ROW)"
    )


def compute_repeats(
    prepared: Prepared, min_times: int = 2, window_seconds: float = 7 * 86400, by: str = "step"
) -> pa.Table:
    """Per segment and ``by`` (step or touchpoint): customers who hit it ``min_times``+ times
    within ``window_seconds``, their share of the customers who hit it at all, and the events
    involved."""
    if by not in ("step", "touchpoint"):
        raise ValueError("repeats are counted by step or touchpoint")
    engine = prepared.engine
    column = "sid" if by == "step" else "touchpoint"
    window = in_window_sql(column, window_seconds)
    hit = f"CASE WHEN most >= {int(min_times)} THEN {{}} ELSE 0 END"
    table = engine.query(
        f"WITH w AS (SELECT cid, segment, {column} AS element, {window} AS in_window "
        f"FROM {prepared.tables.path} WHERE {column} IS NOT NULL), "
        "c AS (SELECT segment, element, cid, max(in_window) AS most, count(*) AS events "
        "FROM w GROUP BY segment, element, cid) "
        "SELECT segment, element, count(*) AS customers, "
        f"CAST(sum({hit.format(1)}) AS BIGINT) AS repeat_customers, "
        f"sum({hit.format(1)}) * 1.0 / count(*) AS repeat_share, "
        f"CAST(sum({hit.format('events')}) AS BIGINT) AS repeat_events "
        "FROM c GROUP BY segment, element ORDER BY segment, repeat_customers DESC, element"
    )
    if by == "step":  # decode the step codes, keeping the order
        ids = [prepared.step_id(int(code)) for code in table.column("element").to_pylist()]
        table = table.set_column(
            table.schema.get_field_index("element"), "element", pa.array(ids, pa.string())
        )
    return table
