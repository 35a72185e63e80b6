"""Keep the insights run (detected pain points, ranked) next to each analysis.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("analyses") as batch:
        batch.add_column(sa.Column("insights", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("analyses") as batch:
        batch.drop_column("insights")
