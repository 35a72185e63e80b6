"""The built-in event readers (see ``journeyscope.events.sources``): CSV/TSV (and every file no
other reader claims), Parquet, JSON Lines, XES, DuckDB, SQLite and PostgreSQL tables, a bare
database file, and the analytics exports by name (``ga4``, ``segment``, ``mixpanel``,
``amplitude``, ``zendesk``; see ``journeyscope.events.exports``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._types import EventReader
from .hookspecs import hookimpl

if TYPE_CHECKING:
    import duckdb

    from ..events.sources import Source

_EXPORTS = ("ga4", "segment", "mixpanel", "amplitude", "zendesk")


def _opener(
    name: str, module: str = "sources", *bound: str
) -> Callable[[duckdb.DuckDBPyConnection, Any, str, bool], Source]:
    """The opener ``name`` of ``journeyscope.events.<module>``, imported when asked: the events
    layer itself asks the registry for its readers. ``bound``: its first arguments."""

    def read(con: duckdb.DuckDBPyConnection, target: Any, view: str, ordered: bool) -> Source:
        from ..events import databases, exports, sources

        modules = {"sources": sources, "databases": databases, "exports": exports}
        opener: Callable[..., Source] = getattr(modules[module], name)
        return opener(*bound, con, target, view, ordered)

    read.__name__ = read.__qualname__ = "_".join((name, *bound))
    return read


@hookimpl
def register_event_readers() -> list[EventReader]:
    return [
        EventReader("csv", _opener("open_csv"), suffixes=(".csv", ".tsv"), fallback=True),
        EventReader("parquet", _opener("open_parquet"), suffixes=(".parquet",), folders=True),
        EventReader("jsonl", _opener("open_jsonl"), suffixes=(".jsonl", ".ndjson", ".json")),
        EventReader("xes", _opener("open_xes"), suffixes=(".xes", ".xes.gz")),
        EventReader("duckdb", _opener("open_duckdb_table"), prefix="duckdb:"),
        EventReader("sqlite", _opener("open_sqlite_table", "databases"), prefix="sqlite:"),
        EventReader(
            "postgresql", _opener("open_postgres_table", "databases"), prefix="postgresql://"
        ),
        EventReader("postgres", _opener("open_postgres_table", "databases"), prefix="postgres://"),
        EventReader(
            "database",
            _opener("open_database_file", "databases"),
            suffixes=(".sqlite", ".sqlite3", ".db", ".duckdb"),
        ),
        *(
            EventReader(name, _opener("open_export", "exports", name), prefix=f"{name}:")
            for name in _EXPORTS
        ),
    ]
