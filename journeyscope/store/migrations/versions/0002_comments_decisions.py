"""Comments on map elements, pain-point decisions, and evidence analyses.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _map_fk() -> sa.Column[int]:
    return sa.Column(
        "map_id", sa.Integer, sa.ForeignKey("maps.id", ondelete="CASCADE"), nullable=False
    )


def _user_fk(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))


def upgrade() -> None:
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer, primary_key=True),
        _map_fk(),
        sa.Column("element_id", sa.String(80), nullable=False),
        _user_fk("author_id"),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_comments_map_id", "comments", ["map_id"])
    op.create_table(
        "pain_point_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        _map_fk(),
        sa.Column("pain_point", sa.String(600), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(200)),
        sa.Column("opportunity_id", sa.String(80)),
        sa.Column("note", sa.Text, nullable=False),
        _user_fk("updated_by"),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("map_id", "pain_point"),
    )
    op.create_table(
        "analyses",
        sa.Column("id", sa.Integer, primary_key=True),
        _map_fk(),
        sa.Column("map_version", sa.Integer, nullable=False),
        sa.Column("filename", sa.String(300), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress", sa.Float, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("result", sa.JSON),
        sa.Column("quarantine", sa.JSON),
        _user_fk("created_by"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("finished_at", TS),
    )
    op.create_index("ix_analyses_map_id", "analyses", ["map_id"])


def downgrade() -> None:
    op.drop_table("analyses")
    op.drop_table("pain_point_decisions")
    op.drop_table("comments")
