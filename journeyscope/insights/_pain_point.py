"""The pain point value, the options of its detection, and how a kind's evidence is tested.

A kind of pain point (``journeyscope.plugins.PainPointKind``) names one of the evidence tests
below: ``RateAbove`` for most kinds, ``ReportHits`` for failures, ``GoalRateGap`` for channel
switches; a plugin may subclass ``EvidenceTest`` for a test of its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

from scipy import stats

from ._stats import Comparison, rate_interval, ratio_interval, two_proportions

__all__ = [
    "CheckCounts",
    "EvidenceTest",
    "GoalRateGap",
    "PainPoint",
    "PainPointOptions",
    "RateAbove",
    "ReportHits",
    "large_enough",
]


@dataclass(frozen=True)
class PainPointOptions:
    """Thresholds of detection (all documented in ``docs/insights.md``)."""

    alpha: float = 0.05
    min_customers: int = 5
    min_segment_journeys: int = 20
    #: the minimum effect of a segment finding: at least this many times the rest's rate...
    min_lift: float = 1.25
    #: ...and at least this much above it (a share: 0.02 = 2 percentage points), so a huge
    #: sample does not turn a trivial difference into a finding
    min_difference: float = 0.02
    drop_off_min: float = 0.3
    slow_factor: float = 3.0
    repeat_min: float = 0.2
    repeat_times: int = 2
    repeat_window_days: float = 7
    loop_times: int = 3
    #: ...within this many hours: coming back every month (a bill, a habit) is no loop
    loop_window_hours: float = 24
    loop_min: float = 0.2
    bounce_min: float = 0.2
    min_answers: int = 5
    negative_min: int = 3
    #: an escalation: a first contact on one of these channels...
    escalation_from: tuple[str, ...] = ("chat", "web_form", "webform", "form", "email", "bot")
    #: ...followed by one on these within the window
    escalation_to: tuple[str, ...] = ("phone",)
    escalation_window_hours: float = 72
    #: one first contact in twenty pushed to the phone is a pain point for everybody
    escalation_min: float = 0.05
    #: a customer with no step of their own later than this after a send left after it
    after_send_days: float = 30
    #: one finding per problem (``_merge``); False lists each kind's finding on its own
    merge: bool = True


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
    #: the segment in parts (``dimension``, ``value``, ``level``: ``event`` = the attribute of
    #: the events at the step, ``customer`` = of the customer); None for all customers
    segment_detail: dict[str, str] | None = None
    #: every kind of evidence of the problem (this one's first), when findings merged
    kinds: list[str] = field(default_factory=list)
    #: the findings merged into this one: key, kind, element, steps, customers, evidence
    merged: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CheckCounts:
    """One check over a population (all journeys, or a segment's): journeys, hits, distinct
    customers hit, their handling cost, and goals reached with and without the problem."""

    n: int = 0
    hits: int = 0
    customers: int = 0
    cost: float = 0.0
    goal_hit: int = 0
    goal_miss: int = 0

    def minus(self, other: CheckCounts) -> CheckCounts:
        return CheckCounts(*(getattr(self, f.name) - getattr(other, f.name) for f in fields(self)))

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


Evidence = dict[str, Any]


def large_enough(difference: float, lift: float, options: PainPointOptions) -> bool:
    """The minimum effect of a segment finding: ``min_lift`` times the rest's rate and
    ``min_difference`` above it. Significance alone is not enough: with 300,000 customers a
    40% against 41% drop-off is "significant" and means nothing."""
    return lift >= options.min_lift and difference >= options.min_difference


class EvidenceTest:
    """When a check's counts are a pain point. ``overall``: the evidence for all customers
    (``severity`` and ``p_value`` at least), or None; ``segment``: the segment against the
    rest, as a comparison (its ``a`` is the severity) and a p-value the segment must also pass
    on its own. The base compares hit rates by a two-proportion z-test."""

    #: the all-customers p-values of the kind are adjusted together (Benjamini-Hochberg) and
    #: its severity may come out negative (then there is no pain point)
    adjusted: ClassVar[bool] = False

    def overall(self, counts: CheckCounts, options: PainPointOptions) -> Evidence | None:
        raise NotImplementedError

    def segment(self, counts: CheckCounts, rest: CheckCounts) -> tuple[Comparison, float] | None:
        test = two_proportions(counts.hits, counts.n, rest.hits, rest.n)
        return (test, 0.0) if test.p_value is not None else None

    def segment_evidence(self, test: Comparison, own_p: float) -> Evidence:
        """What the segment's evidence adds to the lift, p- and q-value and interval."""
        return {
            "rest_rate": test.b,
            "test": "two-proportion z-test vs the rest (Benjamini-Hochberg)",
        }

    def lift_interval(
        self, counts: CheckCounts, rest: CheckCounts
    ) -> tuple[float | None, float | None]:
        """The interval of the lift (the segment's rate ÷ the rest's): of the hit rates."""
        return ratio_interval(counts.hits, counts.n, rest.hits, rest.n)


@dataclass(frozen=True)
class RateAbove(EvidenceTest):
    """All customers: the hit rate is at least ``threshold`` and significantly above it
    (exact binomial test). ``threshold`` is a share, or reads one from the options."""

    threshold: float | Callable[[PainPointOptions], float]

    def overall(self, counts: CheckCounts, options: PainPointOptions) -> Evidence | None:
        threshold = self.threshold(options) if callable(self.threshold) else self.threshold
        p = float(stats.binomtest(counts.hits, counts.n, threshold, alternative="greater").pvalue)
        if counts.rate < threshold or p >= options.alpha:
            return None
        low, high = rate_interval(counts.hits, counts.n)
        return {
            "severity": counts.rate,
            "threshold": threshold,
            "rate_low": low,
            "rate_high": high,
            "p_value": p,
            "test": "exact binomial test (rate above threshold)",
        }


@dataclass(frozen=True)
class ReportHits(EvidenceTest):
    """All customers: every check with enough customers hit is a pain point, its rate the
    severity, with no test (a failed payment is a problem however rare)."""

    def overall(self, counts: CheckCounts, options: PainPointOptions) -> Evidence | None:
        return {"severity": counts.rate, "p_value": None, "test": None}


@dataclass(frozen=True)
class GoalRateGap(EvidenceTest):
    """Channel switches: the "rate" is the goal-rate gap between the journeys that stayed on
    their channel and those that switched. A segment that switches more has no problem; one
    where switching costs more has."""

    adjusted: ClassVar[bool] = True

    def overall(self, counts: CheckCounts, options: PainPointOptions) -> Evidence | None:
        """Do switchers reach the goal less often than the journeys that stayed?"""
        hit_rate, rest_rate = counts.goal_rates()
        test = two_proportions(
            counts.goal_hit, counts.hits, counts.goal_miss, counts.n - counts.hits
        )
        if test.p_value is None:
            return None
        return {
            "severity": rest_rate - hit_rate,
            "goal_rate_switching": hit_rate,
            "goal_rate_same_channel": rest_rate,
            "p_value": test.p_value,
            "test": "two-proportion z-test (Benjamini-Hochberg over the steps)",
        }

    def segment(self, counts: CheckCounts, rest: CheckCounts) -> tuple[Comparison, float] | None:
        """The segment's goal-rate gap (same channel minus switching) against the rest's, by a
        Wald z-test of the difference; and the p-value of the gap inside the segment."""
        if min(counts.hits, counts.n - counts.hits, rest.hits, rest.n - rest.hits) == 0:
            return None
        gaps, variance = [], 0.0
        for side in (counts, rest):
            switching, same = side.goal_rates()
            stayed = side.n - side.hits
            gaps.append(same - switching)
            variance += switching * (1 - switching) / side.hits + same * (1 - same) / stayed
        if variance <= 0:
            return None
        difference, se = gaps[0] - gaps[1], math.sqrt(variance)
        z = float(stats.norm.ppf(0.975))
        p = float(2 * stats.norm.sf(abs(difference) / se))
        inside = two_proportions(
            counts.goal_miss, counts.n - counts.hits, counts.goal_hit, counts.hits
        )
        comparison = Comparison(gaps[0], gaps[1], difference, difference - z * se,
                                difference + z * se, p, "difference of goal-rate gaps")  # fmt: skip
        return comparison, 1.0 if inside.p_value is None else inside.p_value

    def lift_interval(
        self, counts: CheckCounts, rest: CheckCounts
    ) -> tuple[float | None, float | None]:
        """A ratio of two gaps has no interval worth giving: the difference's is given."""
        return None, None

    def segment_evidence(self, test: Comparison, own_p: float) -> Evidence:
        return {
            "rest_gap": test.b,
            "p_value_in_segment": own_p,
            "test": "z-test of the goal-rate gap vs the rest's gap (Benjamini-Hochberg)",
        }
