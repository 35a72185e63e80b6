"""Survey answers read and checked by Spark itself, as ``load_surveys`` reads them with DuckDB.

The same sources as the events Spark reads (Parquet, CSV/TSV, JSON Lines, catalog tables), the
same columns, the same reasons for a bad row, counted the same way; ``seq`` is the answer's
place among the rows read (from 1), as DuckDB numbers them. The checked answers become a global
temporary view that the Spark engine reads as ``answers``; the bad rows are counted in Spark,
written by Spark next to the output, and the first few kept on the driver for the report. An
export by name (``format=qualtrics``...) is reshaped on the driver: ``load_spark_surveys``
``spark_reads_surveys`` is False for it, and DuckDB loads it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from ..sql import backquoted
from .load import EventLog, LoadReport, _short, connect_duckdb
from .mapping import ColumnMapping
from .spark_load import (
    _ROW,
    SAMPLE,
    _global,
    _open,
    _sequence,
    _ts,
    _write_quarantine,
    quarantine_rows,
    spark_reads,
)
from .surveys import _TARGETS, SCALES, SurveyLog, SurveyMapping, require_survey_columns

__all__ = ["SparkSurveyLog", "load_surveys_spark"]


@dataclass
class SparkSurveyLog(SurveyLog):
    """Answers Spark read: ``view`` names the application's global view of them; ``con`` holds
    only the first quarantined rows (and the events' when loaded ``into`` a log)."""

    spark: Any = None
    view: str = ""

    def answers(self) -> pa.Table:
        """The answers brought to this machine (for a caller who asks; evaluation does not)."""
        frame = self.spark.table(self.view).orderBy("ts", "seq")
        table: pa.Table = frame.toArrow()
        return table


def spark_reads_surveys(source: Any, mapping: SurveyMapping | None) -> bool:
    """Whether Spark reads these answers itself: a file or table it reads, not an export."""
    return spark_reads(source) and (mapping is None or mapping.format is None)


def load_surveys_spark(
    spark: Any,
    source: str | os.PathLike[str],
    mapping: SurveyMapping | None = None,
    *,
    into: EventLog | None = None,
    quarantine: str | os.PathLike[str] | None = None,
) -> SparkSurveyLog:
    """Read and check survey answers in Spark (see the module docstring). ``into``: a log Spark
    read, whose engine then finds the answers as ``answers`` next to its events."""
    from pyspark.sql import functions as F

    mapping = mapping or SurveyMapping()
    if mapping.format is not None:
        raise ValueError(f"format={mapping.format}: an export is reshaped on this machine")
    opened = _open(spark.newSession(), os.fspath(source))
    report = LoadReport(source=opened.label)
    staged = _stage(opened, mapping)
    answers = staged.where(F.col("_r").isNull()).select(
        "customer_id", "ts", "seq", "kind", "score", *_TARGETS, "comment"
    )
    bad = _bad_answers(staged, opened)
    view = _global(answers, "answers")
    con = into.con if into is not None else connect_duckdb()
    log = SparkSurveyLog(con, report, spark=spark, view=view)
    _tally(log, bad)
    if quarantine is not None and report.quarantined:
        report.quarantine_file = _write_quarantine(spark, bad, os.fspath(quarantine))
    views: dict[str, str] | None = getattr(into, "views", None)
    if views is not None:
        views["answers"] = view  # dropped with the events' views when the log closes
    return log


def _stage(opened: Any, mapping: SurveyMapping) -> Any:
    """Canonical columns, the source texts a bad row is recorded with, and ``_r``: why a row
    cannot load (NULL when it can), in the order ``surveys._select`` asks."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    frame = _sequence(opened)
    types = {f.name: f.dataType.simpleString() for f in frame.schema.fields}
    columns = {name: kind for name, kind in types.items() if not name.startswith("_js_")}
    require_survey_columns(columns, mapping, opened.label)

    def text(column: str | None) -> Any:
        if column is None or column not in columns:
            return F.lit(None).cast("string")
        return F.nullif(F.trim(F.col(backquoted(column)).cast("string")), F.lit(""))

    about, _, value = (mapping.about or "").partition(":")
    targets = [
        F.coalesce(text(getattr(mapping, t)), F.lit(value)) if about == t and value else
        text(getattr(mapping, t))
        for t in _TARGETS
    ]  # fmt: skip
    kind = text(mapping.kind)
    if mapping.default_kind:
        kind = F.coalesce(kind, F.lit(mapping.default_kind))
    times = ColumnMapping(
        ts_format=mapping.ts_format, timezone=mapping.timezone, ts_unit=mapping.ts_unit
    )
    # the place among the rows read, as DuckDB's row_number() counts them (one sort: answers
    # are few next to events)
    seq = F.row_number().over(Window.orderBy(_ROW))
    raw = frame.select(
        text(mapping.customer_id).alias("customer_id"),
        _ts(mapping.ts, columns[mapping.ts], times).alias("ts"),
        seq.cast("long").alias("seq"), F.lower(kind).alias("kind"),
        text(mapping.score).alias("score_text"),
        text(mapping.score).try_cast("double").alias("score"),
        *(target.alias(t) for target, t in zip(targets, _TARGETS, strict=True)),
        text(mapping.comment).alias("comment"), text(mapping.ts).alias("ts_text"),
    )  # fmt: skip
    return raw.withColumn("_r", _reason())


def _reason() -> Any:
    from pyspark.sql import functions as F

    c = F.col
    outside = F.lit(False)
    for name, (lo, hi, _) in SCALES.items():
        outside = F.when(c("kind") == name, ~c("score").between(lo, hi)).otherwise(outside)
    return (
        F.when(c("customer_id").isNull(), "missing customer id")
        .when(c("ts_text").isNull(), "missing timestamp")
        .when(c("ts").isNull(), "unparseable timestamp")
        .when(c("score_text").isNull(), "missing score")
        .when(c("score").isNull(), "unparseable score")
        .when(c("kind").isNull() | ~c("kind").isin(*SCALES), "unknown survey kind")
        .when(outside, "score outside the scale")
        .when(c("touchpoint").isNull() & c("event").isNull() & c("step").isNull(),
              "no touchpoint, event or step")
    )  # fmt: skip


def _bad_answers(staged: Any, opened: Any) -> Any:
    """The quarantine rows of the answers: (source, n, location, reason, record)."""
    from pyspark.sql import functions as F

    fields = {"customer_id": "customer_id", "ts": "ts_text", "score": "score_text",
              "kind": "kind", "touchpoint": "touchpoint", "event": "event", "step": "step",
              "comment": "comment"}  # fmt: skip
    record = F.struct(*(F.col(column).alias(name) for name, column in fields.items()))
    return quarantine_rows(staged, opened, "surveys", "seq", F.col("_r"),
                           F.to_json(record, {"ignoreNullFields": "false"}))  # fmt: skip


def _tally(log: SparkSurveyLog, bad: Any) -> None:
    """Counts in Spark, a few rows to the driver: read, loaded, quarantined and why."""
    from pyspark.sql import functions as F

    report = log.report
    reasons: dict[str, int] = {}
    for row in bad.groupBy("reason").count().collect():
        short = _short(row["reason"])
        reasons[short] = reasons.get(short, 0) + int(row["count"])
    report.reasons = dict(sorted(reasons.items(), key=lambda item: (-item[1], item[0])))
    report.quarantined = sum(reasons.values())
    report.loaded = int(log.spark.table(log.view).count())
    report.read = report.loaded + report.quarantined
    sample = bad.orderBy("n").limit(SAMPLE).select(
        "source", "n", "location", "reason", F.col("record").cast("string")
    )  # fmt: skip
    rows = [tuple(row) for row in sample.collect()]
    log.con.execute("DELETE FROM quarantine WHERE source = 'surveys'")
    if rows:
        log.con.executemany("INSERT INTO quarantine VALUES (?, ?, ?, ?, ?)", rows)
