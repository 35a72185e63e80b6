"""Events read and checked by Spark itself, where they live: the driver never loads them.

``load_events_spark`` is ``load_events`` for a Spark session: Parquet (file, folder, glob), CSV/TSV
and JSON Lines on any path Spark reads (a shared mount, ``hdfs://``, ``s3a://`` with the
connector) and Spark SQL catalog tables (``spark:db.table``), with the same column mapping, the
same quarantine reasons and counts, and the same ingestion order (``seq``):

* Parquet: each file's row numbers, files in name order (``(k << 40) + row + 1`` when several);
* CSV: the row's place among the rows that split into the header's columns, from 1;
* JSON Lines: the line number (blank lines count, as they do in a text editor);
* a catalog table: its files' order as for CSV (a table has no order of its own).

The checked events become a global temporary view of the application that a Spark engine on the
same application reads as ``events``, computed once and kept by the executors (a local
checkpoint: memory, then their disks, never the driver); the bad rows are counted in
Spark and written by Spark next to the output (a folder of CSV, one part file), and the first
few are kept on the driver for the report. Survey answers are read the same way
(``journeyscope.events.spark_surveys``).
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from ..sql import backquoted
from ._rules import stored_names
from .load import (
    _REASONS,
    EventLog,
    LoadReport,
    _free_name,
    _require,
    _short,
    connect_duckdb,
    plausible_range,
)
from .mapping import ColumnMapping
from .schema import CHANNEL, CUSTOMER, EVENT, SEQUENCE, TIMESTAMP

__all__ = ["SPARK_TABLE", "SparkCannotRead", "SparkEventLog", "load_events_spark", "spark_reads"]

#: the prefix of a Spark SQL catalog table as an event source: ``spark:db.table``
SPARK_TABLE = "spark:"
_KINDS = {".parquet": "parquet", ".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl",
          ".ndjson": "jsonl", ".json": "jsonl"}  # fmt: skip
_COMPRESSION = (".gz", ".bz2", ".zst", ".snappy", ".lz4", ".deflate")
_NUMBER = r"^\s*-?\d+(\.\d+)?\s*$"
_OFFSET = r"([zZ]|[+-]\d\d(:?\d\d)?)\s*$"
_UNIT_DIVISOR = {"s": 1, "ms": 1_000, "us": 1_000_000}
#: the quarantined rows kept on the driver (all of them go to the quarantine folder)
SAMPLE = 200
_FILE, _BLOCK, _POS, _ROW = "_js_file", "_js_block", "_js_pos", "_js_row"


class SparkCannotRead(ValueError):
    """A source Spark could open but does not read the way the DuckDB loader does (an export
    by name, nested JSON objects): the events are loaded on the driver and handed over."""


def spark_reads(source: Any) -> bool:
    """Whether Spark reads ``source`` itself: a catalog table, or a path (file, folder or
    glob) of Parquet, CSV/TSV or JSON Lines; not a DataFrame, XES or a DuckDB/SQLite file."""
    if not isinstance(source, str | os.PathLike):
        return False
    text = os.fspath(source)
    if text.startswith(SPARK_TABLE):
        return True
    if re.match(r"[A-Za-z][A-Za-z0-9_+.-]*:(?!//)", text):  # a reader by name (ga4:, xes:, ...)
        return False
    return _kind(text) is not None or not os.path.splitext(text.rstrip("/"))[1]


def _kind(text: str) -> str | None:
    name = text.rstrip("/").rsplit("/", 1)[-1].lower()
    for suffix in _COMPRESSION:
        name = name.removesuffix(suffix)
    return next((kind for suffix, kind in _KINDS.items() if name.endswith(suffix)), None)


@dataclass
class SparkEventLog(EventLog):
    """An event log whose tables live in Spark: ``views`` names the application's global
    temporary views (``events``, ``customers``); ``con`` holds only the first quarantined rows
    and, when loaded, the survey answers."""

    spark: Any = None
    views: dict[str, str] = field(default_factory=dict)

    def close(self) -> None:
        """Forget the global views and the executors' copies (the sources stay as they are)."""
        for view in self.views.values():
            self.spark.catalog.dropGlobalTempView(view.split(".", 1)[1])
        self.views.clear()


