"""Alembic environment: always driven programmatically with a live connection."""

from __future__ import annotations

from alembic import context

from journeyscope.store.schema import Base


def run() -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


# Alembic installs ``context.config`` only while it runs migrations; importing this module for
# anything else (doctest collection, linters) must do nothing.
if hasattr(context, "config"):
    run()
