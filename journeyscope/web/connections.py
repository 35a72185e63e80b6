"""Server-side connections of data sources: a table or a SELECT query of a database the server's
settings name, a table of a DuckDB file, or a folder of Parquet files inside a folder the settings
allow. A workspace owner sets one up; the scheduler reads it again on its interval.

Each read is a snapshot: the rows are read with the event readers
(:mod:`journeyscope.events.sources`, :mod:`journeyscope.events.databases`) into a Parquet file
kept as the source's newest period, so the mapping page, the retention and the evaluation treat
it like an uploaded file. A connection's table holds its whole history, so a new snapshot
*replaces* the one before (one period at a time), and a snapshot whose rows did not change
starts no evaluation.

What may be reached is the server admin's decision, never a browser's: database URLs live in
``Settings.connection_databases`` (people see the names), paths must resolve inside
``Settings.connection_paths`` with symbolic links followed, checked again at every read. A
failed read is stored as one word (``ConnectionInfo.problem``) that the pages turn into a
sentence; the reader's message, which can name the server and the table, goes to the log only.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from ..events.sources import SEQ, one_select, open_source
from ..sql import ident, literal
from ..store import CONNECTION_KINDS, REFRESH_INTERVALS, ConnectionInfo, SourceInfo, Store
from .evidence import AnalysisRunner, Job
from .settings import Settings
from .sources import FileProblem, check_mapping, delete_kept, evaluation_files
from .uploads import SavedFile

__all__ = [
    "ConnectionFailed",
    "Reading",
    "allowed_path",
    "connection_fields",
    "queue_evaluation",
    "read_connection",
    "refresh_connection",
    "refresh_due",
]

log = logging.getLogger(__name__)
#: the problems a failed read is told by (``connections.problem.<word>`` in the catalogues)
PROBLEMS = ("not_allowed", "missing", "unreachable", "refused", "query", "columns", "unreadable")


class ConnectionFailed(Exception):
    """A read that failed, told by one of :data:`PROBLEMS`."""

    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem


# --- what may be reached ---------------------------------------------------------------------


def _inside(path: Path, roots: tuple[Path, ...]) -> bool:
    return any(path.is_relative_to(Path(root).resolve()) for root in roots)


def allowed_path(text: str, roots: tuple[Path, ...], field: str = "path") -> Path:
    """``text`` resolved (symbolic links followed) when it lies inside one of ``roots``;
    :class:`FileProblem` otherwise. A relative path is taken inside the first root."""
    if not roots:
        raise FileProblem(field, "connections.error.files_off")
    given = Path(text.strip())
    if not text.strip() or "\x00" in text:
        raise FileProblem(field, "connections.error.path_needed")
    path = (given if given.is_absolute() else Path(roots[0]) / given).resolve()
    if not _inside(path, roots):
        raise FileProblem(field, "connections.error.outside")
    return path


def _parquet_folder(path: Path, roots: tuple[Path, ...]) -> None:
    """Every Parquet file the folder's reader would open (DuckDB's own glob of it) lies
    inside the allowed folders too: a link inside the folder must not lead out of it."""
    if not path.is_dir():
        raise FileProblem("path", "connections.error.no_folder")
    con = duckdb.connect()
    try:
        found = con.execute("SELECT file FROM glob(?)", [str(path / "**" / "*.parquet")])
        files = [Path(row[0]) for row in found.fetchall()]
    finally:
        con.close()
    if not files:
        raise FileProblem("path", "connections.error.no_parquet")
    if not all(_inside(f.resolve(), roots) for f in files):
        raise FileProblem("path", "connections.error.outside")


def _probe_duckdb(path: Path, table: str) -> None:
    """The table (or view) of a DuckDB file reads nothing but that file: bound with the file
    system closed, a view over other files fails here, before the reader materialises it."""
    probe = duckdb.connect()
    try:
        probe.execute(f"ATTACH {literal(str(path))} AS _probe (READ_ONLY)")
        probe.execute("SET enable_external_access = false")
        schema, _, bare = table.rpartition(".")
        parts = [ident(p) for p in ([schema] if schema else []) + [bare]]
        probe.execute(f"SELECT * FROM _probe.{'.'.join(parts)} LIMIT 0")
    finally:
        probe.close()


def _table_name(text: str) -> str:
    name = text.strip()
    if not name or len(name) > 300:
        raise FileProblem("table_name", "connections.error.table_needed")
    # the readers take a name ending in .sql for a query file's path, and :: for a separator
    if name.lower().endswith(".sql") or "::" in name:
        raise FileProblem("table_name", "connections.error.table_needed")
    return name


def connection_fields(form: dict[str, str], settings: Settings) -> dict[str, Any]:
    """The connection an owner's form asks for, checked against the server's allow-lists;
    :class:`FileProblem` names the control at fault."""
    kind = form.get("kind", "")
    if kind not in CONNECTION_KINDS:
        raise FileProblem("kind", "connections.error.kind")
    refresh = form.get("refresh", "daily")
    if refresh not in REFRESH_INTERVALS:
        raise FileProblem("refresh", "connections.error.refresh")
    fields: dict[str, Any] = {"kind": kind, "refresh": refresh, "database": None, "path": None,
                              "table_name": None, "query": None}  # fmt: skip
    if kind in ("table", "query"):
        database = form.get("database", "")
        if database not in settings.connection_databases:
            raise FileProblem("database", "connections.error.database")
        fields["database"] = database
        if kind == "table":
            fields["table_name"] = _table_name(form.get("table_name", ""))
        else:
            try:
                fields["query"] = one_select(form.get("query", ""))
            except ValueError:
                raise FileProblem("query", "connections.error.select") from None
        return fields
    roots = tuple(settings.connection_paths)
    path = allowed_path(form.get("path", ""), roots)
    if kind == "duckdb":
        if not path.is_file():
            raise FileProblem("path", "connections.error.no_file")
        fields["table_name"] = _table_name(form.get("table_name", ""))
    else:
        _parquet_folder(path, roots)
    fields["path"] = str(path)
    return fields


def _spec(connection: ConnectionInfo, settings: Settings, scratch: Path) -> str:
    """What the event readers open, re-checked against today's settings."""
    if connection.kind in ("table", "query"):
        url = settings.connection_databases.get(connection.database or "")
        if url is None:
            raise ConnectionFailed("not_allowed")
        url = url.replace("postgresql+psycopg://", "postgresql://", 1)
        if connection.kind == "table":
            return f"{url}::{connection.table_name}"
        query = scratch / "query.sql"
        query.write_text(connection.query or "", encoding="utf-8")
        return f"{url}::{query}"
    roots = tuple(settings.connection_paths)
    try:
        path = allowed_path(connection.path or "", roots)
        if connection.kind == "parquet":
            _parquet_folder(path, roots)
    except FileProblem as problem:
        raise ConnectionFailed(
            "missing" if problem.key.startswith("connections.error.no_") else "not_allowed"
        ) from None
    if connection.kind == "duckdb":
        return f"duckdb:{path}::{connection.table_name}"
    return str(path)


