"""Channel escalations: a customer who contacted the company on chat or a web form and had to
call within a window — the extra contact is a cost and a disappointment even when everybody
reaches the goal, so the goal rate is not what judges it.

A check per contact step of the customer's (a touchpoint on an ``escalation_from`` channel, or
priced per contact, not on the phone): its population is the journeys with a contact there on
another channel than the phone; a hit made a contact on an
``escalation_to`` channel (the phone) within ``escalation_window_hours`` after the first one;
its cost is the handling cost of those extra contacts (the touchpoint's ``cost_per_contact``,
else the channel's in ``channel_costs``). The facts compare the survey answers given after the
first contact by the escalated customers with those of the others: mean score (Welch t-test)
and share of negative comments (two-proportion z-test).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..sql import literal
from ._checks import Check
from ._context import GOALS, Context
from ._pain_point import PainPointOptions
from ._stats import two_proportions, welch
from .evidence import bind_answers, is_negative

__all__ = ["escalation_checks"]


def _channels(names: tuple[str, ...]) -> str:
    return ", ".join(literal(n.lower()) for n in names) or "NULL"


def _extra_contact_cost(context: Context, options: PainPointOptions) -> tuple[str, bool]:
    """SQL of one escalated contact's handling cost: its touchpoint's, else its channel's."""
    cases = [
        f"WHEN {literal(tp)} THEN {literal(float(cost))}"
        for tp in context.touchpoints
        if (cost := context.contact_cost(tp)) is not None
    ]
    by_channel = [
        f"WHEN {literal(channel.lower())} THEN {literal(float(cost))}"
        for channel, cost in context.settings.channel_costs.items()
        if channel.lower() in {c.lower() for c in options.escalation_to}
    ]
    if not cases and not by_channel:
        return "0", False
    touchpoint = f"CASE touchpoint {' '.join(cases)} END" if cases else "NULL"
    channel = f"CASE lower(channel) {' '.join(by_channel)} END" if by_channel else "NULL"
    return f"coalesce({touchpoint}, {channel}, 0)", True


def _first_contact_steps(context: Context, options: PainPointOptions) -> list[str]:
    """The customer's own contact steps that are not on the phone already: a touchpoint on an
    ``escalation_from`` channel (chat, a web form...), or one priced per contact (a form on the
    web) on another channel than ``escalation_to``. A company's e-mail is no first contact."""
    start = {c.lower() for c in options.escalation_from}
    target = {c.lower() for c in options.escalation_to}
    found = []
    for step in context.steps.values():
        if step.initiated_by != "customer":
            continue
        if any(
            tp.channel.lower() in start
            or (tp.cost_per_contact is not None and tp.channel.lower() not in target)
            for tp in step.touchpoints
        ):
            found.append(step.id)
    reached = {
        str(r["step"]) for r in context.query(f"SELECT DISTINCT step FROM {context.tables.bound}")
    }
    return [s for s in found if s in reached]


def escalation_checks(context: Context, options: PainPointOptions) -> list[Check]:
    """One check per step with first contacts on an ``escalation_from`` channel."""
    window = float(options.escalation_window_hours) * 3600
    cost, costed = _extra_contact_cost(context, options)
    checks, bound = [], context.tables.bound
    for step in _first_contact_steps(context, options):
        first = (
            f"SELECT jid, min(t) AS t FROM {bound} WHERE step = {literal(step)} "
            f"AND (channel IS NULL OR lower(channel) NOT IN ({_channels(options.escalation_to)})) "
            "GROUP BY jid"
        )
        sql = (
            "SELECT f.jid, CASE WHEN count(p.t) > 0 THEN 1 ELSE 0 END AS hit, "
            f"coalesce(sum(p.c), 0) AS cost FROM ({first}) f LEFT JOIN (SELECT jid, t, {cost} "
            f"AS c FROM {bound} WHERE lower(channel) IN ({_channels(options.escalation_to)})) p "
            f"ON p.jid = f.jid AND p.t > f.t AND p.t <= f.t + {window} GROUP BY f.jid"
        )
        facts = _after_the_switch(context, sql, first)
        tps = [tp.id for tp in context.steps[step].touchpoints] if step in context.steps else []
        checks.append(Check("escalation", step, sql, [step], tps, facts=facts, costed=costed))
    return checks


def _after_the_switch(context: Context, sql: str, first: str) -> dict[str, float]:
    """The answers given after the first contact, escalated customers against the others."""
    answers = bind_answers(context)
    if not answers:
        return {}
    rows = context.query(
        f"SELECT u.customer_id, c.hit, f.t FROM ({sql}) c JOIN ({first}) f ON f.jid = c.jid "
        f"JOIN {GOALS} g ON g.jid = c.jid JOIN {context.tables.customer_codes} u ON u.cid = g.cid"
    )
    since = {str(r["customer_id"]): (int(r["hit"]), float(r["t"])) for r in rows}
    groups: dict[int, list[dict[str, Any]]] = {0: [], 1: []}
    for answer in answers:
        found = since.get(str(answer["customer_id"]))
        if found is not None and _epoch(answer["ts"]) >= found[1]:
            groups[found[0]].append(answer)
    return _compare(groups[1], groups[0])


def _epoch(value: Any) -> float:
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp()
    return float("-inf")


def _compare(escalated: list[dict[str, Any]], others: list[dict[str, Any]]) -> dict[str, float]:
    facts: dict[str, float] = {}
    scores = welch([a["norm"] for a in escalated], [a["norm"] for a in others])
    if scores.p_value is not None:
        facts |= {"score_escalated": scores.a, "score_not_escalated": scores.b,
                  "score_p_value": scores.p_value}  # fmt: skip
    said = [a for a in escalated if a["comment"]], [a for a in others if a["comment"]]
    if said[0] and said[1]:
        bad = [sum(is_negative(a["comment"], a["norm"]) for a in side) for side in said]
        test = two_proportions(bad[0], len(said[0]), bad[1], len(said[1]))
        facts |= {"negative_share_escalated": test.a, "negative_share_not_escalated": test.b}
        if test.p_value is not None:
            facts["negative_p_value"] = test.p_value
    return facts
