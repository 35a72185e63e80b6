"""The one seam between analytics and engines: run SQL, get Arrow back.

Analytics queries are written once, in DuckDB's SQL dialect, with the few functions that differ
between engines spelled through the methods below (a table of simple mappings plus a method per
special case). DuckDB runs them as written; the Spark engine (``journeyscope._spark``)
translates them with sqlglot and overrides the special cases.

>>> from journeyscope.events import load_events
>>> import pandas as pd
>>> log = load_events(pd.DataFrame({"customer_id": ["a"], "ts": ["2024-01-01"], "event": ["x"]}))
>>> engine = connect(log)
>>> engine.query("SELECT count(*) AS n FROM events").to_pylist()
[{'n': 1}]
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from . import plugins
from .sql import QueryError, literal

if TYPE_CHECKING:
    from .events import EventLog, SurveyLog

__all__ = [
    "ENGINES",
    "DuckDBEngine",
    "Engine",
    "connect",
    "engine_for",
    "read_events",
    "read_surveys",
]

#: the names of the registered engines (DuckDB, Spark and any a plugin adds), read when used
ENGINES = plugins.Names(plugins.engines)

log = logging.getLogger(__name__)


def query_failed(engine: str, sql: str, error: BaseException) -> QueryError:
    """A plain error for users; the SQL and the engine's own message go to the server log
    only (they can carry paths, data and the shape of the query)."""
    detail = f"{type(error).__name__}: {error}"
    log.warning("%s query failed: %s\n%s", engine, detail, sql)
    return QueryError(_plain(error), detail=f"{detail}\n{sql}")


def _plain(error: BaseException) -> str:
    name = type(error).__name__
    if isinstance(error, MemoryError) or "OutOfMemory" in name:
        return "the analysis ran out of memory on this data"
    if "Permission" in name:
        return (
            "the analysis was stopped: it tried to reach something other than the data given to it"
        )
    if "Conversion" in name or "NumberFormat" in name or "Cast" in name:
        return "the analysis met a value in the data that it could not convert"
    if "Interrupt" in name:
        return "the analysis was interrupted"
    return "the analysis could not run one of its queries on this data"


class Engine:
    """What analytics needs from an engine. Subclasses override the dialect methods they must."""

    name = "abstract"
    _names = itertools.count(1)

    def query(self, sql: str) -> pa.Table:
        raise NotImplementedError

    def execute(self, sql: str) -> None:
        raise NotImplementedError

    def materialize(self, name: str, sql: str) -> None:
        """Store the result of ``sql`` as table ``name`` for the following queries."""
        self.drop(name)
        self.execute(f"CREATE TABLE {name} AS {sql}")

    def create_view(self, name: str, sql: str) -> None:
        """Name ``sql`` for the following queries without computing it now."""
        self.drop(name)
        self.execute(f"CREATE VIEW {name} AS {sql}")

    def drop(self, name: str) -> None:
        """Forget table or view ``name`` if it exists."""
        raise NotImplementedError

    def has(self, name: str) -> bool:
        """Whether table or view ``name`` exists."""
        raise NotImplementedError

    def add_table(self, name: str, table: pa.Table) -> None:
        """A small table made on this machine (survey answers given as Arrow) as table
        ``name`` for the following queries."""
        raise NotImplementedError

    def temp_name(self, stem: str) -> str:
        return f"_js_{stem}_{next(self._names)}"

    def columns(self, table: str) -> list[str]:
        return list(self.query(f"SELECT * FROM {table} LIMIT 0").schema.names)

    # -- dialect: the functions that differ between engines ---------------------------------
    def seconds(self, ts: str) -> str:
        """Seconds since the epoch (double) of a timestamp expression."""
        return f"epoch({ts})"

    def median(self, expr: str) -> str:
        return f"quantile_cont({expr}, 0.5)"

    def quantile(self, expr: str, q: float) -> str:
        return f"quantile_cont({expr}, {q})"

    def quantiles(self, expr: str, qs: list[float]) -> str:
        """Several quantiles of ``expr`` in one aggregate (one sort per group): a list."""
        return f"quantile_cont({expr}, [{', '.join(str(float(q)) for q in qs)}])"

    def ordered_concat(self, expr: str, order: list[str], sep: str = ",") -> str:
        """Concatenate ``expr`` (text) over a group in the given order."""
        return f"string_agg({expr}, {literal(sep)} ORDER BY {', '.join(order)})"

    def ordered_list(self, expr: str, order: list[str]) -> str:
        """The values of ``expr`` over a group as a list, in the given order."""
        return f"list({expr} ORDER BY {', '.join(order)})"

    def regex_full(self, expr: str, pattern: str) -> str:
        return f"regexp_full_match({expr}, {literal(pattern)})"

    def to_text(self, expr: str) -> str:
        return f"CAST({expr} AS VARCHAR)"

    def to_number(self, expr: str) -> str:
        return f"TRY_CAST({expr} AS DOUBLE)"

    def period(self, cadence: str, ts: str) -> str:
        """Start of the day/week/month/quarter/year of a timestamp, as a date."""
        unit = {"daily": "day", "weekly": "week", "monthly": "month", "quarterly": "quarter"}
        return f"CAST(date_trunc('{unit.get(cadence, 'year')}', {ts}) AS DATE)"

    def close(self) -> None:
        """Release what the engine holds (sessions, temporary files)."""


class DuckDBEngine(Engine):
    """The default: embedded DuckDB, spilling to disk when a log is larger than memory."""

    name = "duckdb"

    def __init__(self, log: EventLog, threads: int | None = None) -> None:
        self.con = log.con
        # from here on the connection reads only the log's own files: no other file, no
        # extension, no setting can be reached from a query (see EventLog.seal)
        log.seal(threads=threads)

    def query(self, sql: str) -> pa.Table:
        return self._run(sql, lambda statement: self.con.sql(statement).to_arrow_table())

    def execute(self, sql: str) -> None:
        self._run(sql, self.con.execute)

    def _run(self, sql: str, action: Callable[[Any], Any]) -> Any:
        """``action`` on the one statement ``sql`` holds; a failure as a plain QueryError."""
        statement = _one_statement(sql)
        try:
            return action(statement)
        except duckdb.Error as error:
            raise query_failed(self.name, sql, error) from None

    def has(self, name: str) -> bool:
        return bool(self._kinds(name))

    def add_table(self, name: str, table: pa.Table) -> None:
        self.drop(name)
        view = self.temp_name("arrow")
        self.con.register(view, table)  # a sealed connection takes Arrow, not files
        try:
            self.execute(f"CREATE TABLE {name} AS SELECT * FROM {view}")
        finally:
            self.con.unregister(view)

    def _kinds(self, name: str) -> list[tuple[str]]:
        found: list[tuple[str]] = self.con.execute(
            "SELECT 'TABLE' FROM duckdb_tables() WHERE table_name = $1 AND NOT temporary "
            "UNION ALL SELECT 'VIEW' FROM duckdb_views() WHERE view_name = $1 AND NOT internal",
            [name],
        ).fetchall()
        return found

    def drop(self, name: str) -> None:
        for (kind,) in self._kinds(name):
            self.con.execute(f"DROP {kind} {name}")


def _one_statement(sql: str) -> Any:
    """The one statement ``sql`` holds (refused when it holds several or none): text made from
    data can never add a statement of its own."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        raise query_failed("duckdb", sql, error) from None
    if len(statements) != 1:
        raise query_failed("duckdb", sql, ValueError(f"{len(statements)} statements in one call"))
    return statements[0]


