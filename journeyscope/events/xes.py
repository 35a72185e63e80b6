"""Stream IEEE XES event logs (``.xes`` or gzip-compressed ``.xes.gz``) as Arrow record batches.

Each ``<event>`` becomes one row and every value stays the text written in the file (all columns
are ``pa.string()``); parsing timestamps and time zones is left to the caller. Columns:

* ``customer_id`` - the trace's ``concept:name``; ``ts`` - the event's ``time:timestamp``;
  ``event`` - the event's ``concept:name``; ``channel`` - the event's ``channel`` attribute;
* every other event attribute under its own key (``org:resource``, ``lifecycle:transition``...),
  in first-seen order;
* every other trace attribute as ``case:<key>`` (pm4py's naming), repeated on each event.

Missing values are null. :class:`XesOptions` chooses how the lifecycle is read (every event,
completed ones only, or start/complete pairs as one event with both times) and what the step is
(the name, or the name and transition as ``name+transition``, pm4py's classifier). A log in which
no event has a ``time:timestamp`` is read in file order: every event gets the time
:data:`NO_TIME`, so the order is the file's (as in pm4py) and every duration is zero.

Only attributes that are direct children of a ``<trace>`` or ``<event>`` are read: values
nested in ``<list>``/``<container>`` elements and meta-attributes are ignored, as are log-level
attributes and ``<global>`` defaults. Event attributes named ``customer_id``,
``ts`` or ``event`` would clash with the columns above and are dropped. An ``<event>`` directly
under ``<log>`` (not in a trace) gets a null ``customer_id``.

The file is read twice: a first pass collects the attribute keys so every batch has the same
columns, a second pass yields the rows. Both use :func:`xml.etree.ElementTree.iterparse` and
clear elements as they go, so memory holds one trace and one batch, not the whole log. A gzip
file is recognised by its magic bytes, whatever its name.

Logs come from anywhere, so two things are refused with a plain ``ValueError``: a document type
declaration (``<!DOCTYPE``), where entities would be defined (XES has no use for them; expanded,
they make a "billion laughs" or read local files), and a gzip file inflating to more than
:data:`MAX_GZIP_RATIO` times its size (at least :data:`MIN_GZIP_LIMIT` bytes), a zip bomb.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import os
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from xml.parsers import expat

import pyarrow as pa

from .schema import CHANNEL, CUSTOMER, EVENT, TIMESTAMP

if TYPE_CHECKING:
    import duckdb

    from .sources import Source

__all__ = ["NO_TIME", "XesOptions", "open_xes_spec", "read_xes", "write_xes", "xes_columns"]

#: A gzip file may inflate to this many times its size (XES text packs about 10-40 times) ...
MAX_GZIP_RATIO = 200
#: ... or to this many bytes, whichever is more.
MIN_GZIP_LIMIT = 256 * 1024 * 1024

_GZIP_MAGIC = b"\x1f\x8b"
_VALUE_TAGS = frozenset({"string", "date", "int", "float", "boolean", "id"})
_EVENT_KEYS = {"concept:name": EVENT, "time:timestamp": TIMESTAMP, CHANNEL: CHANNEL}
_CLASHING = frozenset({CUSTOMER, TIMESTAMP, EVENT})
_CORE = (CUSTOMER, TIMESTAMP, EVENT, CHANNEL)

#: The time of every event of a log without timestamps (the order is then the file's).
NO_TIME = "2000-01-01T00:00:00+00:00"
_TRANSITION = "lifecycle:transition"
_INSTANCE = "concept:instance"
START, COMPLETE = "start_timestamp", "complete_timestamp"

_Row = dict[str, str]
_Trace = tuple[_Row, list[_Row]]  # (trace attributes by key, event rows by column)


@dataclass(frozen=True)
class XesOptions:
    """How an XES log's lifecycle becomes events.

    ``lifecycle``: ``all`` (every event, as written), ``complete`` (only completed events: a
    ``lifecycle:transition`` of ``complete``, or none, which the lifecycle extension reads as
    complete) or ``intervals`` (each ``start`` paired with the next ``complete`` of the same
    activity and ``concept:instance``, as pm4py's ``to_interval``: one event with the columns
    ``start_timestamp`` and ``complete_timestamp``; a complete without a start starts when it
    ends; a start never completed and other transitions are left out; an event that already
    has a ``start_timestamp`` attribute, pm4py's interval form, is one interval as it is).
    ``time`` (with ``intervals``): which of the two is the event's time, ``start`` (pm4py's
    order) or ``complete``. ``step``: ``name`` or ``name+transition`` (``pay+start``).

    >>> XesOptions.parse("lifecycle=intervals, time=complete")
    XesOptions(lifecycle='intervals', step='name', time='complete')
    """

    lifecycle: Literal["all", "complete", "intervals"] = "all"
    step: Literal["name", "name+transition"] = "name"
    time: Literal["start", "complete"] = "start"

    def __post_init__(self) -> None:
        for name, allowed in _CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"XES option {name} must be one of {', '.join(allowed)} "
                    f"(got {getattr(self, name)!r})"
                )
        if self.lifecycle == "intervals" and self.step != "name":
            raise ValueError(
                "XES option step=name+transition needs every transition: "
                "lifecycle=intervals merges start and complete into one event"
            )
        if self.time != "start" and self.lifecycle != "intervals":
            raise ValueError("XES option time=complete is for lifecycle=intervals only")

    @classmethod
    def parse(cls, text: str) -> XesOptions:
        """Options written ``key=value, key=value`` (as after ``xes:FILE::``)."""
        values: dict[str, str] = {}
        for pair in filter(None, (p.strip() for p in text.split(","))):
            key, sep, value = (part.strip() for part in pair.partition("="))
            if not sep or key not in _CHOICES:
                raise ValueError(
                    f"cannot read the XES option {pair!r}: write key=value with a key of "
                    f"{', '.join(_CHOICES)}"
                )
            values[key] = value
        return cls(**values)  # type: ignore[arg-type]


_CHOICES = {
    "lifecycle": ("all", "complete", "intervals"),
    "step": ("name", "name+transition"),
    "time": ("start", "complete"),
}


def read_xes(
    path: str | os.PathLike[str], batch_size: int = 100_000, options: XesOptions | None = None
) -> Iterator[pa.RecordBatch]:
    """Batches of at most ``batch_size`` events, in file order, all with :func:`xes_columns`.

    The key pass runs now, so a missing, broken or non-XES file raises before the first batch.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1 (got {batch_size})")
    options = options or XesOptions()
    columns, timed = _key_pass(path, options)
    schema = pa.schema([(column, pa.string()) for column in columns])
    return _batches(path, schema, batch_size, options, timed)


