"""Load customer events into the canonical table; quarantine bad rows with their reason.

>>> import pandas as pd
>>> frame = pd.DataFrame({"customer_id": ["a", "a", None], "ts": ["2024-05-01 10:00",
...     "yesterday", "2024-05-01 11:00"], "event": ["visit", "buy", "visit"]})
>>> log = load_events(frame)
>>> log.report.loaded, log.report.quarantined, log.report.reasons
(1, 2, {'missing customer id': 1, 'unparseable timestamp': 1})
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ..formats import atomic_write_text
from ..sql import ident as quote
from ..sql import literal
from ._rules import (
    FILE_ORDER_NOTE,
    FILE_ORDER_START,
    NUMBER,
    in_event_order,
    infer_unit,
    link_ids,
    stored_names,
)
from .mapping import ColumnMapping
from .schema import CHANNEL, CUSTOMER, EVENT, SEQUENCE, TIMESTAMP
from .sources import SEQ, Reject, Source, open_source

__all__ = ["EventLog", "LoadReport", "load_events"]

_OFFSET = r"([zZ]|[+-]\d\d(:?\d\d)?)\s*$"
_UNIT_DIVISOR = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
#: an epoch in seconds beyond this is no time of ours (the year 5138): kept there, so it is
#: quarantined as outside the plausible range rather than failing the conversion
_EPOCH_LIMIT = 100_000_000_000
_TEMP_DIR = os.path.join(tempfile.gettempdir(), "journeyscope-duckdb")
_BATCH = 1 << 20


def connect_duckdb(database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection as loading wants it: UTC, no progress bar, spilling to a folder of
    ours, an empty ``quarantine`` table."""
    con = duckdb.connect(database)
    con.execute("SET TimeZone = 'UTC'")
    # in Jupyter without ipywidgets DuckDB shows no bar and refuses the setting
    with contextlib.suppress(duckdb.InvalidInputException):
        con.execute("SET enable_progress_bar = false")
    con.execute(f"SET temp_directory = {literal(_TEMP_DIR)}")
    con.execute(
        "CREATE TABLE quarantine (source VARCHAR, n BIGINT, location VARCHAR, "
        "reason VARCHAR, record VARCHAR)"
    )
    return con


def _reads(source: Any, opened: Source) -> list[str]:
    """Where a lazily read source keeps reading from: the file, or the folder (with a trailing
    separator) of a Parquet folder or glob, or the DuckDB file."""
    if not opened.lazy or not isinstance(source, str | os.PathLike):
        return []
    text = os.fspath(source)
    if text.startswith("duckdb:"):
        return [os.path.abspath(text[len("duckdb:") :].rpartition("::")[0])]
    kind, sep, rest = text.partition(":")
    if sep and kind.isalnum() and len(kind) > 1 and not rest.startswith("//"):  # ga4:FILE
        return _reads(rest, opened)
    if os.path.isdir(text):
        return [os.path.join(os.path.abspath(text), "")]
    if any(ch in text for ch in "*?["):
        head = text[: min(text.index(ch) for ch in "*?[" if ch in text)]
        return [os.path.join(os.path.abspath(os.path.dirname(head) or "."), "")]
    return [os.path.abspath(text)]


@dataclass
class LoadReport:
    """What a load did: rows read, loaded and quarantined, why, and where the bad rows went."""

    source: str
    read: int = 0
    loaded: int = 0
    quarantined: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    quarantine_file: Path | None = None
    customers: int = 0
    customer_rows_quarantined: int = 0
    #: anonymous ids (a browser, a device) joined to a customer id
    linked_ids: int = 0
    #: what the load decided for the user, in sentences (an inferred time unit, ...)
    notes: list[str] = field(default_factory=list)
    #: a sources file's sources, each with its own counts
    sources: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["quarantine_file"] = str(self.quarantine_file) if self.quarantine_file else None
        return data


