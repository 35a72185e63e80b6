"""What every insight family starts from: the prepared journeys, the map, its settings and goal.

``build_context`` also materialises :data:`GOALS` (``_ins_goal``): one row per journey
(``jid``, ``cid``, ``goal`` 1/0 = reached the goal step, ``value`` = money of its customer when
the map names a value attribute). Queries name the analysis's tables through
``context.tables`` (``Prepared.tables``) and this one through ``GOALS``, never by name.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from ..analytics import Prepared, Tables
from ..model import InsightSettings, JourneyMap, Step, Touchpoint
from ..sql import Table, ident

__all__ = ["GOALS", "Context", "build_context", "clean", "rows"]

#: one row per journey: did it reach the goal, and the money of its customer
GOALS = Table("_ins_goal", ("jid", "cid", "goal", "value"))


@dataclass
class Context:
    prepared: Prepared
    journey: JourneyMap
    settings: InsightSettings
    goal: str
    #: the number of survey answers, in the engine's table ``_ins_answers`` (None: no surveys)
    answers: int | None = None
    mean_value: float | None = None
    segments: list[str] | None = None  # dimensions in ``_ins_seg``, once built
    steps: dict[str, Step] = field(default_factory=dict)
    touchpoints: dict[str, tuple[Step, Touchpoint]] = field(default_factory=dict)

    @property
    def tables(self) -> Tables:
        """The tables the analysis prepared (``path``, ``bound``...), by handle."""
        return self.prepared.tables

    def query(self, sql: str) -> list[dict[str, Any]]:
        return self.prepared.engine.query(sql).to_pylist()

    def step_of(self, element: str) -> str | None:
        """The step id of a step or touchpoint id."""
        if element in self.steps:
            return element
        return self.touchpoints[element][0].id if element in self.touchpoints else None

    def contact_cost(self, touchpoint: str) -> float | None:
        """What one contact at ``touchpoint`` costs: its own cost, else its channel's."""
        if touchpoint not in self.touchpoints:
            return None
        tp = self.touchpoints[touchpoint][1]
        if tp.cost_per_contact is not None:
            return tp.cost_per_contact
        return self.settings.channel_costs.get(tp.channel)

    def alternatives(self, step: str) -> list[str]:
        """``step`` and the alternative steps that replace it."""
        return [step, *(s.id for s in self.steps.values() if s.alternative_to == step)]


def _goal_step(journey: JourneyMap, settings: InsightSettings) -> str:
    if settings.goal_step:
        return settings.goal_step
    required = [step.id for _, step in journey.steps() if step.kind == "required"]
    return required[-1] if required else [step.id for _, step in journey.steps()][-1]


def build_context(
    prepared: Prepared,
    journey: JourneyMap,
    settings: InsightSettings | None = None,
    answers: pa.Table | None = None,
) -> Context:
    """The context for ``journey`` over ``prepared``; settings default to the map's own.
    ``answers`` (survey answers as Arrow) are handed to the engine and bound there."""
    settings = settings or journey.insights or InsightSettings()
    context = Context(prepared, journey, settings, _goal_step(journey, settings))
    context.steps = {step.id: step for _, step in journey.steps()}
    context.touchpoints = {tp.id: (step, tp) for step, tp in journey.touchpoints()}
    _build_goal(context)
    if answers is not None:
        from .evidence import attach_answers  # evidence builds on this module

        attach_answers(context, answers)
    return context


def _build_goal(context: Context) -> None:
    engine, settings, tables = context.prepared.engine, context.settings, context.tables
    goals = ", ".join(str(context.prepared.sid(s)) for s in context.alternatives(context.goal))
    value = "NULL"
    attribute = settings.value_attribute
    if attribute and attribute in context.prepared.attributes:
        value = "v.value"
        # an event attribute is summed over the customer's events; a customer attribute repeats
        # on every event, so it is taken once
        total = "max" if attribute in context.prepared.customer_attributes else "sum"
        column = ident(context.prepared.column(attribute))
        values = (
            f"SELECT cid, {total}({engine.to_number(column)}) AS value FROM {tables.bound} "
            "GROUP BY cid"
        )
    else:
        values = f"SELECT cid, NULL AS value FROM {tables.customer_codes} WHERE 1 = 0"
    engine.materialize(
        GOALS.name,
        "SELECT j.jid, j.cid, CASE WHEN g.jid IS NULL THEN 0 ELSE 1 END AS goal, "
        f"CAST({value} AS DOUBLE) AS value FROM (SELECT DISTINCT jid, cid FROM {tables.bound}) j "
        f"LEFT JOIN (SELECT DISTINCT jid FROM {tables.path} WHERE sid IN ({goals})) g "
        f"ON g.jid = j.jid LEFT JOIN ({values}) v ON v.cid = j.cid",
    )
    mean = context.query(f"SELECT avg(value) AS m FROM {GOALS} WHERE goal = 1")[0]["m"]
    context.mean_value = float(mean) if mean is not None else settings.value_per_customer


def clean(value: Any) -> Any:
    """A value as JSON likes it: no NaN/inf, dates as ISO text, tuples as lists."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    return value


def rows(items: list[Any]) -> list[dict[str, Any]]:
    """``to_dict()`` of each item, cleaned."""
    return [clean(item.to_dict()) for item in items]
