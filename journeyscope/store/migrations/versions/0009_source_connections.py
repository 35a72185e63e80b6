"""Server-side connections of data sources: a named database's table or query, a DuckDB
file's table or a Parquet folder, read again on a schedule.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "source_connections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "source_id",
            sa.Integer,
            sa.ForeignKey("data_sources.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("database", sa.String(100)),
        sa.Column("path", sa.String(1000)),
        sa.Column("table_name", sa.String(300)),
        sa.Column("query", sa.Text),
        sa.Column("refresh", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("problem", sa.String(40)),
        sa.Column("rows", sa.Integer),
        sa.Column("fingerprint", sa.String(80)),
        sa.Column("read_at", TS),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("source_connections")
