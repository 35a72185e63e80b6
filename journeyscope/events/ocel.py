"""Read OCEL 2.0 object-centric event logs (JSON, XML and SQLite) with one object type as the
customer, and write the bound log back out as OCEL 2.0 JSON.

An object-centric log has no single case: each event is related to any number of objects
(orders, items, packages...). Choosing an object type makes one journey per object of that
type, as pm4py's ``ocel_flattening`` does: the rows are the events related to the object, an
event related to two orders is in both orders' journeys. Columns (all text, as written):

* ``customer_id`` - the object's id; ``ts`` - the event's time; ``event`` - the event's type;
* ``ocel:eid`` - the event's id; ``ocel:qualifier`` - how the event is related to the object;
* every event attribute under its own name (an attribute named ``customer_id``, ``ts``,
  ``event`` or ``seq`` would clash and is left out; one named ``channel`` is the channel).

The objects of the chosen type are the customers (those with at least one event, as in pm4py):
one row each with ``customer_id`` and every object attribute at its latest value (attributes
change over time in OCEL 2.0; the one with the latest time wins, ties by the order in the
file). Object-to-object relations are not followed.

The log is read into memory (OCEL files are documents, not streams). As with XES, an XML file
with a document type declaration is refused, never expanded.
"""

from __future__ import annotations

import json
import os
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ..sql import ident
from .schema import CUSTOMER, EVENT, SEQUENCE, TIMESTAMP
from .xes import refuse_doctype

if TYPE_CHECKING:
    import duckdb

    from .sources import Source

__all__ = [
    "OcelEvent",
    "OcelLog",
    "OcelObject",
    "ocel_document",
    "ocel_tables",
    "open_ocel",
    "read_ocel",
    "write_ocel_json",
]

_SQLITE_MAGIC = b"SQLite format 3\x00"
_CLASHING = frozenset({CUSTOMER, TIMESTAMP, EVENT, SEQUENCE, "ocel:eid", "ocel:qualifier"})


@dataclass
class OcelEvent:
    """One event: its id, type, time (as written), attributes and related objects."""

    id: str
    type: str
    time: str
    attributes: dict[str, str] = field(default_factory=dict)
    #: (object id, qualifier) in the order written
    objects: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class OcelObject:
    """One object: its id, type and attribute values over time ``(name, time, value)``."""

    id: str
    type: str
    values: list[tuple[str, str, str]] = field(default_factory=list)

    def latest(self) -> dict[str, str]:
        """Each attribute at its latest value (ties: the later in the file)."""
        order = sorted(enumerate(self.values), key=lambda item: (_instant(item[1][1]), item[0]))
        return {name: value for _, (name, _time, value) in order}


@dataclass
class OcelLog:
    """An OCEL 2.0 log as read: object types, events and objects in file order."""

    path: str
    object_types: list[str]
    events: list[OcelEvent]
    objects: dict[str, OcelObject]


def read_ocel(path: str | os.PathLike[str]) -> OcelLog:
    """The log in ``path``, whichever flavour it is (told by its first bytes, not its name)."""
    with open(path, "rb") as probe:
        head = probe.read(64)
    text = os.fspath(path)
    try:
        if head.startswith(_SQLITE_MAGIC):
            return _read_sqlite(text)
        if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            return _read_xml(text)
        return _read_json(text)
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"{text}: not an OCEL 2.0 log ({type(error).__name__}: {error})") from None


def ocel_tables(log: OcelLog, object_type: str | None = None) -> tuple[pa.Table, pa.Table]:
    """The events of each object of ``object_type`` (one journey per object) and those objects
    as customers, both all text. ``object_type`` may be left out when the log has one type."""
    object_type = _chosen_type(log, object_type)
    chosen = {oid for oid, o in log.objects.items() if o.type == object_type}
    keys = list(dict.fromkeys(k for e in log.events for k in e.attributes if k not in _CLASHING))
    columns = [CUSTOMER, TIMESTAMP, EVENT, "ocel:eid", "ocel:qualifier", *keys]
    rows: dict[str, list[str | None]] = {c: [] for c in columns}
    for event in log.events:
        seen: set[str] = set()
        for oid, qualifier in event.objects:
            if oid not in chosen or oid in seen:
                continue  # pm4py's flattening puts an event once in each object's journey
            seen.add(oid)
            values = [oid, event.time, event.type, event.id, qualifier]
            for column, value in zip(
                columns, values + [event.attributes.get(k) for k in keys], strict=True
            ):
                rows[column].append(value)
    events = pa.table({c: pa.array(v, pa.string()) for c, v in rows.items()})
    related = set(rows[CUSTOMER])  # as pm4py: an object no event is related to is left out
    ids = [oid for oid in log.objects if oid in related]
    return events, _customers(log, ids)