@dataclass
class EventLog:
    """Loaded events in a DuckDB connection: table ``events`` (canonical columns + attributes),
    optional table ``customers``, and ``quarantine`` (the rejected rows with their reason)."""

    con: duckdb.DuckDBPyConnection
    report: LoadReport
    attributes: list[str]
    customer_attributes: list[str]
    #: files and folders the tables are still read from (Parquet read in place): the only
    #: places a sealed connection may read
    reads: list[str] = field(default_factory=list)
    sealed: bool = False

    def seal(self, threads: int | None = None) -> None:
        """Shut the connection off from everything but the log's own files, for good: no other
        file can be read or written, no extension loaded, no setting changed (so no query, and
        no name or value inside one, can reach the machine). ``threads`` is set first. Called
        when an engine starts; loading surveys afterwards still works (they arrive as Arrow)."""
        if self.sealed:
            return
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        files = [path for path in self.reads if not path.endswith(os.sep)]
        folders = [_TEMP_DIR + os.sep, *(path for path in self.reads if path.endswith(os.sep))]
        self.con.execute(f"SET allowed_paths = [{', '.join(literal(f) for f in files)}]")
        self.con.execute(f"SET allowed_directories = [{', '.join(literal(f) for f in folders)}]")
        self.con.execute("SET enable_external_access = false")
        self.con.execute("SET lock_configuration = true")
        self.sealed = True

    @property
    def has_customers(self) -> bool:
        return bool(self.customer_attributes) or self.report.customers > 0

    def quarantined(self) -> pa.Table:
        return self.con.sql("SELECT * FROM quarantine ORDER BY source, n").to_arrow_table()

    def to_parquet(self, path: str | os.PathLike[str]) -> None:
        self.write_parquet("events", path)

    def write_parquet(self, table: str, path: str | os.PathLike[str]) -> None:
        """Table ``events``, ``customers`` or ``answers`` (survey answers) as a Parquet file,
        streamed in batches through Arrow (a sealed connection cannot write files itself)."""
        import pyarrow.parquet as pq

        if table not in ("events", "customers", "answers"):
            raise ValueError(f"no table {table!r} to write")
        reader = self.con.sql(f"SELECT * FROM {table}").to_arrow_reader(_BATCH)
        with pq.ParquetWriter(os.fspath(path), reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)


def load_events(
    source: Any,
    mapping: ColumnMapping | None = None,
    *,
    customers: Any = None,
    customer_id: str = "customer_id",
    quarantine: str | os.PathLike[str] | None = None,
    database: str = ":memory:",
) -> EventLog:
    """Read ``source`` (a file path, ``duckdb:FILE::TABLE``, ``sqlite:FILE::TABLE`` or a
    DataFrame) into the canonical event table. Rows without a customer id, event name or a
    readable time are quarantined with the reason; the rest load. ``customers`` optionally adds
    a table of customer attributes (segment, region, ...) keyed by ``customer_id``."""
    mapping = mapping or ColumnMapping()
    con = connect_duckdb(database)
    if _is_sources_file(source, mapping):
        from .several import load_several

        return load_several(con, source, customers=customers, customer_id=customer_id,
                            quarantine=quarantine)  # fmt: skip
    opened, mapping = open_events(con, source, mapping, "raw")
    report = LoadReport(source=opened.label)
    attributes = _build_events(con, opened, mapping, report)
    customer_attributes: list[str] = []
    if customers is None and opened.customers is not None:  # e.g. an OCEL log's objects
        customers, customer_id = opened.customers, CUSTOMER
    if customers is not None:
        customer_attributes = _build_customers(
            con, customers, customer_id, report, fallback=mapping.customer_id
        )
    if quarantine is not None and report.quarantined + report.customer_rows_quarantined:
        report.quarantine_file = Path(quarantine)
        _write_quarantine(con, report.quarantine_file)
    return EventLog(con, report, attributes, customer_attributes, reads=_reads(source, opened))


def _is_sources_file(source: Any, mapping: ColumnMapping) -> bool:
    """A sources file (YAML) lists several sources; it has no mapping of its own."""
    if not isinstance(source, str | os.PathLike):
        return False
    return os.fspath(source).lower().endswith((".yaml", ".yml")) and mapping.format is None


