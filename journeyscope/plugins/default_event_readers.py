"""The built-in event readers (see ``journeyscope.events.sources``)."""

from __future__ import annotations

from ._types import EventReader
from .hookspecs import hookimpl


@hookimpl
def register_event_readers() -> list[EventReader]:
    return []