def _customers(log: OcelLog, ids: list[str]) -> pa.Table:
    latest = [log.objects[oid].latest() for oid in ids]
    names = list(dict.fromkeys(k for values in latest for k in values if k != CUSTOMER))
    data: dict[str, list[str | None]] = {CUSTOMER: list(ids)}
    data.update({name: [values.get(name) for values in latest] for name in names})
    return pa.table({c: pa.array(v, pa.string()) for c, v in data.items()})


def _chosen_type(log: OcelLog, object_type: str | None) -> str:
    types = log.object_types or sorted({o.type for o in log.objects.values()})
    if object_type is None and len(types) == 1:
        return types[0]
    if object_type is None or object_type not in types:
        said = (
            "no object type was chosen"
            if object_type is None
            else (f"it has no object type {object_type!r}")
        )
        raise ValueError(
            f"{log.path}: {said}; choose which objects are the customers with "
            f"ocel:{log.path}::TYPE, one of: {', '.join(types)}"
        )
    return object_type


def open_ocel(con: duckdb.DuckDBPyConnection, spec: Any, name: str, ordered: bool) -> Source:
    """The event reader: ``FILE::TYPE`` (after ``ocel:``) or a path with an OCEL suffix (then
    the log must have one object type). The objects go along as the load's customers."""
    from .sources import Source

    text = os.fspath(spec)
    file, sep, object_type = text.rpartition("::")
    if not sep:
        file, object_type = text, ""
    if not Path(file).is_file():
        raise FileNotFoundError(f"no such OCEL file: {file}")
    events, customers = ocel_tables(read_ocel(file), object_type or None)
    con.register("_ocel_events", events)
    con.execute(f"CREATE TABLE {ident(name)} AS SELECT * FROM _ocel_events")
    con.unregister("_ocel_events")
    label = f"{file}::{object_type}" if object_type else file
    return Source(label=label, all_text=True, sequence="rowid + 1", customers=customers)


def _read_json(path: str) -> OcelLog:
    try:
        with open(path, encoding="utf-8-sig") as handle:
            data = json.load(handle)
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} (line {error.lineno}): not valid JSON: {error.msg}") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 text (byte {error.start + 1})") from None
    if not isinstance(data, dict) or "events" not in data or "objects" not in data:
        raise ValueError(f'{path}: not an OCEL 2.0 JSON log (no "events" and "objects")')
    events = _each(path, data["events"], "event", _json_event)
    objects = {o.id: o for o in _each(path, data["objects"], "object", _json_object)}
    types = [_text(t["name"]) for t in data.get("objectTypes") or []]
    return OcelLog(path, types, events, objects)


def _json_event(e: dict[str, Any]) -> OcelEvent:
    attributes = {a["name"]: _text(a["value"]) for a in e.get("attributes") or []}
    related = [
        (_text(r["objectId"]), _text(r.get("qualifier"))) for r in e.get("relationships") or []
    ]
    return OcelEvent(_text(e["id"]), _text(e["type"]), _text(e["time"]), attributes, related)


def _json_object(o: dict[str, Any]) -> OcelObject:
    values = [
        (a["name"], _text(a.get("time")), _text(a["value"])) for a in o.get("attributes") or []
    ]
    return OcelObject(_text(o["id"]), _text(o["type"]), values)


def _each(path: str, items: Any, what: str, read: Any) -> list[Any]:
    """``read`` of each item of a JSON list; a malformed one is a ``ValueError`` naming it."""
    if not isinstance(items, list):
        raise ValueError(f'{path}: "{what}s" is not a list')
    out = []
    for n, item in enumerate(items, 1):
        try:
            out.append(read(item))
        except KeyError as error:
            raise ValueError(
                f"{path}: {what} {n} has no {error}, which OCEL 2.0 requires"
            ) from None
        except (TypeError, AttributeError):
            raise ValueError(f"{path}: {what} {n} is not written as OCEL 2.0 says") from None
    return out