def open_events(
    con: duckdb.DuckDBPyConnection, source: Any, mapping: ColumnMapping, name: str
) -> tuple[Source, ColumnMapping]:
    """View ``name`` over ``source`` with its nested fields as attributes, and the mapping to
    read it with: the source's shape (an export's columns) under the mapping given."""
    from .exports import with_sequence
    from .nested import flatten

    opened = open_source(con, source, f"{name}_source", ordered=True, reader=mapping.format)
    base = with_sequence(con, opened, f"{name}_source")
    if opened.flattened:
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM {base}")
    else:
        flatten(con, base, name, json_text=opened.json_text, keep=(SEQ,))
    given = mapping.model_dump(exclude_unset=True)
    return opened, ColumnMapping.model_validate({**opened.defaults, **given})


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    return {row[0]: row[1] for row in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}


def _require(columns: dict[str, str], name: str, role: str, label: str) -> None:
    if name not in columns:
        raise ValueError(
            f"{label}: no column {name!r} for the {role}; columns are: {', '.join(columns)}. "
            f"Map it with --map {role}=COLUMN."
        )


def _ts_expression(column: str, kind: str, mapping: ColumnMapping) -> str:
    """SQL turning the source time column into TIMESTAMPTZ (NULL when it cannot be read)."""
    col, tz = quote(column), literal(mapping.timezone)
    divisor = _UNIT_DIVISOR[mapping.ts_unit or "s"]

    def epoch(number: str) -> str:
        seconds = f"({number} / {divisor})"
        kept = f"CASE WHEN abs({seconds}) < {_EPOCH_LIMIT} THEN {seconds} "
        return f"to_timestamp({kept}ELSE sign({seconds}) * {_EPOCH_LIMIT} END)"

    if kind.startswith("TIMESTAMP WITH TIME ZONE"):
        return col
    if kind.startswith(("TIMESTAMP", "DATE")):
        return f"timezone({tz}, CAST({col} AS TIMESTAMP))"
    if kind in ("BIGINT", "INTEGER", "DOUBLE", "FLOAT", "HUGEINT", "UBIGINT", "DECIMAL"):
        return epoch(f"CAST({col} AS DOUBLE)")
    text = f"trim(CAST({col} AS VARCHAR))"
    if mapping.ts_format:
        parsed = f"try_strptime({text}, {literal(mapping.ts_format)})"
        if "%z" in mapping.ts_format or "%Z" in mapping.ts_format:
            return f"CAST({parsed} AS TIMESTAMPTZ)"
        return f"timezone({tz}, CAST({parsed} AS TIMESTAMP))"
    return (
        f"CASE WHEN regexp_matches({text}, '{NUMBER}') "
        f"THEN {epoch(f'TRY_CAST({text} AS DOUBLE)')} "
        f"WHEN regexp_matches({text}, '{_OFFSET}') THEN TRY_CAST({text} AS TIMESTAMPTZ) "
        f"ELSE timezone({tz}, TRY_CAST({text} AS TIMESTAMP)) END"
    )


