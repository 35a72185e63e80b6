"""Improvement tracking [R10, R12]: did the KPIs of a launched opportunity move?

For each opportunity with a ``launch_date`` and KPIs, each KPI is compared before and after the
launch, period by period (the period that contains the launch day is left out):

* a rate KPI written ``count(x) / count(y)`` (or with ``count_customers``) is compared as two
  proportions, pooled over the periods (two-proportion z-test, 95% Wald interval);
* any other KPI compares the per-period values (Welch's t-test and its 95% interval);
* when the map names a ``comparison_segment`` (customers the change did not reach), the effect
  is a difference-in-differences: per period, treated minus comparison, then after minus
  before (Welch) — a seasonal swing that hits both groups cancels out.

A p-value of ``alpha`` or more is reported as "not significant": no change can be claimed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from ..analytics import compute_kpi
from ..analytics.binding import rule_sql
from ..model import KPI, EvidenceRule, Opportunity
from ..sql import Table
from ._context import Context
from ._stats import Comparison, two_proportions, welch

__all__ = ["Improvement", "ImprovementOptions", "KpiEffect", "compute_improvements"]

_RATE = re.compile(r"^\s*(count|count_customers)\(([^()]+)\)\s*/\s*\1\(([^()]+)\)\s*$")


@dataclass(frozen=True)
class ImprovementOptions:
    """``window_periods``: compare at most this many periods on each side (None = all)."""

    window_periods: int | None = None
    alpha: float = 0.05


@dataclass
class KpiEffect:
    kpi: str
    name: str
    method: str  # before/after or difference-in-differences
    test: str | None
    before: float | None
    after: float | None
    effect: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    periods_before: int
    periods_after: int
    significant: bool
    better: bool | None
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Improvement:
    opportunity: str
    title: str
    step: str
    status: str
    launch_date: dt.date
    effects: list[KpiEffect] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"effects": [e.to_dict() for e in self.effects]}


def _split(
    periods: list[dt.date], launch: dt.date, window: int | None
) -> tuple[list[dt.date], list[dt.date]]:
    """Periods wholly before and from the launch (the one containing it is dropped)."""
    started = [p for p in periods if p <= launch]
    mixed = started[-1] if started and started[-1] != launch else None
    before = [p for p in periods if p < launch and p != mixed]
    after = [p for p in periods if p >= launch]
    return (before[-window:], after[:window]) if window else (before, after)


def _series(
    context: Context, kpi: KPI, formula: str, segments: str | None = None
) -> dict[tuple[str, dt.date], float]:
    probe = KPI(id=kpi.id, name=kpi.name, formula=formula, cadence=kpi.cadence)
    table = compute_kpi(context.prepared, probe, segments).to_pylist()
    return {(r["segment"], r["period"]): float(r["value"]) for r in table if r["value"] is not None}


def _verdict(
    kpi: KPI, c: Comparison | None, before: int, after: int, alpha: float
) -> tuple[bool, bool | None, str]:
    if not before or not after or c is None:
        missing = "before the launch" if not before else "after the launch"
        return False, None, f"no data {missing}: nothing to compare yet"
    if c.p_value is None:
        return False, None, "too few periods to test"
    better = (c.difference > 0) == (kpi.direction == "higher_is_better")
    if c.p_value >= alpha:
        return False, better, f"not significant (p = {c.p_value:.2g}): no change can be claimed"
    word = "improved" if better else "got worse"
    return True, better, f"{word} by {c.difference:+.3g} (p = {c.p_value:.2g})"


def _effect(
    kpi: KPI, method: str, c: Comparison | None, nb: int, na: int, alpha: float
) -> KpiEffect:
    significant, better, verdict = _verdict(kpi, c, nb, na, alpha)
    return KpiEffect(
        kpi.id,
        kpi.name,
        method,
        c.test if c else None,
        c.b if c else None,
        c.a if c else None,
        c.difference if c else None,
        c.low if c else None,
        c.high if c else None,
        c.p_value if c else None,
        nb,
        na,
        significant,
        better,
        verdict,
    )


def _before_after(
    context: Context, kpi: KPI, launch: dt.date, options: ImprovementOptions
) -> KpiEffect:
    values = {p: v for (_, p), v in _series(context, kpi, kpi.formula or "").items()}
    before, after = _split(sorted(values), launch, options.window_periods)
    rate = _RATE.match(kpi.formula or "")
    comparison: Comparison | None = None
    if rate and before and after:
        fn, num, den = rate.groups()
        x = {p: v for (_, p), v in _series(context, kpi, f"{fn}({num})").items()}
        n = {p: v for (_, p), v in _series(context, kpi, f"{fn}({den})").items()}
        xa, na = sum(x.get(p, 0) for p in after), sum(n.get(p, 0) for p in after)
        xb, nb = sum(x.get(p, 0) for p in before), sum(n.get(p, 0) for p in before)
        if xa <= na and xb <= nb:
            comparison = two_proportions(int(xa), int(na), int(xb), int(nb))
    if comparison is None and before and after:
        comparison = welch([values[p] for p in after], [values[p] for p in before])
    return _effect(kpi, "before/after", comparison, len(before), len(after), options.alpha)


#: each journey as ``treated`` or ``comparison`` for a difference-in-differences
_COMPARISON = Table("_jseg_comparison", ("jid", "segment"))


def _comparison_segments(context: Context) -> str:
    """SQL splitting the journeys into ``treated`` and ``comparison`` (its own table, so the
    journeys' real segments stay as they are)."""
    engine, condition = context.prepared.engine, context.settings.comparison_segment
    assert condition is not None
    rule = EvidenceRule(event_glob="*", where=[condition])
    sql, missing = rule_sql(rule, engine, context.prepared.columns)
    if missing:
        raise ValueError(f"comparison_segment: no attribute {missing[0]!r} in the data")
    engine.materialize(
        _COMPARISON.name,
        f"SELECT jid, CASE WHEN max(CASE WHEN {sql} THEN 1 ELSE 0 END) = 1 THEN 'comparison' "
        f"ELSE 'treated' END AS segment FROM {context.tables.bound} GROUP BY jid",
    )
    return f"SELECT jid, segment FROM {_COMPARISON}"


def _did(context: Context, kpi: KPI, launch: dt.date, options: ImprovementOptions) -> KpiEffect:
    series = _series(context, kpi, kpi.formula or "", _comparison_segments(context))
    periods = sorted(
        {p for s, p in series if s == "treated"} & {p for s, p in series if s == "comparison"}
    )
    diffs = {p: series[("treated", p)] - series[("comparison", p)] for p in periods}
    before, after = _split(periods, launch, options.window_periods)
    comparison = (
        welch([diffs[p] for p in after], [diffs[p] for p in before]) if before and after else None
    )
    return _effect(
        kpi, "difference-in-differences", comparison, len(before), len(after), options.alpha
    )


def _track(
    context: Context, step: str, opportunity: Opportunity, options: ImprovementOptions
) -> Improvement:
    assert opportunity.launch_date is not None
    kpis = {k.id: k for k in context.journey.kpis if k.formula}
    result = Improvement(
        opportunity.id, opportunity.title, step, opportunity.status, opportunity.launch_date
    )
    for kpi_id in opportunity.kpis:
        if kpi_id not in kpis:
            continue
        track = _did if context.settings.comparison_segment is not None else _before_after
        result.effects.append(track(context, kpis[kpi_id], opportunity.launch_date, options))
    return result


def compute_improvements(
    context: Context, options: ImprovementOptions | None = None
) -> list[Improvement]:
    """Every opportunity with a launch date and KPIs, with the effect on each KPI."""
    options = options or ImprovementOptions()
    return [
        _track(context, step.id, opportunity, options)
        for step in context.steps.values()
        for opportunity in step.opportunities
        if opportunity.launch_date is not None and opportunity.kpis
    ]
