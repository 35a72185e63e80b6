"""What the store hands out: plain frozen values, never live ORM rows, plus its errors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..model.diff import Change


class StoreError(Exception):
    """Base of the store's errors."""


class NotFound(StoreError):
    """The thing does not exist, or is not visible from the workspace asked about."""


class Conflict(StoreError):
    """The change clashes with what is stored (an email already taken, a used invite...)."""


class InvalidValue(StoreError):
    """A value the store will not keep: too long for its column, or with a NUL character."""


class StaleVersion(StoreError):
    """A save was based on an older version than the current one."""

    def __init__(self, base: int, current: int, changes: list[Change]):
        self.base = base
        self.current = current
        self.changes = changes
        super().__init__(f"the map is at version {current}, the edit was based on version {base}")


@dataclass(frozen=True)
class UserInfo:
    id: int
    email: str
    name: str
    language: str


@dataclass(frozen=True)
class WorkspaceInfo:
    id: int
    name: str
    role: str = ""


@dataclass(frozen=True)
class MemberInfo:
    user: UserInfo
    role: str


@dataclass(frozen=True)
class MapInfo:
    id: int
    workspace_id: int
    title: str
    current_version: int
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class VersionInfo:
    number: int
    author: str | None
    message: str
    created_at: dt.datetime
    #: what changed from the version before (change dicts, see ``Change.as_dict``); None when
    #: not asked for
    changes: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class CommentInfo:
    id: int
    element_id: str
    author: str | None
    body: str
    created_at: dt.datetime
    parent_id: int | None = None  # a reply: the thread's first comment
    resolved_at: dt.datetime | None = None  # a thread marked done (on its first comment)
    mentions: tuple[str, ...] = ()  # names of the members it @mentions
    author_id: int | None = None


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    scope: str = "read"
    expires_at: dt.datetime | None = None


@dataclass(frozen=True)
class TokenAuth:
    """Who a valid API token speaks for, and what it may do."""

    user: UserInfo
    token_id: int
    scope: str


@dataclass(frozen=True)
class InviteInfo:
    id: int
    workspace_id: int
    workspace_name: str
    email: str
    role: str
    expires_at: dt.datetime
    accepted: bool


@dataclass(frozen=True)
class DecisionInfo:
    pain_point: str
    status: str
    owner: str | None
    opportunity_id: str | None
    note: str
    updated_at: dt.datetime


@dataclass(frozen=True)
class AnalysisInfo:
    id: int
    map_id: int
    map_version: int
    filename: str
    size: int
    status: str
    progress: float
    error: str | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
    result: dict[str, Any] | None = field(default=None, repr=False)
    quarantine: dict[str, Any] | None = field(default=None, repr=False)
    insights: dict[str, Any] | None = field(default=None, repr=False)
