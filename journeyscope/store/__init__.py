"""The team workspace's storage: workspaces, users, maps and their versions, comments,
decisions and analyses, in SQLite (default) or PostgreSQL, migrated by Alembic.

>>> store = open_store("sqlite://")
>>> user = store.create_user("ana@example.com", "Ana", "correct horse")
>>> store.authenticate("ana@example.com", "wrong") is None
True
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from ._base import check_text
from .accounts import MAX_PASSWORD, AccountsStore
from .db import current_revision, head_revision, make_engine, sqlite_url, upgrade
from .evidence import ConnectionInfo, EvidenceStore, SourceFileInfo, SourceInfo, SourcesStore
from .images import ImagesStore, StoredImage
from .live import PRESENCE_TTL, LiveStore, PresenceInfo
from .maps import MapsStore
from .notifications import MapStatusInfo, NotificationInfo, NotificationsStore, Preferences
from .schema import (
    ANALYSIS_STATES,
    CONNECTION_KINDS,
    DECISIONS,
    DIGESTS,
    MAP_STATES,
    REFRESH_INTERVALS,
    ROLES,
    SOURCE_ROLES,
    TOKEN_SCOPES,
)
from .sessions import SessionsStore, hash_secret
from .shares import ShareInfo, SharesStore, clean_tags
from .values import (
    AnalysisInfo,
    CommentInfo,
    Conflict,
    DecisionInfo,
    InvalidValue,
    InviteInfo,
    MapInfo,
    MemberInfo,
    NotFound,
    StaleVersion,
    StoreError,
    TokenAuth,
    TokenInfo,
    UserInfo,
    VersionInfo,
    WorkspaceInfo,
)


class Store(
    AccountsStore,
    SessionsStore,
    MapsStore,
    EvidenceStore,
    SourcesStore,
    NotificationsStore,
    SharesStore,
    LiveStore,
    ImagesStore,
):
    """Every storage operation the web app and the CLI need, over one SQLAlchemy engine."""

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str, migrate: bool = True, **engine_options: Any) -> Store:
    """Connect to ``url`` and (by default) bring its schema up to date; ``engine_options`` go
    to :func:`make_engine` (e.g. ``pool_size`` for PostgreSQL)."""
    engine: Engine = make_engine(url, **engine_options)
    if migrate:
        upgrade(engine)
    return Store(engine)


__all__ = [
    "ANALYSIS_STATES",
    "CONNECTION_KINDS",
    "DECISIONS",
    "DIGESTS",
    "MAP_STATES",
    "MAX_PASSWORD",
    "PRESENCE_TTL",
    "REFRESH_INTERVALS",
    "ROLES",
    "SOURCE_ROLES",
    "TOKEN_SCOPES",
    "AnalysisInfo",
    "CommentInfo",
    "Conflict",
    "ConnectionInfo",
    "DecisionInfo",
    "InvalidValue",
    "InviteInfo",
    "MapInfo",
    "MapStatusInfo",
    "MemberInfo",
    "NotFound",
    "NotificationInfo",
    "Preferences",
    "PresenceInfo",
    "ShareInfo",
    "SourceFileInfo",
    "SourceInfo",
    "StaleVersion",
    "Store",
    "StoreError",
    "StoredImage",
    "TokenAuth",
    "TokenInfo",
    "UserInfo",
    "VersionInfo",
    "WorkspaceInfo",
    "check_text",
    "clean_tags",
    "current_revision",
    "hash_secret",
    "head_revision",
    "make_engine",
    "open_store",
    "sqlite_url",
    "upgrade",
]
