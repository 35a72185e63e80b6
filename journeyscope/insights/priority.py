"""What a pain point costs and whom it belongs to: value at risk, handling cost, backstage
owners, and the priority score that orders the list.

``priority = customers_affected x severity x value_factor / effort_factor`` where

* ``severity`` is 0..1 (the problem's rate: share dropping, waiting too long, repeating...);
* ``value_factor = 1 + (value_at_risk + handling_cost) / customers_affected`` — money per
  affected customer, plus one so a problem without a money figure still ranks by reach and
  severity;
* ``effort_factor`` is 1, 2 or 3 for a linked opportunity's effort low, medium or high (1 when
  no opportunity is linked): cheap fixes rise.

>>> priority_score(100, 0.5, 0.0, None), priority_score(100, 0.5, 900.0, "medium")
(50.0, 250.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Backstage, Opportunity
from ._context import Context

__all__ = ["EFFORT_FACTOR", "Owners", "linked_opportunity", "owners_of", "priority_score"]

EFFORT_FACTOR = {"low": 1.0, "medium": 2.0, "high": 3.0}


def priority_score(customers: int, severity: float, money: float, effort: str | None) -> float:
    value_factor = 1 + money / customers if customers else 1.0
    return customers * severity * value_factor / EFFORT_FACTOR.get(effort or "", 1.0)


def lost_customers(hits: int, goal_rate_hit: float, goal_rate_rest: float) -> float:
    """Affected customers who would have reached the goal at the unaffected customers' rate."""
    return hits * max(0.0, goal_rate_rest - goal_rate_hit)


@dataclass
class Owners:
    """The backstage behind the involved steps and touchpoints [R8, R9]."""

    owners: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    systems: list[str] = field(default_factory=list)
    processes: list[str] = field(default_factory=list)

    def add(self, backstage: Backstage | None) -> None:
        if backstage is None:
            return
        for mine, theirs in (
            (self.owners, [backstage.owner] if backstage.owner else []),
            (self.teams, backstage.teams),
            (self.systems, backstage.systems),
            (self.processes, backstage.processes),
        ):
            mine.extend(x for x in theirs if x not in mine)


def owners_of(context: Context, steps: list[str], touchpoints: list[str]) -> Owners:
    owners = Owners()
    for step in steps:
        if step in context.steps:
            owners.add(context.steps[step].backstage)
    for tp in touchpoints:
        if tp in context.touchpoints:
            owners.add(context.touchpoints[tp][1].backstage)
    return owners


def linked_opportunity(
    context: Context, steps: list[str], chosen: str | None
) -> Opportunity | None:
    """The opportunity a decision links, else the first one planned on the involved steps
    (the later step first: a drop-off at B is fixed at B or just before it)."""
    candidates = [
        o for s in reversed(steps) if s in context.steps for o in context.steps[s].opportunities
    ]
    everything = [o for s in context.steps.values() for o in s.opportunities]
    if chosen:
        return next((o for o in everything if o.id == chosen), None)
    return candidates[0] if candidates else None
