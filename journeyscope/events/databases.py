"""Events from database tables and queries: SQLite files, PostgreSQL servers, and a bare
``.sqlite``/``.duckdb`` path (its one table).

``sqlite:FILE::TABLE``, ``postgresql://USER@HOST/DB::SCHEMA.TABLE``; in place of the table, a
``.sql`` file with one SELECT. Rows arrive in batches, every value as text (the event loader
reads the times and numbers), in the order the table or query gives them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import duckdb
import pyarrow as pa

from ..sql import ident
from .sources import Source, open_duckdb_table, split_table, table_or_query

__all__ = ["open_database_file", "open_postgres_table", "open_sqlite_table"]

_BATCH = 50_000
_DUCKDB_MAGIC = b"DUCK"  # at byte 8 of a DuckDB file


def _qualified(table: str) -> str:
    """``schema.table`` or ``table`` quoted part by part."""
    return ".".join(ident(part) for part in table.split(".", 1))


def _into_table(
    con: duckdb.DuckDBPyConnection,
    name: str,
    columns: Sequence[str],
    fetch: Callable[[int], list[Any]],
) -> None:
    """Table ``name`` from a DB-API cursor's rows, every value as text, in batches."""
    schema = pa.schema([(column, pa.string()) for column in columns])

    def batches() -> Iterator[pa.RecordBatch]:
        while rows := fetch(_BATCH):
            values = [
                [None if v is None else str(v) for v in col] for col in zip(*rows, strict=True)
            ]
            yield pa.RecordBatch.from_arrays(values, schema=schema)

    con.register("_db_reader", pa.RecordBatchReader.from_batches(schema, batches()))
    con.execute(f"CREATE TABLE {name} AS SELECT * FROM _db_reader")
    con.unregister("_db_reader")


def open_sqlite_table(
    con: duckdb.DuckDBPyConnection, spec: str, name: str, ordered: bool
) -> Source:
    """SQLite through Python's sqlite3 (DuckDB's SQLite extension would need a download)."""
    file, table = split_table(spec, "sqlite")
    if not Path(file).exists():
        raise FileNotFoundError(f"no such SQLite file: {file}")
    query = table_or_query(table) or f"SELECT * FROM {_qualified(table)}"
    db = sqlite3.connect(f"file:{file}?mode=ro", uri=True, check_same_thread=False)
    try:
        cursor = db.execute(query)
        _into_table(con, name, [d[0] for d in cursor.description], cursor.fetchmany)
    except sqlite3.Error as error:
        raise ValueError(f"cannot read table {table!r} from {file}: {error}") from error
    finally:
        db.close()
    return Source(label=f"{file}::{table}", all_text=True, sequence="rowid + 1")


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def open_postgres_table(
    con: duckdb.DuckDBPyConnection, spec: str, name: str, ordered: bool
) -> Source:
    """``postgresql://...::SCHEMA.TABLE`` (or ``::query.sql``), read through psycopg with a
    server-side cursor in a read-only transaction."""
    try:
        import psycopg
    except ImportError:
        raise ValueError(
            "reading PostgreSQL needs psycopg: pip install 'journeyscope[postgres]'"
        ) from None

    url, sep, table = spec.rpartition("::")
    if not sep or not url or not table:
        raise ValueError(
            "write a PostgreSQL table as postgresql://USER@HOST/DATABASE::SCHEMA.TABLE"
        )
    url = url if "://" in url else "postgresql://" + url
    label = f"{_without_password(url)}::{table}"
    query = table_or_query(table) or f"SELECT * FROM {_qualified(table)}"
    try:
        with psycopg.connect(url) as db:
            db.read_only = True
            with db.cursor(name="journeyscope_events") as cursor:
                cursor.execute(query)  # names quoted by sql.ident; a query file is the user's own
                first = cursor.fetchmany(_BATCH)
                columns = [d.name for d in cursor.description or []]
                pending = [first]

                def fetch(size: int) -> list[Any]:
                    return pending.pop() if pending else cursor.fetchmany(size)

                _into_table(con, name, columns, fetch)
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(f"cannot read {label}: {reason}") from None
    return Source(label=label, all_text=True, sequence="rowid + 1")


def open_database_file(
    con: duckdb.DuckDBPyConnection, path: Path, name: str, ordered: bool
) -> Source:
    """A SQLite or DuckDB file named without a table: its one table (or a plain message
    naming the tables to choose from)."""
    with path.open("rb") as handle:
        head = handle.read(16)
    if head[8:12] == _DUCKDB_MAGIC:
        probe = duckdb.connect(str(path), read_only=True)
        try:
            tables = [
                r[0]
                for r in probe.execute(
                    "SELECT table_name FROM information_schema.tables"
                ).fetchall()
            ]
        finally:
            probe.close()
        kind = "duckdb"
    elif head.startswith(b"SQLite format 3"):
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = [
                r[0]
                for r in db.execute(
                    "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                    "AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            ]
        finally:
            db.close()
        kind = "sqlite"
    else:
        raise ValueError(f"{path.name} is neither a SQLite nor a DuckDB database")
    if len(tables) != 1:
        listed = ", ".join(sorted(tables)) or "none"
        raise ValueError(
            f"{path.name} has {len(tables)} tables ({listed}): name one, as {kind}:{path}::TABLE"
        )
    spec = f"{path}::{tables[0]}"
    if kind == "duckdb":
        return open_duckdb_table(con, spec, name, ordered)
    return open_sqlite_table(con, spec, name, ordered)
