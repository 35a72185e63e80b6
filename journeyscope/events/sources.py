"""Make any supported event source readable as one DuckDB relation ``raw`` (original columns).

Files: CSV/TSV, Parquet (file, folder or glob), JSON Lines, XES (``.xes``, ``.xes.gz``);
tables: ``duckdb:FILE::TABLE`` and ``sqlite:FILE::TABLE``; and in-process pandas, polars or
Arrow data. CSV rows that do not fit the header, JSON lines that do not parse and lines that
are not UTF-8 text are collected as rejects (line, reason, text) instead of stopping the load.

A file DuckDB cannot read as it is is read again from a repaired copy with the same line
numbers: CSV line ends made one kind (a file mixing CR LF and LF), JSON Lines with each line that
is not UTF-8 blanked and rejected. A CSV whose dialect DuckDB cannot sniff (one line longer than
it reads) is read as standard CSV, with the delimiter its header uses.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from .. import plugins
from ..sql import ident, literal

if TYPE_CHECKING:
    from .xes import XesOptions

__all__ = [
    "SEQ",
    "Reject",
    "Source",
    "open_csv",
    "open_duckdb_table",
    "open_jsonl",
    "open_parquet",
    "open_source",
    "open_xes",
]

#: Column of ``raw`` holding the ingestion order when the source can say it without a pass of
#: its own (Parquet row numbers, table row ids, JSON line numbers); see ``Source.sequence``.
SEQ = "_js_seq"


#: DuckDB's longest CSV line (its default); a longer line is rejected, not read
_MAX_LINE = 2_000_000
_CHUNK = 1 << 20
_COMPRESSED = (b"\x1f\x8b", b"\x28\xb5\x2f\xfd")  # gzip, zstd: DuckDB reads them


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
    #: customer attributes the source brings along (OCEL objects: an Arrow table keyed by
    #: ``customer_id``), loaded as the customers when the load is given none
    customers: Any = None
    #: text columns may hold JSON objects (a JSON Lines file): read them as nested values
    json_text: bool = False
    #: nested fields already made attributes (an export reader did it)
    flattened: bool = False
    #: column-mapping values the source's shape implies (an export's id and time columns);
    #: a mapping given by hand wins
    defaults: dict[str, Any] = field(default_factory=dict)
    #: a relation of rows that only link an anonymous id to a customer id (identify calls)
    link_rows: str | None = None


def open_source(
    con: duckdb.DuckDBPyConnection,
    source: Any,
    name: str = "raw",
    *,
    ordered: bool = False,
    reader: str | None = None,
) -> Source:
    """Create view ``name`` over ``source`` and report how it was read. ``ordered`` adds the
    ingestion order where the source has one (see ``Source.sequence``). ``reader`` names the
    registered reader to use (an export such as ``ga4``) instead of the one the source's
    prefix or suffix picks."""
    if reader is not None:
        readers = plugins.event_readers()
        if reader not in readers:
            raise ValueError(f"no event format {reader!r}: use {', '.join(sorted(readers))}")
        return readers[reader].open(con, source, name, ordered)
    if not isinstance(source, str | Path):
        con.register(name, _as_arrow(source))
        return Source(label=type(source).__name__)
    chosen, target = _reader_for(str(source))
    return chosen.open(con, target, name, ordered)


def _as_arrow(data: Any) -> Any:
    if hasattr(data, "to_arrow") and not isinstance(data, pa.Table):  # polars
        return data.to_arrow()
    return data  # pandas DataFrame, pyarrow Table/RecordBatchReader: DuckDB reads them directly


def _reader_for(text: str) -> tuple[plugins.EventReader, Any]:
    """The registered reader of a source and what it opens: the text after a reader's prefix
    (``duckdb:FILE::TABLE``); else the path, read by the reader of folders, of its suffix (the
    longest that matches), or of every other file (CSV)."""
    readers = list(plugins.event_readers().values())
    for reader in readers:
        if reader.prefix is not None and text.startswith(reader.prefix):
            return reader, text[len(reader.prefix) :]
    path = Path(text)
    if not any(ch in text for ch in "*?[") and not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    name = path.name.lower()
    claims = [(len(s), r) for r in readers for s in r.suffixes if name.endswith(s)]
    found = (
        [r for r in readers if r.folders]
        if path.is_dir()
        else [r for _, r in sorted(claims, key=lambda c: -c[0])]
        or [r for r in readers if r.fallback]
    )
    if not found:
        raise ValueError(f"no event reader reads {path.name}: use {', '.join(_kinds(readers))}")
    if found[0].fallback and not path.is_dir():
        _refuse_known_non_csv(path, name)
    return found[0], path


#: files people export that are not CSV: read as CSV they would load as nonsense
_NOT_CSV = {
    ".jsonocel": "an OCEL 2.0 JSON log",
    ".xmlocel": "an OCEL 2.0 XML log",
    ".ocel": "an OCEL log",
    ".xlsx": "an Excel workbook",
    ".xls": "an Excel workbook",
    ".zip": "a ZIP archive",
}
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _refuse_known_non_csv(path: Path, name: str) -> None:
    """A plain message for a file no reader claims that is surely not CSV (no reader of this
    installation reads it), instead of reading it as CSV."""
    for suffix, kind in _NOT_CSV.items():
        if name.endswith(suffix):
            raise ValueError(
                f"{path.name} is {kind}, which this installation does not read as events: "
                "export it as CSV, Parquet or JSON Lines"
                + (", or install a reader for it" if "OCEL" in kind else "")
            )
    if not any(ch in str(path) for ch in "*?[") and path.is_file():
        with path.open("rb") as handle:
            if handle.read(16) == _SQLITE_MAGIC:
                raise ValueError(
                    f"{path.name} is a SQLite database: name the table, as sqlite:{path}::TABLE"
                )


def _kinds(readers: list[plugins.EventReader]) -> list[str]:
    return [
        *(f"{r.prefix}..." for r in readers if r.prefix),
        *(s for r in readers for s in r.suffixes),
    ]


def open_parquet(con: duckdb.DuckDBPyConnection, path: Path, name: str, ordered: bool) -> Source:
    """A view, nothing read yet. Ordered: each file's row numbers, files in name order (a
    folder or a glob is read as one log)."""
    single = not path.is_dir() and not any(ch in str(path) for ch in "*?[")
    target = literal(str(path / "**" / "*.parquet") if path.is_dir() else str(path))
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


def open_csv(
    con: duckdb.DuckDBPyConnection, path: Path, name: str, ordered: bool = False
) -> Source:
    """CSV (``.tsv``: tab-separated) with a header; every column as text. The order of
    ingestion is the row id whether ``ordered`` or not. A glob reads its files in name order
    as one table, their columns matched by name (a column one file lacks is empty there)."""
    if any(ch in str(path) for ch in "*?["):
        return _open_csv_glob(con, path, name)
    tab = path.suffix.lower() == ".tsv"
    _header_line(path)  # DuckDB's sniffer would skip a header it cannot read, and take row 2
    try:
        _read_csv(con, path, name, _sniffed_dialect(tab))
    except duckdb.InvalidInputException as error:
        _read_csv_repaired(con, path, name, tab, error)
    rows = con.execute(  # one reject per line: the first error DuckDB found on it
        "SELECT line, first(error_type ORDER BY column_idx), first(error_message ORDER BY "
        "column_idx), first(csv_line) FROM _csv_rejects GROUP BY line ORDER BY line"
    ).fetchall()
    rejects = [
        Reject(f"line {line}", f"malformed CSV row ({kind.lower()}: {message})", _cut(text))
        for line, kind, message, text in rows
    ]
    return Source(label=str(path), rejects=rejects, all_text=True, sequence="rowid + 1")


def _open_csv_glob(con: duckdb.DuckDBPyConnection, pattern: Path, name: str) -> Source:
    """The CSV files of a glob as one table: rows file by file, columns by name."""
    import glob

    files = sorted(Path(f) for f in glob.glob(str(pattern), recursive=True) if Path(f).is_file())
    if not files:
        raise FileNotFoundError(f"no file matches {pattern}")
    rejects: list[Reject] = []
    for k, file in enumerate(files):
        part = open_csv(con, file, f"{name}_part{k}")
        rejects += [Reject(f"{file.name} {r.location}", r.reason, r.text) for r in part.rejects]
    union = " UNION ALL BY NAME ".join(f"SELECT * FROM {name}_part{k}" for k in range(len(files)))
    con.execute(f"CREATE OR REPLACE TABLE {name} AS {union}")
    for k in range(len(files)):
        con.execute(f"DROP TABLE {name}_part{k}")
    return Source(label=str(pattern), rejects=rejects, all_text=True, sequence="rowid + 1")


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path, name: str, dialect: str) -> None:
    for table in ("_csv_rejects", "_csv_scans"):  # DuckDB keeps the first read's otherwise
        con.execute(f"DROP TABLE IF EXISTS {table}")
    options = "all_varchar=true, header=true, store_rejects=true, "
    options += f"rejects_table='_csv_rejects', rejects_scan='_csv_scans'{dialect}"
    con.execute(
        f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM read_csv({literal(str(path))}, {options})"
    )


def _sniffed_dialect(tab: bool) -> str:
    return ", delim='\\t'" if tab else ""


def _read_csv_repaired(
    con: duckdb.DuckDBPyConnection, path: Path, name: str, tab: bool, error: Exception
) -> None:
    """Read a CSV DuckDB refused as a whole: line ends made one kind, then, if its sniffer
    still cannot read the start of the file, as standard CSV; else a plain ``ValueError``."""
    with tempfile.TemporaryDirectory(prefix="journeyscope-csv-") as folder:
        copy = _with_lf_line_ends(path, Path(folder) / path.name)
        attempts: list[Callable[[], str]] = [lambda: _standard_dialect(copy, tab)]
        if copy != path:
            attempts.insert(0, lambda: _sniffed_dialect(tab))
        for dialect in attempts:
            try:
                _read_csv(con, copy, name, dialect())
                return
            except duckdb.InvalidInputException as again:
                error = again
    reason = str(error).strip().splitlines()[0].removeprefix("Invalid Input Error: ")
    raise ValueError(f"{path}: cannot read it as CSV: {reason}") from None


def _with_lf_line_ends(path: Path, copy: Path) -> Path:
    """``copy`` written with each CR LF and each lone CR as LF (so a line keeps its number);
    ``path`` itself when it has no CR."""
    with path.open("rb") as source:
        if not any(b"\r" in chunk for chunk in iter(lambda: source.read(_CHUNK), b"")):
            return path
        source.seek(0)
        with copy.open("wb") as out:
            carry = b""  # a CR ending a chunk may be the first half of a CR LF
            for chunk in iter(lambda: source.read(_CHUNK), b""):
                chunk = carry + chunk
                carry = b"\r" if chunk.endswith(b"\r") else b""
                chunk = chunk[: len(chunk) - len(carry)]
                out.write(chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
            out.write(b"\n" if carry else b"")
    return copy


def _standard_dialect(path: Path, tab: bool) -> str:
    """RFC 4180 CSV with the columns the header names, no sniffing: the delimiter is a tab for
    ``.tsv``, else the one of , ; | tab the header uses most."""
    header = _header_line(path)
    delim = "\t" if tab else max(",;|\t", key=header.count)
    names = _unique(next(csv.reader([header], delimiter=delim), []))
    columns = ", ".join(f"{literal(n)}: 'VARCHAR'" for n in names)
    return (
        f", auto_detect=false, delim={literal(delim)}, quote='\"', escape='\"', "
        f"new_line='\\n', columns={{{columns}}}"
    )


def _header_line(path: Path) -> str:
    """The first line of a CSV file as text; ``ValueError`` if it is too long or not UTF-8.
    A compressed file is left to DuckDB."""
    with path.open("rb") as handle:
        first = handle.readline(_MAX_LINE + 1)
    if first.startswith(_COMPRESSED):
        return ""
    if len(first) > _MAX_LINE:
        raise ValueError(f"{path}: the header line is longer than {_MAX_LINE:,} bytes")
    try:
        return first.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path}: the header line is not UTF-8 text (byte {error.start + 1}); "
            "save the file as UTF-8"
        ) from None


def _unique(names: list[str]) -> list[str]:
    """Header names as DuckDB makes them: empty ones numbered, repeated ones suffixed."""
    out: list[str] = []
    for i, name in enumerate(names):
        name = name or f"column{i}"
        base, n = name, 0
        while name in out:
            n += 1
            name = f"{base}_{n}"
        out.append(name)
    return out or ["column0"]


def _cut(text: str | None, limit: int = 10_000) -> str:
    """A rejected line as kept in the quarantine: a line too long to read is cut short."""
    text = text or ""
    return text if len(text) <= limit else text[:limit] + f"... ({len(text):,} characters)"


def open_jsonl(con: duckdb.DuckDBPyConnection, path: Path, name: str, ordered: bool) -> Source:
    """Read each line as text first, so a broken line is rejected with its number. A file with
    lines that are not UTF-8 is read from a copy with those lines blanked (and rejected)."""
    try:
        _read_json_lines(con, path)
        rejects: list[Reject] = []
    except duckdb.InvalidInputException:
        with tempfile.TemporaryDirectory(prefix="journeyscope-jsonl-") as folder:
            copy = Path(folder) / path.name
            rejects = _without_non_utf8_lines(path, copy)
            _read_json_lines(con, copy)
    rejects += [
        Reject(f"line {line}", "not a JSON object", text)
        for line, text in con.execute(
            "SELECT line, text FROM _json_lines WHERE NOT ok AND trim(coalesce(text, '')) <> '' "
            "ORDER BY line"
        ).fetchall()
    ]
    rejects.sort(key=lambda reject: int(reject.location.split()[-1]))
    keys = [
        row[0]
        for row in con.execute(
            "SELECT key FROM (SELECT unnest(json_keys(text::JSON)) AS key, min(line) AS first "
            "FROM _json_lines WHERE ok GROUP BY key) ORDER BY first, key"
        ).fetchall()
    ]
    # a JSON pointer names any key (quotes, dots, brackets) with only ~ and / escaped
    columns = ", ".join(f"text::JSON ->> {literal(_pointer(k))} AS {ident(k)}" for k in keys)
    line = f", line AS {SEQ}" if ordered else ""
    con.execute(
        f"CREATE VIEW {name} AS SELECT {columns or 'NULL AS _empty'}{line} FROM _json_lines "
        "WHERE ok ORDER BY line"
    )
    return Source(
        label=str(path),
        rejects=rejects,
        all_text=True,
        sequence=SEQ if ordered else None,
        json_text=True,
    )


def _read_json_lines(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Table ``_json_lines``: each line's number, text and whether it holds a JSON object."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _json_lines AS SELECT line, text, "
        "coalesce(json_type(TRY_CAST(text AS JSON)) = 'OBJECT', false) AS ok FROM ("
        "SELECT row_number() OVER () AS line, json AS text "
        f"FROM read_csv({literal(str(path))}, columns={{'json': 'VARCHAR'}}, header=false, "
        "delim=chr(1), quote='', escape='', auto_detect=false, strict_mode=false))"
    )


def _pointer(key: str) -> str:
    """The JSON pointer of a top-level key: ``/key`` with ``~`` as ``~0`` and ``/`` as ``~1``."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