def xes_columns(path: str | os.PathLike[str], options: XesOptions | None = None) -> list[str]:
    """All columns :func:`read_xes` yields: the core four, event keys, then ``case:`` keys."""
    return list(_key_pass(path, options or XesOptions())[0])


def _key_pass(path: str | os.PathLike[str], options: XesOptions) -> tuple[tuple[str, ...], bool]:
    stat = os.stat(path)
    return _cached_columns(os.path.abspath(path), stat.st_mtime_ns, stat.st_size, options)


@lru_cache(maxsize=16)
def _cached_columns(
    path: str, mtime_ns: int, size: int, options: XesOptions
) -> tuple[tuple[str, ...], bool]:
    """Callers often ask for the columns and then the rows: do the key pass once per version.
    Also says whether any event has a time (else the log is read in file order)."""
    event_columns: dict[str, None] = dict.fromkeys(_CORE)
    case_columns: dict[str, None] = {}
    timed = False
    for trace, rows in _traces(path):
        case_columns.update(dict.fromkeys(_case_row(trace)))
        timed = timed or any(row.get(TIMESTAMP) for row in rows)
        for row in _lifecycle(rows, options):
            event_columns.update(dict.fromkeys(row))
    columns = (*event_columns, *(c for c in case_columns if c not in event_columns))
    return columns, timed


