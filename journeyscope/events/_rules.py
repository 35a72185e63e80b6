"""How rows become events beyond the column mapping: the unit of epoch times, anonymous ids
joined to customer ids, the order of events logged at the same time, file order."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import duckdb

from ..sql import ident as quote
from ..sql import literal
from .mapping import ColumnMapping
from .schema import CHANNEL, CUSTOMER, EVENT, SEQUENCE, TIMESTAMP
from .sources import SEQ, Source

if TYPE_CHECKING:
    from .load import LoadReport

__all__ = [
    "FILE_ORDER_NOTE",
    "FILE_ORDER_START",
    "NUMBER",
    "in_event_order",
    "infer_unit",
    "link_ids",
    "stored_names",
]

#: a number as text (an epoch time)
NUMBER = r"^\s*-?\d+(\.\d+)?\s*$"

FILE_ORDER_START = "TIMESTAMPTZ '2000-01-01 00:00:00+00'"
FILE_ORDER_NOTE = (
    "file_order: events are in the order of the file, one second apart from 2000-01-01 "
    "(times, durations and waits mean nothing)"
)


def infer_unit(con: duckdb.DuckDBPyConnection, column: str, report: LoadReport) -> str:
    """The unit of epoch times from their size (the median of the first rows): seconds
    before the year 5138 are below 1e11, milliseconds below 1e14, microseconds below 1e17.
    Said in the report's notes; text times need no unit (seconds, unused)."""
    value = f"trim(CAST({quote(column)} AS VARCHAR))"
    row = con.execute(
        f"SELECT median(abs(TRY_CAST(v AS DOUBLE))) FROM (SELECT {value} AS v FROM raw "
        f"LIMIT 100000) WHERE regexp_matches(v, '{NUMBER}')"
    ).fetchone()
    return unit_of_size(column, None if row is None else row[0], report)


def unit_of_size(column: str, size: float | None, report: LoadReport) -> str:
    """The epoch unit of times whose typical size is ``size`` (None: not numbers), noted in
    the report — the one rule every engine's loader applies."""
    if size is None:
        return "s"
    unit = next(u for limit, u in ((1e11, "s"), (1e14, "ms"), (1e17, "us"), (math.inf, "ns"))
                if float(size) < limit)  # fmt: skip
    words = {"s": "seconds", "ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds"}
    report.notes.append(
        f"the times in {column!r} are numbers: read as epoch {words[unit]} (from their size; "
        "set ts_unit=s|ms|us|ns to say otherwise)"
    )
    return unit


def link_ids(
    con: duckdb.DuckDBPyConnection,
    opened: Source,
    mapping: ColumnMapping,
    customer: str,
    anonymous: str,
    seq: str,
) -> int:
    """Table ``_js_links``: each anonymous id with the customer id it belongs to, from the
    rows that have both (an identify call first, then events; the earliest wins). Returns
    how many anonymous ids were linked."""
    parts = [f"SELECT {anonymous} AS a, {customer} AS u, 1 AS p, {seq} AS n FROM raw"]
    anonymous_id = mapping.anonymous_id
    if opened.link_rows and anonymous_id:
        rows = con.execute(f"DESCRIBE SELECT * FROM {opened.link_rows}").fetchall()
        found = {row[0] for row in rows}
        if anonymous_id in found and mapping.customer_id in found:
            cast = "NULLIF(trim(CAST({} AS VARCHAR)), '')"
            parts.insert(0, (
                f"SELECT {cast.format(quote(anonymous_id))} AS a, "
                f"{cast.format(quote(mapping.customer_id))} AS u, 0 AS p, {SEQ} AS n "
                f"FROM {opened.link_rows}"
            ))  # fmt: skip
    con.execute(
        "CREATE OR REPLACE TABLE _js_links AS SELECT a AS _js_link_anon, arg_min(u, [p, n]) "
        f"AS _js_link_user FROM ({' UNION ALL '.join(parts)}) "
        "WHERE a IS NOT NULL AND u IS NOT NULL GROUP BY a"
    )
    return int(con.execute("SELECT count(*) FROM _js_links").fetchall()[0][0])


#: the bit a declared event order's rank starts at in ``seq``: below it, the file order
#: (a row number, or 2**40 rows per file of a folder); above it, room for 500 ranks
_RANK_SHIFT = 53


def in_event_order(staged: str, order: list[str]) -> str:
    """``staged`` with each loaded event's ``seq`` led by its rank in ``order`` (the names
    listed, in that order, before the others): analyses order by time, then ``seq``, so
    events at the same time follow ``order``, then the file. Row by row, no sort: a Parquet
    source stays where it is. A quarantined row keeps its row number."""
    ranks = " ".join(f"WHEN {literal(name)} THEN {i}" for i, name in enumerate(order))
    rank = f"CASE {EVENT} {ranks} ELSE {len(order)} END"
    return (
        f"SELECT * REPLACE (CASE WHEN _r IS NULL THEN (CAST({rank} AS BIGINT) << {_RANK_SHIFT}) "
        f"+ {SEQUENCE} ELSE {SEQUENCE} END AS {SEQUENCE}) FROM ({staged}) o"
    )


#: the columns of the staged events table that are ours
_OURS = (CUSTOMER, TIMESTAMP, SEQUENCE, EVENT, CHANNEL, "_r", "_ts_text")
_ROLES = {CUSTOMER: "customer id", TIMESTAMP: "time", EVENT: "event name", CHANNEL: "channel"}


def stored_names(
    attributes: list[str], columns: dict[str, str], notes: list[str]
) -> dict[str, str]:
    """Each attribute's column in ``events``: its own name, or, for a column named like one
    of ours (``event`` when the event name is mapped from ``action``), ``NAME_1`` (the next
    number no column has), said in ``notes``. Names are compared without case, as DuckDB and
    Spark compare them; every engine's loader applies this one rule."""
    ours = {c.casefold() for c in _OURS}
    taken = {c.casefold() for c in columns} | ours
    out: dict[str, str] = {}
    for name in attributes:
        if name.casefold() not in ours:
            out[name] = name
            continue
        number = 1
        while f"{name}_{number}".casefold() in taken:
            number += 1
        out[name] = f"{name}_{number}"
        taken.add(out[name].casefold())
        role = _ROLES.get(name.casefold())
        why = f"is not the {role} here" if role else "has a name the loader uses itself"
        notes.append(f"the column {name!r} {why}: kept as the attribute {out[name]!r}")
    return out
