"""The Spark engine: the analytics SQL (DuckDB's dialect) translated by sqlglot, run by Spark.

Events Spark read itself (``journeyscope.events.spark_load``: Parquet, CSV, JSON Lines, catalog
tables) and survey answers it read (``journeyscope.events.spark_surveys``) are the
application's global views and become this engine's ``events``, ``customers`` and ``answers``
as they are: nothing passes through the driver. Tables loaded by DuckDB (a DataFrame, XES, a
DuckDB or SQLite table, a survey export) are exported once to Parquet in a temporary directory
and registered as views with the same names; on a cluster the executors must read that
directory: ``staging`` puts it under a path every node sees (a shared filesystem mount).
``materialize`` caches a query's result as a temporary view. The dialect methods below spell
the functions whose meaning or syntax differs between the engines, so both give the same numbers.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import sqlglot
from sqlglot import expressions as exp

from .engine import Engine, query_failed
from .sql import literal

if TYPE_CHECKING:
    from .events import EventLog

__all__ = ["SparkEngine", "spark_session", "to_spark_sql"]

_DEFAULTS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.ui.showConsoleProgress": "false",
    # no query may name a file (``SELECT * FROM parquet.`/etc` ``): views are all it reads
    "spark.sql.runSQLOnFiles": "false",
}


def _double_literals(node: exp.Expression) -> exp.Expression:
    """``1.0`` is a DECIMAL in Spark (exact decimal division follows), a DOUBLE in effect in
    DuckDB: make decimal-looking number literals doubles so results have DuckDB's types."""
    if isinstance(node, exp.Literal) and node.is_number:
        text = node.this
        if any(char in text for char in ".eE") and not isinstance(node.parent, exp.Cast):
            return exp.Cast(this=node.copy(), to=exp.DataType.build("DOUBLE"))
    return node


def to_spark_sql(sql: str) -> str:
    """One statement of DuckDB SQL as Spark SQL.

    >>> to_spark_sql("SELECT count(*) * 1.0 / 2 AS x, CAST(a AS VARCHAR) FROM t")
    'SELECT COUNT(*) * CAST(1.0 AS DOUBLE) / 2 AS x, CAST(a AS STRING) FROM t'
    """
    trees = [tree for tree in sqlglot.parse(sql, read="duckdb") if tree is not None]
    if len(trees) != 1:
        raise ValueError(f"{len(trees)} statements in one call: one is allowed")
    return trees[0].transform(_double_literals).sql(dialect="spark")


def spark_session(master: str = "local[2]", config: dict[str, str] | None = None) -> Any:
    """The application's Spark session (started, or joined when one runs in this process) with
    our settings: UTC, no UI, no query naming a file; ``config`` adds or overrides settings."""
    from pyspark.sql import SparkSession

    settings = {**_DEFAULTS, **(config or {})}
    builder = SparkSession.builder.master(master).appName("journeyscope")
    for key, value in settings.items():
        builder = builder.config(key, value)
    shared = builder.getOrCreate()
    shared.sparkContext.setLogLevel("ERROR")
    for key, value in settings.items():  # a joined application may have other values
        if shared.conf.isModifiable(key):
            shared.conf.set(key, value)
    return shared


