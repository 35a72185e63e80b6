"""Several sources, one log: a sources file (YAML) lists files and tables, each with its own
column mapping or export format, and how ids join across them.

.. code-block:: yaml

    sources:
      - path: web.jsonl            # relative to this file; any source load_events reads
        format: segment            # an export's shape (ga4, segment, mixpanel, amplitude)
      - path: tickets.csv
        map: {customer_id: requester_email, ts: created_at, event: status}
        channel: support           # the channel of its events where it has no column
    identities:                    # optional: ids that are one customer
      path: aliases.csv
      anonymous_id: email          # the id as the sources have it
      customer_id: user_id         # the id it belongs to

Each source is read and checked on its own (its bad rows quarantined with its name), then the
events are put together: columns by name, a column one source lacks is empty in the others;
events at the same time keep the sources' order.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..sql import ident, literal
from .mapping import ColumnMapping

__all__ = ["SourceEntry", "SourcesFile", "load_several", "read_sources_file"]

#: room for 2**40 events per source in the ingestion order
_SHIFT = 40
#: what the report says of each source
_PART = ("source", "read", "loaded", "quarantined", "reasons", "linked_ids", "notes")


class SourceEntry(BaseModel):
    """One source of a sources file."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="File, folder, glob or table (duckdb:FILE::TABLE, ...).")
    name: str | None = Field(default=None, description="What messages call it [its file name].")
    format: str | None = Field(default=None, description="An export's shape: ga4, segment, ...")
    map: dict[str, Any] = Field(default_factory=dict, description="Column mapping fields.")
    channel: str | None = Field(
        default=None, description="Channel of its events that have none (email, support...)."
    )


class Identities(BaseModel):
    """A table of ids that belong to one customer: each ``anonymous_id`` is ``customer_id``."""

    model_config = ConfigDict(extra="forbid")

    path: str
    anonymous_id: str = "anonymous_id"
    customer_id: str = "customer_id"


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[SourceEntry] = Field(min_length=1)
    identities: Identities | None = None


def read_sources_file(path: str | os.PathLike[str]) -> SourcesFile:
    """The sources file at ``path``, its paths made relative to its folder; a plain
    ``ValueError`` naming the entry and field when it is wrong."""
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        parsed = SourcesFile.model_validate(data)
    except yaml.YAMLError as error:
        raise ValueError(f"{file}: not YAML: {error}") from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the file"
        raise ValueError(f"{file}: {where}: {first['msg']}") from None
    entries: list[SourceEntry | Identities] = list(parsed.sources)
    for entry in [*entries, *([parsed.identities] if parsed.identities else [])]:
        entry.path = _beside(file, entry.path)
    return parsed


def _beside(file: Path, target: str) -> str:
    """A relative path read from the sources file's folder (a ``kind:`` prefix kept)."""
    prefix, sep, rest = target.partition(":")
    if sep and len(prefix) > 1 and not rest.startswith("\\"):  # duckdb:FILE::T, ga4:FILE
        if "://" in target:
            return target
        return f"{prefix}:{_beside(file, rest)}"
    path = Path(target)
    return str(path if path.is_absolute() else file.parent / path)


def load_several(
    con: duckdb.DuckDBPyConnection,
    path: str | os.PathLike[str],
    *,
    customers: Any = None,
    customer_id: str = "customer_id",
    quarantine: str | os.PathLike[str] | None = None,
) -> Any:
    """The event log of a sources file (see the module), in connection ``con``."""
    from .load import EventLog, LoadReport, _build_customers, _tally, _write_quarantine, load_events

    spec = read_sources_file(path)
    report = LoadReport(source=str(path))
    parts: list[str] = []
    for i, entry in enumerate(spec.sources):
        name = entry.name or Path(entry.path.rpartition(":")[2] or entry.path).name
        mapping = ColumnMapping.model_validate({**entry.map, "format": entry.format})
        log = load_events(entry.path, mapping)
        try:
            _take(con, log.con, i, name, entry.channel, parts)
        finally:
            log.con.close()
        part = log.report
        report.read += part.read
        report.linked_ids += part.linked_ids
        report.notes += [f"{name}: {note}" for note in part.notes]
        report.sources.append({"name": name, **{key: getattr(part, key) for key in _PART}})
    con.execute(f"CREATE TABLE events AS {' UNION ALL BY NAME '.join(parts)}")
    for part_name in parts:
        con.execute(f"DROP TABLE {part_name.removeprefix('SELECT * FROM ')}")
    if spec.identities is not None:
        report.linked_ids += _apply_identities(con, spec.identities)
    _tally(con, report, "events")
    columns = [row[0] for row in con.execute("DESCRIBE events").fetchall()]
    attributes = [c for c in columns if c not in ("customer_id", "ts", "seq", "event", "channel")]
    customer_attributes: list[str] = []
    if customers is not None:
        customer_attributes = _build_customers(con, customers, customer_id, report)
    if quarantine is not None and report.quarantined + report.customer_rows_quarantined:
        report.quarantine_file = Path(quarantine)
        _write_quarantine(con, report.quarantine_file)
    return EventLog(con, report, attributes, customer_attributes)


def _take(
    con: duckdb.DuckDBPyConnection,
    source: duckdb.DuckDBPyConnection,
    i: int,
    name: str,
    channel: str | None,
    parts: list[str],
) -> None:
    """One source's checked events and quarantined rows into ``con`` (through Arrow)."""
    events = source.sql("SELECT * FROM events").to_arrow_table()
    bad = source.sql("SELECT * FROM quarantine WHERE source = 'events'").to_arrow_table()
    con.register("_js_part", events)
    fixed = f"coalesce(channel, {literal(channel)})" if channel else "channel"
    con.execute(
        f"CREATE TABLE _js_events_{i} AS SELECT * REPLACE (({i + 1}::BIGINT << {_SHIFT}) + seq "
        f"AS seq, {fixed} AS channel) FROM _js_part"
    )
    con.unregister("_js_part")
    con.register("_js_bad", bad)
    con.execute(
        f"INSERT INTO quarantine SELECT source, (({i + 1}::BIGINT << {_SHIFT}) + n), "
        f"{literal(name + ': ')} || location, reason, record FROM _js_bad"
    )
    con.unregister("_js_bad")
    parts.append(f"SELECT * FROM _js_events_{i}")


def _apply_identities(con: duckdb.DuckDBPyConnection, identities: Identities) -> int:
    """Each event of an anonymous id listed in the identities table given its customer id;
    returns how many ids were joined."""
    from .sources import open_source

    open_source(con, identities.path, "_js_identity_rows")
    columns = [row[0] for row in con.execute("DESCRIBE _js_identity_rows").fetchall()]
    for column in (identities.anonymous_id, identities.customer_id):
        if column not in columns:
            raise ValueError(
                f"{identities.path}: no column {column!r} for the identities; columns are: "
                f"{', '.join(columns)}"
            )
    text = "NULLIF(trim(CAST({} AS VARCHAR)), '')"
    a, u = text.format(ident(identities.anonymous_id)), text.format(ident(identities.customer_id))
    con.execute(
        f"CREATE TABLE _js_identities AS SELECT {a} AS a, min({u}) AS u FROM _js_identity_rows "
        f"WHERE {a} IS NOT NULL AND {u} IS NOT NULL GROUP BY {a}"
    )
    con.execute(
        "UPDATE events SET customer_id = i.u FROM _js_identities i WHERE events.customer_id = i.a"
    )
    return int(con.execute("SELECT count(*) FROM _js_identities").fetchall()[0][0])
