"""Pain-point detection [R7]: problems found in the events and surveys, overall and in segments,
priced, owned and ranked [R8, R9].

Kinds: ``drop_off``, ``slow_transition``, ``repeat_contact``, ``loop``, ``channel_switch``,
``bounce``, ``failed_step``, ``escalation`` (from events: registered pain-point kinds,
``journeyscope.plugins``, to which a plugin adds its own) and ``low_score``,
``negative_comment`` (from surveys). Each event kind makes its checks (``Check``) and names the
test of their evidence (``RateAbove``, ``ReportHits``, ``GoalRateGap``). Every event check is
run over all journeys and over every segment (see ``segments.py``); a segment problem is
reported when its rate is significantly above the rest's (two-proportion z-test,
Benjamini–Hochberg adjusted) and large enough (``large_enough``: ``min_lift`` times it and
``min_difference`` above it).
For channel switches the "rate" is the goal-rate gap between journeys that stayed on their
channel and those that switched: a segment that switches more has no problem, one where
switching costs more has.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from .. import plugins
from ..plugins import PainPointKind
from ..sql import Table, literal
from ._checks import Check, build_checks
from ._context import GOALS, Context
from ._merge import merge_findings
from ._pain_point import (
    CheckCounts,
    EvidenceTest,
    GoalRateGap,
    PainPoint,
    PainPointOptions,
    RateAbove,
    ReportHits,
    large_enough,
)
from ._stats import Comparison, adjust_pvalues
from ._survey_points import survey_pain_points, survey_segment_points
from .decisions import Decision, DecisionStore
from .drilldown import EXAMPLES, SURVEY_KINDS, example_journeys, survey_customers
from .evidence import EmotionPoint, bind_answers
from .priority import linked_opportunity, lost_customers, owners_of, priority_score
from .segments import CUSTOMER_SEGMENTS, EVENT_SEGMENTS, Segment, build_segments

__all__ = [
    "Check",
    "CheckCounts",
    "EvidenceTest",
    "GoalRateGap",
    "PainPoint",
    "PainPointOptions",
    "RateAbove",
    "ReportHits",
    "detect_pain_points",
]

#: one row per check and journey of its population: ``key`` (the check's), ``at`` (its first
#: step, where the event segments are read), ``jid``, ``hit`` and ``cost``
CHECKS = Table("_ins_checks", ("key", "at", "jid", "hit", "cost"))

_SUMS = (
    "CAST(count(*) AS BIGINT) AS n, CAST(sum(c.hit) AS BIGINT) AS hits, "
    "CAST(count(DISTINCT CASE WHEN c.hit = 1 THEN g.cid END) AS BIGINT) AS customers, "
    "CAST(sum(CASE WHEN c.hit = 1 THEN c.cost ELSE 0 END) AS DOUBLE) AS cost, "
    "CAST(sum(c.hit * g.goal) AS BIGINT) AS goal_hit, "
    "CAST(sum((1 - c.hit) * g.goal) AS BIGINT) AS goal_miss"
)


def _aggregate(
    context: Context, checks: list[Check]
) -> tuple[dict[str, CheckCounts], list[tuple[str, Segment, CheckCounts]]]:
    """Per check key (and per key and segment, of the customer or of the events at the check's
    step): counts, cost, goals."""
    engine = context.prepared.engine
    union = " UNION ALL ".join(
        f"SELECT {literal(c.key)} AS key, "
        f"{literal(c.steps[0]) if c.steps else 'CAST(NULL AS VARCHAR)'} "
        f"AS at, jid, hit, CAST(cost AS DOUBLE) AS cost FROM ({c.sql}) c{i}"
        for i, c in enumerate(checks)
    )
    engine.materialize(CHECKS.name, union)
    join = f"FROM {CHECKS} c JOIN {GOALS} g ON g.jid = c.jid"
    overall = context.query(f"SELECT c.key, {_SUMS} {join} GROUP BY c.key")
    segments = context.query(
        f"SELECT c.key, 'customer' AS level, s.dim, s.value, {_SUMS} {join} "
        f"JOIN {CUSTOMER_SEGMENTS} s ON s.jid = c.jid GROUP BY c.key, s.dim, s.value UNION ALL "
        f"SELECT c.key, 'event' AS level, s.dim, s.value, {_SUMS} {join} "
        f"JOIN {EVENT_SEGMENTS} s ON s.jid = c.jid AND s.step = c.at GROUP BY c.key, s.dim, "
        "s.value ORDER BY key, dim, value"
    )
    names = [f.name for f in fields(CheckCounts)]
    totals = {r["key"]: CheckCounts(*(r[f] or 0 for f in names)) for r in overall}
    return totals, [
        (
            r["key"],
            Segment(str(r["dim"]), str(r["value"]), r["level"]),
            CheckCounts(*(r[f] or 0 for f in names)),
        )
        for r in segments
    ]


def _overall_test(
    kind: PainPointKind, agg: CheckCounts, options: PainPointOptions
) -> dict[str, Any] | None:
    """The evidence for an all-customers pain point, or None when there is none (an adjusted
    kind's p-value is still to be adjusted, and its severity may go either way: see
    ``_overall_points``)."""
    if agg.hits < options.min_customers:
        return None
    return kind.evidence.overall(agg, options)


def _overall_points(
    totals: dict[str, CheckCounts],
    by_key: dict[str, Check],
    kinds: dict[str, PainPointKind],
    options: PainPointOptions,
) -> list[tuple[str, CheckCounts, dict[str, Any]]]:
    """Every all-customers pain point. A kind whose evidence is ``adjusted`` (a channel switch:
    no rate threshold, only a test at every step the log reaches) has its p-values adjusted
    (Benjamini-Hochberg over every check of the kind, whichever way its severity goes), or a
    clean log with many steps would raise a false alarm now and then."""
    found = [
        (key, agg, evidence)
        for key, agg in totals.items()
        if by_key[key].overall
        and (evidence := _overall_test(kinds[by_key[key].kind], agg, options)) is not None
    ]
    for kind in (k for k in kinds.values() if k.evidence.adjusted):
        family = [f for f in found if by_key[f[0]].kind == kind.name]
        qvalues = adjust_pvalues([evidence["p_value"] for *_, evidence in family])
        for (*_, evidence), qv in zip(family, qvalues, strict=True):
            evidence["q_value"] = qv
    return [  # a rate is positive; an adjusted kind's severity (a gap) may be negative
        (key, agg, evidence)
        for key, agg, evidence in found
        if evidence.get("q_value", 0.0) < options.alpha and evidence["severity"] > 0
    ]


def _segment_evidence(
    kind: PainPointKind,
    test: Comparison,
    qv: float,
    own_p: float,
    counts: tuple[CheckCounts, CheckCounts],
) -> dict[str, Any]:
    """The evidence of a segment: the effect (difference with its interval, lift with its
    interval), the p- and q-value and what the kind adds."""
    lift = test.a / test.b if test.b > 0 else float("inf")
    lift_low, lift_high = kind.evidence.lift_interval(*counts)
    common = {"lift": lift, "lift_low": lift_low, "lift_high": lift_high,
              "difference": test.a - test.b, "p_value": test.p_value, "q_value": qv,
              "ci_low": test.low, "ci_high": test.high, "severity": test.a}  # fmt: skip
    return common | kind.evidence.segment_evidence(test, own_p)


def _segment_tests(
    totals: dict[str, CheckCounts],
    segments: list[tuple[str, Segment, CheckCounts]],
    kind_of: dict[str, PainPointKind],
    options: PainPointOptions,
) -> list[tuple[str, Segment, CheckCounts, Comparison, float]]:
    """Every check in every segment with enough journeys on both sides, against the rest: its
    hit rate (or, for a channel switch, its goal-rate gap), and a p-value the segment must
    also pass on its own (0 when there is none)."""
    tested = []
    for key, segment, agg in segments:
        rest = totals[key].minus(agg)
        if min(agg.n, rest.n) < options.min_segment_journeys or agg.hits < options.min_customers:
            continue
        if (compared := kind_of[key].evidence.segment(agg, rest)) is not None:
            tested.append((key, segment, agg, *compared))
    return tested


def _segment_points(
    totals: dict[str, CheckCounts],
    tested: list[tuple[str, Segment, CheckCounts, Comparison, float]],
    qvalues: list[float],
    kind_of: dict[str, PainPointKind],
    options: PainPointOptions,
) -> list[tuple[str, Segment, CheckCounts, dict[str, Any]]]:
    """Segments where a check's problem is concentrated: significantly above the rest (after
    Benjamini-Hochberg over every segment test) and at least ``min_lift`` times it."""
    found = []
    for (key, segment, agg, test, own_p), qv in zip(tested, qvalues, strict=True):
        rest = totals[key].minus(agg)
        evidence = _segment_evidence(kind_of[key], test, qv, own_p, (agg, rest))
        if (
            qv < options.alpha
            and own_p < options.alpha
            and test.a > max(test.b, 0.0)
            and large_enough(test.a - test.b, evidence["lift"], options)
        ):
            found.append((key, segment, agg, evidence))
    return found


def _pain_point(
    context: Context,
    check: Check,
    segment: Segment | None,
    agg: CheckCounts,
    evidence: dict[str, Any],
) -> PainPoint:
    severity = float(evidence.pop("severity"))
    hit_rate, rest_rate = agg.goal_rates()
    lost = lost_customers(agg.hits, hit_rate, rest_rate)
    evidence |= {
        "rate": agg.rate,
        "journeys": agg.n,
        "hits": agg.hits,
        **check.facts,
        "goal_rate_affected": hit_rate,
        "goal_rate_unaffected": rest_rate,
    }
    value = lost * context.mean_value if context.mean_value is not None else None
    name = segment.key if segment is not None else "all"
    return PainPoint(
        f"{check.key}:{name}",
        check.kind,
        check.element,
        name,
        check.steps,
        check.touchpoints,
        check.events,
        agg.customers,
        severity,
        evidence,
        lost,
        value,
        agg.cost if check.costed else None,
        segment_detail=segment.to_dict() if segment is not None else None,
    )


def _members_sql(key: str, segment: Segment | None) -> str:
    """SQL of the journeys where the check ``key`` hit (in the segment)."""
    where = f"c.key = {literal(key)} AND c.hit = 1"
    join = ""
    if segment is not None:
        join = (
            f"JOIN {CUSTOMER_SEGMENTS} s ON s.jid = c.jid"
            if segment.level == "customer"
            else f"JOIN {EVENT_SEGMENTS} s ON s.jid = c.jid AND s.step = c.at"
        )
        where += (
            f" AND s.dim = {literal(segment.dimension)} "
            f"AND CAST(s.value AS VARCHAR) = {literal(segment.value)}"
        )
    return f"SELECT 1 AS key, c.jid FROM {CHECKS} c {join} WHERE {where}"


def _examples(context: Context, key: str, segment: Segment | None) -> list[dict[str, Any]]:
    """Journeys where the check hit (in the segment): the drill-down that makes each number
    traceable."""
    return example_journeys(context, _members_sql(key, segment), EXAMPLES).get("1", [])


def _segment_of(point: PainPoint) -> Segment | None:
    detail = point.segment_detail
    return None if detail is None else Segment(**detail)  # type: ignore[arg-type]


def _members(context: Context, points: list[PainPoint], checks: set[str]) -> dict[str, set[str]]:
    """Per pain point, the ids of its customers (to tell one problem from two)."""
    answers = bind_answers(context) if any(p.kind in SURVEY_KINDS for p in points) else []
    found: dict[str, set[str]] = {}
    for point in points:
        if point.kind in SURVEY_KINDS:
            found[point.key] = survey_customers(
                context, point.kind, point.element, _segment_of(point), answers
            )
        elif (check := point.key[: -len(point.segment) - 1]) in checks:  # "kind:element"
            found[point.key] = _customer_ids(context, _members_sql(check, _segment_of(point)))
    return found


def _customer_ids(context: Context, members: str) -> set[str]:
    rows = context.query(
        f"SELECT DISTINCT u.customer_id FROM ({members}) m JOIN {GOALS} g ON g.jid = m.jid "
        f"JOIN {context.tables.customer_codes} u ON u.cid = g.cid"
    )
    return {str(r["customer_id"]) for r in rows}


def _finish(context: Context, point: PainPoint, decision: Decision | None) -> PainPoint:
    owners = owners_of(context, point.steps, point.touchpoints)
    point.owners, point.teams = owners.owners, owners.teams
    point.systems, point.processes = owners.systems, owners.processes
    opportunity = linked_opportunity(
        context, point.steps, decision.opportunity if decision else None
    )
    if opportunity is not None:
        point.opportunity, point.effort = opportunity.id, opportunity.effort
    if decision is not None:
        point.status, point.decision_owner = decision.status, decision.owner
    money = (point.value_at_risk or 0.0) + (point.handling_cost or 0.0)
    point.priority = priority_score(point.customers_affected, point.severity, money, point.effort)
    return point


def _event_kinds() -> dict[str, PainPointKind]:
    """The registered kinds; the survey kinds' names are taken (they share the keys)."""
    kinds = plugins.pain_point_kinds()
    if taken := sorted(set(kinds) & set(SURVEY_KINDS)):
        raise plugins.PluginError(f"pain-point kind {taken[0]!r} is a survey kind's name")
    return kinds


