"""Make any supported event source readable as one DuckDB relation ``raw`` (original columns).

Files: CSV/TSV, Parquet (file, folder or glob), JSON Lines, XES (``.xes``, ``.xes.gz``);
tables: ``duckdb:FILE::TABLE`` and ``sqlite:FILE::TABLE``; and in-process pandas, polars or
Arrow data. CSV rows that do not fit the header and JSON lines that do not parse are collected
as rejects (line, reason, text) instead of stopping the load.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

__all__ = ["SEQ", "Reject", "Source", "open_source", "quote"]

#: Column of ``raw`` holding the ingestion order when the source can say it without a pass of
#: its own (Parquet row numbers, table row ids, JSON line numbers); see ``Source.sequence``.
SEQ = "_js_seq"

_SQLITE_BATCH = 50_000


def quote(name: str) -> str:
    """A SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass
class Reject:
    """A source row that could not even be split into columns."""

    location: str
    reason: str
    text: str


@dataclass
class Source:
    """What was opened: a label for messages, and rows rejected while reading."""

    label: str
    rejects: list[Reject] = field(default_factory=list)
    all_text: bool = False  # every column arrives as text (CSV, JSON Lines, XES, SQLite)
    #: SQL over ``raw`` giving each row's ingestion order from 1, computed in parallel (``SEQ``,
    #: or the row id of a table read into memory in file order); None: only
    #: ``row_number() OVER ()`` can say it (a DataFrame)
    sequence: str | None = None
    #: the rows stay where they are (a Parquet file, a DuckDB table): ``events`` can be a
    #: view over them instead of a copy in memory
    lazy: bool = False


def open_source(
    con: duckdb.DuckDBPyConnection, source: Any, name: str = "raw", *, ordered: bool = False
) -> Source:
    """Create view ``name`` over ``source`` and report how it was read. ``ordered`` adds the
    ingestion order where the source has one (see ``Source.sequence``)."""
    if not isinstance(source, str | Path):
        con.register(name, _as_arrow(source))
        return Source(label=type(source).__name__)
    text = str(source)
    for prefix, opener in (("duckdb:", _open_duckdb), ("sqlite:", _open_sqlite)):
        if text.startswith(prefix):
            return opener(con, text[len(prefix) :], name, ordered)
    path = Path(text)
    if not any(ch in text for ch in "*?[") and not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    return _open_file(con, path, name, ordered)


def _as_arrow(data: Any) -> Any:
    if hasattr(data, "to_arrow") and not isinstance(data, pa.Table):  # polars
        return data.to_arrow()
    return data  # pandas DataFrame, pyarrow Table/RecordBatchReader: DuckDB reads them directly


def _open_file(con: duckdb.DuckDBPyConnection, path: Path, name: str, ordered: bool) -> Source:
    suffixes = "".join(path.suffixes[-2:]).lower()
    suffix = path.suffix.lower()
    if suffix == ".parquet" or path.is_dir():
        return _open_parquet(con, path, name, ordered)
    if suffix in (".jsonl", ".ndjson", ".json"):
        return _open_jsonl(con, path, name, ordered)
    if suffix == ".xes" or suffixes.endswith(".xes.gz"):
        return _open_xes(con, path, name)
    return _open_csv(con, path, name)


def _open_parquet(con: duckdb.DuckDBPyConnection, path: Path, name: str, ordered: bool) -> Source:
    """A view, nothing read yet. Ordered: each file's row numbers, files in name order (a
    folder or a glob is read as one log)."""
    single = not path.is_dir() and not any(ch in str(path) for ch in "*?[")
    target = _literal(str(path / "**" / "*.parquet") if path.is_dir() else str(path))
    if not ordered:
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet({target})")
    elif single:
        con.execute(
            f"CREATE VIEW {name} AS SELECT * EXCLUDE (file_row_number), "
            f"file_row_number + 1 AS {SEQ} FROM read_parquet({target}, file_row_number = true)"
        )
    else:  # 2**40 rows per file leave room for 8 million files
        con.execute(
            f"CREATE VIEW {name} AS SELECT p.* EXCLUDE (file_row_number, filename), "
            f"(f.k << 40) + p.file_row_number + 1 AS {SEQ} FROM read_parquet({target}, "
            "file_row_number = true, filename = true) p JOIN (SELECT file, "
            f"row_number() OVER (ORDER BY file) AS k FROM glob({target})) f ON f.file = p.filename"
        )
    return Source(label=str(path), sequence=SEQ if ordered else None, lazy=True)


