"""Notifications (in the app, by e-mail, digests), map watchers, a map's evidence status,
tags, revocable read-only share links and the leases of scheduled jobs.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _fk(table: str, ondelete: str = "CASCADE") -> sa.ForeignKey:
    return sa.ForeignKey(f"{table}.id", ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, _fk("users"), nullable=False),
        sa.Column("map_id", sa.Integer, _fk("maps")),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("read_at", TS),
        sa.Column("emailed_at", TS),
    )
    op.create_index("ix_notifications_user_id", "notifications", ["user_id"])
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.Integer, _fk("users"), primary_key=True),
        sa.Column("digest", sa.String(16), nullable=False),
        sa.Column("email", sa.Boolean, nullable=False),
        sa.Column("last_digest_at", TS),
    )
    op.create_table(
        "map_watchers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("map_id", sa.Integer, _fk("maps"), nullable=False),
        sa.Column("user_id", sa.Integer, _fk("users"), nullable=False),
        sa.UniqueConstraint("map_id", "user_id"),
    )
    op.create_index("ix_map_watchers_map_id", "map_watchers", ["map_id"])
    op.create_table(
        "map_status",
        sa.Column("map_id", sa.Integer, _fk("maps"), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("since", TS),
        sa.Column("reasons", sa.JSON),
        sa.Column("analysis_id", sa.Integer),
        sa.Column("checked_at", TS, nullable=False),
    )
    op.create_table(
        "map_tags",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("map_id", sa.Integer, _fk("maps"), nullable=False),
        sa.Column("tag", sa.String(80), nullable=False),
        sa.UniqueConstraint("map_id", "tag"),
    )
    op.create_index("ix_map_tags_map_id", "map_tags", ["map_id"])
    op.create_table(
        "share_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("map_id", sa.Integer, _fk("maps"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("created_by", sa.Integer, _fk("users", "SET NULL")),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("revoked_at", TS),
        sa.Column("last_used_at", TS),
    )
    op.create_index("ix_share_links_map_id", "share_links", ["map_id"])
    op.create_table(
        "job_leases",
        sa.Column("name", sa.String(80), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("expires_at", TS, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "job_leases", "share_links", "map_tags", "map_status", "map_watchers",
        "notification_preferences", "notifications",
    ):  # fmt: skip
        op.drop_table(table)