def _p(value: float | None) -> float:
    return 1.0 if value is None else value


def detect_pain_points(
    context: Context,
    curve: list[EmotionPoint] | None = None,
    options: PainPointOptions | None = None,
    decisions: DecisionStore | None = None,
) -> list[PainPoint]:
    """Every pain point, highest priority first (dismissed ones last)."""
    options = options or PainPointOptions()
    if context.segments is None:
        context.segments = build_segments(context.prepared)
    kinds = _event_kinds()
    checks = build_checks(context, options, kinds)
    found, survey_tests = survey_pain_points(context, curve or [], options)
    by_key, tested = {c.key: c for c in checks}, []
    totals: dict[str, CheckCounts] = {}
    kind_of = {key: kinds[check.kind] for key, check in by_key.items()}
    if checks:
        totals, segments = _aggregate(context, checks)
        for key, agg, evidence in _overall_points(totals, by_key, kinds, options):
            found.append(_pain_point(context, by_key[key], None, agg, evidence))
            found[-1].examples = _examples(context, key, None)
        tested = _segment_tests(totals, segments, kind_of, options)
    # one Benjamini-Hochberg family for every segment test, of events and of surveys alike
    # (an effect so strong that its p-value underflows to 0.0 is the strongest evidence there
    # is: only a missing p-value counts as 1)
    pvalues = [_p(t[3].p_value) for t in tested] + [_p(t[5].p_value) for t in survey_tests]
    qvalues = adjust_pvalues(pvalues)
    event_points = _segment_points(totals, tested, qvalues[: len(tested)], kind_of, options)
    for key, segment, agg, evidence in event_points:
        found.append(_pain_point(context, by_key[key], segment, agg, evidence))
        found[-1].examples = _examples(context, key, segment)
    found += survey_segment_points(context, survey_tests, qvalues[len(tested) :], options)
    known = decisions.all() if decisions is not None else {}
    found = [_finish(context, p, known.get(p.key)) for p in found]
    if options.merge:
        found = merge_findings(context, found, _members(context, found, set(by_key)))
    found.sort(key=lambda p: (p.status == "dismissed", -p.priority, p.key))
    return found
