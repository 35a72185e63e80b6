"""Entry point of the ``journeyscope`` command: imports every command module, exposes ``app``."""

from __future__ import annotations

from . import (  # noqa: F401  (registration)
    analyze_cmd,
    convert_cmd,
    diff_cmd,
    insights_cmd,
    maps_cmd,
    render_cmd,
    serve_cmd,
    story_cmd,
)
from ._app import app

__all__ = ["app"]

if __name__ == "__main__":  # pragma: no cover
    app()
