"""Pain points from survey answers: low scores and negative comments, overall and in segments,
priced like the event pain points.

Money: of the customers who answered about the step (in the segment), those with the problem
(a low answer, a negative comment) against the others. *Lost customers* = the customers with
the problem × (the others' goal rate − theirs) when the others reach the goal significantly
more often (two-proportion z-test, p < ``alpha``), else 0; *value at risk* = lost customers ×
the mean value per converting customer. A survey answer costs no handling.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._context import GOALS, Context
from ._pain_point import PainPoint, PainPointOptions, large_enough
from ._stats import Comparison, ratio_interval, two_proportions
from .evidence import ANSWERS, EmotionPoint, bind_answers, is_negative
from .priority import lost_customers
from .segments import CUSTOMER_SEGMENTS, EVENT_SEGMENTS, Segment

__all__ = ["SurveyTest", "survey_pain_points", "survey_segment_points"]

Answer = dict[str, Any]


def _low(a: Answer) -> bool:
    return bool(a["norm"] < 0.5)


def _commented(a: Answer) -> bool:
    return bool(a["comment"])


def _negative(a: Answer) -> bool:
    return bool(a["comment"]) and is_negative(a["comment"], a["norm"])


#: kind -> (the answers it is judged on, the answers with the problem)
_KINDS: dict[str, tuple[Callable[[Answer], bool], Callable[[Answer], bool]]] = {
    "low_score": (lambda a: True, _low),
    "negative_comment": (_commented, _negative),
}


def _customer_goals(context: Context) -> dict[str, int]:
    """Customer id -> 1 when any of the customer's journeys reached the goal (``_ins_goal``),
    for the customers who answered (the engine keeps the others)."""
    rows = context.query(
        f"SELECT u.customer_id, max(g.goal) AS goal FROM {GOALS} g JOIN "
        f"{context.tables.customer_codes} u ON u.cid = g.cid WHERE u.customer_id IN "
        f"(SELECT customer_id FROM {ANSWERS} WHERE bound_step IS NOT NULL) GROUP BY u.customer_id"
    )
    return {str(r["customer_id"]): int(r["goal"]) for r in rows}


Money = tuple[float, float | None, dict[str, Any]]


def _money(
    context: Context,
    goals: dict[str, int],
    answers: list[Answer],
    kind: str,
    options: PainPointOptions,
) -> Money:
    """Lost customers, value at risk and their evidence for the problem ``kind`` among the
    customers who gave ``answers`` (those without events have no goal and are left out)."""
    hit = {a["customer_id"] for a in answers if _KINDS[kind][1](a)} & goals.keys()
    other = ({a["customer_id"] for a in answers} & goals.keys()) - hit
    test = two_proportions(
        sum(goals[c] for c in hit), len(hit), sum(goals[c] for c in other), len(other)
    )
    significant = test.p_value is not None and test.p_value < options.alpha
    lost = lost_customers(len(hit), test.a, test.b) if significant else 0.0
    value = lost * context.mean_value if context.mean_value is not None else None
    facts = {
        "goal_rate_affected": test.a,
        "goal_rate_unaffected": test.b,
        "goal_p_value": test.p_value,
    }
    return lost, value, facts


def _step_point(
    kind: str,
    step: str,
    segment: Segment | None,
    customers: int,
    severity: float,
    evidence: dict[str, Any],
    money: Money,
) -> PainPoint:
    lost, value, facts = money
    name = segment.key if segment is not None else "all"
    detail = segment.to_dict() if segment is not None else None
    return PainPoint(f"{kind}:{step}:{name}", kind, step, name, [step], [], [], customers,
                     severity, evidence | facts, lost, value,
                     segment_detail=detail)  # fmt: skip


def _low_score(p: EmotionPoint, options: PainPointOptions) -> tuple[int, float, dict] | None:
    """Mean answer below the scale's middle, by a one-sample t-test."""
    share, pv = p.mean_score_share, p.p_below_middle
    if p.answers < options.min_answers or share is None or pv is None:
        return None
    if share >= 0.5 or pv >= options.alpha:
        return None
    return p.low_score_customers, 1 - share, {
        "mean": p.mean, "ci_low": p.low, "ci_high": p.high, "answers": p.answers,
        "assumed": p.assumed, "p_value": pv, "kinds": p.kinds,
        "test": "one-sample t-test below the scale's middle"}  # fmt: skip


def _negative_comments(
    p: EmotionPoint, options: PainPointOptions
) -> tuple[int, float, dict] | None:
    if p.negative < options.negative_min or p.negative < 0.3 * p.comments:
        return None
    return p.negative, p.negative / p.comments, {"negative": p.negative, "comments": p.comments,
                                                 "examples": p.negative_comments[:3]}  # fmt: skip


def _overall_points(
    context: Context,
    curve: list[EmotionPoint],
    answers: list[Answer],
    goals: dict[str, int],
    options: PainPointOptions,
) -> list[PainPoint]:
    found = []
    for p in curve:
        mine = [a for a in answers if a["bound_step"] == p.step]
        for kind, judge in (("low_score", _low_score), ("negative_comment", _negative_comments)):
            if (result := judge(p, options)) is not None:
                money = _money(context, goals, mine, kind, options)
                found.append(_step_point(kind, p.step, None, *result, money))
    return found