@dataclass
class _Opened:
    """A source as a Spark frame of its own columns plus position columns, and how to read
    its order."""

    label: str
    frame: Any
    all_text: bool
    order: str  # "parquet": file + row index; "rows": file, block, position
    files: list[str] = field(default_factory=list)
    rejects: Any = None  # frame (n, location, reason, record) or None


def load_events_spark(
    spark: Any,
    source: str | os.PathLike[str],
    mapping: ColumnMapping | None = None,
    *,
    customers: Any = None,
    customer_id: str = "customer_id",
    quarantine: str | os.PathLike[str] | None = None,
) -> SparkEventLog:
    """Read and check ``source`` in Spark; see the module docstring. ``quarantine``: the folder
    Spark writes the bad rows to (CSV with a header: source, location, reason, record)."""
    from pyspark.sql import functions as F

    mapping = mapping or ColumnMapping()
    session = spark.newSession()  # views of its own while loading
    opened = _open(session, os.fspath(source))
    report = LoadReport(source=opened.label)
    if mapping.ts_unit is None and not mapping.file_order:
        mapping = mapping.model_copy(update={"ts_unit": _infer_unit(opened, mapping.ts, report)})
    staged, attributes, canonical = _stage(opened, mapping, report.notes)
    bad = [_bad_events(staged, opened)]
    events = staged.where(F.col("_r").isNull()).select(*canonical)
    views = {"events": _global(events, "events")}
    customer_attributes: list[str] = []
    if customers is not None:
        table, customer_attributes, bad_customers = _customers(
            session, customers, customer_id, mapping.customer_id
        )
        views["customers"] = _global(table, "customers")
        bad.append(bad_customers)
    rows = bad[0] if len(bad) == 1 else bad[0].unionByName(bad[1])
    log = SparkEventLog(
        connect_duckdb(), report, attributes, customer_attributes, spark=spark, views=views
    )
    _tally(log, rows, opened, customers is not None)
    if quarantine is not None and report.quarantined + report.customer_rows_quarantined:
        report.quarantine_file = _write_quarantine(spark, rows, os.fspath(quarantine))
    return log


def _global(frame: Any, stem: str) -> str:
    """``frame`` computed now and kept by the executors (a local checkpoint: their memory and
    disks, never the driver), as a global view. Each query then reads checked rows, and its
    plan starts there: the loading plan (windows, joins) is not analysed again in every query,
    which made a funnel's many self-joins exhaust the driver's memory."""
    name = f"_js_{stem}_{uuid.uuid4().hex[:12]}"
    frame.localCheckpoint(eager=True).createOrReplaceGlobalTempView(name)
    return f"global_temp.{name}"


# -- reading -----------------------------------------------------------------------------------
def _hadoop_path(spark: Any, text: str) -> tuple[Any, Any]:
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(text)
    return path, path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def _open(spark: Any, text: str) -> _Opened:
    from pyspark.sql import functions as F

    if text.startswith(SPARK_TABLE):
        name = text[len(SPARK_TABLE) :]
        if not spark.catalog.tableExists(name):
            raise ValueError(f"no Spark table {name!r} in the catalog")
        return _positioned(spark.table(name), text, all_text=False)
    path, fs = _hadoop_path(spark, text)
    glob = any(ch in text for ch in "*?[")
    if not glob and not fs.exists(path):
        raise FileNotFoundError(f"no such file: {text}")
    folder = not glob and fs.getFileStatus(path).isDirectory()
    kind = "parquet" if folder else _kind(text)
    if kind is None:
        raise ValueError(f"Spark does not read {text}: use Parquet, CSV/TSV or JSON Lines")
    reader = spark.read
    if folder:
        reader = reader.option("recursiveFileLookup", "true").option("pathGlobFilter", "*.parquet")
    if kind == "parquet":
        frame = reader.parquet(text)
        files = sorted({_as_metadata_path(spark, f) for f in frame.inputFiles()})
        if not files:
            raise ValueError(f"{text}: no Parquet file to read")
        meta = frame.select("*", F.col("_metadata.file_path").alias(_FILE),
                            F.col("_metadata.row_index").alias(_ROW))  # fmt: skip
        return _Opened(text, meta, False, "parquet", files)
    if kind == "csv":
        return _open_csv(spark, text)
    return _open_jsonl(spark, text)


