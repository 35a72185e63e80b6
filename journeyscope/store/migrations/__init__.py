"""Alembic migrations of the workspace store; run by :func:`journeyscope.store.upgrade`."""
