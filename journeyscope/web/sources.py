"""Data sources of a map: kept files, the first rows of a file, a guess of which column is which,
the user's corrections checked field by field, and the sources an evaluation reads.

Words for people are not made here: errors are ``(field, key, values)`` that the pages turn into
sentences from the catalogues (``i18n/evidence``).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ..evaluation import Sources, load_sources
from ..events import ColumnMapping, SurveyMapping
from ..events.sources import SEQ, open_source
from ..sql import ident, literal
from ..store import SourceFileInfo, SourceInfo
from .xlsx import WorkbookError, xlsx_to_csv

__all__ = [
    "FIELDS",
    "FileProblem",
    "Preview",
    "check_mapping",
    "combined_files",
    "guess_mapping",
    "preview",
    "readable_path",
]

#: the columns a user points at, per role; ``None``-able ones may be "not in this file"
FIELDS: dict[str, tuple[str, ...]] = {
    "events": ("customer_id", "ts", "event", "channel"),
    "customers": ("customer_id",),
    "surveys": ("customer_id", "ts", "score", "kind", "comment", "touchpoint", "step", "event"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "events": ("customer_id", "ts", "event"),
    "customers": ("customer_id",),
    "surveys": ("customer_id", "ts", "score"),
}
SURVEY_KINDS = ("csat", "nps", "ces")
#: text time formats tried on a sample when the times are not ISO-like
TIME_FORMATS = (
    "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y",
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y",
    "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p", "%m/%d/%Y",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M",
    "%Y%m%d%H%M%S", "%d %b %Y %H:%M", "%b %d, %Y %H:%M",
)  # fmt: skip
_NAMES: dict[str, str] = {
    "customer_id": r"(customer|client|user|case|contact|account|member|person|guest|buyer)"
    r"[ _-]?(id|no|nr|number|key|ref)?$|^(id|cid|uid)$",
    "ts": r"(time|date|^ts$|when|created|occurred|timestamp|_at$|datetime)",
    "event": r"(event|activity|action|interaction|what|touch|type|name)",
    "channel": r"(channel|medium|via|source|device_type)",
    "score": r"(score|rating|nps|csat|ces|grade|stars)",
    "kind": r"(kind|survey|questionnaire|type)",
    "comment": r"(comment|text|feedback|verbatim|remark|note|answer)",
    "touchpoint": r"(touchpoint|touch_point)",
    "step": r"^(step|journey_step|stage_step)$",
}
PREVIEW_ROWS = 8
_SAMPLE = 500


class FileProblem(Exception):
    """What is wrong with a file or the columns chosen: a field of the form (or ``file``),
    a catalogue key and its values."""

    def __init__(self, field: str, key: str, values: dict[str, Any] | None = None):
        super().__init__(key)
        self.field, self.key, self.values = field, key, values or {}


@dataclass
class Preview:
    columns: list[str]
    rows: list[list[str]]
    samples: dict[str, list[str]]


def readable_path(data_dir: Path, stored: str) -> Path:
    """The file the readers open: an Excel workbook's CSV copy, else the kept file."""
    path = data_dir / stored
    if path.suffix == ".xlsx":
        return path.with_suffix(".csv")
    return path


