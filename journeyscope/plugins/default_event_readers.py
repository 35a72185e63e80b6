"""The built-in event readers (see ``journeyscope.events.sources``): CSV/TSV (and every file no
other reader claims), Parquet, JSON Lines, XES, DuckDB and SQLite tables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._types import EventReader
from .hookspecs import hookimpl

if TYPE_CHECKING:
    import duckdb

    from ..events.sources import Source


# Imported when asked: the events layer itself asks the registry for its readers.
def read_csv(con: duckdb.DuckDBPyConnection, path: Any, name: str, ordered: bool) -> Source:
    from ..events.sources import open_csv

    return open_csv(con, path, name, ordered)


def read_parquet(con: duckdb.DuckDBPyConnection, path: Any, name: str, ordered: bool) -> Source:
    from ..events.sources import open_parquet

    return open_parquet(con, path, name, ordered)


def read_jsonl(con: duckdb.DuckDBPyConnection, path: Any, name: str, ordered: bool) -> Source:
    from ..events.sources import open_jsonl

    return open_jsonl(con, path, name, ordered)


def read_xes(con: duckdb.DuckDBPyConnection, path: Any, name: str, ordered: bool) -> Source:
    from ..events.sources import open_xes

    return open_xes(con, path, name, ordered)


def read_duckdb(con: duckdb.DuckDBPyConnection, spec: Any, name: str, ordered: bool) -> Source:
    from ..events.sources import open_duckdb_table

    return open_duckdb_table(con, spec, name, ordered)


def read_sqlite(con: duckdb.DuckDBPyConnection, spec: Any, name: str, ordered: bool) -> Source:
    from ..events.sources import open_sqlite_table

    return open_sqlite_table(con, spec, name, ordered)


@hookimpl
def register_event_readers() -> list[EventReader]:
    return [
        EventReader("csv", read_csv, suffixes=(".csv", ".tsv"), fallback=True),
        EventReader("parquet", read_parquet, suffixes=(".parquet",), folders=True),
        EventReader("jsonl", read_jsonl, suffixes=(".jsonl", ".ndjson", ".json")),
        EventReader("xes", read_xes, suffixes=(".xes", ".xes.gz")),
        EventReader("duckdb", read_duckdb, prefix="duckdb:"),
        EventReader("sqlite", read_sqlite, prefix="sqlite:"),
    ]