def _batches(
    path: str | os.PathLike[str],
    schema: pa.Schema,
    batch_size: int,
    options: XesOptions,
    timed: bool,
) -> Iterator[pa.RecordBatch]:
    pending: list[_Row] = []
    for trace, rows in _traces(path):
        case = _case_row(trace)
        if not timed:
            rows = [{**row, TIMESTAMP: NO_TIME} for row in rows]
        pending.extend({**case, **row} for row in _lifecycle(rows, options))
        while len(pending) >= batch_size:
            yield pa.RecordBatch.from_pylist(pending[:batch_size], schema=schema)
            del pending[:batch_size]
    if pending:
        yield pa.RecordBatch.from_pylist(pending, schema=schema)


def _lifecycle(rows: list[_Row], options: XesOptions) -> list[_Row]:
    """One trace's event rows as ``options`` read the lifecycle."""
    if options.lifecycle == "complete":
        rows = [row for row in rows if _transition(row) == "complete"]
    elif options.lifecycle == "intervals":
        rows = _intervals(rows, options.time)
    if options.step == "name+transition":
        rows = [_with_transition(row) for row in rows]
    return rows


def _transition(row: _Row) -> str:
    return (row.get(_TRANSITION) or "complete").strip().lower()


def _with_transition(row: _Row) -> _Row:
    if row.get(EVENT) is None or not row.get(_TRANSITION):
        return row
    return {**row, EVENT: f"{row[EVENT]}+{row[_TRANSITION]}"}


def _intervals(rows: list[_Row], time: str) -> list[_Row]:
    """Start/complete pairs as one row each, where the complete is (pm4py's ``to_interval``)."""
    started: dict[tuple[str | None, str | None], list[_Row]] = {}
    out: list[_Row] = []
    for row in rows:
        key, transition = (row.get(EVENT), row.get(_INSTANCE)), _transition(row)
        if row.get(START) and transition == "complete":  # already one (pm4py's interval form)
            started.setdefault(key, []).insert(0, {TIMESTAMP: row[START]})
        if transition == "start":
            started.setdefault(key, []).append(row)
        elif transition == "complete":
            waiting = started.get(key)
            start = waiting.pop(0) if waiting else row
            merged = {k: v for k, v in row.items() if k not in (_TRANSITION, TIMESTAMP)}
            times = {START: start.get(TIMESTAMP), COMPLETE: row.get(TIMESTAMP)}
            merged.update({k: v for k, v in times.items() if v is not None})
            chosen = times[START if time == "start" else COMPLETE]
            out.append(merged if chosen is None else {**merged, TIMESTAMP: chosen})
    return out


def open_xes_spec(con: duckdb.DuckDBPyConnection, spec: Any, name: str, ordered: bool) -> Source:
    """The ``xes:`` event reader: ``FILE::OPTIONS`` (``log.xes::lifecycle=intervals``)."""
    from .sources import open_xes

    file, sep, text = os.fspath(spec).rpartition("::")
    if not sep:
        file, text = os.fspath(spec), ""
    if not os.path.isfile(file):
        raise FileNotFoundError(f"no such XES file: {file}")
    return open_xes(con, Path(file), name, ordered, options=XesOptions.parse(text))


def _case_row(trace: _Row) -> _Row:
    """Trace attributes as columns: ``concept:name`` is the customer, the rest ``case:<key>``."""
    row = {f"case:{key}": value for key, value in trace.items() if key != "concept:name"}
    if "concept:name" in trace:
        row[CUSTOMER] = trace["concept:name"]
    return row


def _event_row(attributes: _Row) -> _Row:
    """Event attributes as columns; keys that would clash with a core column are dropped."""
    return {
        _EVENT_KEYS.get(key, key): value
        for key, value in attributes.items()
        if key in _EVENT_KEYS or key not in _CLASHING
    }