def keep_upload(upload_path: Path, filename: str, folder: Path, file_id: int) -> str:
    """Move an uploaded file into the source's folder (kept until the retention ends); an
    Excel workbook also gets its CSV copy. Returns the kept name, relative to the data folder's
    ``sources`` parent."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    suffix = upload_path.suffix
    target = folder / f"{file_id}{suffix}"
    os.replace(upload_path, target)
    if suffix == ".xlsx":
        try:
            xlsx_to_csv(target, target.with_suffix(".csv"))
        except WorkbookError as error:
            target.unlink(missing_ok=True)
            target.with_suffix(".csv").unlink(missing_ok=True)
            raise FileProblem("file", "sources.error.workbook", {"reason": str(error)}) from None
    return f"{folder.parent.name}/{folder.name}/{target.name}"


def delete_kept(data_dir: Path, stored: str) -> None:
    path = data_dir / stored
    path.unlink(missing_ok=True)
    if path.suffix == ".xlsx":
        path.with_suffix(".csv").unlink(missing_ok=True)


def _open(path: Path) -> tuple[duckdb.DuckDBPyConnection, list[str]]:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        open_source(con, path, "raw")
        columns = [c for c in _describe(con) if c != SEQ]
    except (ValueError, duckdb.Error, FileNotFoundError):
        con.close()
        raise FileProblem("file", "sources.error.unreadable") from None
    return con, columns


def _describe(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [row[0] for row in con.execute("DESCRIBE SELECT * FROM raw").fetchall()]


def preview(path: Path) -> Preview:
    """The file's columns, its first rows, and a sample of each column's values."""
    con, columns = _open(path)
    try:
        names = ", ".join(ident(c) for c in columns)
        rows = con.execute(f"SELECT {names} FROM raw LIMIT {PREVIEW_ROWS}").fetchall()
        samples: dict[str, list[str]] = {}
        for column in columns:
            values = con.execute(
                f"SELECT DISTINCT CAST({ident(column)} AS VARCHAR) AS v FROM "
                f"(SELECT {ident(column)} FROM raw LIMIT {_SAMPLE}) WHERE v IS NOT NULL "
                "AND trim(v) <> '' LIMIT 200"
            ).fetchall()
            samples[column] = [str(v[0]) for v in values]
    finally:
        con.close()
    return Preview(columns, [["" if v is None else str(v) for v in row] for row in rows], samples)


def _by_name(role: str, columns: list[str], taken: set[str]) -> str | None:
    pattern = re.compile(_NAMES[role], re.I)
    for column in columns:
        if column not in taken and pattern.search(column.strip()):
            return column
    return None


def _is_time(values: list[str]) -> bool:
    return bool(values) and guess_time_format(values) is not False


def guess_time_format(values: list[str]) -> str | bool | None:
    """None: the times read as they are (ISO-like, or numbers); a format of
    :data:`TIME_FORMATS` that reads every sampled value; False: none reads them."""
    if not values:
        return False
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE s AS SELECT unnest(?::VARCHAR[]) AS v", [values])
        plain = con.execute(
            "SELECT count(*) FILTER (WHERE TRY_CAST(v AS TIMESTAMPTZ) IS NULL AND "
            "TRY_CAST(v AS TIMESTAMP) IS NULL AND TRY_CAST(v AS DOUBLE) IS NULL) FROM s"
        ).fetchall()[0][0]
        if plain == 0:
            return None
        for fmt in TIME_FORMATS:
            bad = con.execute(
                f"SELECT count(*) FILTER (WHERE try_strptime(trim(v), {literal(fmt)}) IS NULL) "
                "FROM s"
            ).fetchall()[0][0]
            if bad == 0:
                return fmt
    finally:
        con.close()
    return False


def guess_mapping(role: str, sample: Preview) -> dict[str, Any]:
    """Which column is which, by the columns' names and values; the times' format too."""
    columns, taken, found = sample.columns, set(), {}  # type: ignore[var-annotated]
    order = FIELDS[role]
    if role == "events":
        order = ("ts", "customer_id", "channel", "event")  # the event is what is left
    for name in order:
        column = _by_name(name, columns, taken)
        if name == "ts" and (column is None or not _is_time(sample.samples.get(column, []))):
            column = next((c for c in columns if c not in taken
                           and _is_time(sample.samples.get(c, [])[:50])), column)  # fmt: skip
        if column is None and name in REQUIRED[role]:
            column = _fallback(name, sample, taken)
        if column is not None:
            taken.add(column)
        found[name] = column
    mapping: dict[str, Any] = {name: found.get(name) for name in FIELDS[role]}
    if "ts" in mapping:
        fmt = guess_time_format(sample.samples.get(mapping["ts"] or "", []))
        mapping["ts_format"] = fmt if isinstance(fmt, str) else None
        mapping["timezone"] = "UTC"
    if role == "events":
        mapping["attributes"] = [c for c in columns if c not in taken]
    if role == "surveys":
        mapping["default_kind"] = None if mapping.get("kind") else "csat"
    return mapping


def _fallback(name: str, sample: Preview, taken: set[str]) -> str | None:
    """A column by its values: the customer has many repeating ids, the event few names."""
    free = [c for c in sample.columns if c not in taken]
    if name == "event":
        texts = [c for c in free if sample.samples[c] and not _numeric(sample.samples[c])]
        return min(texts, key=lambda c: len(sample.samples[c]), default=None)
    return free[0] if free else None


def _numeric(values: list[str]) -> bool:
    try:
        [float(v) for v in values]
    except ValueError:
        return False
    return True


def mapping_from_form(role: str, form: dict[str, str], columns: list[str]) -> dict[str, Any]:
    """The mapping the form's controls say; :class:`FileProblem` names the control at fault."""
    mapping: dict[str, Any] = {}
    for name in FIELDS[role]:
        chosen = form.get(name, "").strip() or None
        if chosen is not None and chosen not in columns:
            raise FileProblem(name, "sources.error.no_column", {"column": chosen})
        if chosen is None and name in REQUIRED[role]:
            raise FileProblem(name, "sources.error.required")
        mapping[name] = chosen
    picked = [c for c in mapping.values() if c]
    if len(picked) != len(set(picked)):
        twice = next(c for c in picked if picked.count(c) > 1)
        wrong = [n for n in FIELDS[role] if mapping[n] == twice][-1]
        raise FileProblem(wrong, "sources.error.twice", {"column": twice})
    if "ts" in mapping:
        mapping["ts_format"] = _time_format(form.get("ts_format", ""))
        mapping["timezone"] = _timezone(form.get("timezone", ""))
    if role == "events":
        mapping["attributes"] = [c for c in columns if form.get(f"attr:{c}") and c not in picked]
    if role == "surveys":
        kind = form.get("default_kind", "").strip() or None
        if mapping["kind"] is None and kind not in SURVEY_KINDS:
            raise FileProblem("default_kind", "sources.error.kind")
        if not any(mapping[t] for t in ("touchpoint", "step", "event")):
            raise FileProblem("touchpoint", "sources.error.target")
        mapping["default_kind"] = kind if kind in SURVEY_KINDS else None
    return mapping