def _without_non_utf8_lines(path: Path, copy: Path) -> list[Reject]:
    """Write ``copy`` with each line that is not UTF-8 left empty; those lines as rejects."""
    rejects: list[Reject] = []
    with path.open("rb") as source, copy.open("wb") as out:
        for number, line in enumerate(source, 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                text = line.rstrip(b"\r\n").decode("utf-8", "backslashreplace")
                rejects.append(Reject(f"line {number}", "not UTF-8 text", _cut(text)))
                line = b"\n" if line.endswith(b"\n") else b""
            out.write(line)
    return rejects


def open_xes(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    name: str,
    ordered: bool = False,
    options: XesOptions | None = None,
) -> Source:
    """An XES event log (``.xes``, ``.xes.gz``), one row per event, read into memory;
    ``options``: how the lifecycle is read (see ``XesOptions``)."""
    from .xes import read_xes, xes_columns

    schema = pa.schema([(column, pa.string()) for column in xes_columns(path, options)])
    batches = read_xes(path, options=options)
    con.register("_xes_reader", pa.RecordBatchReader.from_batches(schema, batches))
    con.execute(f"CREATE TABLE {name} AS SELECT * FROM _xes_reader")
    con.unregister("_xes_reader")
    return Source(label=str(path), all_text=True, sequence="rowid + 1")


def split_table(spec: str, kind: str) -> tuple[str, str]:
    file, sep, table = spec.rpartition("::")
    if not sep or not file or not table:
        raise ValueError(f"write a {kind} table as {kind}:FILE::TABLE (got {kind}:{spec})")
    return file, table


def open_duckdb_table(
    con: duckdb.DuckDBPyConnection, spec: str, name: str, ordered: bool
) -> Source:
    """``FILE::TABLE`` of a DuckDB database file, attached read-only."""
    file, table = split_table(spec, "duckdb")
    if not Path(file).exists():
        raise FileNotFoundError(f"no such DuckDB file: {file}")
    con.execute(f"ATTACH {literal(file)} AS _source_db (READ_ONLY)")
    query = table_or_query(table)
    if query is not None:  # a SQL file: its rows, in memory, in the order the query gives
        con.execute("USE _source_db")  # the query names the file's tables as they are
        try:
            con.execute(f"CREATE TABLE memory.main.{name} AS {query}")
        except duckdb.Error as error:
            raise ValueError(f"{file}: the query in {table} failed: {error}") from None
        finally:
            con.execute("USE memory")
        return Source(label=f"{file}::{table}", sequence="rowid + 1")
    schema, _, bare = table.rpartition(".")
    where = "database_name = '_source_db' AND view_name = ?" + (
        " AND schema_name = ?" if schema else ""
    )
    params = [bare, schema] if schema else [bare]
    is_view = con.execute(f"SELECT count(*) FROM duckdb_views() WHERE {where}", params).fetchone()
    qualified = "_source_db." + ".".join(
        ident(part) for part in ([schema] if schema else []) + [bare]
    )
    if is_view and is_view[0]:  # a view has no row ids: its rows read once, in its order
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM {qualified}")
        return Source(label=f"{file}::{table}", sequence="rowid + 1")
    seq = f", rowid + 1 AS {SEQ}" if ordered else ""
    con.execute(f"CREATE VIEW {name} AS SELECT *{seq} FROM {qualified}")
    return Source(label=f"{file}::{table}", sequence=SEQ if ordered else None, lazy=True)


def table_or_query(table: str) -> str | None:
    """The query of ``TABLE`` when it names a ``.sql`` file (one SELECT), else None."""
    if not table.lower().endswith(".sql"):
        return None
    path = Path(table)
    if not path.is_file():
        raise FileNotFoundError(f"no such SQL file: {table}")
    return one_select(path.read_text(encoding="utf-8"), table)


def one_select(text: str, where: str = "the query") -> str:
    """``text`` when it is one SELECT (``WITH``/``FROM`` first too), without its final ``;``;
    anything else (another statement, several) is refused. The readers also run it in a
    read-only transaction where the database has one, so a write hidden in a ``WITH`` fails
    there too."""
    query = text.strip().rstrip(";").strip()
    if ";" in query or not query.lower().startswith(("select", "with", "from")):
        raise ValueError(f"{where}: write one SELECT query (no other statements)")
    return query
