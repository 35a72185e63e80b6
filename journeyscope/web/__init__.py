"""The team workspace web app: ``create_app(settings)`` gives a FastAPI application.

Pages are server-rendered (Jinja2, a little plain JavaScript, nothing fetched from the
internet); the REST API under ``/api`` does everything the pages do (``/docs`` lists it).
"""

from __future__ import annotations

from .app import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