def _as_metadata_path(spark: Any, uri: str) -> str:
    """A file's URI as ``_metadata.file_path`` spells it (``file:/x``, not ``file:///x``)."""
    return str(spark.sparkContext._jvm.org.apache.hadoop.fs.Path(uri).toString())


def _positioned(frame: Any, label: str, all_text: bool) -> _Opened:
    from pyspark.sql import functions as F

    if "_metadata" in frame.columns or _has_metadata(frame):
        file, block = F.col("_metadata.file_path"), F.col("_metadata.file_block_start")
    else:  # a table not made of files: its partitions' order
        file, block = F.lit(""), F.spark_partition_id().cast("long")
    frame = frame.select("*", file.alias(_FILE), block.alias(_BLOCK),
                         F.monotonically_increasing_id().alias(_POS))  # fmt: skip
    return _Opened(label, frame, all_text, "rows")


def _has_metadata(frame: Any) -> bool:
    try:
        frame.select("_metadata.file_path").schema  # noqa: B018 - analysed, not run
    except Exception:  # a source without file metadata
        return False
    return True


def _open_csv(spark: Any, text: str) -> _Opened:
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    sep = "\t" if _kind_name(text).endswith(".tsv") else ","
    reader = spark.read.option("header", "true").option("sep", sep).option("multiLine", "true")
    header = reader.csv(text).schema  # the header line only
    names = [f.name for f in header.fields]
    corrupt = "_js_corrupt"
    schema = StructType([*(StructField(n, StringType()) for n in names),
                         StructField(corrupt, StringType())])  # fmt: skip
    frame = (
        reader.schema(schema)
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", corrupt)
        .option("escape", '"')
        .csv(text)
    )
    opened = _positioned(frame, text, all_text=True)
    # Spark refuses a scan that needs the corrupt-record column alone: name a data column too
    named = F.length(F.coalesce(F.col(backquoted(names[0])), F.lit(""))) >= 0
    wide = opened.frame.withColumn(corrupt, F.when(named, F.col(corrupt)))
    found = F.size(F.split(F.col(corrupt), sep))
    reason = F.concat(
        F.lit("malformed CSV row ("),
        F.when(found > len(names), F.lit("too many columns")).otherwise(F.lit("missing columns")),
        F.lit(f": Expected Number of Columns: {len(names)} Found: "),
        found.cast("string"),
        F.lit(")"),
    )
    # a rejected row's place among all rows, after the header line: its line in the file when
    # no value spans lines (DuckDB says the line)
    line = F.col("n") + 1
    opened.rejects = _numbered(wide).where(F.col(corrupt).isNotNull()).select(
        line.alias("n"), F.concat(F.lit("line "), line.cast("string")).alias("location"),
        reason.alias("reason"), F.to_json(F.array(F.col(corrupt))).substr(2, 1 << 30).alias("j"),
    ).selectExpr("n", "location", "reason", "substring(j, 1, length(j) - 1) AS record")  # fmt: skip
    opened.frame = wide.where(F.col(corrupt).isNull()).drop(corrupt)
    return opened


def _kind_name(text: str) -> str:
    name = text.rstrip("/").rsplit("/", 1)[-1].lower()
    for suffix in _COMPRESSION:
        name = name.removesuffix(suffix)
    return name