# --- reading ---------------------------------------------------------------------------------


def _problem_of(error: Exception) -> str:
    """The one word for a reader's failure (its message may name servers and tables)."""
    text = str(error).lower()
    if isinstance(error, FileNotFoundError) or "does not exist" in text or "catalog" in text:
        return "missing"
    if "read-only" in text or "permission" in text or "data-modifying" in text:
        return "refused"
    if "connection" in text or "timeout" in text or ("could not" in text and "server" in text):
        return "unreachable"
    if "syntax" in text or "parser" in text or "binder" in text:
        return "query"
    return "unreadable"


def read_connection(connection: ConnectionInfo, settings: Settings, target: Path) -> int:
    """Read the connection's rows into the Parquet file ``target``: the number of rows.
    :class:`ConnectionFailed` says why not."""
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        spec = _spec(connection, settings, Path(scratch))
        con = duckdb.connect()
        try:
            con.execute("SET enable_progress_bar = false")
            if connection.kind == "duckdb":
                _probe_duckdb(Path(connection.path or ""), connection.table_name or "")
            open_source(con, spec, "raw")
            if connection.kind != "parquet":  # a view in a DuckDB file cannot read other files
                con.execute("SET enable_external_access = false")
            columns = [r[0] for r in con.execute("DESCRIBE SELECT * FROM raw").fetchall()]
            names = ", ".join(ident(c) for c in columns if c != SEQ)
            reader = con.sql(f"SELECT {names} FROM raw").to_arrow_reader(50_000)
            assert reader is not None
            rows = 0
            part = Path(scratch) / "snapshot.parquet"  # whole, or not there at all
            with pq.ParquetWriter(part, reader.schema) as writer:
                for batch in reader:
                    writer.write_batch(batch)
                    rows += batch.num_rows
            os.replace(part, target)
        except (ValueError, OSError, duckdb.Error) as error:
            log.warning("connection %s could not be read: %s", connection.kind, error)
            target.unlink(missing_ok=True)
            raise ConnectionFailed(_problem_of(error)) from None
        finally:
            con.close()
    return rows


