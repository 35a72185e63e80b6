"""Pain points from survey answers: low scores and negative comments, overall and in segments."""

from __future__ import annotations

from typing import Any

from ._context import Context
from ._pain_point import PainPoint, PainPointOptions
from ._stats import adjust_pvalues, two_proportions
from .evidence import EmotionPoint, bind_answers

__all__ = ["survey_pain_points"]


def _step_point(kind: str, step: str, segment: str, customers: int, severity: float,
                evidence: dict[str, Any]) -> PainPoint:  # fmt: skip
    return PainPoint(f"{kind}:{step}:{segment}", kind, step, segment, [step], [], [], customers,
                     severity, evidence)  # fmt: skip


def _low_score(p: EmotionPoint, options: PainPointOptions) -> PainPoint | None:
    """Mean answer below the scale's middle, by a one-sample t-test."""
    share, pv = p.mean_score_share, p.p_below_middle
    if p.answers < options.min_answers or share is None or pv is None:
        return None
    if share >= 0.5 or pv >= options.alpha:
        return None
    return _step_point("low_score", p.step, "all", p.low_score_customers, 1 - share, {
        "mean": p.mean, "ci_low": p.low, "ci_high": p.high, "answers": p.answers,
        "assumed": p.assumed, "p_value": pv, "kinds": p.kinds,
        "test": "one-sample t-test below the scale's middle"})  # fmt: skip


def _negative(p: EmotionPoint, options: PainPointOptions) -> PainPoint | None:
    if p.negative < options.negative_min or p.negative < 0.3 * p.comments:
        return None
    return _step_point("negative_comment", p.step, "all", p.negative, p.negative / p.comments,
                       {"negative": p.negative, "comments": p.comments,
                        "examples": p.negative_comments[:3]})  # fmt: skip


def _answer_segments(context: Context) -> dict[str, list[str]]:
    found = context.query(
        "SELECT DISTINCT b.customer_id, s.dim, s.value FROM _ins_seg s JOIN (SELECT DISTINCT "
        "jid, customer_id FROM bound) b ON b.jid = s.jid"
    )
    segments: dict[str, list[str]] = {}
    for row in found:
        segments.setdefault(row["customer_id"], []).append(f"{row['dim']}={row['value']}")
    return segments


def _segment_tests(context: Context, options: PainPointOptions) -> list[tuple[Any, ...]]:
    """(step, segment, low answers, answers, test) for every step and segment with enough
    answers on both sides."""
    answers = [a for a in bind_answers(context) if a["bound_step"]]
    segments = _answer_segments(context) if answers else {}
    tested = []
    for step in dict.fromkeys(a["bound_step"] for a in answers):
        mine = [(a, segments.get(a["customer_id"], [])) for a in answers if a["bound_step"] == step]
        for segment in sorted({g for _, gs in mine for g in gs}):
            inside = [a for a, gs in mine if segment in gs]
            rest = [a for a, gs in mine if segment not in gs]
            if min(len(inside), len(rest)) < options.min_answers:
                continue
            low = [a for a in inside if a["norm"] < 0.5]
            rest_low = sum(a["norm"] < 0.5 for a in rest)
            test = two_proportions(len(low), len(inside), rest_low, len(rest))
            tested.append((step, segment, low, len(inside), test))
    return tested


def _survey_segment_points(context: Context, options: PainPointOptions) -> list[PainPoint]:
    """Per step and segment: the share of low answers (below the scale's middle) against the
    rest of the step's answers (two-proportion z-test, Benjamini–Hochberg adjusted)."""
    tested = _segment_tests(context, options)
    qvalues = adjust_pvalues([t.p_value or 1.0 for *_, t in tested])
    found = []
    for (step, segment, low, n, test), qv in zip(tested, qvalues, strict=True):
        lift = test.a / test.b if test.b else float("inf")
        if qv < options.alpha and test.a > test.b and lift >= options.min_lift:
            customers = len({a["customer_id"] for a in low})
            found.append(_step_point("low_score", step, segment, customers, test.a, {
                "rate": test.a, "rest_rate": test.b, "lift": lift, "p_value": test.p_value,
                "q_value": qv, "ci_low": test.low, "ci_high": test.high, "answers": n,
                "test": "two-proportion z-test of low answers vs the rest (Benjamini-Hochberg)",
            }))  # fmt: skip
    return found


def survey_pain_points(
    context: Context, curve: list[EmotionPoint], options: PainPointOptions
) -> list[PainPoint]:
    """Low scores and negative comments per step, and low scores concentrated in a segment."""
    found = [point for p in curve for point in (_low_score(p, options), _negative(p, options))]
    return [p for p in found if p is not None] + _survey_segment_points(context, options)
