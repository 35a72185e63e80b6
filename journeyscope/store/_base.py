"""The session factory every part of the store shares, and the checks every write passes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, String, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from .values import InvalidValue


class StoreBase:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        event.listen(self._sessions, "before_flush", _check_values)

    def session(self) -> Session:
        return self._sessions()


def aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; the store writes UTC, so say so."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def check_text(value: str, label: str, limit: int | None) -> None:
    """The rule every stored or searched text follows, on SQLite and PostgreSQL alike: at most
    ``limit`` characters (SQLite would keep more, PostgreSQL refuses) and no NUL character
    (PostgreSQL refuses it)."""
    if limit is not None and len(value) > limit:
        raise InvalidValue(f"the {label} is too long: at most {limit:,} characters")
    if "\x00" in value:
        raise InvalidValue(f"the {label} contains a NUL character")


def _check_values(session: Session, _context: Any, _instances: Any) -> None:
    for row in (*session.new, *session.dirty):
        for column in inspect(row).mapper.columns:
            value = getattr(row, column.key, None)
            if isinstance(value, str):
                limit = column.type.length if isinstance(column.type, String) else None
                check_text(value, column.key.replace("_", " "), limit)
