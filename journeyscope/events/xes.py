"""Stream IEEE XES event logs (``.xes`` or gzip-compressed ``.xes.gz``) as Arrow record batches.

Each ``<event>`` becomes one row and every value stays the text written in the file (all columns
are ``pa.string()``); parsing timestamps and time zones is left to the caller. Columns:

* ``customer_id`` - the trace's ``concept:name``; ``ts`` - the event's ``time:timestamp``;
  ``event`` - the event's ``concept:name``; ``channel`` - the event's ``channel`` attribute;
* every other event attribute under its own key (``org:resource``, ``lifecycle:transition``...),
  in first-seen order;
* every other trace attribute as ``case:<key>`` (pm4py's naming), repeated on each event.

Missing values are null. Only attributes that are direct children of a ``<trace>`` or ``<event>``
are read: values nested in ``<list>``/``<container>`` elements and meta-attributes are ignored,
as are log-level attributes and ``<global>`` defaults. Event attributes named ``customer_id``,
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

import gzip
import io
import os
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Iterator
from functools import lru_cache
from xml.parsers import expat

import pyarrow as pa

from .schema import CHANNEL, CUSTOMER, EVENT, TIMESTAMP

__all__ = ["read_xes", "xes_columns"]

#: A gzip file may inflate to this many times its size (XES text packs about 10-40 times) ...
MAX_GZIP_RATIO = 200
#: ... or to this many bytes, whichever is more.
MIN_GZIP_LIMIT = 256 * 1024 * 1024

_GZIP_MAGIC = b"\x1f\x8b"
_VALUE_TAGS = frozenset({"string", "date", "int", "float", "boolean", "id"})
_EVENT_KEYS = {"concept:name": EVENT, "time:timestamp": TIMESTAMP, CHANNEL: CHANNEL}
_CLASHING = frozenset({CUSTOMER, TIMESTAMP, EVENT})
_CORE = (CUSTOMER, TIMESTAMP, EVENT, CHANNEL)

_Row = dict[str, str]
_Trace = tuple[_Row, list[_Row]]  # (trace attributes by key, event rows by column)


def read_xes(path: str | os.PathLike[str], batch_size: int = 100_000) -> Iterator[pa.RecordBatch]:
    """Batches of at most ``batch_size`` events, in file order, all with :func:`xes_columns`.

    The key pass runs now, so a missing, broken or non-XES file raises before the first batch.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1 (got {batch_size})")
    schema = pa.schema([(column, pa.string()) for column in xes_columns(path)])
    return _batches(path, schema, batch_size)


def xes_columns(path: str | os.PathLike[str]) -> list[str]:
    """All columns :func:`read_xes` yields: the core four, event keys, then ``case:`` keys."""
    stat = os.stat(path)
    return list(_cached_columns(os.path.abspath(path), stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=16)
def _cached_columns(path: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    """Callers often ask for the columns and then the rows: do the key pass once per version."""
    event_columns: dict[str, None] = dict.fromkeys(_CORE)
    case_columns: dict[str, None] = {}
    for trace, rows in _traces(path):
        case_columns.update(dict.fromkeys(_case_row(trace)))
        for row in rows:
            event_columns.update(dict.fromkeys(row))
    return (*event_columns, *(c for c in case_columns if c not in event_columns))


def _batches(
    path: str | os.PathLike[str], schema: pa.Schema, batch_size: int
) -> Iterator[pa.RecordBatch]:
    pending: list[_Row] = []
    for trace, rows in _traces(path):
        case = _case_row(trace)
        pending.extend({**case, **row} for row in rows)
        while len(pending) >= batch_size:
            yield pa.RecordBatch.from_pylist(pending[:batch_size], schema=schema)
            del pending[:batch_size]
    if pending:
        yield pa.RecordBatch.from_pylist(pending, schema=schema)


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
            _refuse_doctype(probe, path)
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


def _refuse_doctype(stream: io.BufferedIOBase, path: str | os.PathLike[str]) -> None:
    """Read up to the root element and refuse a ``<!DOCTYPE``: its entities are never
    declared, let alone expanded or fetched. Syntax errors are left to the main parse."""

    def doctype(*_: object) -> None:
        raise ValueError(
            f"{os.fspath(path)}: has a document type declaration (<!DOCTYPE ...>); XES logs "
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