def _traces(path: str | os.PathLike[str]) -> Iterator[_Trace]:
    """Each trace's attributes with its event rows, turning read errors into ``ValueError``."""
    try:
        with _open(path) as probe:
            refuse_doctype(probe, path)
        with _open(path) as stream:
            yield from _parse(stream, path)
    except ET.ParseError as error:
        line = f" (line {error.position[0]})" if error.position else ""
        raise ValueError(f"{os.fspath(path)}{line}: not well-formed XML: {error}") from error
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise ValueError(f"{os.fspath(path)}: corrupt gzip data: {error}") from error


def _open(path: str | os.PathLike[str]) -> io.BufferedIOBase:
    """The file's bytes, decompressed (up to a limit) when it starts with the gzip magic."""
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic != _GZIP_MAGIC:
        return open(path, "rb")
    limit = max(MIN_GZIP_LIMIT, MAX_GZIP_RATIO * os.stat(path).st_size)
    return _LimitedGzip(path, limit)


class _LimitedGzip(gzip.GzipFile):
    """A gzip file that raises ``ValueError`` once more than ``limit`` bytes come out of it."""

    def __init__(self, path: str | os.PathLike[str], limit: int):
        super().__init__(path, "rb")
        self.path, self.limit, self.inflated = path, limit, 0

    def read(self, size: int | None = -1) -> bytes:
        left = self.limit + 1 - self.inflated
        data = super().read(left if size is None or size < 0 else min(size, left))
        self.inflated += len(data)
        if self.inflated > self.limit:
            raise ValueError(
                f"{os.fspath(self.path)}: decompresses to more than {self.limit:,} bytes, over "
                f"{MAX_GZIP_RATIO} times its size; refused as a likely zip bomb (if the log is "
                "genuine, decompress it and read the .xes file)"
            )
        return data


class _Prolog(Exception):
    """The parser reached the root element: the file has no document type declaration."""


def refuse_doctype(
    stream: io.BufferedIOBase, path: str | os.PathLike[str], kind: str = "XES"
) -> None:
    """Read up to the root element and refuse a ``<!DOCTYPE``: its entities are never
    declared, let alone expanded or fetched. Syntax errors are left to the main parse."""

    def doctype(*_: object) -> None:
        raise ValueError(
            f"{os.fspath(path)}: has a document type declaration (<!DOCTYPE ...>); {kind} logs "
            "need none, and the entities one can define are refused, never expanded or read"
        )

    def root(*_: object) -> None:
        raise _Prolog

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = root
    try:
        while chunk := stream.read(64 * 1024):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except (_Prolog, expat.ExpatError):
        pass


def _parse(stream: io.BufferedIOBase, path: str | os.PathLike[str]) -> Iterator[_Trace]:
    """Walk the XML, yielding each trace when it closes and clearing what has been read."""
    parser = ET.iterparse(stream, events=("start", "end"))
    root = _root(next(parser)[1], path)
    depth, rows = 1, []
    for kind, element in parser:
        depth += 1 if kind == "start" else -1  # after an end: the depth of the parent
        tag = _local(element.tag)
        if kind == "start" or tag not in ("event", "trace"):
            continue
        if depth == 2 and tag == "event":
            rows.append(_event_row(_attributes(element)))
            element.clear()
        elif depth == 1:
            yield _closed(element, tag, rows)
            rows = []
            root.clear()


def _closed(element: ET.Element, tag: str, rows: list[_Row]) -> _Trace:
    """A finished trace with its event rows, or an event outside any trace on its own."""
    if tag == "trace":
        return _attributes(element), rows
    return {}, [_event_row(_attributes(element))]


def _root(element: ET.Element, path: str | os.PathLike[str]) -> ET.Element:
    if _local(element.tag) != "log":
        raise ValueError(f"{os.fspath(path)}: not an XES log (root element is <{element.tag}>)")
    return element


def _attributes(element: ET.Element) -> _Row:
    """The typed attributes directly under ``element``, key -> value as written."""
    return {
        child.attrib["key"]: child.attrib["value"]
        for child in element
        if _local(child.tag) in _VALUE_TAGS and "key" in child.attrib and "value" in child.attrib
    }


