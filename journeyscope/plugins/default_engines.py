"""The built-in engines: DuckDB (the default) and Spark, which reads its sources itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._types import EngineConnector
from .hookspecs import hookimpl

if TYPE_CHECKING:
    from ..engine import Engine
    from ..events import ColumnMapping, EventLog, SurveyLog, SurveyMapping


def connect_duckdb(log: EventLog, **options: Any) -> Engine:
    from ..engine import DuckDBEngine  # imported when asked: every layer may import the registry

    if getattr(log, "views", None):
        raise ValueError(
            "these events were read by Spark and stay there: evaluate them with engine spark"
        )
    return DuckDBEngine(log, **options)


def connect_spark(log: EventLog, **options: Any) -> Engine:
    """Starts (or joins) a Spark session; PySpark is optional, so it is imported only here."""
    from .._spark import SparkEngine

    return SparkEngine(log, **options)


def load_spark(
    source: Any,
    mapping: ColumnMapping | None = None,
    *,
    customers: Any = None,
    customer_id: str = "customer_id",
    quarantine: Any = None,
    master: str = "local[2]",
    config: dict[str, str] | None = None,
    staging: Any = None,
) -> EventLog | None:
    """Spark reads Parquet, CSV/TSV, JSON Lines and catalog tables itself, on the cluster;
    None for anything else (a DataFrame, XES, a DuckDB or SQLite file)."""
    from ..events.spark_load import SparkCannotRead, load_events_spark, spark_reads

    readable = spark_reads(source) and (customers is None or spark_reads(customers))
    # what the DuckDB loader alone does: exports by name, stitched ids, declared tie orders
    shaped = mapping is not None and bool(
        mapping.format or mapping.anonymous_id or mapping.event_order or mapping.file_order
    )
    if not readable or shaped:
        return None
    from .._spark import spark_session

    session = spark_session(master, config)
    try:
        return load_events_spark(session, source, mapping, customers=customers,
                                 customer_id=customer_id, quarantine=quarantine)  # fmt: skip
    except SparkCannotRead:
        return None


def load_spark_surveys(
    source: Any,
    mapping: SurveyMapping | None = None,
    *,
    into: EventLog,
    quarantine: Any = None,
) -> SurveyLog | None:
    """Spark reads the answers itself when it read the events (they are then evaluated
    there) and reads the source; None for an export by name or events loaded here."""
    from ..events.spark_surveys import load_surveys_spark, spark_reads_surveys

    spark = getattr(into, "spark", None)
    if spark is None or not spark_reads_surveys(source, mapping):
        return None
    return load_surveys_spark(spark, source, mapping, into=into, quarantine=quarantine)


@hookimpl
def register_engines() -> list[EngineConnector]:
    return [
        EngineConnector("duckdb", connect_duckdb),
        EngineConnector("spark", connect_spark, load=load_spark, load_surveys=load_spark_surveys),
    ]