def _build_events(
    con: duckdb.DuckDBPyConnection, opened: Source, mapping: ColumnMapping, report: LoadReport
) -> list[str]:
    columns = _columns(con, "raw")
    if opened.sequence == SEQ:  # ours, not the source's
        columns.pop(SEQ, None)
    roles = ("customer_id", "event") if mapping.file_order else ("customer_id", "ts", "event")
    for role in roles:
        _require(columns, getattr(mapping, role), role, opened.label)
    if mapping.channel and mapping.channel != "channel" and mapping.channel not in columns:
        _require(columns, mapping.channel, "channel", opened.label)
    channel = mapping.channel if mapping.channel in columns else None
    used = {mapping.customer_id, mapping.ts, mapping.event, channel}
    wanted = mapping.attributes if mapping.attributes is not None else list(columns)
    for name in wanted:
        _require(columns, name, "attribute", opened.label)
    attributes = [c for c in wanted if c not in used]
    stored = stored_names(attributes, columns, report.notes)

    def text(column: str) -> str:
        """Text with empty values as NULL; text sources are trimmed, typed strings kept."""
        value = quote(column)
        if columns[column] != "VARCHAR":
            value = f"CAST({value} AS VARCHAR)"
        return f"NULLIF(trim({value}), '')" if opened.all_text else f"NULLIF({value}, '')"

    def missing_text(column: str) -> str:
        """``text(column) IS NULL``; for a typed string column in a form a Parquet scan answers
        from its row groups' statistics (no row read when none can be NULL or empty)."""
        if columns[column] == "VARCHAR" and not opened.all_text:
            return f"({quote(column)} IS NULL OR {quote(column)} = '')"
        return f"{text(column)} IS NULL"

    seq = opened.sequence or "row_number() OVER ()"
    earliest, latest = _plausible()
    if mapping.file_order:  # no times: the file's order, one second apart (as pm4py orders)
        ts, raw_ts = f"{FILE_ORDER_START} + to_seconds(CAST({seq} AS BIGINT))", "NULL"
        report.notes.append(FILE_ORDER_NOTE)
    else:
        if mapping.ts_unit is None:
            unit = infer_unit(con, mapping.ts, report)
            mapping = mapping.model_copy(update={"ts_unit": unit})
        ts = _ts_expression(mapping.ts, columns[mapping.ts], mapping)
        raw_ts = f"CAST({quote(mapping.ts)} AS VARCHAR)"
    ch = text(channel) if channel else "NULL::VARCHAR"
    attrs = "".join(f", {quote(a)} AS {quote(stored[a])}" for a in attributes)
    kept = "".join(f", {quote(stored[a])}" for a in attributes)
    customer, customer_missing, join = text(mapping.customer_id), None, ""
    if mapping.anonymous_id:
        _require(columns, mapping.anonymous_id, "anonymous_id", opened.label)
        anonymous = text(mapping.anonymous_id)
        report.linked_ids = link_ids(con, opened, mapping, customer, anonymous, seq)
        customer = f"coalesce({customer}, _js_links._js_link_user, {anonymous})"
        join = f" LEFT JOIN _js_links ON _js_links._js_link_anon = {anonymous}"
        customer_missing = (
            f"({missing_text(mapping.customer_id)} AND {missing_text(mapping.anonymous_id)})"
        )
    out_of_range = f"({ts}) < {earliest} OR ({ts}) >= {latest}"
    # _r: why a row cannot load (NULL when it can); _ts_text: the time as written, kept only
    # where it could not be read, so the quarantine shows it
    staged = (
        f"SELECT *, CASE WHEN {CUSTOMER} IS NULL THEN 1 "
        f"WHEN {EVENT} IS NULL THEN 2 WHEN _ts_text IS NOT NULL AND trim(_ts_text) = '' "
        f"THEN 3 WHEN {TIMESTAMP} IS NULL AND _ts_text IS NULL THEN 3 "
        f"WHEN {TIMESTAMP} IS NULL THEN 4 "
        f"WHEN {TIMESTAMP} < {earliest} OR {TIMESTAMP} >= {latest} THEN 5 "
        "END::TINYINT AS _r FROM ("
        f"SELECT {customer} AS {CUSTOMER}, {ts} AS {TIMESTAMP}, "
        f"CAST({seq} AS BIGINT) AS {SEQUENCE}, {text(mapping.event)} AS {EVENT}, "
        f"{ch} AS {CHANNEL}{attrs}, CASE WHEN ({ts}) IS NULL OR {out_of_range} "
        f"THEN {raw_ts} END AS _ts_text FROM raw{join}) r"
    )
    if mapping.event_order:
        staged = in_event_order(staged, mapping.event_order)
    canonical = f"{CUSTOMER}, {TIMESTAMP}, {SEQUENCE}, {EVENT}, {CHANNEL}{kept}"
    if opened.lazy and opened.sequence:
        # the rows stay in their file or table: events is a view that leaves the bad rows out
        # (a pass to count them now; each analysis then reads only the columns it needs)
        con.execute(f"CREATE VIEW _staged AS {staged}")
        missing = [customer_missing or missing_text(mapping.customer_id)]
        missing.append(missing_text(mapping.event))
        kind = "" if mapping.file_order else columns[mapping.ts]
        if kind.startswith(_TYPED_TIME):  # answered from the row groups' min/max statistics
            col = quote(mapping.ts)
            bounds = f"{col} < CAST({earliest} AS {kind}) OR {col} >= CAST({latest} AS {kind})"
            missing.append(f"({col} IS NULL OR {bounds})")
        else:
            missing.append(f"({ts}) IS NULL OR {out_of_range}")
        _quarantine_events(con, opened, report, "_staged", " OR ".join(missing))
        # no bad row: no filter, so a query reads only the columns it names
        where = " WHERE _r IS NULL" if report.quarantined - len(opened.rejects) else ""
        con.execute(f"CREATE VIEW events AS SELECT {canonical} FROM _staged{where}")
        return [stored[a] for a in attributes]
    con.execute(f"CREATE TABLE events AS {staged}")
    _quarantine_events(con, opened, report, "events")
    if report.quarantined - len(opened.rejects):
        con.execute("DELETE FROM events WHERE _r IS NOT NULL")
    con.execute("ALTER TABLE events DROP COLUMN _r")
    con.execute("ALTER TABLE events DROP COLUMN _ts_text")
    return [stored[a] for a in attributes]