def _open_jsonl(spark: Any, text: str) -> _Opened:
    from pyspark.sql import functions as F

    lines = _positioned(spark.read.text(text), text, all_text=True).frame
    lines = _numbered(lines).select(
        "n", "value", F.from_json("value", "map<string,string>").alias("m")
    )
    keys = [
        row["key"]
        for row in lines.where(F.col("m").isNotNull())
        .select(F.explode(F.map_keys("m")).alias("key"), "n")
        .groupBy("key")
        .agg(F.min("n").alias("first"))
        .orderBy("first", "key")
        .collect()
    ]
    good = lines.where(F.col("m").isNotNull())
    nested = good.select(F.explode(F.map_values("m")).alias("v")).where(F.col("v").startswith("{"))
    if nested.limit(1).count():  # objects become dotted attributes: the driver's loader does it
        raise SparkCannotRead(f"{text}: JSON objects inside the lines")
    frame = good.select(*(F.col("m").getItem(k).alias(k) for k in keys),
                        F.col("n").alias(_ROW))  # fmt: skip
    rejects = lines.where(F.col("m").isNull() & (F.trim(F.coalesce("value", F.lit(""))) != ""))
    opened = _Opened(text, frame, True, "numbered")
    opened.rejects = rejects.select(
        "n", F.concat(F.lit("line "), F.col("n").cast("string")).alias("location"),
        F.lit("not a JSON object").alias("reason"),
        F.to_json(F.struct(F.col("value").alias("v"))).alias("j"),
    ).selectExpr("n", "location", "reason", "substring(j, 6, length(j) - 6) AS record")  # fmt: skip
    return opened


def _numbered(frame: Any) -> Any:
    """``frame`` (with file, block and position columns) with ``n``: each row's place from 1,
    files in name order, blocks in file order — counted per block, then offset (a window per
    block and one small table of block sizes: no global sort)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    sizes = frame.groupBy(_FILE, _BLOCK).count().orderBy(_FILE, _BLOCK).collect()
    offsets, total = [], 0
    for row in sizes:
        offsets.append((row[_FILE], int(row[_BLOCK]), total))
        total += int(row["count"])
    spark = frame.sparkSession
    table = spark.createDataFrame(offsets or [("", 0, 0)], f"{_FILE} string, {_BLOCK} long, o long")
    block = Window.partitionBy(_FILE, _BLOCK).orderBy(_POS)
    numbered = frame.join(F.broadcast(table), [_FILE, _BLOCK])
    return numbered.withColumn("n", F.col("o") + F.row_number().over(block)).drop(
        "o", _FILE, _BLOCK, _POS
    )


# -- checking ----------------------------------------------------------------------------------
def _sequence(opened: _Opened) -> Any:
    """The frame with ``_js_row``: the ingestion order (see the module docstring)."""
    from pyspark.sql import functions as F

    frame = opened.frame
    if opened.order == "parquet":
        if len(opened.files) == 1:
            seq = F.col(_ROW) + 1
        else:
            ranks = {name: k for k, name in enumerate(opened.files, 1)}
            rank = F.create_map(*(x for name, k in ranks.items() for x in (F.lit(name), F.lit(k))))
            seq = F.shiftleft(rank[F.col(_FILE)].cast("long"), 40) + F.col(_ROW) + 1
        return frame.withColumn(_ROW, seq).drop(_FILE)
    if opened.order == "rows":
        return _numbered(frame).withColumnRenamed("n", _ROW)
    return frame


def _infer_unit(opened: _Opened, column: str, report: LoadReport) -> str:
    """DuckDB's rule (``_rules.unit_of_size``) on the same first rows, computed by Spark."""
    from pyspark.sql import functions as F

    from ._rules import NUMBER, unit_of_size

    if column not in opened.frame.columns:
        return "s"  # the missing column is reported by _stage, in words
    value = F.trim(F.col(backquoted(column)).cast("string"))
    first = opened.frame.select(value.alias("v")).limit(100_000)
    numbers = first.where(F.col("v").rlike(NUMBER))
    row = numbers.select(F.median(F.abs(F.col("v").cast("double")))).first()
    return unit_of_size(column, None if row is None else row[0], report)


