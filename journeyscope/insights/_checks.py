"""Pain-point checks as SQL over ``path``/``bound``: one row per journey in a check's population.

Each check selects ``jid``, ``hit`` (1 when the journey has the problem, else 0) and ``cost``
(handling cost of the journey's contacts involved, 0 when none). The population and the hit
of each kind are defined in ``docs/insights.md``. Each kind is a registered pain-point kind
(``journeyscope.plugins.default_pain_point_kinds``); its check builder takes the context and the
options.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from scipy import stats

from .. import plugins
from ..analytics.binding import StepInfo, glob_to_like, rule_sql
from ..analytics.repeats import in_window_sql
from ..model import EvidenceRule, Step
from ..sql import literal
from ._context import Context
from ._pain_point import PainPointOptions

__all__ = [
    "Check",
    "bounce_checks",
    "build_checks",
    "drop_off_checks",
    "failure_checks",
    "loop_checks",
    "repeat_checks",
    "slow_checks",
    "switch_checks",
]

# Channels where a customer *contacts* the company; a store is left out on purpose: for a shop
# a second visit is loyalty, not a repeat contact (mark store service desks with a cost).
SERVICE_CHANNELS = {"phone", "chat"}


@dataclass
class Check:
    """One check of a pain-point kind at one element: SQL selecting ``jid``, ``hit`` and
    ``cost`` for each journey of its population, and what the pain point is about."""

    kind: str
    element: str  # step id, "A->B" for a transition, or an event name
    sql: str
    steps: list[str] = field(default_factory=list)
    touchpoints: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    costed: bool = False
    #: False: judged in segments only, against the rest (a rate for everybody means nothing,
    #: e.g. customers who did nothing more after a send: one-time buyers do that too)
    overall: bool = True

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.element}"


def _sids(context: Context, steps: list[str]) -> str:
    return ", ".join(str(context.prepared.sid(s)) for s in steps)


def _customers(step: Step) -> bool:
    """True for what a customer does; a company's send (``initiated_by: company``) is never a
    loop, a drop-off, a bounce or a slow wait."""
    return step.initiated_by == "customer"


def _reached(context: Context) -> list[str]:
    """The steps some journey reached, in map order (the analysis's, counted once)."""
    return [context.prepared.step_id(code) for code in context.prepared.reached()]


def _cost_sql(context: Context, steps: list[str]) -> tuple[str, bool]:
    """SQL of one event's handling cost at the touchpoints of ``steps``."""
    cases = [
        f"WHEN {literal(tp)} THEN {literal(float(cost))}"
        for step in steps
        for tp in (t.id for t in context.steps[step].touchpoints)
        if (cost := context.contact_cost(tp)) is not None
    ]
    return (f"CASE touchpoint {' '.join(cases)} ELSE 0 END", True) if cases else ("0", False)


def drop_off_checks(context: Context, options: PainPointOptions) -> list[Check]:
    """Of the journeys that reached required step A, those with no next required step B (or an
    alternative to it) after their first A."""
    reached = set(_reached(context))
    slots = [s.id for s in context.steps.values() if s.kind == "required" and _customers(s)]
    slots = [s for s in slots if reached & set(context.alternatives(s))]
    checks = []
    for a, b in pairwise(slots):
        a_sids, b_sids = (
            _sids(context, context.alternatives(a)),
            _sids(context, context.alternatives(b)),
        )
        path = context.tables.path
        sql = (
            "SELECT a.jid, CASE WHEN max(b.pos) IS NULL THEN 1 ELSE 0 END AS hit, 0 AS cost FROM "
            f"(SELECT jid, min(pos) AS pos FROM {path} WHERE sid IN ({a_sids}) GROUP BY jid) a "
            f"LEFT JOIN {path} b ON b.jid = a.jid AND b.sid IN ({b_sids}) AND b.pos > a.pos "
            "GROUP BY a.jid"
        )
        checks.append(Check("drop_off", b, sql, steps=[a, b]))
    return checks + _after_send_checks(context, options)


def _after_send_checks(context: Context, options: PainPointOptions) -> list[Check]:
    """What a send sets off: of the journeys that got the company's send S, those with no step
    of their own later than ``after_send_days`` after their first S — they left (cancelled,
    stopped using) soon after it. Sends too late in the log to tell are left out. Judged in
    segments only: a segment that leaves after the send far more than the rest."""
    window = float(options.after_send_days) * 86400
    mine = [s.id for s in context.steps.values() if _customers(s)]
    sends = [s.id for s in context.steps.values() if not _customers(s)]
    reached = set(_reached(context))
    if not mine:
        return []
    checks, path = [], context.tables.path
    for send in (s for s in sends if s in reached):
        sql = (
            "SELECT s.jid, CASE WHEN max(c.t) IS NULL OR max(c.t) <= s.t + "
            f"{window} THEN 1 ELSE 0 END AS hit, 0 AS cost FROM (SELECT jid, min(t) AS t "
            f"FROM {path} WHERE sid = {context.prepared.sid(send)} GROUP BY jid) s "
            f"LEFT JOIN {path} c ON c.jid = s.jid AND c.sid IN ({_sids(context, mine)}) "
            "AND c.t > s.t "
            f"WHERE s.t <= (SELECT max(t) FROM {path}) - {2 * window} GROUP BY s.jid, s.t"
        )
        facts = {"after_send_days": float(options.after_send_days)}
        checks.append(Check("drop_off", send, sql, steps=[send], facts=facts, overall=False))
    return checks


def _targets(context: Context) -> tuple[dict[str, float], dict[str, tuple[str, float]]]:
    """The declared waits in hours: per step from the event just before it, and per step from
    a named earlier step (``wait_targets`` with ``measured_from``)."""
    direct = dict(context.settings.wait_targets_hours)
    named: dict[str, tuple[str, float]] = {}
    for target in context.settings.wait_targets:
        if target.measured_from is None:
            direct[target.step] = target.hours
        else:
            named[target.step] = (target.measured_from, target.hours)
    return direct, named


def _judged_without_target(context: Context, a: StepInfo, b: StepInfo) -> bool:
    """A wait with no target is judged only inside a stage, and only into a required step the
    customer takes: the gap to an optional step (a review, a repurchase a month later) is the
    customer's own rhythm, and waiting for a departure between stages is no pain point."""
    step = context.steps.get(b.id)
    return a.stage == b.stage and step is not None and step.kind == "required"


def _slow_limits(context: Context, options: PainPointOptions) -> dict[tuple[int, int], float]:
    """Limit per forward transition: the target step's wait target when the map gives one;
    else, for a transition judged without a target (``_judged_without_target``),
    ``slow_factor`` x the median of the within-stage transitions' medians. A step whose target
    is measured from a named earlier step is judged by ``_measured_from_checks`` instead."""
    edges = context.query(
        f"SELECT prev_sid AS a, sid AS b, {context.prepared.engine.median('gap')} AS m, "
        f"count(*) AS n FROM {context.tables.path} WHERE prev_sid IS NOT NULL AND prev_sid < sid "
        "GROUP BY prev_sid, sid"
    )
    infos = context.prepared.binding.steps
    targets, named = _targets(context)
    limits: dict[tuple[int, int], float] = {}
    inside = [e for e in edges if infos[e["a"] - 1].stage == infos[e["b"] - 1].stage]
    reference = float(stats.scoreatpercentile([e["m"] for e in inside], 50)) if inside else 0.0
    for e in edges:
        a, b = infos[e["a"] - 1], infos[e["b"] - 1]
        target = targets.get(b.id)
        if e["n"] < options.min_customers or b.id in named:
            continue
        if target is not None:
            limits[(e["a"], e["b"])] = target * 3600
        elif _judged_without_target(context, a, b) and reference > 0:
            limits[(e["a"], e["b"])] = options.slow_factor * reference
    return limits


def _measured_from_checks(context: Context) -> list[Check]:
    """Of the journeys with the named earlier step and the target step after it, those whose
    first target-step event came later than the target after their first earlier-step event."""
    reached = set(_reached(context))
    checks = []
    for step, (start, hours) in _targets(context)[1].items():
        if not {step, start} <= reached:
            continue
        limit, path = float(hours) * 3600, context.tables.path
        sql = (
            f"SELECT a.jid, CASE WHEN min(b.t) - a.t > {limit} THEN 1 ELSE 0 END AS hit, "
            f"0 AS cost FROM (SELECT jid, min(t) AS t FROM {path} WHERE sid = "
            f"{context.prepared.sid(start)} GROUP BY jid) a JOIN {path} b ON b.jid = a.jid AND "
            f"b.sid = {context.prepared.sid(step)} AND b.t >= a.t GROUP BY a.jid, a.t"
        )
        facts: dict[str, Any] = {"limit_seconds": limit, "measured_from": start}
        checks.append(Check("slow_transition", f"{start}->{step}", sql, [start, step],
                            facts=facts))  # fmt: skip
    return checks


def slow_checks(context: Context, options: PainPointOptions) -> list[Check]:
    """Each forward transition A -> B between consecutive mapped events; a hit waited longer
    than the limit (the step's wait target, or ``slow_factor`` x the map-wide median); and each
    wait declared from a named earlier step (``_measured_from_checks``)."""
    checks = []
    for (a, b), limit in _slow_limits(context, options).items():
        sa, sb = context.prepared.step_id(a), context.prepared.step_id(b)
        if not (_customers(context.steps[sa]) and _customers(context.steps[sb])):
            continue  # the time to or after a send is the company's rhythm, not a wait
        sql = (
            f"SELECT jid, CASE WHEN min(gap) > {limit} THEN 1 ELSE 0 END AS hit, 0 AS cost "
            f"FROM {context.tables.path} WHERE prev_sid = {a} AND sid = {b} GROUP BY jid"
        )
        checks.append(
            Check(
                "slow_transition",
                f"{sa}->{sb}",
                sql,
                steps=[sa, sb],
                facts={"limit_seconds": limit},
            )
        )
    return checks + _measured_from_checks(context)


def _contact_steps(context: Context) -> list[str]:
    """Steps with a contact touchpoint: on phone or chat, or on a channel the map's
    ``channel_costs`` prices. A touchpoint's own ``cost_per_contact`` does not make it a
    contact: a newsletter has a sending cost, yet reading it twice is no repeat contact."""
    service = SERVICE_CHANNELS | set(context.settings.channel_costs)
    return [
        step.id
        for step in context.steps.values()
        if any(tp.channel in service for tp in step.touchpoints)
    ]


def repeat_checks(context: Context, options: PainPointOptions) -> list[Check]:
    """Journeys at a contact step (see ``_contact_steps``) that came back ``repeat_times`` or
    more times within ``repeat_window_days`` (the analysis's repeat, ``in_window_sql``).

    The analysis's ``repeats`` table counts the same repeats, but per touchpoint and customer,
    summed over the segment, with the analysis's own times and window: a check needs each
    journey's hit and the cost of its contacts, at the step, with the pain-point options."""
    times, window_seconds = options.repeat_times, options.repeat_window_days * 86400
    checks, reached = [], set(_reached(context))
    for step in [s for s in _contact_steps(context) if s in reached]:
        cost, costed = _cost_sql(context, [step])
        window = in_window_sql("sid", window_seconds)
        sql = (
            f"SELECT jid, CASE WHEN max(w) >= {int(times)} THEN 1 ELSE 0 END AS hit, "
            f"sum(c) AS cost FROM (SELECT jid, {window} AS w, {cost} AS c "
            f"FROM {context.tables.path} WHERE sid = {context.prepared.sid(step)}) r GROUP BY jid"
        )
        tps = [tp.id for tp in context.steps[step].touchpoints]
        checks.append(Check("repeat_contact", step, sql, [step], tps, costed=costed))
    return checks


def switch_checks(context: Context, options: PainPointOptions) -> list[Check]:
    """Journeys arriving at step B from another step; a hit arrived on another channel than the
    previous mapped event's. Only the customer's own steps count: a newsletter the company
    e-mails is no channel the customer switched to or from.

    Not the analysis's ``channel_rates``: those follow every event with a channel, mapped or
    not, company sends included, and give a rate per segment; a check needs each journey's
    arrival at one step of the customer's own, before the goal, with its cost."""
    mine = [s for s in _reached(context) if _customers(context.steps[s])]
    if not mine:
        return []
    codes = ", ".join(literal(s) for s in mine)
    # the goal already reached cannot be lost by a switch after it (a lifecycle's renewal
    # before a cancellation): those journeys are left out
    goals = _sids(context, context.alternatives(context.goal))
    reached = (
        f"SELECT jid, min(t) AS gt FROM {context.tables.path} WHERE sid IN ({goals}) GROUP BY jid"
    )
    checks = []
    for step in mine:
        cost, costed = _cost_sql(context, [step])
        window = "OVER (PARTITION BY jid ORDER BY t, seq)"
        sql = (
            "SELECT r.jid, r.hit, r.cost FROM (SELECT jid, t, CASE WHEN pch IS NOT NULL AND "
            f"channel IS NOT NULL AND pch <> channel THEN 1 ELSE 0 END AS hit, {cost} AS cost, "
            "row_number() OVER (PARTITION BY jid ORDER BY t, seq) AS _rn FROM (SELECT jid, t, "
            f"seq, step, touchpoint, channel, lag(step) {window} AS pstep, lag(channel) {window} "
            f"AS pch FROM {context.tables.bound} WHERE step IN ({codes})) p "
            f"WHERE step = {literal(step)} AND pstep IS NOT NULL AND pstep <> step) r "
            f"LEFT JOIN ({reached}) g ON g.jid = r.jid "
            "WHERE r._rn = 1 AND (g.gt IS NULL OR g.gt >= r.t)"
        )
        checks.append(Check("channel_switch", step, sql, [step], costed=costed))
    return checks


def bounce_checks(context: Context, options: PainPointOptions) -> list[Check]:
    """Journeys by their first mapped step; a hit has only that one mapped event."""
    checks, path = [], context.tables.path
    for step in [s for s in _reached(context) if _customers(context.steps[s])]:
        sql = (
            f"SELECT jid, CASE WHEN max(pos) = 1 THEN 1 ELSE 0 END AS hit, 0 AS cost FROM {path} "
            f"WHERE jid IN (SELECT jid FROM {path} WHERE pos = 1 AND sid = "
            f"{context.prepared.sid(step)}) GROUP BY jid"
        )
        checks.append(Check("bounce", step, sql, [step]))
    return checks


def _failure_sql(context: Context) -> str:
    engine = context.prepared.engine
    columns = context.prepared.columns
    likes = [
        f"event LIKE {literal(glob_to_like(g))} ESCAPE '\\'"
        for g in context.settings.failure_events
    ]
    for condition in context.settings.failure_conditions:
        sql, missing = rule_sql(EvidenceRule(event_glob="*", where=[condition]), engine, columns)
        if not missing:
            likes.append(sql)
    return " OR ".join(likes) or "FALSE"


def failure_checks(context: Context, options: PainPointOptions) -> list[Check]:
    """Events that mark a failure (names like the ``failure_events`` patterns, or attributes
    meeting ``failure_conditions``): per step, of the journeys at the step, those with a failed
    event there; failures on unmapped events count against all journeys, per event name."""
    failed = _failure_sql(context)
    found = context.query(
        "SELECT DISTINCT step, CASE WHEN step IS NULL THEN event END AS event FROM "
        f"{context.tables.bound} WHERE {failed}"
    )
    checks = []
    for row in found:
        if row["step"] is not None:
            cost, costed = _cost_sql(context, [row["step"]])
            sql = (
                f"SELECT jid, max(CASE WHEN {failed} THEN 1 ELSE 0 END) AS hit, "
                f"sum(CASE WHEN {failed} THEN {cost} ELSE 0 END) AS cost FROM "
                f"{context.tables.bound} WHERE step = {literal(row['step'])} GROUP BY jid"
            )
            checks.append(Check("failed_step", row["step"], sql, [row["step"]], costed=costed))
        else:
            sql = (
                f"SELECT jid, max(CASE WHEN event = {literal(row['event'])} AND ({failed}) THEN 1 "
                f"ELSE 0 END) AS hit, 0 AS cost FROM {context.tables.bound} GROUP BY jid"
            )
            checks.append(Check("failed_step", row["event"], sql, events=[row["event"]]))
    return checks


def loop_checks(context: Context, options: PainPointOptions) -> list[Check]:
    """Journeys at a step of the customer's own that is not a contact step; a hit came back to
    it ``loop_times`` or more times within ``loop_window_hours`` (searching the same list again
    and again, re-reading the same page): loops. A visit right after a company send answers
    the send and does not count (opening each week's newsletter is no loop), and neither does
    coming back every month (paying each bill, a habit)."""
    times, window = options.loop_times, float(options.loop_window_hours) * 3600
    contact = set(_contact_steps(context))
    sends = _sids(context, [s.id for s in context.steps.values() if not _customers(s)]) or "0"
    checks = []
    for step in [s for s in _reached(context) if s not in contact and _customers(context.steps[s])]:
        counted = (
            f"SELECT jid, sid, t FROM {context.tables.path} "
            f"WHERE sid = {context.prepared.sid(step)} "
            f"AND (prev_sid IS NULL OR prev_sid NOT IN ({sends}))"
        )
        sql = (
            f"SELECT jid, CASE WHEN max(w) >= {int(times)} THEN 1 ELSE 0 END AS hit, 0 AS cost "
            f"FROM (SELECT jid, {in_window_sql('sid', window)} AS w FROM ({counted}) c) r "
            "GROUP BY jid"
        )
        tps = [tp.id for tp in context.steps[step].touchpoints]
        checks.append(Check("loop", step, sql, [step], tps))
    return checks


def build_checks(
    context: Context, options: PainPointOptions, kinds: dict[str, plugins.PainPointKind]
) -> list[Check]:
    """Every check of every registered kind for this map and log."""
    checks = []
    for kind in kinds.values():
        made = kind.checks(context, options)
        if wrong := [c.kind for c in made if c.kind != kind.name]:
            raise ValueError(f"pain-point kind {kind.name!r} made a check of kind {wrong[0]!r}")
        checks += made
    return checks