def _open_csv(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> Source:
    delim = "\t" if path.suffix.lower() == ".tsv" else None
    options = "all_varchar=true, header=true, store_rejects=true, "
    options += "rejects_table='_csv_rejects', rejects_scan='_csv_scans'"
    if delim:
        options += ", delim='\\t'"
    con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv({_literal(str(path))}, {options})")
    rows = con.execute(  # one reject per line: the first error DuckDB found on it
        "SELECT line, first(error_type ORDER BY column_idx), first(error_message ORDER BY "
        "column_idx), first(csv_line) FROM _csv_rejects GROUP BY line ORDER BY line"
    ).fetchall()
    rejects = [
        Reject(f"line {line}", f"malformed CSV row ({kind.lower()}: {message})", text or "")
        for line, kind, message, text in rows
    ]
    return Source(label=str(path), rejects=rejects, all_text=True, sequence="rowid + 1")


def _open_jsonl(con: duckdb.DuckDBPyConnection, path: Path, name: str, ordered: bool) -> Source:
    """Read each line as text first, so a broken line is rejected with its number."""
    con.execute(
        "CREATE TEMP TABLE _json_lines AS SELECT line, text, "
        "coalesce(json_type(TRY_CAST(text AS JSON)) = 'OBJECT', false) AS ok FROM ("
        "SELECT row_number() OVER () AS line, json AS text "
        f"FROM read_csv({_literal(str(path))}, columns={{'json': 'VARCHAR'}}, header=false, "
        "delim=chr(1), quote='', escape='', auto_detect=false, strict_mode=false))"
    )
    rejects = [
        Reject(f"line {line}", "not a JSON object", text)
        for line, text in con.execute(
            "SELECT line, text FROM _json_lines WHERE NOT ok AND trim(coalesce(text, '')) <> '' "
            "ORDER BY line"
        ).fetchall()
    ]
    keys = [
        row[0]
        for row in con.execute(
            "SELECT key FROM (SELECT unnest(json_keys(text::JSON)) AS key, min(line) AS first "
            "FROM _json_lines WHERE ok GROUP BY key) ORDER BY first, key"
        ).fetchall()
    ]
    columns = ", ".join(f"text::JSON ->> {_literal('$.' + quote(k))} AS {quote(k)}" for k in keys)
    line = f", line AS {SEQ}" if ordered else ""
    con.execute(
        f"CREATE VIEW {name} AS SELECT {columns or 'NULL AS _empty'}{line} FROM _json_lines "
        "WHERE ok ORDER BY line"
    )
    return Source(
        label=str(path), rejects=rejects, all_text=True, sequence=SEQ if ordered else None
    )


def _open_xes(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> Source:
    from .xes import read_xes, xes_columns

    schema = pa.schema([(column, pa.string()) for column in xes_columns(path)])
    con.register("_xes_reader", pa.RecordBatchReader.from_batches(schema, read_xes(path)))
    con.execute(f"CREATE TABLE {name} AS SELECT * FROM _xes_reader")
    con.unregister("_xes_reader")
    return Source(label=str(path), all_text=True, sequence="rowid + 1")


def _split_table(spec: str, kind: str) -> tuple[str, str]:
    file, sep, table = spec.rpartition("::")
    if not sep or not file or not table:
        raise ValueError(f"write a {kind} table as {kind}:FILE::TABLE (got {kind}:{spec})")
    return file, table


def _open_duckdb(con: duckdb.DuckDBPyConnection, spec: str, name: str, ordered: bool) -> Source:
    file, table = _split_table(spec, "duckdb")
    if not Path(file).exists():
        raise FileNotFoundError(f"no such DuckDB file: {file}")
    con.execute(f"ATTACH {_literal(file)} AS _source_db (READ_ONLY)")
    seq = f", rowid + 1 AS {SEQ}" if ordered else ""
    con.execute(f"CREATE VIEW {name} AS SELECT *{seq} FROM _source_db.{quote(table)}")
    return Source(label=f"{file}::{table}", sequence=SEQ if ordered else None, lazy=True)


def _open_sqlite(con: duckdb.DuckDBPyConnection, spec: str, name: str, ordered: bool) -> Source:
    """SQLite through Python's sqlite3 (DuckDB's SQLite extension would need a download)."""
    file, table = _split_table(spec, "sqlite")
    if not Path(file).exists():
        raise FileNotFoundError(f"no such SQLite file: {file}")
    db = sqlite3.connect(f"file:{file}?mode=ro", uri=True, check_same_thread=False)
    try:
        cursor = db.execute(f"SELECT * FROM {quote(table)}")
        columns = [d[0] for d in cursor.description]
        schema = pa.schema([(column, pa.string()) for column in columns])

        def batches() -> Any:
            while rows := cursor.fetchmany(_SQLITE_BATCH):
                values = [
                    [None if v is None else str(v) for v in col] for col in zip(*rows, strict=True)
                ]
                yield pa.RecordBatch.from_arrays(values, schema=schema)

        con.register("_sqlite_reader", pa.RecordBatchReader.from_batches(schema, batches()))
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM _sqlite_reader")
        con.unregister("_sqlite_reader")
    except sqlite3.Error as error:
        raise ValueError(f"cannot read table {table!r} from {file}: {error}") from error
    finally:
        db.close()
    return Source(label=f"{file}::{table}", all_text=True, sequence="rowid + 1")