def _ts(column: str, kind: str, mapping: ColumnMapping) -> Any:
    """The source time column as a timestamp (NULL when it cannot be read), as DuckDB reads it."""
    from pyspark.sql import functions as F

    col, tz = F.col(backquoted(column)), mapping.timezone
    divisor = _UNIT_DIVISOR[mapping.ts_unit or "s"]
    if kind == "timestamp":
        return col
    if kind in ("timestamp_ntz", "date"):
        return F.to_utc_timestamp(col.cast("timestamp"), tz)
    if kind in ("bigint", "int", "smallint", "tinyint", "double", "float") or kind.startswith(
        "decimal"
    ):
        return F.timestamp_seconds(col.cast("double") / divisor)
    text = F.trim(col.cast("string"))
    if mapping.ts_format:
        pattern = java_pattern(mapping.ts_format)
        parsed = F.try_to_timestamp(text, F.lit(pattern))
        if "%z" in mapping.ts_format or "%Z" in mapping.ts_format:
            return parsed
        return F.to_utc_timestamp(parsed, tz)
    return (
        F.when(text.rlike(_NUMBER), F.timestamp_seconds(text.try_cast("double") / divisor))
        .when(text.rlike(_OFFSET), F.coalesce(_with_offset(text), text.try_cast("timestamp")))
        .otherwise(F.to_utc_timestamp(text.try_cast("timestamp_ntz").cast("timestamp"), tz))
    )


def _with_offset(text: Any) -> Any:
    """A time written with an offset, read as DuckDB reads it: Spark wants ``+hh:mm`` after
    seconds, so ``Z``, ``+hh`` and ``+hhmm`` are spelled so, and ``hh:mm`` gets ``:00``."""
    from pyspark.sql import functions as F

    time = r"(:\d\d(?:\.\d+)?)"
    text = F.regexp_replace(text, r"(\d)[zZ]$", "$1+00:00")
    text = F.regexp_replace(text, time + r"([+-]\d\d)(\d\d)$", "$1$2:$3")
    text = F.regexp_replace(text, time + r"([+-]\d\d)$", "$1$2:00")
    text = F.regexp_replace(text, r"([T ]\d{1,2}:\d\d)([+-]\d\d:\d\d)$", "$1:00$2")
    return text.try_cast("timestamp")


_JAVA = {"%Y": "yyyy", "%y": "yy", "%m": "MM", "%d": "dd", "%H": "HH", "%I": "hh", "%M": "mm",
         "%S": "ss", "%f": "SSSSSS", "%p": "a", "%b": "MMM", "%B": "MMMM", "%a": "EEE",
         "%A": "EEEE", "%z": "XX", "%Z": "VV", "%j": "DDD", "%%": "%"}  # fmt: skip


def java_pattern(strftime: str) -> str:
    """A strftime format as Spark's datetime pattern (``%d.%m.%Y`` -> ``dd.MM.yyyy``).

    >>> java_pattern("%d.%m.%Y %H:%M")
    'dd.MM.yyyy HH:mm'
    """
    out, i = [], 0
    while i < len(strftime):
        pair = strftime[i : i + 2]
        if pair.startswith("%"):
            if pair not in _JAVA:
                raise ValueError(f"ts_format {strftime!r}: Spark cannot read {pair!r}")
            out.append(_JAVA[pair])
            i += 2
            continue
        char = strftime[i]
        out.append(f"'{char}'" if char.isalpha() else ("''" if char == "'" else char))
        i += 1
    return "".join(out)


