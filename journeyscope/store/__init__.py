"""The team workspace's storage: workspaces, users, maps and their versions, comments,
decisions and analyses, in SQLite (default) or PostgreSQL, migrated by Alembic.

>>> store = open_store("sqlite://")
>>> user = store.create_user("ana@example.com", "Ana", "correct horse")
>>> store.authenticate("ana@example.com", "wrong") is None
True
"""

from __future__ import annotations

from sqlalchemy import Engine

from .accounts import AccountsStore, hash_secret
from .db import current_revision, head_revision, make_engine, sqlite_url, upgrade
from .evidence import EvidenceStore
from .maps import MapsStore
from .schema import ANALYSIS_STATES, DECISIONS, ROLES
from .values import (
    AnalysisInfo,
    CommentInfo,
    Conflict,
    DecisionInfo,
    InviteInfo,
    MapInfo,
    MemberInfo,
    NotFound,
    StaleVersion,
    StoreError,
    TokenInfo,
    UserInfo,
    VersionInfo,
    WorkspaceInfo,
)


class Store(AccountsStore, MapsStore, EvidenceStore):
    """Every storage operation the web app and the CLI need, over one SQLAlchemy engine."""

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str, migrate: bool = True) -> Store:
    """Connect to ``url`` and (by default) bring its schema up to date."""
    engine: Engine = make_engine(url)
    if migrate:
        upgrade(engine)
    return Store(engine)


__all__ = [
    "ANALYSIS_STATES",
    "DECISIONS",
    "ROLES",
    "AnalysisInfo",
    "CommentInfo",
    "Conflict",
    "DecisionInfo",
    "InviteInfo",
    "MapInfo",
    "MemberInfo",
    "NotFound",
    "StaleVersion",
    "Store",
    "StoreError",
    "TokenInfo",
    "UserInfo",
    "VersionInfo",
    "WorkspaceInfo",
    "current_revision",
    "hash_secret",
    "head_revision",
    "make_engine",
    "open_store",
    "sqlite_url",
    "upgrade",
]
