"""The built-in engines: DuckDB (the default) and Spark."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._types import EngineConnector
from .hookspecs import hookimpl

if TYPE_CHECKING:
    from ..engine import Engine
    from ..events import EventLog


def connect_duckdb(log: EventLog, **options: Any) -> Engine:
    from ..engine import DuckDBEngine  # imported when asked: every layer may import the registry

    return DuckDBEngine(log, **options)


def connect_spark(log: EventLog, **options: Any) -> Engine:
    """Starts (or joins) a Spark session; PySpark is optional, so it is imported only here."""
    from .._spark import SparkEngine

    return SparkEngine(log, **options)


@hookimpl
def register_engines() -> list[EngineConnector]:
    return [EngineConnector("duckdb", connect_duckdb), EngineConnector("spark", connect_spark)]
