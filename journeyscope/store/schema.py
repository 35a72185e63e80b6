"""The tables of the team workspace, as SQLAlchemy 2 declarative models.

Migrations in ``migrations/versions`` create exactly these tables; a test compares the two.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROLES = ("owner", "editor", "viewer")
DECISIONS = ("open", "accepted", "dismissed")
ANALYSIS_STATES = ("queued", "running", "done", "failed")
#: What an API token may do: ``read`` (GET and friends only) or ``write`` (everything).
TOKEN_SCOPES = ("read", "write")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
    }


class Workspace(Base):
    __tablename__ = "workspaces"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))


class MapRecord(Base):
    __tablename__ = "maps"
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(500))
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MapVersion(Base):
    __tablename__ = "map_versions"
    __table_args__ = (UniqueConstraint("map_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    map_id: Mapped[int] = mapped_column(ForeignKey("maps.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    yaml_text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: what changed from the version before, as change dicts (stored when saved)
    changes: Mapped[list[Any] | None] = mapped_column(JSON)


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    scope: Mapped[str] = mapped_column(String(8), default="read")
    expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class WebSession(Base):
    """A signed-in browser: the cookie carries the secret, the server keeps its hash, so
    signing out (or a password or role change) ends the session for every copy of the cookie."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()


class Invite(Base):
    __tablename__ = "invites"
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()
    accepted_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(400), index=True)
    succeeded: Mapped[bool] = mapped_column(default=False)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class Comment(Base):
    __tablename__ = "comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    map_id: Mapped[int] = mapped_column(ForeignKey("maps.id", ondelete="CASCADE"), index=True)
    element_id: Mapped[str] = mapped_column(String(80))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE", name="fk_comments_parent")
    )
    resolved_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    resolved_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", name="fk_comments_resolved_by")
    )