def _stage(
    opened: _Opened, mapping: ColumnMapping, notes: list[str]
) -> tuple[Any, list[str], list[str]]:
    """The staged events: canonical columns, attributes, ``_r`` (why a row cannot load) and
    ``_ts_text``, as ``load_events`` stages them."""
    from pyspark.sql import functions as F

    frame = _sequence(opened)
    types = {f.name: f.dataType.simpleString() for f in frame.schema.fields}
    columns = {name: kind for name, kind in types.items() if not name.startswith("_js_")}
    for role in ("customer_id", "ts", "event"):
        _require(columns, getattr(mapping, role), role, opened.label)
    if mapping.channel and mapping.channel != "channel" and mapping.channel not in columns:
        _require(columns, mapping.channel, "channel", opened.label)
    channel = mapping.channel if mapping.channel in columns else None
    used = {mapping.customer_id, mapping.ts, mapping.event, channel}
    wanted = mapping.attributes if mapping.attributes is not None else list(columns)
    for name in wanted:
        _require(columns, name, "attribute", opened.label)
    attributes = [c for c in wanted if c not in used]
    stored = stored_names(attributes, columns, notes)

    def text(column: str) -> Any:
        value = F.col(backquoted(column)).cast("string")
        return F.nullif(F.trim(value) if opened.all_text else value, F.lit(""))

    ts = _ts(mapping.ts, columns[mapping.ts], mapping)
    earliest, latest = (F.lit(t).cast("timestamp") for t in plausible_range())
    seq = F.col(_ROW) if _ROW in types else F.monotonically_increasing_id() + 1
    inner = frame.select(
        text(mapping.customer_id).alias(CUSTOMER), ts.alias(TIMESTAMP),
        seq.cast("long").alias(SEQUENCE), text(mapping.event).alias(EVENT),
        (text(channel) if channel else F.lit(None).cast("string")).alias(CHANNEL),
        *(F.col(backquoted(a)).alias(stored[a]) for a in attributes),
        F.when(ts.isNull(), F.col(backquoted(mapping.ts)).cast("string")).alias("_ts_text"),
    )  # fmt: skip
    t, raw = F.col(TIMESTAMP), F.col("_ts_text")
    reason = (
        F.when(F.col(CUSTOMER).isNull(), 1)
        .when(F.col(EVENT).isNull(), 2)
        .when(raw.isNotNull() & (F.trim(raw) == ""), 3)
        .when(t.isNull() & raw.isNull(), 3)
        .when(t.isNull(), 4)
        .when((t < earliest) | (t >= latest), 5)
    )
    staged = inner.withColumn("_r", reason.cast("tinyint"))
    kept = [stored[a] for a in attributes]
    canonical = [CUSTOMER, TIMESTAMP, SEQUENCE, EVENT, CHANNEL, *(backquoted(a) for a in kept)]
    return staged, kept, canonical


def _bad_events(staged: Any, opened: _Opened) -> Any:
    """The quarantine rows of the events: (source, n, location, reason, record)."""
    from pyspark.sql import functions as F

    return quarantine_rows(staged, opened, "events", SEQUENCE, F.expr(_REASONS),
                           F.to_json(F.struct("*")))  # fmt: skip


def quarantine_rows(
    staged: Any, opened: Any, source: str, seq: str, reason: Any, record: Any
) -> Any:
    """The staged rows with a reason (``_r`` set), and the rows the reader itself rejected, as
    quarantine rows (source, n, location, reason, record); ``seq`` numbers the rows."""
    from pyspark.sql import functions as F

    bad = staged.where(F.col("_r").isNotNull()).select(
        F.lit(source).alias("source"), F.col(seq).alias("n"),
        F.concat(F.lit("row "), F.col(seq).cast("string")).alias("location"),
        reason.alias("reason"), record.alias("record"),
    )  # fmt: skip
    if opened.rejects is not None:
        rejects = opened.rejects.select(F.lit(source).alias("source"), "n", "location",
                                        "reason", "record")  # fmt: skip
        bad = bad.unionByName(rejects)
    return bad