def _time_format(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    if "%" not in text or len(text) > 60:
        raise FileProblem("ts_format", "sources.error.format")
    return text


def _timezone(text: str) -> str:
    text = text.strip() or "UTC"
    try:
        zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise FileProblem("timezone", "sources.error.timezone", {"zone": text}) from None
    return text


def column_mapping(mapping: dict[str, Any]) -> ColumnMapping:
    return ColumnMapping(
        customer_id=mapping["customer_id"], ts=mapping["ts"], event=mapping["event"],
        channel=mapping.get("channel"), attributes=list(mapping.get("attributes") or []),
        ts_format=mapping.get("ts_format"), timezone=mapping.get("timezone") or "UTC",
    )  # fmt: skip


def survey_mapping(mapping: dict[str, Any]) -> SurveyMapping:
    """A column the file does not have is named ``""``: the reader leaves it empty."""
    names = {n: mapping.get(n) or "" for n in FIELDS["surveys"]}
    return SurveyMapping(
        **names, default_kind=mapping.get("default_kind"), ts_format=mapping.get("ts_format"),
        timezone=mapping.get("timezone") or "UTC",
    )  # fmt: skip


def check_mapping(role: str, path: Path, mapping: dict[str, Any]) -> dict[str, Any]:
    """Load the file with the mapping, as an evaluation will: the load report (rows read,
    loaded, quarantined and why, the first bad rows) and, for events, the inventory the binding
    editor shows (each event name with its events and customers, each attribute's values)."""
    try:
        if role == "surveys":
            asked = Sources(_no_events(), surveys=path, survey_mapping=survey_mapping(mapping))
            log, answers = load_sources(asked)
            assert answers is not None
            report, source = answers.report, "surveys"
        elif role == "customers":
            log, _ = load_sources(Sources(_no_events(), customers=path,
                                          customer_id=mapping["customer_id"]))  # fmt: skip
            report, source = log.report, "customers"
        else:
            log, _ = load_sources(Sources(path, column_mapping(mapping)))
            report, source = log.report, "events"
    except ValueError as error:
        raise FileProblem("file", "sources.error.load", {"reason": str(error)}) from None
    try:
        result: dict[str, Any] = {
            "read": report.read if role != "customers" else report.customers
            + report.customer_rows_quarantined,
            "loaded": report.loaded if role != "customers" else report.customers,
            "quarantined": report.quarantined if role != "customers"
            else report.customer_rows_quarantined,
            "reasons": _reasons(log.con, source),
            "bad_rows": [list(r) for r in log.con.execute(
                "SELECT location, reason, record FROM quarantine WHERE source = ? "
                "ORDER BY n LIMIT 20", [source]).fetchall()],
        }  # fmt: skip
        if role == "events":
            result.update(inventory(log.con, mapping))
    finally:
        log.con.close()
    return result


def _reasons(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, int]:
    rows = con.execute(
        "SELECT reason, count(*) FROM quarantine WHERE source = ? GROUP BY 1 ORDER BY 2 DESC",
        [source],
    ).fetchall()
    return {str(reason): int(n) for reason, n in rows}


def _no_events() -> Any:
    import pyarrow as pa

    return pa.table({"customer_id": pa.array([], pa.string()), "ts": pa.array([], pa.string()),
                     "event": pa.array([], pa.string())})  # fmt: skip


def inventory(con: duckdb.DuckDBPyConnection, mapping: dict[str, Any]) -> dict[str, Any]:
    """Event names by reach (events, customers) and up to 30 values of each attribute."""
    events = con.execute(
        "SELECT event, count(*) AS n, count(DISTINCT customer_id) AS c FROM events "
        "GROUP BY event ORDER BY c DESC, n DESC, event LIMIT 1000"
    ).fetchall()
    attributes: dict[str, list[str]] = {}
    for column in ["channel", *(mapping.get("attributes") or [])]:
        rows = con.execute(
            f"SELECT CAST({ident(column)} AS VARCHAR) AS v, count(*) FROM events WHERE "
            f"{ident(column)} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 30"
        ).fetchall()
        if rows:
            attributes[column] = [str(r[0]) for r in rows]
    total = con.execute("SELECT count(DISTINCT customer_id) FROM events").fetchall()[0][0]
    return {
        "events": [{"event": e, "events": int(n), "customers": int(c)} for e, n, c in events],
        "attributes": attributes,
        "customers": int(total),
    }


def combined_files(data_dir: Path, files: list[SourceFileInfo], folder: Path) -> Path:
    """One file of every period of a source: the file itself when there is one;
    CSV periods joined under the first header; other kinds joined into one Parquet file."""
    paths = [readable_path(data_dir, f.stored) for f in files]
    if len(paths) == 1:
        return paths[0]
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = "-".join(str(f.id) for f in files)
    if all(p.suffix in (".csv", ".tsv") for p in paths) and len({p.suffix for p in paths}) == 1:
        target = folder / f"combined-{stamp}{paths[0].suffix}"
        _join_csv(paths, target)
        return target
    target = folder / f"combined-{stamp}.parquet"
    con = duckdb.connect()
    try:
        selects = []
        for i, path in enumerate(paths):
            open_source(con, path, f"p{i}")
            selects.append(f"SELECT * EXCLUDE ({ident(SEQ)}) FROM p{i}" if SEQ in [
                r[0] for r in con.execute(f"DESCRIBE SELECT * FROM p{i}").fetchall()
            ] else f"SELECT * FROM p{i}")  # fmt: skip
        relation = con.sql(" UNION ALL BY NAME ".join(selects))
        import pyarrow.parquet as pq

        pq.write_table(relation.to_arrow_table(), target)
    finally:
        con.close()
    return target


def _join_csv(paths: list[Path], target: Path) -> None:
    temporary = target.with_suffix(target.suffix + ".part")
    with temporary.open("wb") as out:
        for i, path in enumerate(paths):
            with path.open("rb") as source:
                if i:
                    source.readline()  # the later periods' header
                shutil.copyfileobj(source, out)
            out.seek(0, os.SEEK_END)
            if out.tell():
                with path.open("rb") as again:
                    again.seek(max(0, path.stat().st_size - 1))
                    if again.read(1) not in (b"\n", b""):
                        out.write(b"\n")
    os.replace(temporary, target)


def evaluation_files(
    data_dir: Path, sources: list[SourceInfo], folder: Path
) -> dict[str, tuple[Path, str, dict[str, Any]]] | None:
    """Per role, the newest confirmed source of it: the path to read, the name people know it
    by and its mapping; None without a confirmed events source."""
    chosen: dict[str, tuple[Path, str, dict[str, Any]]] = {}
    for source in sorted(sources, key=lambda s: s.id):
        ready = source.ready
        if not ready or source.mapping is None:
            continue
        if source.role == "customers":  # attributes now: the newest file says them
            path, label = readable_path(data_dir, ready[-1].stored), ready[-1].filename
        else:  # events and answers of every period
            path = combined_files(data_dir, ready, folder)
            label = ready[0].filename if len(ready) == 1 else f"{source.name} ({len(ready)})"
        chosen[source.role] = (path, label, source.mapping)
    return chosen if "events" in chosen else None


def expiry(days: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