_REASONS = (
    "CASE _r WHEN 1 THEN 'missing customer id' WHEN 2 THEN 'missing event name' "
    "WHEN 3 THEN 'missing timestamp' WHEN 4 THEN 'unparseable timestamp' "
    "WHEN 5 THEN 'timestamp outside 1980 to next year (check the time unit: "
    "ts_unit=s|ms|us|ns)' END"
)


def plausible_range() -> tuple[dt.datetime, dt.datetime]:
    """The times an event can have: from 1980 to the end of next year (UTC). Anything else is
    a mistake (an epoch in the wrong unit is 1970 or the year 56302) and is quarantined, never
    loaded. (The Spark loader, ``events.spark_load``, asks here too.)"""
    return dt.datetime(1980, 1, 1), dt.datetime(dt.date.today().year + 2, 1, 1)


def _plausible() -> tuple[str, str]:
    """:func:`plausible_range` as SQL literals."""
    start, end = plausible_range()
    return literal(start), literal(end)


_TYPED_TIME = ("TIMESTAMP", "DATE")


def _quarantine_events(
    con: duckdb.DuckDBPyConnection,
    opened: Source,
    report: LoadReport,
    table: str,
    bad_sql: str | None = None,
) -> None:
    """Count the rows of ``table`` (the staged events), put the bad ones in quarantine.
    ``bad_sql``: the bad rows' condition on the source's own columns (``raw``), which a file
    scan can often answer from its statistics without reading the rows."""
    if bad_sql is None:
        rows, bad = con.execute(f"SELECT count(*), count(_r) FROM {table}").fetchall()[0]
    else:
        rows = con.execute("SELECT count(*) FROM raw").fetchall()[0][0]
        bad = con.execute(f"SELECT count(*) FROM raw WHERE {bad_sql}").fetchall()[0][0]
    report.read = rows + len(opened.rejects)
    if bad:
        con.execute(
            f"INSERT INTO quarantine SELECT 'events', {SEQUENCE}, 'row ' || {SEQUENCE}, "
            f"{_REASONS}, to_json(e)::VARCHAR FROM {table} e WHERE _r IS NOT NULL"
        )
    _insert_rejects(con, "events", opened.rejects)
    _tally(con, report, "events")


def _tally(con: duckdb.DuckDBPyConnection, report: LoadReport, source: str) -> None:
    """Reasons, quarantined and loaded counts of one source from the quarantine table (``read``
    already set)."""
    reasons = con.execute(
        "SELECT reason, count(*) FROM quarantine WHERE source = ? GROUP BY reason "
        "ORDER BY count(*) DESC, reason",
        [source],
    ).fetchall()
    report.reasons = {_short(reason): count for reason, count in reasons}
    report.quarantined = sum(count for _, count in reasons)
    report.loaded = report.read - report.quarantined


def _short(reason: str) -> str:
    """Group malformed-CSV reasons by their kind, not by their exact column counts."""
    return reason.split(":")[0] + ")" if reason.startswith("malformed CSV row (") else reason


def _insert_rejects(con: duckdb.DuckDBPyConnection, source: str, rejects: list[Reject]) -> None:
    if rejects:
        con.executemany(
            "INSERT INTO quarantine VALUES (?, ?, ?, ?, ?)",
            [
                (source, int(r.location.split()[-1]), r.location, r.reason, json.dumps(r.text))
                for r in rejects
            ],
        )


