"""The pain point value and the options of its detection."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["PainPoint", "PainPointOptions"]


@dataclass(frozen=True)
class PainPointOptions:
    """Thresholds of detection (all documented in ``docs/insights.md``)."""

    alpha: float = 0.05
    min_customers: int = 5
    min_segment_journeys: int = 20
    min_lift: float = 1.25
    drop_off_min: float = 0.3
    slow_factor: float = 3.0
    repeat_min: float = 0.2
    repeat_times: int = 2
    repeat_window_days: float = 7
    loop_times: int = 3
    loop_min: float = 0.2
    bounce_min: float = 0.2
    min_answers: int = 5
    negative_min: int = 3


@dataclass
class PainPoint:
    """One pain point, ready to rank, assign and decide on."""

    key: str
    kind: str
    element: str
    segment: str
    steps: list[str]
    touchpoints: list[str]
    events: list[str]
    customers_affected: int
    severity: float
    evidence: dict[str, Any]
    lost_customers: float | None = None
    value_at_risk: float | None = None
    handling_cost: float | None = None
    owners: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    systems: list[str] = field(default_factory=list)
    processes: list[str] = field(default_factory=list)
    opportunity: str | None = None
    effort: str | None = None
    priority: float = 0.0
    status: str = "open"
    decision_owner: str | None = None
    #: the drill-down: a few journeys behind the numbers (customer id and mapped steps)
    examples: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
