"""The statistics insights use, each a thin, documented wrapper over scipy.

Every test is two-sided; confidence intervals are 95% unless a level is given.

>>> round(two_proportions(30, 100, 10, 100).p_value, 4)
0.0004
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from scipy import stats
from scipy.spatial.distance import jensenshannon

__all__ = [
    "Comparison",
    "adjust_pvalues",
    "js_distance",
    "mean_interval",
    "rate_interval",
    "ratio_interval",
    "two_proportions",
    "welch",
]


@dataclass(frozen=True)
class Comparison:
    """Group A against group B: the difference (A - B), its confidence interval, p-value."""

    a: float
    b: float
    difference: float
    low: float | None
    high: float | None
    p_value: float | None
    test: str

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < 0.05

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"significant": self.significant}


def two_proportions(x1: int, n1: int, x2: int, n2: int, level: float = 0.95) -> Comparison:
    """Rates x1/n1 vs x2/n2: pooled two-proportion z-test, Wald interval for the difference."""
    p1, p2 = (x1 / n1 if n1 else 0.0), (x2 / n2 if n2 else 0.0)
    if not n1 or not n2:
        return Comparison(p1, p2, p1 - p2, None, None, None, "two-proportion z-test")
    pooled = (x1 + x2) / (n1 + n2)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    p = float(2 * stats.norm.sf(abs(p1 - p2) / se0)) if se0 > 0 else 1.0
    z = float(stats.norm.ppf(0.5 + level / 2))
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return Comparison(
        p1, p2, p1 - p2, p1 - p2 - z * se, p1 - p2 + z * se, p, "two-proportion z-test"
    )


def welch(a: Sequence[float], b: Sequence[float], level: float = 0.95) -> Comparison:
    """Means of ``a`` vs ``b``: Welch's t-test (unequal variances) and its interval."""
    mean_a = math.fsum(a) / len(a) if a else math.nan
    mean_b = math.fsum(b) / len(b) if b else math.nan
    if len(a) < 2 or len(b) < 2 or (len(set(a)) == 1 and len(set(b)) == 1):
        # too few values, or no spread at all: nothing to test
        return Comparison(mean_a, mean_b, mean_a - mean_b, None, None, None, "Welch t-test")
    with warnings.catch_warnings():  # a constant group is a fine answer, not a warning
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.ttest_ind(a, b, equal_var=False)
    p = float(result.pvalue)
    if math.isnan(p):  # no variance in either group: nothing to test
        return Comparison(mean_a, mean_b, mean_a - mean_b, None, None, None, "Welch t-test")
    ci = result.confidence_interval(level)
    return Comparison(
        mean_a, mean_b, mean_a - mean_b, float(ci.low), float(ci.high), p, "Welch t-test"
    )


def mean_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean and its t-interval ``(mean, low, high)``; with one value the interval is the value."""
    n = len(values)
    mean = math.fsum(values) / n
    if n < 2:
        return mean, mean, mean
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return mean, mean - half, mean + half


def rate_interval(x: int, n: int, level: float = 0.95) -> tuple[float | None, float | None]:
    """Wilson score interval of the rate x/n (good at rates near 0 or 1 and at any n).

    >>> [round(v, 3) for v in rate_interval(30, 100)]
    [0.219, 0.396]
    """
    if n <= 0:
        return None, None
    ci = stats.binomtest(x, n).proportion_ci(level, method="wilson")
    return float(ci.low), float(ci.high)


def ratio_interval(
    x1: int, n1: int, x2: int, n2: int, level: float = 0.95
) -> tuple[float | None, float | None]:
    """Interval of the rate ratio (x1/n1) / (x2/n2) on the log scale (Katz); None where a
    count is 0 (no finite ratio to bound).

    >>> [round(v, 2) for v in ratio_interval(30, 100, 10, 100)]
    [1.55, 5.8]
    """
    if min(x1, x2) <= 0 or min(n1, n2) <= 0:
        return None, None
    ratio = (x1 / n1) / (x2 / n2)
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    z = float(stats.norm.ppf(0.5 + level / 2))
    return ratio * math.exp(-z * se), ratio * math.exp(z * se)


def adjust_pvalues(pvalues: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (q-values): many segments are tested at once, so
    the share of false alarms among the reported problems stays below the level."""
    if not pvalues:
        return []
    return [float(q) for q in stats.false_discovery_control(list(pvalues))]


def js_distance(p: dict[str, float], q: dict[str, float]) -> float:
    """Jensen–Shannon distance (base 2: 0 = same mix, 1 = nothing in common) of two shares."""
    keys = sorted(set(p) | set(q))
    if not keys or not sum(p.values()) or not sum(q.values()):
        return 0.0
    return float(jensenshannon([p.get(k, 0.0) for k in keys], [q.get(k, 0.0) for k in keys], 2))
