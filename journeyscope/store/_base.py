"""The session factory every part of the store shares."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker


class StoreBase:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def session(self) -> Session:
        return self._sessions()


def aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; the store writes UTC, so say so."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