def _local(tag: str) -> str:
    """A tag without its namespace: ``{http://www.xes-standard.org/}event`` -> ``event``."""
    return tag.rpartition("}")[2]


# -- writing ---------------------------------------------------------------------------------

_XES_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xes.features="" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
  <string key="concept:name" value={name}/>
"""
#: XML 1.0 allows no other control characters: they are written as U+FFFD
_CONTROL_TABLE = {c: "\ufffd" for c in range(32) if c not in (9, 10, 13)}
#: columns of a bound log that are not event attributes in the XES file
_NOT_ATTRIBUTES = frozenset({CUSTOMER, TIMESTAMP, EVENT, "seq", "jid"})


def write_xes(
    events: pa.Table | pa.RecordBatchReader,
    path: str | os.PathLike[str],
    *,
    activity: Literal["event", "step"] = "event",
    name: str = "journeyscope",
) -> int:
    """Write events (``customer_id``, ``ts``, ``event``, optionally ``jid``, ``step``,
    ``touchpoint``, ``channel`` and attributes), sorted by journey then time, as an XES log:
    one trace per journey (named by its customer, ``#2``... after the first when a customer has
    several), ``concept:name`` the event name (``activity="event"``) or its step
    (``activity="step"``: events on no step are left out), every other column an attribute.
    Written to a temporary file renamed into place. Returns the number of events written."""
    import tempfile

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    written = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(_XES_HEAD.format(name=_xml_attr(name)))
            trace: tuple[object, object] | None = None
            journeys: dict[object, int] = {}
            batches = events.to_batches() if isinstance(events, pa.Table) else events
            for batch in batches:
                for row in batch.to_pylist():
                    label = row.get("step") if activity == "step" else row.get(EVENT)
                    if label is None:
                        continue
                    key = (row.get(CUSTOMER), row.get("jid"))
                    if key != trace:
                        out.write("  </trace>\n" if trace is not None else "")
                        trace, n = key, journeys.get(key[0], 0) + 1
                        journeys[key[0]] = n
                        trace_name = f"{key[0]}" + (f" #{n}" if n > 1 else "")
                        out.write(f'  <trace>\n    <string key="concept:name" '
                                  f"value={_xml_attr(trace_name)}/>\n")  # fmt: skip
                    out.write(_xes_event(row, str(label), activity))
                    written += 1
            out.write("  </trace>\n" if trace is not None else "")
            out.write("</log>\n")
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise
    return written


def _xes_event(row: dict[str, Any], label: str, activity: str) -> str:
    parts = [f'      <string key="concept:name" value={_xml_attr(label)}/>']
    when = row.get(TIMESTAMP)
    if isinstance(when, dt.datetime):
        when = (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).isoformat()
    if when is not None:
        parts.append(f'      <date key="time:timestamp" value={_xml_attr(str(when))}/>')
    if activity == "step" and row.get(EVENT) is not None:
        parts.append(f'      <string key="event" value={_xml_attr(str(row[EVENT]))}/>')
    for key, value in row.items():
        if key in _NOT_ATTRIBUTES or value is None or key.startswith("_"):
            continue
        if activity == "step" and key == "step":
            continue
        parts.append(f"      {_xes_value(key, value)}")
    return "    <event>\n" + "\n".join(parts) + "\n    </event>\n"


def _xes_value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return f'<boolean key={_xml_attr(key)} value="{"true" if value else "false"}"/>'
    if isinstance(value, int):
        return f'<int key={_xml_attr(key)} value="{value}"/>'
    if isinstance(value, float):
        return f'<float key={_xml_attr(key)} value="{value!r}"/>'
    return f"<string key={_xml_attr(key)} value={_xml_attr(str(value))}/>"


def _xml_attr(text: str) -> str:
    """A quoted XML attribute value, with characters XML cannot hold replaced."""
    from xml.sax.saxutils import quoteattr

    return quoteattr(text.translate(_CONTROL_TABLE))