def _build_customers(
    con: duckdb.DuckDBPyConnection,
    customers: Any,
    id_column: str,
    report: LoadReport,
    fallback: str | None = None,
) -> list[str]:
    """Table ``customers`` keyed by ``id_column`` of the customers source; without that column,
    by ``fallback`` (the column the events' customer id was mapped from) when it has that."""
    opened = open_source(con, customers, "raw_customers")
    columns = _columns(con, "raw_customers")
    if id_column not in columns and fallback and fallback in columns:
        report.notes.append(
            f"the customers have no column {id_column!r}: their id is read from "
            f"{fallback!r}, as the events' is"
        )
        id_column = fallback
    _require_customer_id(columns, id_column, opened.label)
    others = [c for c in columns if c != id_column]
    # the row number is ours: a name no column of the file has
    n = "_js_n"
    while n.casefold() in {c.casefold() for c in columns}:
        n += "_"
    stored = {c: c for c in others}
    if CUSTOMER in stored:  # the file's own customer_id column, when the id is another
        stored[CUSTOMER] = _free_name(CUSTOMER, columns)
        report.notes.append(
            f"the customers' column {CUSTOMER!r} is not their id here (that is "
            f"{id_column!r}): kept as the attribute {stored[CUSTOMER]!r}"
        )
    attrs = "".join(f", {quote(c)} AS {quote(stored[c])}" for c in others)
    cid = f"NULLIF(trim(CAST({quote(id_column)} AS VARCHAR)), '')"
    con.execute(
        f"CREATE TABLE customers AS SELECT {cid} AS {CUSTOMER}{attrs}, "
        f"row_number() OVER () AS {n} FROM raw_customers"
    )
    reason = (
        f"CASE WHEN {CUSTOMER} IS NULL THEN 'missing customer id' WHEN count(*) OVER "
        f"(PARTITION BY {CUSTOMER}) > 1 AND row_number() OVER (PARTITION BY {CUSTOMER} "
        f"ORDER BY {n}) > 1 THEN 'duplicate customer id' END"
    )
    con.execute(
        f"INSERT INTO quarantine SELECT 'customers', {n}, 'row ' || {n}, r, "
        f"to_json((SELECT c FROM (SELECT q.* EXCLUDE ({n}, r)) c))::VARCHAR FROM ("
        f"SELECT *, {reason} AS r FROM customers) q WHERE r IS NOT NULL"
    )
    _insert_rejects(con, "customers", opened.rejects)
    con.execute(
        f"DELETE FROM customers WHERE {n} IN (SELECT n FROM quarantine WHERE source = 'customers')"
    )
    con.execute(f"ALTER TABLE customers DROP COLUMN {n}")
    report.customers = con.execute("SELECT count(*) FROM customers").fetchall()[0][0]
    report.customer_rows_quarantined = con.execute(
        "SELECT count(*) FROM quarantine WHERE source = 'customers'"
    ).fetchall()[0][0]
    return [stored[c] for c in others]


def _free_name(name: str, columns: Iterable[str]) -> str:
    """``NAME_1`` (or the next number no column has, compared without case)."""
    taken = {c.casefold() for c in columns}
    number = 1
    while f"{name}_{number}".casefold() in taken:
        number += 1
    return f"{name}_{number}"


def _require_customer_id(columns: dict[str, str], id_column: str, label: str) -> None:
    """The customers' id column, or an error naming the option that sets it."""
    if id_column not in columns:
        raise ValueError(
            f"{label}: no column {id_column!r} for the customer id; columns are: "
            f"{', '.join(columns)}. Name it with --customers-id COLUMN "
            "(customer_id=... in Python)."
        )


def _write_quarantine(
    con: duckdb.DuckDBPyConnection, path: Path, source: str | None = None
) -> None:
    """One CSV: which source, where, why, and the row as it was read (JSON); ``source`` keeps
    one source's rows only (a survey load shares the event log's quarantine table)."""
    where = f"WHERE source = {literal(source)}" if source else ""
    rows = con.execute(
        f"SELECT source, location, reason, record FROM quarantine {where} ORDER BY source, n"
    ).fetchall()
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["source", "location", "reason", "record"])
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, out.getvalue(), private=True)  # the rows are customer data