def fingerprint(path: Path) -> str:
    """The rows of a snapshot, whatever their order: their count and a sum of row hashes."""
    con = duckdb.connect()
    try:
        columns = [r[0] for r in con.execute(
            "DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()]  # fmt: skip
        hashed = f"hash({', '.join(ident(c) for c in columns)})::HUGEINT" if columns else "0"
        row = con.execute(
            f"SELECT count(*), coalesce(sum({hashed}), 0) FROM read_parquet(?)", [str(path)]
        ).fetchone()
    finally:
        con.close()
    assert row is not None
    return f"{row[0]}:{row[1]}"


@dataclass(frozen=True)
class Reading:
    """A successful read of a connection: the snapshot's file, whether its rows differ from
    the reading before, and whether it is in use (confirmed with the source's columns)."""

    file_id: int
    changed: bool
    confirmed: bool


def refresh_connection(
    store: Store, settings: Settings, source: SourceInfo, *, confirm: bool = True
) -> Reading | None:
    """Read the source's connection once into a new snapshot. With the source's confirmed
    columns (and ``confirm``) it is checked with them and replaces the snapshots before it;
    otherwise (a new connection, changed settings) it waits on the mapping page, the older
    confirmed one staying in use until then. None: the read failed (the connection's state
    says why; the snapshots in use stay)."""
    with _READING[source.id]:  # "Read now" and the schedule take turns
        return _refresh(store, settings, source, confirm)


#: one reading of a source at a time in this process (the schedule runs in one process only)
_READING: defaultdict[int, threading.Lock] = defaultdict(threading.Lock)


def _refresh(store: Store, settings: Settings, source: SourceInfo, confirm: bool) -> Reading | None:
    connection = source.connection
    assert connection is not None
    data_dir = Path(settings.data_dir)
    (data_dir / "sources" / str(source.id)).mkdir(parents=True, exist_ok=True, mode=0o700)
    kept = store.add_source_file(source.id, source.name, "pending", 0, None)
    stored = f"sources/{source.id}/{kept.id}.parquet"
    try:
        rows = read_connection(connection, settings, data_dir / stored)
    except ConnectionFailed as failed:
        store.delete_source_file(source.id, kept.id)
        store.record_connection_read(source.id, "failed", failed.problem)
        return None
    store.set_source_file_stored(kept.id, stored, (data_dir / stored).stat().st_size)
    mark = fingerprint(data_dir / stored)
    reading = Reading(kept.id, mark != connection.fingerprint, False)
    if confirm and source.mapping is not None:
        try:
            report = check_mapping(source.role, data_dir / stored, source.mapping)
        except FileProblem:
            _drop(store, data_dir, source, [kept.id])
            store.record_connection_read(source.id, "failed", "columns")
            return None
        store.confirm_source_file(source.id, kept.id, source.mapping, report)
        keep_only(store, data_dir, source, kept.id)  # also renews it within the retention
        reading = Reading(kept.id, reading.changed, True)
    else:  # the snapshots waiting for their columns: only the newest
        waiting = [f.id for f in store.get_source(source.map_id, source.id).files
                   if not f.confirmed and f.id != kept.id]  # fmt: skip
        _drop(store, data_dir, source, waiting)
    store.record_connection_read(source.id, "ok", rows=rows, fingerprint=mark)
    return reading


def _drop(store: Store, data_dir: Path, source: SourceInfo, file_ids: list[int]) -> None:
    for kept in store.get_source(source.map_id, source.id).files:
        if kept.id in file_ids:
            delete_kept(data_dir, kept.stored)
            store.delete_source_file(source.id, kept.id)


def keep_only(store: Store, data_dir: Path, source: SourceInfo, file_id: int) -> None:
    """A connection's newest snapshot replaces the ones before it."""
    files = store.get_source(source.map_id, source.id).files
    _drop(store, data_dir, source, [f.id for f in files if f.id != file_id])


# --- evaluations -----------------------------------------------------------------------------


def queue_evaluation(
    store: Store, data_dir: Path, runner: AnalysisRunner, map_id: int, user_id: int | None
) -> Any:
    """Queue the evaluation of the map's confirmed sources (None: no events source yet)."""
    files = evaluation_files(data_dir, store.sources(map_id), data_dir / "combined")
    if files is None:
        return None
    saved = {role: SavedFile(label, path, path.stat().st_size) for role, (path, label, _) in
             files.items()}  # fmt: skip
    name = " + ".join(s.filename for s in saved.values())
    size = sum(s.size for s in saved.values())
    version = store.get_map(map_id).current_version
    info = store.create_analysis(map_id, version, name, size, user_id)
    mappings = {role: mapping for role, (_, _, mapping) in files.items()}
    job = Job(info.id, map_id, version, saved["events"], saved.get("customers"),
              saved.get("surveys"), mappings=mappings, keep=True)  # fmt: skip
    runner.submit(job)
    return info


def refresh_due(
    store: Store, settings: Settings, runner: AnalysisRunner | None, now: dt.datetime | None = None
) -> list[int]:
    """One scheduled round: read every connection that is due; each map whose data changed
    is evaluated again (its status and notifications follow when the evaluation is stored).
    The ids of the queued analyses."""
    changed: set[int] = set()
    for source in store.due_connections(now):
        try:
            reading = refresh_connection(store, settings, source)
            if reading is not None and reading.changed and reading.confirmed:
                changed.add(source.map_id)
        except Exception:  # one connection's trouble must not stop the round
            log.warning("connection of source %s failed", source.id, exc_info=True)
    queued = []
    for map_id in sorted(changed) if runner is not None else ():
        assert runner is not None
        info = queue_evaluation(store, Path(settings.data_dir), runner, map_id, None)
        if info is not None:
            queued.append(info.id)
    return queued
