"""Write the OCEL 2.0 samples of this folder (JSON, XML and SQLite) from one description.

Run from the repository root: ``python tests/data/ocel/make_ocel_samples.py``. The files follow the
OCEL 2.0 specification (https://www.ocel-standard.org/, "OCEL 2.0 Specification", sections on
the JSON, XML and SQLite formats); tests/test_interop.py reads them with pm4py's own OCEL 2.0
readers as the oracle. A small order-to-delivery process: orders, their items and packages; one
event is listed out of time order and two share a time, as real exports do.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

HERE = Path(__file__).parent
INITIAL = "1970-01-01T00:00:00Z"  # OCEL 2.0: an attribute's value from the object's start

OBJECT_TYPES = {
    "order": [("price", "float"), ("region", "string")],
    "item": [("weight", "float")],
    "package": [("carrier", "string")],
}
EVENT_TYPES = {
    "place order": [("channel", "string")],
    "confirm order": [("clerk", "string")],
    "pick item": [],
    "pay order": [("channel", "string"), ("amount", "float")],
    "create package": [],
    "send package": [],
    "cancel order": [],
}
# id, type, [(attribute, time, value)], [(object id, qualifier)]
OBJECTS = [
    (
        "o1",
        "order",
        [
            ("price", INITIAL, "120.5"),
            ("region", INITIAL, "north"),
            ("price", "2024-03-02T09:00:00Z", "99.0"),
        ],
        [("i1", "comprises"), ("i2", "comprises")],
    ),
    (
        "o2",
        "order",
        [("price", INITIAL, "40.0"), ("region", INITIAL, "south")],
        [("i3", "comprises")],
    ),
    (
        "o3",
        "order",
        [("price", INITIAL, "15.0"), ("region", INITIAL, "north")],
        [("i4", "comprises")],
    ),
    ("i1", "item", [("weight", INITIAL, "1.5")], []),
    ("i2", "item", [("weight", INITIAL, "0.25")], []),
    ("i3", "item", [("weight", INITIAL, "3.0")], []),
    ("i4", "item", [("weight", INITIAL, "0.5")], []),
    (
        "p1",
        "package",
        [("carrier", INITIAL, "PostNord")],
        [("i1", "contains"), ("i2", "contains"), ("i3", "contains")],
    ),
    ("p2", "package", [("carrier", INITIAL, "DHL")], [("i4", "contains")]),
]
# id, type, time, {attribute: value}, [(object id, qualifier)]
EVENTS = [
    (
        "e1",
        "place order",
        "2024-03-01T10:00:00Z",
        {"channel": "web"},
        [("o1", "placed"), ("i1", "item"), ("i2", "item")],
    ),
    (
        "e2",
        "place order",
        "2024-03-01T11:30:00+02:00",
        {"channel": "app"},
        [("o2", "placed"), ("i3", "item")],
    ),
    ("e3", "confirm order", "2024-03-01T12:00:00Z", {"clerk": "Ana"}, [("o1", "confirmed")]),
    ("e4", "pick item", "2024-03-02T08:00:00Z", {}, [("i1", "picked"), ("o1", "for")]),
    (
        "e6",
        "place order",
        "2024-03-02T10:00:00Z",
        {"channel": "web"},
        [("o3", "placed"), ("i4", "item")],
    ),
    ("e5", "pick item", "2024-03-02T08:00:00Z", {}, [("i2", "picked"), ("o1", "for")]),
    (
        "e7",
        "pay order",
        "2024-03-02T12:00:00Z",
        {"channel": "web", "amount": "99.0"},
        [("o1", "paid")],
    ),
    (
        "e8",
        "create package",
        "2024-03-03T09:00:00Z",
        {},
        [("p1", "created"), ("i1", "packed"), ("i2", "packed"), ("i3", "packed")],
    ),
    ("e9", "send package", "2024-03-03T15:00:00Z", {}, [("p1", "sent")]),
    (
        "e10",
        "pay order",
        "2024-03-03T16:00:00Z",
        {"channel": "phone", "amount": "40.0"},
        [("o2", "paid")],
    ),
    ("e11", "confirm order", "2024-03-04T09:00:00Z", {"clerk": "Ben"}, [("o2", "confirmed")]),
    ("e12", "cancel order", "2024-03-04T10:00:00Z", {}, [("o3", "cancelled")]),
]


def _typed(kind: str, value: str) -> object:
    return float(value) if kind == "float" else value


def write_json(path: Path) -> None:
    def types(table: dict[str, list[tuple[str, str]]]) -> list[dict[str, object]]:
        return [
            {"name": name, "attributes": [{"name": a, "type": t} for a, t in attrs]}
            for name, attrs in table.items()
        ]

    kinds = {name: dict(attrs) for name, attrs in {**OBJECT_TYPES, **EVENT_TYPES}.items()}
    document = {
        "objectTypes": types(OBJECT_TYPES),
        "eventTypes": types(EVENT_TYPES),
        "objects": [
            {
                "id": oid,
                "type": kind,
                "attributes": [
                    {"name": a, "time": t, "value": _typed(kinds[kind][a], v)} for a, t, v in values
                ],
                "relationships": [{"objectId": o, "qualifier": q} for o, q in related],
            }
            for oid, kind, values, related in OBJECTS
        ],
        "events": [
            {
                "id": eid,
                "type": kind,
                "time": time,
                "attributes": [
                    {"name": a, "value": _typed(kinds[kind][a], v)} for a, v in attrs.items()
                ],
                "relationships": [{"objectId": o, "qualifier": q} for o, q in related],
            }
            for eid, kind, time, attrs, related in EVENTS
        ],
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def write_xml(path: Path) -> None:
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<log>"]

    def types(tag: str, table: dict[str, list[tuple[str, str]]]) -> None:
        out.append(f"  <{tag}s>")
        for name, attrs in table.items():
            out.append(f"    <{tag} name={quoteattr(name)}>")
            out.append("      <attributes>")
            out.extend(
                [f"        <attribute name={quoteattr(a)} type={quoteattr(t)}/>" for a, t in attrs]
            )
            out.extend(["      </attributes>", f"    </{tag}>"])
        out.append(f"  </{tag}s>")

    def relationships(related: list[tuple[str, str]], indent: str) -> None:
        out.append(f"{indent}<objects>")
        out.extend(
            [
                f"{indent}  <relationship object-id={quoteattr(o)} qualifier={quoteattr(q)}/>"
                for o, q in related
            ]
        )
        out.append(f"{indent}</objects>")

    types("object-type", OBJECT_TYPES)
    types("event-type", EVENT_TYPES)
    out.append("  <objects>")
    for oid, kind, values, related in OBJECTS:
        out.extend(
            [f"    <object id={quoteattr(oid)} type={quoteattr(kind)}>", "      <attributes>"]
        )
        out.extend(
            [
                f"        <attribute name={quoteattr(a)} time={quoteattr(t)}>"
                f"{escape(v)}</attribute>"
                for a, t, v in values
            ]
        )
        out.append("      </attributes>")
        relationships(related, "      ")
        out.append("    </object>")
    out.extend(["  </objects>", "  <events>"])
    for eid, kind, time, attrs, related in EVENTS:
        out.extend(
            [
                f"    <event id={quoteattr(eid)} type={quoteattr(kind)} time={quoteattr(time)}>",
                "      <attributes>",
            ]
        )
        out.extend(
            [
                f"        <attribute name={quoteattr(a)}>{escape(v)}</attribute>"
                for a, v in attrs.items()
            ]
        )
        out.append("      </attributes>")
        relationships(related, "      ")
        out.append("    </event>")
    out.extend(["  </events>", "</log>"])
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def _map(name: str) -> str:
    """The table-name form of a type name (the spec's ``ocel_type_map``)."""
    return "".join(word.capitalize() for word in name.split())


def write_sqlite(path: Path) -> None:
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    sql = {"float": "REAL", "string": "TEXT"}
    db.execute("CREATE TABLE event (ocel_id TEXT PRIMARY KEY, ocel_type TEXT)")
    db.execute("CREATE TABLE object (ocel_id TEXT PRIMARY KEY, ocel_type TEXT)")
    db.execute("CREATE TABLE event_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT)")
    db.execute("CREATE TABLE object_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT)")
    db.execute(
        "CREATE TABLE event_object (ocel_event_id TEXT, ocel_object_id TEXT, "
        "ocel_qualifier TEXT, PRIMARY KEY (ocel_event_id, ocel_object_id, ocel_qualifier))"
    )
    db.execute(
        "CREATE TABLE object_object (ocel_source_id TEXT, ocel_target_id TEXT, "
        "ocel_qualifier TEXT, PRIMARY KEY (ocel_source_id, ocel_target_id, ocel_qualifier))"
    )
    for kind, attrs in EVENT_TYPES.items():
        db.execute("INSERT INTO event_map_type VALUES (?, ?)", (kind, _map(kind)))
        columns = "".join(f', "{a}" {sql[t]}' for a, t in attrs)
        db.execute(
            f'CREATE TABLE "event_{_map(kind)}" (ocel_id TEXT PRIMARY KEY, '
            f"ocel_time TIMESTAMP{columns})"
        )
    for kind, attrs in OBJECT_TYPES.items():
        db.execute("INSERT INTO object_map_type VALUES (?, ?)", (kind, _map(kind)))
        columns = "".join(f', "{a}" {sql[t]}' for a, t in attrs)
        db.execute(
            f'CREATE TABLE "object_{_map(kind)}" (ocel_id TEXT, ocel_time TIMESTAMP, '
            f"ocel_changed_field TEXT{columns})"
        )
    for eid, kind, time, attrs, related in EVENTS:
        db.execute("INSERT INTO event VALUES (?, ?)", (eid, kind))
        names = [a for a, _ in EVENT_TYPES[kind]]
        values = [
            _typed(dict(EVENT_TYPES[kind])[a], attrs[a]) if a in attrs else None for a in names
        ]
        marks = ", ?" * len(names)
        db.execute(f'INSERT INTO "event_{_map(kind)}" VALUES (?, ?{marks})', (eid, time, *values))
        db.executemany(
            "INSERT INTO event_object VALUES (?, ?, ?)", [(eid, o, q) for o, q in related]
        )
    for oid, kind, values, related in OBJECTS:
        db.execute("INSERT INTO object VALUES (?, ?)", (oid, kind))
        names = [a for a, _ in OBJECT_TYPES[kind]]
        types = dict(OBJECT_TYPES[kind])
        initial = {a: _typed(types[a], v) for a, t, v in values if t == INITIAL}
        marks = ", ?" * len(names)
        table = f'"object_{_map(kind)}"'
        db.execute(
            f"INSERT INTO {table} VALUES (?, ?, NULL{marks})",
            (oid, INITIAL, *(initial.get(a) for a in names)),
        )
        for a, t, v in values:
            if t != INITIAL:
                row = [_typed(types[a], v) if n == a else None for n in names]
                db.execute(f"INSERT INTO {table} VALUES (?, ?, ?{marks})", (oid, t, a, *row))
        db.executemany(
            "INSERT INTO object_object VALUES (?, ?, ?)", [(oid, o, q) for o, q in related]
        )
    db.commit()
    db.close()


if __name__ == "__main__":
    write_json(HERE / "orders.jsonocel")
    write_xml(HERE / "orders.xmlocel")
    write_sqlite(HERE / "orders.ocel.sqlite")