def _answer_segments(context: Context) -> dict[tuple[str, str | None], list[Segment]]:
    """Per customer who answered (step None) their customer segments, and per customer and
    step the segments of their events at the step."""
    who = (
        f"(SELECT DISTINCT jid, customer_id FROM {context.tables.bound} WHERE customer_id IN "
        f"(SELECT customer_id FROM {ANSWERS} WHERE bound_step IS NOT NULL))"
    )
    found = context.query(
        "SELECT DISTINCT b.customer_id, CAST(NULL AS VARCHAR) AS step, 'customer' AS level, "
        f"s.dim, s.value FROM {CUSTOMER_SEGMENTS} s JOIN {who} b "
        "ON b.jid = s.jid UNION ALL SELECT DISTINCT b.customer_id, s.step, 'event' AS level, "
        f"s.dim, s.value FROM {EVENT_SEGMENTS} s JOIN {who} b "
        "ON b.jid = s.jid"
    )
    segments: dict[tuple[str, str | None], list[Segment]] = {}
    for row in found:
        segment = Segment(str(row["dim"]), str(row["value"]), row["level"])
        segments.setdefault((row["customer_id"], row["step"]), []).append(segment)
    return segments


#: kind, step, segment, the segment's answers at the step, its problem answers, the test, and
#: its counts (problems and answers judged, in the segment and in the rest)
SurveyTest = tuple[
    str, str, Segment, list[Answer], list[Answer], Comparison, tuple[int, int, int, int]
]


def _segment_tests(
    context: Context, answers: list[Answer], options: PainPointOptions
) -> list[SurveyTest]:
    """Every kind, step and segment with enough answers on both sides: low answers among the
    answers, negative comments among the comments, against the rest of the step's."""
    segments = _answer_segments(context) if answers else {}
    tested = []
    for step in dict.fromkeys(a["bound_step"] for a in answers):
        mine = [
            (a, segments.get((a["customer_id"], None), [])
             + segments.get((a["customer_id"], step), []))
            for a in answers
            if a["bound_step"] == step
        ]  # fmt: skip
        # each segment's answers, in answer order, gathered in one pass; the rest's counts are
        # the step's totals less the segment's
        members: dict[Segment, list[Answer]] = {}
        for a, gs in mine:
            for g in dict.fromkeys(gs):
                members.setdefault(g, []).append(a)
        totals = {}
        for kind, (judged, problem) in _KINDS.items():
            step_judged = [a for a, _ in mine if judged(a)]
            totals[kind] = (len(step_judged), sum(map(problem, step_judged)))
        for segment in sorted(members, key=lambda g: g.key):
            everyone = members[segment]
            for kind, (judged, problem) in _KINDS.items():
                inside = [a for a in everyone if judged(a)]
                rest_judged = totals[kind][0] - len(inside)
                if min(len(inside), rest_judged) < options.min_answers:
                    continue
                hits = [a for a in inside if problem(a)]
                if kind == "negative_comment" and len(hits) < options.negative_min:
                    continue
                counts = (len(hits), len(inside), totals[kind][1] - len(hits), rest_judged)
                test = two_proportions(*counts)
                tested.append((kind, step, segment, everyone, hits, test, counts))
    return tested


def survey_segment_points(
    context: Context, tested: list[SurveyTest], qvalues: list[float], options: PainPointOptions
) -> list[PainPoint]:
    """The segments whose share of low answers or negative comments is significantly above
    the rest's (two-proportion z-test; ``qvalues`` are the tests' p-values adjusted by
    Benjamini–Hochberg, together with the event checks' segment tests) and ``min_lift`` times
    it."""
    goals = _customer_goals(context) if tested else {}
    found = []
    for (kind, step, segment, everyone, hits, test, counts), qv in zip(
        tested, qvalues, strict=True
    ):
        lift = test.a / test.b if test.b else float("inf")
        if qv < options.alpha and test.a > test.b and large_enough(test.a - test.b, lift, options):
            customers = len({a["customer_id"] for a in hits})
            interval = ratio_interval(*counts)
            money = _money(context, goals, everyone, kind, options)
            found.append(_step_point(kind, step, segment, customers, test.a, {
                "rate": test.a, "rest_rate": test.b, "lift": lift, "p_value": test.p_value,
                "difference": test.a - test.b,
                "lift_low": interval[0], "lift_high": interval[1],
                "q_value": qv, "ci_low": test.low, "ci_high": test.high,
                "answers": len(everyone),
                "test": "two-proportion z-test vs the rest (Benjamini-Hochberg)",
            }, money))  # fmt: skip
    return found


def survey_pain_points(
    context: Context, curve: list[EmotionPoint], options: PainPointOptions
) -> tuple[list[PainPoint], list[SurveyTest]]:
    """Low scores and negative comments per step for all customers, and the segment tests
    (turned into pain points by ``survey_segment_points`` once their p-values are adjusted)."""
    answers = [a for a in bind_answers(context) if a["bound_step"]]
    if not answers:
        return [], []
    overall = _overall_points(context, curve, answers, _customer_goals(context), options)
    return overall, _segment_tests(context, answers, options)