class CommentMention(Base):
    __tablename__ = "comment_mentions"
    __table_args__ = (UniqueConstraint("comment_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))


class Presence(Base):
    """Who has a map open now (one row per open editor), and the cell each has selected."""

    __tablename__ = "presence"
    id: Mapped[int] = mapped_column(primary_key=True)
    map_id: Mapped[int] = mapped_column(ForeignKey("maps.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client: Mapped[str] = mapped_column(String(64), unique=True)
    cell: Mapped[str | None] = mapped_column(String(200))
    seen_at: Mapped[dt.datetime] = mapped_column()


class PainPointDecision(Base):
    __tablename__ = "pain_point_decisions"
    __table_args__ = (UniqueConstraint("map_id", "pain_point"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    map_id: Mapped[int] = mapped_column(ForeignKey("maps.id", ondelete="CASCADE"))
    pain_point: Mapped[str] = mapped_column(String(600))
    status: Mapped[str] = mapped_column(String(16), default="open")
    owner: Mapped[str | None] = mapped_column(String(200), default=None)
    opportunity_id: Mapped[str | None] = mapped_column(String(80), default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AnalysisRun(Base):
    __tablename__ = "analyses"
    id: Mapped[int] = mapped_column(primary_key=True)
    map_id: Mapped[int] = mapped_column(ForeignKey("maps.id", ondelete="CASCADE"), index=True)
    map_version: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(300))
    size: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    result: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    quarantine: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    insights: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)


# --- notifications, watchers, map status, share links, tags (revision 0006) -----------------
#: How a person's e-mail notifications are sent: one message each, or one a day.
DIGESTS = ("immediately", "daily")
#: A map's evidence status: ``unknown`` until an evaluation says ``fresh`` or ``stale``.
MAP_STATES = ("unknown", "fresh", "stale")


class Notification(Base):
    """One thing a person should hear about: kept in the app (read/unread) and e-mailed at
    ``emailed_at`` (None: not yet — a daily digest collects it)."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    map_id: Mapped[int | None] = mapped_column(ForeignKey("maps.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    emailed_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class NotificationPreference(Base):
    __tablename__ = "notification_preferences"
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    digest: Mapped[str] = mapped_column(String(16), default="immediately")
    email: Mapped[bool] = mapped_column(default=True)
    last_digest_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class MapWatcher(Base):
    __tablename__ = "map_watchers"
    __table_args__ = (UniqueConstraint("map_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    map_id: Mapped[int] = mapped_column(ForeignKey("maps.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))


class MapStatus(Base):
    """The evidence status of a map as last worked out from its newest evaluation."""

    __tablename__ = "map_status"
    map_id: Mapped[int] = mapped_column(ForeignKey("maps.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="unknown")
    since: Mapped[dt.datetime | None] = mapped_column(default=None)
    reasons: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    analysis_id: Mapped[int | None] = mapped_column(Integer, default=None)
    checked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MapTag(Base):
    __tablename__ = "map_tags"
    __table_args__ = (UniqueConstraint("map_id", "tag"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    map_id: Mapped[int] = mapped_column(ForeignKey("maps.id", ondelete="CASCADE"), index=True)
    tag: Mapped[str] = mapped_column(String(80))


class ShareLink(Base):
    """A read-only link to one map: the URL carries the secret, the server keeps its hash."""

    __tablename__ = "share_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    map_id: Mapped[int] = mapped_column(ForeignKey("maps.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class JobLease(Base):
    """Which server process runs a scheduled job until when: with several processes on one
    database, the one whose compare-and-set took the lease does the work."""

    __tablename__ = "job_leases"
    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[dt.datetime] = mapped_column()


# --- data sources and their files (revision 0005) ------------------------------------------
#: what a data source holds: events, customer attributes or survey answers
SOURCE_ROLES = ("events", "customers", "surveys")


class DataSource(Base):
    """A named source of a map's evidence; each uploaded file is one period of it."""

    __tablename__ = "data_sources"
    __table_args__ = (UniqueConstraint("map_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    map_id: Mapped[int] = mapped_column(ForeignKey("maps.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    #: the confirmed column mapping (None until the first file's columns are confirmed)
    mapping: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SourceFile(Base):
    """One uploaded file of a source, kept on disk (``stored``, inside the data folder) until
    the retention ends; ``report`` is its load report once its columns are confirmed."""

    __tablename__ = "source_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("data_sources.id", ondelete="CASCADE"), index=True
    )
    period: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(300))
    stored: Mapped[str] = mapped_column(String(300))
    size: Mapped[int] = mapped_column(Integer, default=0)
    confirmed: Mapped[bool] = mapped_column(default=False)
    report: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# --- server-side connections of data sources (revision 0009) ---------------------------------
#: what a connection reads: a table or a SELECT query of a database the server names, a
#: table of a DuckDB file, or a folder of Parquet files
CONNECTION_KINDS = ("table", "query", "duckdb", "parquet")
#: how often the scheduler reads a connection again
REFRESH_INTERVALS = ("off", "hourly", "daily")
CONNECTION_STATES = ("new", "ok", "failed")


class SourceConnection(Base):
    """Where a data source is read from on the server, set by a workspace owner. ``database``
    is a name of the server's settings (never a URL); ``path`` a file or folder inside one of
    the folders the settings allow. ``problem`` says in one word why the last read failed."""

    __tablename__ = "source_connections"
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("data_sources.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    database: Mapped[str | None] = mapped_column(String(100), default=None)
    path: Mapped[str | None] = mapped_column(String(1000), default=None)
    table_name: Mapped[str | None] = mapped_column(String(300), default=None)
    query: Mapped[str | None] = mapped_column(Text, default=None)
    refresh: Mapped[str] = mapped_column(String(16), default="daily")
    state: Mapped[str] = mapped_column(String(16), default="new")
    problem: Mapped[str | None] = mapped_column(String(40), default=None)
    rows: Mapped[int | None] = mapped_column(Integer, default=None)
    fingerprint: Mapped[str | None] = mapped_column(String(80), default=None)
    read_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