def _read_xml(path: str) -> OcelLog:
    with open(path, "rb") as probe:
        refuse_doctype(probe, path, "OCEL")
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as error:
        line = f" (line {error.position[0]})" if error.position else ""
        raise ValueError(f"{path}{line}: not well-formed XML: {error}") from None
    if _local(root.tag) != "log":
        raise ValueError(f"{path}: not an OCEL 2.0 XML log (root element is <{root.tag}>)")
    types = [t.get("name", "") for t in _children(root, "object-types", "object-type")]
    events = [
        OcelEvent(
            e.get("id", ""),
            e.get("type", ""),
            e.get("time", ""),
            {a.get("name", ""): a.text or "" for a in _children(e, "attributes", "attribute")},
            [
                (r.get("object-id", ""), r.get("qualifier", ""))
                for r in _children(e, "objects", "relationship")
            ],
        )
        for e in _children(root, "events", "event")
    ]
    objects = {
        o.get("id", ""): OcelObject(
            o.get("id", ""),
            o.get("type", ""),
            [
                (a.get("name", ""), a.get("time", ""), a.text or "")
                for a in _children(o, "attributes", "attribute")
            ],
        )
        for o in _children(root, "objects", "object")
    }
    return OcelLog(path, types, events, objects)


def _children(element: ET.Element, group: str, tag: str) -> Iterator[ET.Element]:
    """The ``tag`` elements inside ``element``'s ``group`` elements (namespaces ignored)."""
    for child in element:
        if _local(child.tag) == group:
            yield from (item for item in child if _local(item.tag) == tag)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _read_sqlite(path: str) -> OcelLog:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        # a log comes from anywhere: no function of its schema runs, nothing is written
        db.execute("PRAGMA trusted_schema = OFF")
        db.execute("PRAGMA query_only = ON")
        return _sqlite_log(db, path)
    except sqlite3.Error as error:
        raise ValueError(f"{path}: not an OCEL 2.0 SQLite log: {error}") from None
    finally:
        db.close()


def _sqlite_log(db: sqlite3.Connection, path: str) -> OcelLog:
    db.row_factory = sqlite3.Row
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def rows(table: str) -> list[sqlite3.Row]:
        """A table's rows in file order; only tables are read (a view could run anything)."""
        if table not in tables:
            raise ValueError(f"{path}: not an OCEL 2.0 SQLite log: it has no table {table!r}")
        return db.execute(f"SELECT * FROM {ident(table)} ORDER BY rowid").fetchall()

    relations: dict[str, list[tuple[str, str]]] = {}
    for r in rows("event_object"):
        relations.setdefault(str(r["ocel_event_id"]), []).append(
            (str(r["ocel_object_id"]), _text(r["ocel_qualifier"]))
        )
    listed = rows("event")
    kinds = {str(r["ocel_id"]): str(r["ocel_type"]) for r in listed}
    events: list[OcelEvent] = []
    for kind, table in _type_tables(rows("event_map_type"), "event_"):
        for r in rows(table):
            eid = str(r["ocel_id"])
            attributes = _row_values(r, ("ocel_id", "ocel_time"))
            time, related = _text(r["ocel_time"]), relations.get(eid, [])
            events.append(OcelEvent(eid, kinds.get(eid, kind), time, attributes, related))
    order = {str(r["ocel_id"]): n for n, r in enumerate(listed)}
    events.sort(key=lambda e: order.get(e.id, len(order)))
    objects = {
        str(r["ocel_id"]): OcelObject(str(r["ocel_id"]), str(r["ocel_type"]))
        for r in rows("object")
    }
    types = list(dict.fromkeys(o.type for o in objects.values()))
    for _kind, table in _type_tables(rows("object_map_type"), "object_"):
        for r in rows(table):
            skip = ("ocel_id", "ocel_time", "ocel_changed_field")
            found = objects.get(str(r["ocel_id"]))
            if found is not None:
                time = _text(r["ocel_time"])
                found.values += [(k, time, v) for k, v in _row_values(r, skip).items()]
    return OcelLog(path, types, events, objects)


