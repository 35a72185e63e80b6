"""Qualitative evidence on map elements, and the map's settings for insights.

Both are optional: a map without them is as valid as before and saves byte for byte the same.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from .base import Element, Id
from .evidence import Condition

ResearchKind = Literal["interview", "focus_group", "observation", "employee", "document", "survey"]


class ResearchEvidence(Element):
    """One piece of qualitative research behind a step or touchpoint: a quote or a summary."""

    kind: ResearchKind = Field(
        description="interview, focus_group, observation, employee (staff input), document "
        "or survey (a survey finding written up by hand)."
    )
    quote: str | None = Field(default=None, description="What a customer or employee said.")
    summary: str | None = Field(default=None, description="What the research found, in words.")
    source: str | None = Field(
        default=None, description="Where it comes from: study name, file, link or person."
    )
    date: dt.date | None = Field(
        default=None, description="When it was collected; evidence ages from this date."
    )
    persona: Id | None = Field(default=None, description="Persona id it is about; empty = all.")


class WaitTarget(Element):
    """How long customers may wait for a step, measured from a named earlier step: "delivered
    within 72 hours of the order" is ``{step: delivered, hours: 72, measured_from: order}``.
    Journeys slower than that are a slow_transition; a long gap with no target (a repurchase
    a month later) is the customer's rhythm, not a wait."""

    step: Id = Field(description="The step customers wait for.")
    hours: float = Field(gt=0, description="How long they may wait, in hours.")
    measured_from: Id | None = Field(
        default=None,
        description="The earlier step the wait is measured from (its first event in the "
        "journey); none: from the event just before.",
    )


class InsightSettings(Element):
    """How ``journeyscope insights`` judges this map: goal, money, thresholds, comparison group."""

    goal_step: Id | None = Field(
        default=None,
        description="Step that counts as success [default: the map's last required step].",
    )
    stale_after_days: int = Field(
        default=180, ge=1, description="Evidence older than this many days is flagged stale."
    )
    value_attribute: str | None = Field(
        default=None,
        description="Numeric event or customer attribute holding money per customer "
        "(order_value...); summed per customer, it prices lost customers.",
    )
    value_per_customer: float | None = Field(
        default=None,
        ge=0,
        description="Money one converting customer brings, when no value_attribute is given.",
    )
    channel_costs: dict[str, float] = Field(
        default_factory=dict,
        description="Cost of one contact per channel (phone: 6.5), for touchpoints without "
        "their own cost_per_contact.",
    )
    comparison_segment: Condition | None = Field(
        default=None,
        description="Customers an improvement did not reach (e.g. 'region == west'); "
        "improvement tracking then uses difference-in-differences against them.",
    )
    wait_targets_hours: dict[str, float] = Field(
        default_factory=dict,
        description="Step id -> hours a customer may wait before reaching it; a slower median "
        "is a slow_transition. Steps not listed are compared with the map-wide median.",
    )
    wait_targets: list[WaitTarget] = Field(
        default_factory=list,
        description="How long customers may wait for a step, measured from a named earlier "
        "step (delivered within 72 hours of the order).",
    )
    failure_events: list[str] = Field(
        default_factory=lambda: ["*fail*", "*error*", "*abandon*"],
        description="Shell patterns of event names that mark a failed step.",
    )
    failure_conditions: list[Condition] = Field(
        default_factory=lambda: [Condition(attribute="status", op="in", value=["failed", "error"])],
        description="Attribute conditions that also mark an event as failed (any one holds).",
    )
