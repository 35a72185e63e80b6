"""A reference side: the same four answers in hand-written DuckDB SQL (not Journeyscope's API).

It shows what the engine can do on this machine, so a gap between it and Journeyscope points at
Journeyscope's own overhead rather than at DuckDB. The recipe: encode first (event as an ENUM,
customers as dense INTEGER ids), then ONE ordered pass (a window over (cid, ts, seq) giving
position, next event and next time) that feeds the DFG, the performance DFG, the funnel and the
variants (an ordered list aggregation per customer over the narrow table).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

FUNNEL_SQL = """
WITH hits AS (SELECT cid, pos, event FROM ordered WHERE event IN ({steps})),
s1 AS (SELECT cid, min(pos) AS pos FROM hits WHERE event = ? GROUP BY cid),
s2 AS (SELECT h.cid, min(h.pos) AS pos FROM hits h JOIN s1 USING (cid)
       WHERE h.event = ? AND h.pos > s1.pos GROUP BY h.cid),
s3 AS (SELECT h.cid, min(h.pos) AS pos FROM hits h JOIN s2 USING (cid)
       WHERE h.event = ? AND h.pos > s2.pos GROUP BY h.cid),
s4 AS (SELECT h.cid, min(h.pos) AS pos FROM hits h JOIN s3 USING (cid)
       WHERE h.event = ? AND h.pos > s3.pos GROUP BY h.cid),
s5 AS (SELECT h.cid, min(h.pos) AS pos FROM hits h JOIN s4 USING (cid)
       WHERE h.event = ? AND h.pos > s4.pos GROUP BY h.cid)
SELECT (SELECT count(*) FROM s1), (SELECT count(*) FROM s2), (SELECT count(*) FROM s3),
       (SELECT count(*) FROM s4), (SELECT count(*) FROM s5)
"""


def run(path: Path, timer: Any, funnel: tuple[str, ...]) -> dict[str, Any]:
    """Load, one ordered pass, then the four answers."""
    from _worker import TOP_VARIANTS, answers

    with timer.phase("import"):
        import duckdb
    con = duckdb.connect()
    with timer.phase("load"):
        # Encoded columns: event as an ENUM (1 byte), customers as dense INTEGER ids from a
        # dictionary; the wide string column never enters the sorted data.
        con.execute(
            "CREATE TYPE ev AS ENUM (SELECT DISTINCT event FROM read_parquet(?) ORDER BY 1)",
            [str(path)],
        )
        con.execute(
            """CREATE TABLE customers AS SELECT customer_id,
                 (row_number() OVER ())::INTEGER AS cid
               FROM (SELECT DISTINCT customer_id FROM read_parquet(?))""",
            [str(path)],
        )
        con.execute(
            """CREATE TABLE events AS SELECT c.cid, p.ts, p.file_row_number AS seq,
                 p.event::ev AS event
               FROM read_parquet(?, file_row_number = true) AS p
               JOIN customers AS c USING (customer_id)""",
            [str(path)],
        )
    with timer.phase("ordered_pass"):
        con.execute(
            """CREATE TABLE ordered AS SELECT cid, event, ts,
                 (row_number() OVER w)::INTEGER AS pos,
                 lead(event) OVER w AS next_event, lead(ts) OVER w AS next_ts
               FROM events WINDOW w AS (PARTITION BY cid ORDER BY ts, seq)"""
        )
    with timer.phase("variants"):
        con.execute(
            """CREATE TEMP TABLE variants AS SELECT v, count(*) AS n FROM (
                 SELECT list(event ORDER BY pos) AS v FROM ordered GROUP BY cid
               ) GROUP BY v"""
        )
        count, cases = con.execute("SELECT count(*), sum(n) FROM variants").fetchone() or (0, 0)
        top = con.execute(  # every variant tied with the k-th most frequent, for exact ties
            "SELECT v::VARCHAR[], n FROM variants WHERE n >= coalesce((SELECT n FROM variants "
            f"ORDER BY n DESC LIMIT 1 OFFSET {TOP_VARIANTS - 1}), 0)"
        )
        variants = {tuple(v): n for v, n in top.fetchall()}
    with timer.phase("dfg"):
        dfg_rows = con.execute(
            """SELECT event::VARCHAR, next_event::VARCHAR, count(*),
                      median(epoch_us(next_ts) - epoch_us(ts)) / 1e6
               FROM ordered WHERE next_event IS NOT NULL GROUP BY ALL"""
        ).fetchall()
    dfg = {(a, b): n for a, b, n, _ in dfg_rows}
    medians = {(a, b): m for a, b, _, m in dfg_rows}
    timer.phases["performance_dfg"] = 0.0  # computed in the same query as the DFG
    with timer.phase("funnel"):
        sql = FUNNEL_SQL.format(steps=", ".join(f"'{s}'" for s in funnel))
        counts = list(con.execute(sql, list(funnel)).fetchone() or ())
    return answers(variants, dfg, medians, counts, variant_count=count, cases=int(cases))