class SparkEngine(Engine):
    """Spark (local or a cluster) over the events Spark read, or a Parquet copy of a log's."""

    name = "spark"

    def __init__(
        self,
        log: EventLog,
        master: str = "local[2]",
        config: dict[str, str] | None = None,
        staging: str | os.PathLike[str] | None = None,
    ) -> None:
        if staging is not None and not os.path.isdir(staging):
            raise ValueError(f"Spark staging directory {os.fspath(staging)!r} does not exist")
        settings = {**_DEFAULTS, **(config or {})}
        # a session of our own: its temporary views (events, bound, path...) are not shared
        # with other engines on the same Spark application
        self.spark: Any = spark_session(master, config).newSession()
        for key, value in settings.items():
            if self.spark.conf.isModifiable(key):
                self.spark.conf.set(key, value)
        self._views: set[str] = set()
        self._cached: dict[str, Any] = {}
        self._dir: str | None = None
        self._stage_in = staging
        tables = ["events", "customers"] if log.has_customers else ["events"]
        views: dict[str, str] = getattr(log, "views", {})  # a SparkEventLog's, read by Spark
        held = {name for (name,) in log.con.execute("SHOW TABLES").fetchall()}
        if "answers" in views or "answers" in held:  # survey answers, read by Spark or here
            tables.append("answers")
        for table in tables:
            if table in views:
                self.spark.table(views[table]).createOrReplaceTempView(table)
            else:  # loaded on this machine: handed over as Parquet
                path = os.path.join(self._staging(), f"{table}.parquet")
                log.write_parquet(table, path)
                self.spark.read.parquet(path).createOrReplaceTempView(table)
            self._views.add(table)

    def _staging(self) -> str:
        """This engine's folder for tables handed over from this machine (made when needed)."""
        if self._dir is None:
            self._dir = tempfile.mkdtemp(prefix="journeyscope-spark-", dir=self._stage_in)
        return self._dir

    # -- running ------------------------------------------------------------------------------
    def _guard(self, sql: str, action: Any) -> Any:
        try:
            return action()
        except Exception as error:  # sqlglot's, Spark's and Py4J's errors carry plan and paths
            raise query_failed(self.name, sql, error) from None

    def _frame(self, sql: str) -> Any:
        return self._guard(sql, lambda: self.spark.sql(to_spark_sql(sql)))

    def query(self, sql: str) -> pa.Table:
        frame = self._frame(sql)

        def collect() -> pa.Table:
            if hasattr(frame, "toArrow"):
                table: pa.Table = frame.toArrow()
            else:  # pragma: no cover - pyspark < 4
                table = pa.Table.from_pandas(frame.toPandas(), preserve_index=False)
            return table

        result: pa.Table = self._guard(sql, collect)
        return result

    def execute(self, sql: str) -> None:
        frame = self._frame(sql)
        self._guard(sql, frame.collect)

    def materialize(self, name: str, sql: str) -> None:
        # computed now, as DuckDB's CREATE TABLE does, and cut from the plan that made it: a
        # cached frame keeps its whole lineage, which Spark re-analyses in every later query
        # over it (seconds per query once tables are built from tables). ``toDF`` first gives
        # the columns new identities, so the table joins the views it was made from.
        def compute() -> Any:
            made = self._frame(sql)
            return made.toDF(*made.columns).localCheckpoint(eager=True)

        frame = self._guard(sql, compute)
        self.drop(name)
        frame.createOrReplaceTempView(name)
        self._cached[name] = frame
        self._views.add(name)

    def create_view(self, name: str, sql: str) -> None:
        self.drop(name)
        self._frame(sql).createOrReplaceTempView(name)
        self._views.add(name)

    def drop(self, name: str) -> None:
        frame = self._cached.pop(name, None)
        if frame is not None:
            frame.unpersist()
        self.spark.catalog.dropTempView(name)
        self._views.discard(name)

    def columns(self, table: str) -> list[str]:
        return list(self.spark.table(table).columns)

    def has(self, name: str) -> bool:
        return bool(self.spark.catalog.tableExists(name))

    def add_table(self, name: str, table: pa.Table) -> None:
        import pyarrow.parquet as pq

        path = os.path.join(self._staging(), f"{self.temp_name(name)}.parquet")
        pq.write_table(table, path)  # read by the executors, as the events handed over are
        self.drop(name)
        self.spark.read.parquet(path).createOrReplaceTempView(name)
        self._views.add(name)

    # -- dialect ------------------------------------------------------------------------------
    def seconds(self, ts: str) -> str:
        return f"(CAST(unix_micros({ts}) AS DOUBLE) / 1000000)"

    def median(self, expr: str) -> str:
        return self.quantile(expr, 0.5)

    def quantile(self, expr: str, q: float) -> str:
        # exact, interpolating like DuckDB's quantile_cont (percentile_approx is not)
        return f"percentile({expr}, {float(q)})"

    def quantiles(self, expr: str, qs: list[float]) -> str:
        return f"percentile({expr}, array({', '.join(str(float(q)) for q in qs)}))"

    def ordered_concat(self, expr: str, order: list[str], sep: str = ",") -> str:
        fields = ", ".join([*order, f"{expr} AS v"])
        return (
            f"array_join(transform(array_sort(collect_list(struct({fields}))), x -> x.v), "
            f"{literal(sep)})"
        )

    def ordered_list(self, expr: str, order: list[str]) -> str:
        fields = ", ".join([*order, f"{expr} AS v"])
        return f"transform(array_sort(collect_list(struct({fields}))), x -> x.v)"

    def regex_full(self, expr: str, pattern: str) -> str:
        # written as a DuckDB literal: the translation doubles backslashes for Spark
        return f"({expr} RLIKE {literal(f'^(?:{pattern})$')})"

    def to_text(self, expr: str) -> str:
        return f"CAST({expr} AS STRING)"

    def period(self, cadence: str, ts: str) -> str:
        unit = {"daily": "DAY", "weekly": "WEEK", "monthly": "MONTH", "quarterly": "QUARTER"}
        return f"CAST(date_trunc('{unit.get(cadence, 'YEAR')}', {ts}) AS DATE)"

    def close(self) -> None:
        """Drop this engine's views and files; the Spark session stays for others."""
        for name in list(self._views):
            self.drop(name)
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