def _type_tables(rows: Iterable[sqlite3.Row], prefix: str) -> Iterator[tuple[str, str]]:
    for r in rows:
        yield str(r["ocel_type"]), prefix + str(r["ocel_type_map"])


def _row_values(row: sqlite3.Row, skip: tuple[str, ...]) -> dict[str, str]:
    """A row's attribute columns that have a value, as text."""
    return {k: _text(row[k]) for k in row.keys() if k not in skip and row[k] is not None}  # noqa: SIM118 (a Row iterates its values)


def _text(value: Any) -> str:
    """A value as OCEL writes it in text: JSON numbers and booleans as JSON spells them."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _instant(text: str) -> tuple[int, str]:
    """An attribute time for ordering: OCEL's "1970-01-01" (or "0", or none) is the object's
    initial value, before any change; others order as ISO text after them."""
    if not text or text == "0" or text.startswith("1970-01-01T00:00:00"):
        return (0, "")
    return (1, _utc(text))


def _utc(text: str) -> str:
    import datetime as dt

    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat()


# -- writing ---------------------------------------------------------------------------------

#: columns of a bound log that are not event attributes in the OCEL file
_NOT_ATTRIBUTES = frozenset({CUSTOMER, TIMESTAMP, EVENT, SEQUENCE, "jid"})


def write_ocel_json(
    events: pa.Table,
    path: str | os.PathLike[str],
    *,
    object_type: str = "customer",
    object_attributes: list[str] | None = None,
) -> int:
    """Write events (``customer_id``, ``ts``, ``event``, and any of ``step``, ``touchpoint``,
    ``channel`` and attributes), in time order, as an OCEL 2.0 JSON log: one object of type
    ``object_type`` per customer, each event related to its customer (qualifier ``customer``),
    the columns named in ``object_attributes`` (the customers' own) attributes of the objects,
    the others event attributes (text; ``step`` is the map step the event binds to).
    Written atomically. Returns the number of events written."""
    from ..formats import atomic_write_text

    document = ocel_document(events, object_type, object_attributes or [])
    atomic_write_text(Path(path), json.dumps(document, ensure_ascii=False, indent=1) + "\n")
    return len(document["events"])


def ocel_document(
    events: pa.Table, object_type: str = "customer", object_attributes: list[str] | None = None
) -> dict[str, Any]:
    """The OCEL 2.0 JSON document :func:`write_ocel_json` writes."""
    own = [c for c in object_attributes or [] if c in events.column_names]
    # ocel:* names are the format's own (pm4py reads ocel:eid as the event id): left out
    names = [
        c
        for c in events.column_names
        if c not in _NOT_ATTRIBUTES and c not in own and not c.startswith(("_", "ocel:"))
    ]
    kinds: dict[str, set[str]] = {}
    out_events: list[dict[str, Any]] = []
    objects: dict[str, dict[str, Any]] = {}
    for n, row in enumerate(events.to_pylist(), 1):
        customer, kind = str(row[CUSTOMER]), str(row[EVENT])
        if customer not in objects:
            values = [(k, row.get(k)) for k in own]
            objects[customer] = {"id": customer, "type": object_type, "attributes": [
                {"name": k, "time": _INITIAL, "value": _text(v)} for k, v in values if v is not None
            ]}  # fmt: skip
        attributes = [{"name": k, "value": _text(row[k])} for k in names if row.get(k) is not None]
        kinds.setdefault(kind, set()).update(a["name"] for a in attributes)
        out_events.append({
            "id": f"e{n}", "type": kind, "time": _utc_text(row[TIMESTAMP]),
            "attributes": attributes,
            "relationships": [{"objectId": customer, "qualifier": "customer"}],
        })  # fmt: skip
    return {
        "objectTypes": [
            {"name": object_type, "attributes": [{"name": a, "type": "string"} for a in own]}
        ],
        "eventTypes": [
            {
                "name": kind,
                "attributes": [{"name": a, "type": "string"} for a in names if a in used],
            }
            for kind, used in kinds.items()
        ],
        "objects": list(objects.values()),
        "events": out_events,
    }


#: OCEL 2.0's time of an attribute's initial value
_INITIAL = "1970-01-01T00:00:00Z"


def _utc_text(when: Any) -> str:
    import datetime as dt

    if isinstance(when, dt.datetime):
        when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
        return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return str(when)
