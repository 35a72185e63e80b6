"""What the team decided about each pain point: accepted, dismissed or still open, and the
opportunity that fixes it. Decisions are keyed by the pain point's stable key, so they survive
a new analysis of new events.

``DecisionStore`` is the seam: ``JsonDecisionStore`` keeps them in a JSON file next to the
map (``tour.yaml`` -> ``tour.decisions.json``); the web app adds a database store.

>>> import tempfile, pathlib
>>> store = JsonDecisionStore(pathlib.Path(tempfile.mkdtemp()) / "m.decisions.json")
>>> _ = store.put(Decision("drop_off:view-tour:all", "accepted", opportunity="opp-filters"))
>>> store.get("drop_off:view-tour:all").status
'accepted'
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from ..formats import atomic_write_text

__all__ = ["DECISIONS_SCHEMA", "Decision", "DecisionStore", "JsonDecisionStore", "decisions_path"]

DECISIONS_SCHEMA = "journeyscope.decisions/1"
Status = Literal["open", "accepted", "dismissed"]
STATUSES = ("open", "accepted", "dismissed")


@dataclass
class Decision:
    """A decision on one pain point."""

    key: str
    status: Status = "open"
    opportunity: str | None = None
    owner: str | None = None
    note: str | None = None
    updated: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(" ", "seconds"))

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {self.status!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class DecisionStore(Protocol):
    """Where decisions live."""

    def get(self, key: str) -> Decision | None: ...

    def all(self) -> dict[str, Decision]: ...

    def put(self, decision: Decision) -> Decision: ...


def decisions_path(map_file: str | Path) -> Path:
    """``tour.yaml`` -> ``tour.decisions.json`` beside it."""
    path = Path(map_file)
    return path.with_name(path.name.split(".")[0] + ".decisions.json")


class JsonDecisionStore:
    """Decisions in one JSON file, rewritten atomically on every change."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def all(self) -> dict[str, Decision]:
        if not self.path.exists():
            return {}
        data = json.loads(self.path.read_text(encoding="utf-8"))
        if data.get("schema") != DECISIONS_SCHEMA:
            raise ValueError(f"{self.path}: not a {DECISIONS_SCHEMA} file")
        return {key: Decision(**value) for key, value in data["decisions"].items()}

    def get(self, key: str) -> Decision | None:
        return self.all().get(key)

    def put(self, decision: Decision) -> Decision:
        decisions = self.all()
        decisions[decision.key] = decision
        data = {
            "schema": DECISIONS_SCHEMA,
            "decisions": {k: d.to_dict() for k, d in sorted(decisions.items())},
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return decision
