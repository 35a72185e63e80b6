"""Staleness [R11-R13]: has customer behaviour moved away from the map?

Journeys are split in two windows by the time of their first event (at ``split``; default
halfway between the first and the last journey start). The map needs a review when, in the
recent window:

* an event the map does not cover reaches at least ``min_new_share`` of the journeys and was
  absent, or at most a fifth as common, before (**new unmapped event**);
* a step's reach (share of journeys taking it) or conversion (share of its journeys reaching
  the goal) moved by ``min_change`` or more, significantly (two-proportion z-test,
  Benjamini–Hochberg adjusted over all steps);
* the mix of variants drifted: the Jensen–Shannon distance (base 2) between the shares of the
  ``top_variants`` most common variants of either window (the rest pooled as "other") is
  ``max_distance`` or more;
* evidence has aged: elements whose newest evidence is older than ``stale_after_days``;
* a channel the map's journeys did not use appears: it reaches ``min_new_share`` of recent
  journeys and was absent, or at most a fifth as common, before (**new channel**);
* given KPI statuses: a KPI missed its target in its last complete period;
* given the evidence emotion curve: customers' measured feeling at a step is significantly
  away from the one drawn (the drawn score lies outside the answers' 95% interval).

Recent journeys may not have finished yet, which lowers their conversion: split where both
windows had time to complete, or read conversion changes with care.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from ..analytics.paths import journey_variants_sql
from ..sql import Table
from ._context import GOALS, Context, clean, rows
from ._stats import adjust_pvalues, js_distance, two_proportions
from .evidence import ElementBacking, EmotionPoint
from .kpi_status import KpiStatus

__all__ = ["Staleness", "StalenessOptions", "StepChange", "compute_staleness"]

#: each journey's window: ``w`` 0 when it started before the split, 1 after
WINDOWS = Table("_ins_jw", ("jid", "w"))


MIN_JOURNEYS = 20


@dataclass(frozen=True)
class StalenessOptions:
    split: dt.datetime | None = None
    min_new_share: float = 0.02
    min_change: float = 0.05
    max_distance: float = 0.1
    top_variants: int = 10
    alpha: float = 0.05


@dataclass
class StepChange:
    step: str
    measure: str  # reach or conversion
    before: float
    after: float
    difference: float
    p_value: float | None
    q_value: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Staleness:
    split: dt.datetime
    journeys_before: int
    journeys_after: int
    status: str = "fresh"  # fresh, stale, or unknown (a window has too few journeys)
    reasons: list[str] = field(default_factory=list)
    new_unmapped: list[dict[str, Any]] = field(default_factory=list)
    step_changes: list[StepChange] = field(default_factory=list)
    variant_distance: float = 0.0
    variants: list[dict[str, Any]] = field(default_factory=list)
    stale_elements: list[str] = field(default_factory=list)
    new_channels: list[dict[str, Any]] = field(default_factory=list)
    kpi_breaches: list[str] = field(default_factory=list)
    emotion_gaps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def stale(self) -> bool:
        return self.status == "stale"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self) | {"step_changes": rows(self.step_changes), "stale": self.stale}
        return clean(data)


def _windows(context: Context, split: dt.datetime | None) -> tuple[dt.datetime, list[int]]:
    engine = context.prepared.engine
    if split is None:
        span = context.query(
            "SELECT min(t0) AS lo, max(t0) AS hi FROM "
            f"(SELECT min(t) AS t0 FROM {context.tables.bound} GROUP BY jid) j"
        )[0]
        split = dt.datetime.fromtimestamp((span["lo"] + span["hi"]) / 2, dt.UTC)
    seconds = (split if split.tzinfo else split.replace(tzinfo=dt.UTC)).timestamp()
    engine.materialize(
        WINDOWS.name,
        f"SELECT jid, CASE WHEN min(t) < {seconds} THEN 0 ELSE 1 END AS w FROM "
        f"{context.tables.bound} GROUP BY jid",
    )
    counts = {
        r["w"]: r["n"] for r in context.query(f"SELECT w, count(*) AS n FROM {WINDOWS} GROUP BY w")
    }
    return split, [int(counts.get(0, 0)), int(counts.get(1, 0))]


def _newly_common(
    context: Context, totals: list[int], options: StalenessOptions, column: str, where: str
) -> list[dict[str, Any]]:
    """Values of ``column`` (an unmapped event, a channel) that reach ``min_new_share`` of the
    recent journeys and were absent, or at most a fifth as common, before."""
    found = context.query(
        f"SELECT b.{column} AS value, "
        "CAST(sum(CASE WHEN w.w = 0 THEN 1 ELSE 0 END) AS BIGINT) AS before, "
        "CAST(sum(CASE WHEN w.w = 1 THEN 1 ELSE 0 END) AS BIGINT) AS after FROM "
        f"(SELECT DISTINCT jid, {column} FROM {context.tables.bound} WHERE {where}) b "
        f"JOIN {WINDOWS} w ON w.jid = b.jid GROUP BY b.{column}"
    )
    out = []
    for row in found:
        before = row["before"] / totals[0] if totals[0] else 0.0
        after = row["after"] / totals[1] if totals[1] else 0.0
        if after >= options.min_new_share and (before == 0 or after >= 5 * before):
            test = two_proportions(int(row["after"]), totals[1], int(row["before"]), totals[0])
            out.append({column: row["value"], "share_before": before, "share_after": after,
                        "journeys_after": int(row["after"]), "p_value": test.p_value})  # fmt: skip
    return sorted(out, key=lambda r: (-r["share_after"], str(r[column])))


def _emotion_gaps(curve: list[EmotionPoint]) -> list[dict[str, Any]]:
    return [
        {"step": p.step, "drawn": p.assumed, "measured": p.mean, "low": p.low, "high": p.high,
         "answers": p.answers}
        for p in curve
        if p.assumed is not None and p.low is not None and p.high is not None
        and not p.low <= p.assumed <= p.high
    ]  # fmt: skip


def _step_changes(context: Context, totals: list[int]) -> list[StepChange]:
    found = context.query(
        "SELECT s.sid, w.w, count(*) AS n, CAST(sum(g.goal) AS BIGINT) AS goal FROM "
        f"(SELECT DISTINCT jid, sid FROM {context.tables.path}) s JOIN {WINDOWS} w "
        f"ON w.jid = s.jid JOIN {GOALS} g ON g.jid = s.jid GROUP BY s.sid, w.w"
    )
    cells = {(r["sid"], r["w"]): (int(r["n"]), int(r["goal"] or 0)) for r in found}
    changes = []
    for sid in sorted({sid for sid, _ in cells}):
        (nb, gb), (na, ga) = cells.get((sid, 0), (0, 0)), cells.get((sid, 1), (0, 0))
        step = context.prepared.step_id(sid)
        reach = two_proportions(na, totals[1], nb, totals[0])
        conversion = two_proportions(ga, na, gb, nb)
        for measure, test in (("reach", reach), ("conversion", conversion)):
            changes.append(StepChange(step, measure, test.b, test.a, test.difference, test.p_value))
    return changes


def _variant_mix(context: Context, options: StalenessOptions) -> tuple[float, list[dict[str, Any]]]:
    # the analysis's variants (``journey_variants_sql``), counted in each window
    found = context.query(
        f"SELECT v.variant, w.w, count(*) AS n FROM ({journey_variants_sql(context.prepared)}) v "
        f"JOIN {WINDOWS} w ON w.jid = v.jid GROUP BY v.variant, w.w"
    )
    shares: list[dict[str, float]] = [{}, {}]
    for row in found:  # keyed "3,5,8": the ties below are broken by this text
        shares[row["w"]][",".join(str(int(s)) for s in row["variant"])] = row["n"]
    top: set[str] = set()
    for window in shares:
        total = sum(window.values()) or 1
        for key in list(window):
            window[key] /= total
        # ties broken by the variant itself: the same top set whatever order rows arrive in
        top |= set(sorted(window, key=lambda k: (-window[k], k))[: options.top_variants])
    pooled = [
        {k: v for k, v in w.items() if k in top}
        # fsum: the same share whatever order the rows came in (parallel engines vary it)
        | {"other": math.fsum(v for k, v in w.items() if k not in top)}
        for w in shares
    ]
    step = context.prepared.step_id
    table = [
        {
            "variant": [step(int(s)) for s in key.split(",")] if key != "other" else ["other"],
            "share_before": pooled[0].get(key, 0.0),
            "share_after": pooled[1].get(key, 0.0),
        }
        for key in sorted(top | {"other"}, key=lambda k: (-pooled[1].get(k, 0.0), k))
    ]
    return js_distance(pooled[0], pooled[1]), table


def compute_staleness(
    context: Context,
    backing: list[ElementBacking] | None = None,
    options: StalenessOptions | None = None,
    kpis: list[KpiStatus] | None = None,
    curve: list[EmotionPoint] | None = None,
) -> Staleness:
    """Compare the two windows and give the map a status with its reasons; with ``kpis`` and
    the evidence ``curve`` also KPI breaches and feelings away from the drawn ones."""
    options = options or StalenessOptions()
    split, totals = _windows(context, options.split)
    result = Staleness(split, totals[0], totals[1])
    if min(totals) < MIN_JOURNEYS:
        result.status = "unknown"
        result.reasons = [
            f"too few journeys to compare ({totals[0]} before, {totals[1]} after "
            f"{split:%Y-%m-%d}); choose another split"
        ]
        return result
    result.new_unmapped = _newly_common(context, totals, options, "event", "step IS NULL")
    changes = _step_changes(context, totals)
    tested = [c for c in changes if c.p_value is not None]
    for change, q in zip(tested, adjust_pvalues([c.p_value or 0.0 for c in tested]), strict=True):
        change.q_value = q
    result.step_changes = [
        c
        for c in changes
        if c.q_value is not None
        and c.q_value < options.alpha
        and abs(c.difference) >= options.min_change
    ]
    result.variant_distance, result.variants = _variant_mix(context, options)
    result.stale_elements = [b.element for b in backing or [] if b.status == "stale"]
    result.new_channels = _newly_common(context, totals, options, "channel", "channel IS NOT NULL")
    result.kpi_breaches = [
        f"KPI {k.name!r} missed its target in its last complete period ({k.last:.3g} vs "
        f"{k.target:.3g})"
        for k in kpis or []
        if k.status == "missed" and k.last is not None and k.target is not None
    ]
    result.emotion_gaps = _emotion_gaps(curve or [])
    result.reasons = _reasons(result, options)
    result.status = "stale" if result.reasons else "fresh"
    return result


def _reasons(result: Staleness, options: StalenessOptions) -> list[str]:
    reasons = [
        f"new unmapped event {e['event']!r} reaches {e['share_after']:.0%} of recent journeys"
        for e in result.new_unmapped
    ]
    reasons += [
        f"{c.measure} of step {c.step!r} moved {c.before:.0%} -> {c.after:.0%}"
        for c in result.step_changes
    ]
    if result.variant_distance >= options.max_distance:
        reasons.append(
            f"variant mix drifted (Jensen-Shannon distance {result.variant_distance:.2f})"
        )
    reasons += [
        f"new channel {c['channel']!r} reaches {c['share_after']:.0%} of recent journeys"
        for c in result.new_channels
    ]
    reasons += result.kpi_breaches
    reasons += [
        f"customers feel {g['measured']:+.1f} at step {g['step']!r}, the map draws "
        f"{g['drawn']:+.1f} (95% interval {g['low']:+.1f}..{g['high']:+.1f}, "
        f"{g['answers']} answers)"
        for g in result.emotion_gaps
    ]
    if result.stale_elements:
        reasons.append(
            f"{len(result.stale_elements)} elements have evidence older than the "
            "map's stale_after_days"
        )
    return reasons