def _customers(
    spark: Any, source: Any, id_column: str, fallback: str | None = None
) -> tuple[Any, list[str], Any]:
    """The customers table, its attribute names, and its quarantine rows; keyed by
    ``fallback`` (the events' mapped id column) when there is no ``id_column``, as the DuckDB
    loader does."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if not spark_reads(source):
        raise ValueError(f"Spark does not read customers from {source!r}: give a file or table")
    opened = _open(spark, os.fspath(source))
    frame = _sequence(opened)
    columns = [c for c in frame.columns if not c.startswith("_js_")]
    if id_column not in columns and fallback and fallback in columns:
        id_column = fallback
    if id_column not in columns:
        raise ValueError(
            f"{opened.label}: no column {id_column!r} for the customer id; columns are: "
            f"{', '.join(columns)}. Name it with --customers-id COLUMN "
            "(customer_id=... in Python)."
        )
    others = [c for c in columns if c != id_column]
    # the file's own customer_id column, when the id is another, is kept as customer_id_1
    stored = {c: c if c != CUSTOMER else _free_name(CUSTOMER, columns) for c in others}
    n, why = "_js_n", "_js_why"  # names of ours: a file's columns starting _js_ are left out
    seq = F.col(_ROW) if _ROW in frame.columns else F.monotonically_increasing_id() + 1
    cid = F.nullif(F.trim(F.col(backquoted(id_column)).cast("string")), F.lit(""))
    picked = (F.col(backquoted(c)).alias(stored[c]) for c in others)
    table = frame.select(cid.alias(CUSTOMER), *picked, seq.cast("long").alias(n))
    kept = [stored[c] for c in others]
    same = Window.partitionBy(CUSTOMER)
    reason = F.when(F.col(CUSTOMER).isNull(), F.lit("missing customer id")).when(
        (F.count(F.lit(1)).over(same) > 1) & (F.row_number().over(same.orderBy(n)) > 1),
        F.lit("duplicate customer id"),
    )
    checked = table.withColumn(why, reason)
    bad = checked.where(F.col(why).isNotNull()).select(
        F.lit("customers").alias("source"), F.col(n).alias("n"),
        F.concat(F.lit("row "), F.col(n).cast("string")).alias("location"),
        F.col(why).alias("reason"),
        F.to_json(F.struct(*(F.col(backquoted(c)) for c in [CUSTOMER, *kept]))).alias("record"),
    )  # fmt: skip
    good = checked.where(F.col(why).isNull()).drop(why, n)
    if opened.rejects is not None:
        bad = bad.unionByName(
            opened.rejects.select(
                F.lit("customers").alias("source"), "n", "location", "reason", "record"
            )
        )
    return good, kept, bad


def _tally(log: SparkEventLog, bad: Any, opened: _Opened, with_customers: bool) -> None:
    """Counts in Spark, a few rows to the driver: read, loaded, quarantined and why."""
    from pyspark.sql import functions as F

    report = log.report
    events = log.spark.table(log.views["events"])
    counts = bad.groupBy("source", "reason").count().collect()
    reasons: dict[str, int] = {}
    for row in counts:
        if row["source"] == "events":
            short = _short(row["reason"])
            reasons[short] = reasons.get(short, 0) + int(row["count"])
    report.reasons = dict(sorted(reasons.items(), key=lambda item: (-item[1], item[0])))
    report.quarantined = sum(reasons.values())
    report.loaded = int(events.count())
    report.read = report.loaded + report.quarantined
    if with_customers:
        report.customers = int(log.spark.table(log.views["customers"]).count())
        report.customer_rows_quarantined = sum(
            int(r["count"]) for r in counts if r["source"] == "customers"
        )
    sample = bad.orderBy("source", "n").limit(SAMPLE).select(
        "source", "n", "location", "reason", F.col("record").cast("string")
    )  # fmt: skip
    rows = [tuple(row) for row in sample.collect()]
    if rows:
        log.con.executemany("INSERT INTO quarantine VALUES (?, ?, ?, ?, ?)", rows)


def _write_quarantine(spark: Any, bad: Any, target: str) -> Any:
    """The bad rows as CSV in folder ``target`` (one part file with a header), written by
    Spark's executors next to the output; replaced whole: written aside, then renamed."""
    from pathlib import Path

    aside = f"{target.rstrip('/')}.writing-{uuid.uuid4().hex[:8]}"
    rows = bad.orderBy("source", "n").select("source", "location", "reason", "record")
    rows.coalesce(1).write.option("header", "true").option("escape", '"').csv(aside)
    path, fs = _hadoop_path(spark, target)
    if fs.exists(path):
        fs.delete(path, True)
    if not fs.rename(_hadoop_path(spark, aside)[0], path):
        raise OSError(f"could not move the quarantine into {target}")
    local = target.removeprefix("file:")
    if "://" not in local and os.path.isdir(local):  # the rows are customer data: owner only
        os.chmod(local, 0o700)
    return Path(target)
