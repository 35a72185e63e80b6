"""The one place SQL text is made from data: identifiers, literals, one statement per call.

Every query builder (DuckDB and Spark alike, events, analytics, insights) quotes names with
:func:`ident` and values with :func:`literal`; nothing else pastes data into SQL. A column name
or value that carries SQL stays a name or a value:

>>> ident('a"; DROP TABLE events; --')
'"a""; DROP TABLE events; --"'
>>> literal("it's")
"'it''s'"
>>> literal(None), literal(True), literal(3), literal(2.5)
('NULL', 'TRUE', '3', '2.5')
>>> literal(float("nan"))
Traceback (most recent call last):
...
ValueError: a number in a query must be finite (got nan)
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

__all__ = ["QueryError", "Table", "backquoted", "ident", "literal", "qualified"]


class QueryError(ValueError):
    """A query failed inside an engine on this data. ``str()`` is a plain sentence for users;
    the SQL and the engine's own message stay in ``detail`` for the server log, never on a
    page. A ``ValueError``: whatever reports bad input reports this too."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.detail = detail


def ident(name: str) -> str:
    """A SQL identifier (column, table, alias), double-quoted; embedded quotes doubled. NUL
    characters cannot be part of a name in any engine and are refused."""
    text = str(name)
    if "\x00" in text:
        raise ValueError("a name cannot contain a NUL character")
    return '"' + text.replace('"', '""') + '"'


def backquoted(name: str) -> str:
    """A column name as Spark's DataFrame API reads it (``F.col``): back-quoted, embedded
    back quotes doubled, so a dot or a space stays part of the name.

    >>> backquoted("a.b`c")
    '`a.b``c`'
    """
    return "`" + str(name).replace("`", "``") + "`"


@dataclass(frozen=True)
class Table:
    """A table or view one module makes for the queries of others: its name and the columns it
    declares. In SQL text it stands for its quoted name, so queries name it through the
    handle, never by a literal:

    >>> visits = Table("visits", ("jid", "sid", "pos"))
    >>> f"SELECT jid FROM {visits} WHERE pos = 1", visits.columns
    ('SELECT jid FROM "visits" WHERE pos = 1', ('jid', 'sid', 'pos'))
    """

    name: str
    columns: tuple[str, ...] = ()

    def __str__(self) -> str:
        return ident(self.name)


def qualified(table: str, column: str) -> str:
    """``alias.column`` with the column quoted (``table`` is one of our own aliases)."""
    return f"{table}.{ident(column)}"


def literal(value: Any) -> str:
    """A SQL literal for a Python value: text single-quoted with quotes doubled, finite numbers,
    booleans, NULL, dates and times as typed literals. Anything else is refused."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"a number in a query must be finite (got {value})")
        return repr(value)
    if isinstance(value, dt.datetime):  # naive times are UTC, as every loaded event's are
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return f"TIMESTAMPTZ '{value.astimezone(dt.UTC).isoformat()}'"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("a text value in a query cannot contain a NUL character")
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"cannot write a {type(value).__name__} as a SQL literal")