@contextmanager
def engine_for(log: EventLog, engine: str | Engine = "duckdb") -> Iterator[Engine]:
    """``engine`` itself when it is one (the caller closes it), else a new engine of that
    name, closed when the block ends: its views and files go, the results stay."""
    if isinstance(engine, Engine):
        yield engine
        return
    runner = connect(log, engine)
    try:
        yield runner
    finally:
        runner.close()


def connect(log: EventLog, engine: str = "duckdb", **options: Any) -> Engine:
    """An engine over the events (and customers) of ``log``; ``engine`` names a registered
    engine (``ENGINES``: the built-ins and any a plugin registers through ``register_engines``).

    ``engine="spark"`` starts (or joins) a Spark session; ``options`` go to it, e.g.
    ``master="local[2]"`` or a cluster URL, ``config={"spark.executor.memory": "8g"}`` and
    ``staging="/mnt/shared/tmp"`` (where the events are handed over as Parquet: on a cluster, a
    directory every node can read).
    """
    connectors = plugins.engines()
    if engine not in connectors:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(connectors)}")
    return connectors[engine].connect(log, **options)


def read_events(engine: str, source: Any, mapping: Any = None, **options: Any) -> EventLog | None:
    """The events of ``source`` read and checked by ``engine`` itself, where they live (Spark
    reads Parquet, CSV, JSON Lines and catalog tables on its cluster); None when that engine
    leaves loading to DuckDB on this machine. ``options``: ``customers``, ``customer_id``,
    ``quarantine`` and the engine's own options."""
    connectors = plugins.engines()
    if engine not in connectors:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(connectors)}")
    load = connectors[engine].load
    return None if load is None else load(source, mapping, **options)


def read_surveys(
    engine: str, source: Any, mapping: Any = None, *, into: EventLog, quarantine: Any = None
) -> SurveyLog | None:
    """Survey answers read and checked by ``engine`` itself, next to the events of ``into``
    (Spark, when it read those events); None when that engine leaves them to DuckDB here."""
    connectors = plugins.engines()
    if engine not in connectors:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(connectors)}")
    load = connectors[engine].load_surveys
    return None if load is None else load(source, mapping, into=into, quarantine=quarantine)
