"""Time between two steps: from a journey's first ``a`` to its first ``b`` after it."""

from __future__ import annotations

import pyarrow as pa

from .journeys import Prepared

__all__ = ["compute_time_between"]


def compute_time_between(prepared: Prepared, a: str, b: str) -> pa.Table:
    """Per segment: journeys with ``b`` after ``a``, and the median, p90 and mean seconds."""
    engine = prepared.engine
    code_a, code_b = prepared.sid(a), prepared.sid(b)
    return engine.query(
        "WITH fa AS (SELECT jid, segment, min(pos) AS pa, min(t) AS ta "
        f"FROM {prepared.tables.path} WHERE sid = {code_a} GROUP BY jid, segment), "
        "fb AS (SELECT fa.jid, fa.segment, min(p.t) - min(fa.ta) AS seconds FROM fa "
        f"JOIN {prepared.tables.path} p ON p.jid = fa.jid AND p.sid = {code_b} AND p.pos > fa.pa "
        "GROUP BY fa.jid, fa.segment) "
        "SELECT segment, count(*) AS journeys, "
        f"{engine.median('seconds')} AS median_seconds, "
        f"{engine.quantile('seconds', 0.9)} AS p90_seconds, avg(seconds) AS mean_seconds "
        "FROM fb GROUP BY segment ORDER BY segment"
    )
