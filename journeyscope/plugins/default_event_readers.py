"""The built-in event readers (see ``journeyscope.events.sources``): CSV/TSV (and every file no
other reader claims), Parquet, JSON Lines, XES (``xes:FILE::OPTIONS`` with lifecycle options),
OCEL 2.0 (``ocel:FILE::OBJECT_TYPE``), DuckDB, SQLite and PostgreSQL tables, a bare database
file, and the analytics exports by name (``ga4``, ``segment``, ``mixpanel``, ``amplitude``,
``snowplow``, and help desks' tickets: ``zendesk``, ``freshdesk``, ``intercom``; see
``journeyscope.events.exports``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._types import EventReader
from .hookspecs import hookimpl

#: OCEL 2.0 file names (``journeyscope.events.ocel.SUFFIXES``, kept here so that listing the
#: readers imports no reader)
OCEL_SUFFIXES = (".jsonocel", ".xmlocel", ".ocel.json", ".ocel.xml", ".ocel.sqlite")

if TYPE_CHECKING:
    import duckdb

    from ..events.sources import Source

_EXPORTS = (
    "ga4", "segment", "mixpanel", "amplitude", "snowplow", "zendesk", "freshdesk", "intercom",
)  # fmt: skip


def _opener(
    name: str, module: str = "sources", *bound: str
) -> Callable[[duckdb.DuckDBPyConnection, Any, str, bool], Source]:
    """The opener ``name`` of ``journeyscope.events.<module>``, imported when asked: the events
    layer itself asks the registry for its readers. ``bound``: its first arguments."""

    def read(con: duckdb.DuckDBPyConnection, target: Any, view: str, ordered: bool) -> Source:
        from ..events import databases, exports, ocel, sources, xes

        modules = {"sources": sources, "databases": databases, "exports": exports,
                   "xes": xes, "ocel": ocel}  # fmt: skip
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
        EventReader("xes_options", _opener("open_xes_spec", "xes"), prefix="xes:"),
        EventReader("ocel", _opener("open_ocel", "ocel"), suffixes=OCEL_SUFFIXES, prefix="ocel:"),
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
