"""Channel switches: consecutive events of a journey on different channels."""

from __future__ import annotations

import pyarrow as pa

from .journeys import Prepared

__all__ = ["compute_channel_switches"]

_ORDERED = (
    "SELECT jid, segment, channel, lag(channel) OVER (PARTITION BY jid "
    "ORDER BY t, seq) AS prev_channel FROM ({rows}) r"
)


def _rows(prepared: Prepared) -> str:
    """Every event with a channel (mapped or not), with its journey's segment."""
    bound = prepared.tables.bound
    if not prepared.options.segment_by:
        return (
            f"SELECT jid, 'all' AS segment, channel, t, seq FROM {bound} WHERE channel IS NOT NULL"
        )
    return (
        "SELECT b.jid, coalesce(g.segment, '(none)') AS segment, b.channel, b.t, b.seq "
        f"FROM {bound} b LEFT JOIN {prepared.tables.journey_segments} g ON g.jid = b.jid "
        "WHERE b.channel IS NOT NULL"
    )


def compute_channel_switches(prepared: Prepared) -> tuple[pa.Table, pa.Table]:
    """``(matrix, rates)``: counts per segment and (from, to) channel pair, same channel
    included; and per segment the share of channel-to-channel transitions that switch and the
    share of journeys (with two or more channel events) that switch at least once."""
    engine = prepared.engine
    ordered = _ORDERED.format(rows=_rows(prepared))
    matrix = engine.query(
        f"SELECT segment, prev_channel AS from_channel, channel AS to_channel, count(*) AS count "
        f"FROM ({ordered}) o WHERE prev_channel IS NOT NULL "
        "GROUP BY segment, prev_channel, channel "
        "ORDER BY segment, count DESC, from_channel, to_channel"
    )
    rates = engine.query(
        "SELECT segment, sum(switches) * 1.0 / nullif(sum(transitions), 0) AS switch_rate, "
        "avg(CASE WHEN switches > 0 THEN 1.0 ELSE 0.0 END) AS journeys_switching, "
        "count(*) AS journeys FROM (SELECT jid, segment, "
        "sum(CASE WHEN prev_channel IS NOT NULL AND prev_channel <> channel THEN 1 ELSE 0 END) "
        "AS switches, sum(CASE WHEN prev_channel IS NOT NULL THEN 1 ELSE 0 END) AS transitions "
        f"FROM ({ordered}) o GROUP BY jid, segment) j WHERE transitions > 0 "
        "GROUP BY segment ORDER BY segment"
    )
    return matrix, rates
