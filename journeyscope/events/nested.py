"""Nested fields as attributes: ``properties.plan``, ``device.category``,
``event_params.page_location``.

Exports keep what happened in nested values: a Parquet or DuckDB STRUCT, a JSON object in a
JSON Lines file (Segment's ``properties``, Mixpanel's ``properties``), or a list of key/value
pairs (GA4's ``event_params``: ``[{key, value: {string_value, int_value, double_value}}]``).
``flatten`` makes a view with one column per leaf, named by its path joined with dots, so a
column mapping (``ts=properties.time``) or a map condition (``properties.plan == pro``)
addresses it like any other attribute. A list that is not key/value pairs stays one value
(inside a nested value, as its JSON text).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import duckdb

from ..sql import ident, literal

__all__ = ["Flattened", "flatten"]

#: more leaves than this is not a shape but data in the keys (one key per order id): refused
MAX_LEAVES = 2_000
_SAMPLE = 100_000  # rows a JSON text column is looked at to learn its shape
#: nesting deeper than this stays one value (its JSON text): no export nests that deep, and
#: a hostile file could nest thousands of levels
MAX_DEPTH = 8
_VALUE_FIELDS = ("string_value", "int_value", "float_value", "double_value")


@dataclass
class Flattened:
    """What ``flatten`` did: the leaves made from each nested column."""

    leaves: dict[str, list[str]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.leaves)


def flatten(
    con: duckdb.DuckDBPyConnection,
    source: str,
    target: str,
    *,
    json_text: bool = False,
    keep: tuple[str, ...] = (),
) -> Flattened:
    """Create view ``target`` over ``source`` with every nested column replaced by its leaves.
    ``json_text``: text columns holding JSON objects or arrays (a JSON Lines source) are read
    as JSON. ``keep``: columns passed through as they are (the ingestion order)."""
    columns = _describe(con, source)
    select: list[str] = []
    done = Flattened()
    for name, kind in columns.items():
        value = ident(name)
        if json_text and kind == "VARCHAR" and name not in keep:
            structure = _json_structure(con, source, name)
            if structure is not None:
                value = f"json_transform({value}, {literal(json.dumps(structure))})"
                kind = _describe_expression(con, source, value)
        leaves = [] if name in keep else _leaves(con, source, name, value, kind)
        if not leaves:
            select.append(ident(name))
            continue
        done.leaves[name] = [leaf for leaf, _ in leaves]
        select += [f"{sql} AS {ident(leaf)}" for leaf, sql in leaves]
    total = sum(len(v) for v in done.leaves.values())
    if total > MAX_LEAVES:
        widest = max(done.leaves, key=lambda k: len(done.leaves[k]))
        raise ValueError(
            f"{widest!r} has {len(done.leaves[widest]):,} different nested fields (more than "
            f"{MAX_LEAVES:,} in all): map the ones you need with attributes=..."
        )
    taken = set(columns) - set(done.leaves)
    clash = [leaf for leaves in done.leaves.values() for leaf in leaves if leaf in taken]
    if clash:
        raise ValueError(f"the nested field {clash[0]!r} has the name of a column too")
    con.execute(f"CREATE OR REPLACE VIEW {target} AS SELECT {', '.join(select)} FROM {source}")
    return done


def _describe(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    rows = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    return {row[0]: row[1] for row in rows}


def _describe_expression(con: duckdb.DuckDBPyConnection, source: str, sql: str) -> str:
    rows = con.execute(f"DESCRIBE SELECT {sql} AS v FROM {source}").fetchall()
    return str(rows[0][1])


def _json_structure(con: duckdb.DuckDBPyConnection, source: str, column: str) -> object | None:
    """The merged shape of a text column's JSON objects/arrays; None when it holds plain text
    (or a value that is not JSON)."""
    col = ident(column)
    row = con.execute(
        f"SELECT count(*) FILTER (WHERE v IS NOT NULL), count(*) FILTER (WHERE ok), "
        "json_group_structure(CASE WHEN ok THEN v::JSON END) FROM (SELECT v, "
        "coalesce(left(ltrim(v), 1) IN ('{', '[') AND json_valid(v), false) AS ok FROM "
        f"(SELECT {col} AS v FROM {source} LIMIT {_SAMPLE}))"
    ).fetchone()
    if row is None or not row[0] or row[1] < row[0] or row[2] is None:
        return None
    try:
        structure = json.loads(row[2])
    except RecursionError:  # nested deeper than Python reads: keep the text
        return None
    return _without_null_types(structure, MAX_DEPTH)


def _without_null_types(structure: object, depth: int) -> object:
    """A key only ever null has the type NULL: read it as text; whole numbers as BIGINT;
    below ``depth`` levels, the value as its JSON text."""
    if structure in ("NULL", "JSON") or (depth <= 0 and isinstance(structure, dict | list)):
        return "VARCHAR"
    if structure == "UBIGINT":  # a JSON number may be negative elsewhere in the file
        return "BIGINT"
    if isinstance(structure, dict):
        return {k: _without_null_types(v, depth - 1) for k, v in structure.items()}
    if isinstance(structure, list):
        return [_without_null_types(v, depth - 1) for v in structure]
    return structure


def _leaves(
    con: duckdb.DuckDBPyConnection,
    source: str,
    path: str,
    sql: str,
    kind: str,
    depth: int = MAX_DEPTH,
) -> list[tuple[str, str]]:
    """(leaf name, SQL) for every leaf under a nested value; [] for a plain value."""
    if kind.startswith("STRUCT(") and kind.endswith(")"):
        out: list[tuple[str, str]] = []
        for key, sub in _struct_members(con, source, sql):
            child = f"struct_extract({sql}, {literal(key)})"
            nested = sub.endswith("]") or (depth <= 1 and sub.startswith("STRUCT("))
            plain = f"CAST(to_json({child}) AS VARCHAR)" if nested else child
            deeper = (
                _leaves(con, source, f"{path}.{key}", child, sub, depth - 1) if depth > 1 else []
            )
            out += deeper or [(f"{path}.{key}", plain)]
        return out
    if _is_key_value_list(kind):
        return _key_value_leaves(con, source, path, sql)
    return []


def _struct_members(con: duckdb.DuckDBPyConnection, source: str, sql: str) -> list[tuple[str, str]]:
    """The fields of a STRUCT value with their types, in order."""
    rows = con.execute(
        f"DESCRIBE SELECT unnest({sql}) FROM (SELECT * FROM {source} LIMIT 0)"
    ).fetchall()
    return [(str(row[0]), str(row[1])) for row in rows]


def _is_key_value_list(kind: str) -> bool:
    """A list of ``{key, value: {string_value, int_value, ...}}`` (GA4's parameters)."""
    text = kind.replace('"', "")
    return (
        text.startswith("STRUCT(key VARCHAR, value STRUCT(")
        and text.endswith(")[]")
        and any(f in text for f in _VALUE_FIELDS)
    )


def _key_value_leaves(
    con: duckdb.DuckDBPyConnection, source: str, path: str, sql: str
) -> list[tuple[str, str]]:
    """One leaf per key: its number when every value of the key is one (int or double),
    else the values as text."""
    members = dict(_struct_members(con, source, f"({sql})[1].value"))
    present = [f for f in _VALUE_FIELDS if f in members]
    counts = ", ".join(f"count(p.value.{f})" for f in present)
    rows = con.execute(
        f"SELECT p.key, {counts} FROM (SELECT unnest({sql}) AS p FROM {source}) "
        "WHERE p.key IS NOT NULL GROUP BY p.key ORDER BY min(p.key)"
    ).fetchall()
    out = []
    for key, *seen in rows:
        found = dict(zip(present, seen, strict=True))
        pick = f"list_filter({sql}, lambda x: x.key = {literal(key)})[1].value"
        numbers = {f for f in present if f != "string_value" and found[f]}
        if found.get("string_value") or not numbers:
            text = [f"CAST({pick}.{f} AS VARCHAR)" for f in present]
            value = f"coalesce({', '.join(text)})"
        elif numbers == {"int_value"}:
            value = f"TRY_CAST({pick}.int_value AS BIGINT)"
        else:
            doubles = [f"TRY_CAST({pick}.{f} AS DOUBLE)" for f in present if f != "string_value"]
            value = f"coalesce({', '.join(doubles)})"
        out.append((f"{path}.{key}", value))
    return out
