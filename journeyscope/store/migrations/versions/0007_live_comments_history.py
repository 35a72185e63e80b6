"""Live editing and conversation on the map: who is on a map now (presence), comment threads
(replies, resolve/reopen, @mentions) and each version's stored diff (fast history pages).

Versions saved before this revision get their diff computed on first view of the history.

Revision ID: 0007
Revises: 0006 (0004 on the editor branch before share was merged)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "presence",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "map_id", sa.Integer, sa.ForeignKey("maps.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("client", sa.String(64), nullable=False, unique=True),
        sa.Column("cell", sa.String(200)),
        sa.Column("seen_at", TS, nullable=False),
    )
    op.create_index("ix_presence_map_id", "presence", ["map_id"])
    with op.batch_alter_table("map_versions") as batch:
        batch.add_column(sa.Column("changes", sa.JSON))
    with op.batch_alter_table("comments") as batch:
        batch.add_column(
            sa.Column(
                "parent_id",
                sa.Integer,
                sa.ForeignKey("comments.id", ondelete="CASCADE", name="fk_comments_parent"),
            )
        )
        batch.add_column(sa.Column("resolved_at", TS))
        batch.add_column(
            sa.Column(
                "resolved_by",
                sa.Integer,
                sa.ForeignKey("users.id", ondelete="SET NULL", name="fk_comments_resolved_by"),
            )
        )
    op.create_table(
        "comment_mentions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "comment_id",
            sa.Integer,
            sa.ForeignKey("comments.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.UniqueConstraint("comment_id", "user_id"),
    )


def downgrade() -> None:
    op.drop_table("comment_mentions")
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("resolved_by")
        batch.drop_column("resolved_at")
        batch.drop_column("parent_id")
    with op.batch_alter_table("map_versions") as batch:
        batch.drop_column("changes")
    op.drop_index("ix_presence_map_id", "presence")
    op.drop_table("presence")
