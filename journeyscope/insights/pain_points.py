"""Pain-point detection [R7]: problems found in the events and surveys, overall and in segments,
priced, owned and ranked [R8, R9].

Kinds: ``drop_off``, ``slow_transition``, ``repeat_contact``, ``loop``, ``channel_switch``,
``bounce``, ``failed_step`` (from events) and ``low_score``, ``negative_comment`` (from
surveys). Every event check is run over all journeys and over every segment (see
``segments.py``); a segment problem is reported when its rate is significantly above the
rest's (two-proportion z-test, Benjamini–Hochberg adjusted) and at least ``min_lift`` times it.
For channel switches the "rate" is the goal-rate gap between journeys that stayed on their
channel and those that switched: a segment that switches more has no problem, one where
switching costs more has.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from scipy import stats

from ._checks import Check, build_checks
from ._context import Context, q
from ._pain_point import PainPoint, PainPointOptions
from ._stats import Comparison, adjust_pvalues, two_proportions
from ._survey_points import survey_pain_points, survey_segment_points
from .decisions import Decision, DecisionStore
from .drilldown import EXAMPLES, example_journeys
from .evidence import EmotionPoint
from .priority import linked_opportunity, lost_customers, owners_of, priority_score
from .segments import build_segments

__all__ = ["PainPoint", "PainPointOptions", "detect_pain_points"]


@dataclass
class _Agg:
    n: int = 0
    hits: int = 0
    customers: int = 0
    cost: float = 0.0
    goal_hit: int = 0
    goal_miss: int = 0

    def minus(self, other: _Agg) -> _Agg:
        return _Agg(*(getattr(self, k) - getattr(other, k) for k in self.__dataclass_fields__))

    @property
    def rate(self) -> float:
        return self.hits / self.n if self.n else 0.0

    def goal_rates(self) -> tuple[float, float]:
        """Goal rate of the journeys with the problem, and of those without."""
        miss = self.n - self.hits
        return (
            self.goal_hit / self.hits if self.hits else 0.0,
            self.goal_miss / miss if miss else 0.0,
        )


_SUMS = (
    "CAST(count(*) AS BIGINT) AS n, CAST(sum(c.hit) AS BIGINT) AS hits, "
    "CAST(count(DISTINCT CASE WHEN c.hit = 1 THEN g.cid END) AS BIGINT) AS customers, "
    "CAST(sum(CASE WHEN c.hit = 1 THEN c.cost ELSE 0 END) AS DOUBLE) AS cost, "
    "CAST(sum(c.hit * g.goal) AS BIGINT) AS goal_hit, "
    "CAST(sum((1 - c.hit) * g.goal) AS BIGINT) AS goal_miss"
)


def _aggregate(context: Context, checks: list[Check]) -> tuple[dict[str, _Agg], list[Any]]:
    """Per check key (and per key, segment dimension and value): counts, cost, goals."""
    engine = context.prepared.engine
    union = " UNION ALL ".join(
        f"SELECT {q(c.key)} AS key, jid, hit, CAST(cost AS DOUBLE) AS cost FROM ({c.sql}) c{i}"
        for i, c in enumerate(checks)
    )
    engine.materialize("_ins_checks", union)
    join = "FROM _ins_checks c JOIN _ins_goal g ON g.jid = c.jid"
    overall = context.query(f"SELECT c.key, {_SUMS} {join} GROUP BY c.key")
    segments = context.query(
        f"SELECT c.key, s.dim, s.value, {_SUMS} {join} JOIN _ins_seg s ON s.jid = c.jid "
        "GROUP BY c.key, s.dim, s.value ORDER BY c.key, s.dim, s.value"
    )
    fields = list(_Agg.__dataclass_fields__)
    totals = {r["key"]: _Agg(*(r[f] or 0 for f in fields)) for r in overall}
    return totals, [
        (r["key"], f"{r['dim']}={r['value']}", _Agg(*(r[f] or 0 for f in fields))) for r in segments
    ]


def _slow_limits(context: Context, options: PainPointOptions) -> dict[tuple[int, int], float]:
    """Limit per forward transition: the target step's wait target when the map gives one;
    else, within a stage, ``slow_factor`` x the median of the within-stage transitions' medians.
    Transitions between stages without a target are not judged (waiting for a departure is no
    pain point)."""
    edges = context.query(
        f"SELECT prev_sid AS a, sid AS b, {context.prepared.engine.median('gap')} AS m, "
        "count(*) AS n FROM path WHERE prev_sid IS NOT NULL AND prev_sid < sid "
        "GROUP BY prev_sid, sid"
    )
    infos = context.prepared.binding.steps
    targets = context.settings.wait_targets_hours
    limits: dict[tuple[int, int], float] = {}
    inside = [e for e in edges if infos[e["a"] - 1].stage == infos[e["b"] - 1].stage]
    reference = float(stats.scoreatpercentile([e["m"] for e in inside], 50)) if inside else 0.0
    for e in edges:
        target = targets.get(infos[e["b"] - 1].id)
        if e["n"] < options.min_customers:
            continue
        if target is not None:
            limits[(e["a"], e["b"])] = target * 3600
        elif e in inside and reference > 0:
            limits[(e["a"], e["b"])] = options.slow_factor * reference
    return limits


_OVERALL_MIN = {
    "drop_off": "drop_off_min",
    "repeat_contact": "repeat_min",
    "bounce": "bounce_min",
    "loop": "loop_min",
}


def _switch_test(agg: _Agg) -> dict[str, Any] | None:
    """Do switchers reach the goal less often than the journeys that stayed on the channel?"""
    hit_rate, rest_rate = agg.goal_rates()
    test = two_proportions(agg.goal_hit, agg.hits, agg.goal_miss, agg.n - agg.hits)
    if test.p_value is None:
        return None
    return {
        "severity": rest_rate - hit_rate,
        "goal_rate_switching": hit_rate,
        "goal_rate_same_channel": rest_rate,
        "p_value": test.p_value,
        "test": "two-proportion z-test (Benjamini-Hochberg over the steps)",
    }


def _overall_test(check: Check, agg: _Agg, options: PainPointOptions) -> dict[str, Any] | None:
    """The evidence for an all-customers pain point, or None when there is none (a channel
    switch's p-value is still to be adjusted, and its gap may go either way: see
    ``_overall_points``)."""
    if agg.hits < options.min_customers:
        return None
    if check.kind == "channel_switch":
        return _switch_test(agg)
    if check.kind == "failed_step":
        return {"severity": agg.rate, "p_value": None, "test": None}
    threshold = (
        0.5 if check.kind == "slow_transition" else getattr(options, _OVERALL_MIN[check.kind])
    )
    p = float(stats.binomtest(agg.hits, agg.n, threshold, alternative="greater").pvalue)
    if agg.rate < threshold or p >= options.alpha:
        return None
    return {
        "severity": agg.rate,
        "threshold": threshold,
        "p_value": p,
        "test": "exact binomial test (rate above threshold)",
    }


def _overall_points(
    totals: dict[str, _Agg], by_key: dict[str, Check], options: PainPointOptions
) -> list[tuple[str, _Agg, dict[str, Any]]]:
    """Every all-customers pain point. A channel switch has no rate threshold, only a test at
    every step the log reaches: those p-values are adjusted (Benjamini-Hochberg over every
    step, whichever way its gap goes), or a clean log with many steps would raise a false
    alarm now and then."""
    found = [
        (key, agg, evidence)
        for key, agg in totals.items()
        if (evidence := _overall_test(by_key[key], agg, options)) is not None
    ]
    switches = [f for f in found if by_key[f[0]].kind == "channel_switch"]
    qvalues = adjust_pvalues([evidence["p_value"] for *_, evidence in switches])
    for (*_, evidence), qv in zip(switches, qvalues, strict=True):
        evidence["q_value"] = qv
    return [  # every other kind's severity is a positive rate; a switch's gap may be negative
        (key, agg, evidence)
        for key, agg, evidence in found
        if evidence.get("q_value", 0.0) < options.alpha and evidence["severity"] > 0
    ]


def _gap_comparison(agg: _Agg, rest: _Agg) -> tuple[Comparison, float] | None:
    """Channel switches in a segment: the segment's goal-rate gap (same channel minus switching)
    against the rest's gap, by a Wald z-test of the difference; and the p-value of the gap
    inside the segment. A segment whose customers switch more is no problem; one where
    switching costs more is."""
    if min(agg.hits, agg.n - agg.hits, rest.hits, rest.n - rest.hits) == 0:
        return None
    gaps, variance = [], 0.0
    for side in (agg, rest):
        switching, same = side.goal_rates()
        stayed = side.n - side.hits
        gaps.append(same - switching)
        variance += switching * (1 - switching) / side.hits + same * (1 - same) / stayed
    if variance <= 0:
        return None
    difference, se = gaps[0] - gaps[1], math.sqrt(variance)
    z = float(stats.norm.ppf(0.975))
    p = float(2 * stats.norm.sf(abs(difference) / se))
    inside = two_proportions(agg.goal_miss, agg.n - agg.hits, agg.goal_hit, agg.hits)
    comparison = Comparison(gaps[0], gaps[1], difference, difference - z * se,
                            difference + z * se, p, "difference of goal-rate gaps")  # fmt: skip
    return comparison, 1.0 if inside.p_value is None else inside.p_value


def _segment_comparison(key: str, agg: _Agg, rest: _Agg) -> tuple[Comparison, float] | None:
    """The segment against the rest: its hit rate (or, for a channel switch, its goal-rate
    gap), and a p-value the segment must also pass on its own (0 when there is none)."""
    if key.startswith("channel_switch:"):
        return _gap_comparison(agg, rest)
    test = two_proportions(agg.hits, agg.n, rest.hits, rest.n)
    return (test, 0.0) if test.p_value is not None else None


def _segment_evidence(key: str, test: Comparison, qv: float, own_p: float) -> dict[str, Any]:
    lift = test.a / test.b if test.b > 0 else float("inf")
    common = {"lift": lift, "p_value": test.p_value, "q_value": qv, "ci_low": test.low,
              "ci_high": test.high, "severity": test.a}  # fmt: skip
    if key.startswith("channel_switch:"):
        return common | {
            "rest_gap": test.b,
            "p_value_in_segment": own_p,
            "test": "z-test of the goal-rate gap vs the rest's gap (Benjamini-Hochberg)",
        }
    return common | {
        "rest_rate": test.b,
        "test": "two-proportion z-test vs the rest (Benjamini-Hochberg)",
    }


def _segment_tests(
    totals: dict[str, _Agg], segments: list[Any], options: PainPointOptions
) -> list[tuple[str, str, _Agg, Comparison, float]]:
    """Every check in every segment with enough journeys on both sides, against the rest."""
    tested = []
    for key, segment, agg in segments:
        rest = totals[key].minus(agg)
        if min(agg.n, rest.n) < options.min_segment_journeys or agg.hits < options.min_customers:
            continue
        if (compared := _segment_comparison(key, agg, rest)) is not None:
            tested.append((key, segment, agg, *compared))
    return tested


def _segment_points(
    tested: list[tuple[str, str, _Agg, Comparison, float]],
    qvalues: list[float],
    options: PainPointOptions,
) -> list[tuple[str, str, _Agg, dict[str, Any]]]:
    """Segments where a check's problem is concentrated: significantly above the rest (after
    Benjamini-Hochberg over every segment test) and at least ``min_lift`` times it."""
    found = []
    for (key, segment, agg, test, own_p), qv in zip(tested, qvalues, strict=True):
        evidence = _segment_evidence(key, test, qv, own_p)
        if (
            qv < options.alpha
            and own_p < options.alpha
            and test.a > max(test.b, 0.0)
            and evidence["lift"] >= options.min_lift
        ):
            found.append((key, segment, agg, evidence))
    return found


def _pain_point(
    context: Context, check: Check, segment: str, agg: _Agg, evidence: dict[str, Any]
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
    return PainPoint(
        f"{check.key}:{segment}",
        check.kind,
        check.element,
        segment,
        check.steps,
        check.touchpoints,
        check.events,
        agg.customers,
        severity,
        evidence,
        lost,
        value,
        agg.cost if check.costed else None,
    )


def _examples(context: Context, key: str, segment: str) -> list[dict[str, Any]]:
    """Journeys where the check hit (in the segment): the drill-down that makes each number
    traceable."""
    where = f"c.key = {q(key)} AND c.hit = 1"
    join = ""
    if segment != "all":
        dim, _, value = segment.partition("=")
        join = "JOIN _ins_seg s ON s.jid = c.jid"
        where += f" AND s.dim = {q(dim)} AND CAST(s.value AS VARCHAR) = {q(value)}"
    members = f"SELECT 1 AS key, c.jid FROM _ins_checks c {join} WHERE {where}"
    return example_journeys(context, members, EXAMPLES).get("1", [])


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
    checks = build_checks(
        context,
        _slow_limits(context, options),
        options.repeat_times,
        options.repeat_window_days * 86400,
        options.loop_times,
    )
    found, survey_tests = survey_pain_points(context, curve or [], options)
    by_key, tested = {c.key: c for c in checks}, []
    if checks:
        totals, segments = _aggregate(context, checks)
        for key, agg, evidence in _overall_points(totals, by_key, options):
            found.append(_pain_point(context, by_key[key], "all", agg, evidence))
            found[-1].examples = _examples(context, key, "all")
        tested = _segment_tests(totals, segments, options)
    # one Benjamini-Hochberg family for every segment test, of events and of surveys alike
    pvalues = [t[3].p_value or 1.0 for t in tested] + [t[5].p_value or 1.0 for t in survey_tests]
    qvalues = adjust_pvalues(pvalues)
    for key, segment, agg, evidence in _segment_points(tested, qvalues[: len(tested)], options):
        found.append(_pain_point(context, by_key[key], segment, agg, evidence))
        found[-1].examples = _examples(context, key, segment)
    found += survey_segment_points(context, survey_tests, qvalues[len(tested) :], options)
    known = decisions.all() if decisions is not None else {}
    found = [_finish(context, p, known.get(p.key)) for p in found]
    found.sort(key=lambda p: (p.status == "dismissed", -p.priority, p.key))
    return found
