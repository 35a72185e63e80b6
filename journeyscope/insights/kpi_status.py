"""KPIs as the team reviews them [R10]: every KPI per period of its cadence, whether the last
period met the target (by the KPI's direction), and the trend.

The trend is the least-squares slope over the last ``trend_periods`` periods with a value; it
is ``improving`` or ``worsening`` (by the KPI's direction) when the slope's p-value is below
``alpha``, else ``flat``; with fewer than three periods it is ``unknown``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from scipy import stats

from ..analytics import compute_kpi
from ..model import KPI
from ._context import Context

__all__ = ["KpiOptions", "KpiStatus", "compute_kpi_status", "target_status"]


@dataclass(frozen=True)
class KpiOptions:
    trend_periods: int = 6
    alpha: float = 0.05


@dataclass
class KpiStatus:
    kpi: str
    name: str
    unit: str | None
    target: float | None
    direction: str
    cadence: str
    owner: str | None
    periods: list[dict[str, Any]] = field(default_factory=list)
    last: float | None = None
    previous: float | None = None
    status: str = "no_data"  # met, missed, no_target, no_data
    trend: str = "unknown"  # improving, worsening, flat, unknown
    slope: float | None = None
    slope_p_value: float | None = None
    error: str | None = None

    @property
    def change(self) -> float | None:
        """Last period minus the one before it."""
        return None if self.last is None or self.previous is None else self.last - self.previous

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"change": self.change}


def target_status(value: float | None, target: float | None, direction: str) -> str:
    """``met`` or ``missed`` by the KPI's direction.

    >>> target_status(0.2, 0.25, "higher_is_better"), target_status(0.2, 0.25, "lower_is_better")
    ('missed', 'met')
    """
    if value is None:
        return "no_data"
    if target is None:
        return "no_target"
    good = value >= target if direction == "higher_is_better" else value <= target
    return "met" if good else "missed"


def _trend(values: list[float], direction: str, options: KpiOptions) -> tuple[str, Any, Any]:
    recent = values[-options.trend_periods :]
    if len(recent) < 3 or len(set(recent)) == 1:
        return (
            ("flat" if len(recent) >= 3 else "unknown"),
            (0.0 if len(recent) >= 3 else None),
            None,
        )
    fit = stats.linregress(range(len(recent)), recent)
    slope, p = float(fit.slope), float(fit.pvalue)
    if p >= options.alpha:
        return "flat", slope, p
    better = slope > 0 if direction == "higher_is_better" else slope < 0
    return ("improving" if better else "worsening"), slope, p


def _status(context: Context, kpi: KPI, options: KpiOptions) -> KpiStatus:
    status = KpiStatus(
        kpi.id, kpi.name, kpi.unit, kpi.target, kpi.direction, kpi.cadence, kpi.owner
    )
    try:
        table = compute_kpi(context.prepared, kpi).to_pylist()
    except ValueError as error:
        status.error = str(error)
        return status
    status.periods = [{"period": _iso(r["period"]), "value": r["value"]} for r in table]
    values = [float(r["value"]) for r in table if r["value"] is not None]
    if values:
        status.last = values[-1]
        status.previous = values[-2] if len(values) > 1 else None
    status.status = target_status(status.last, kpi.target, kpi.direction)
    status.trend, status.slope, status.slope_p_value = _trend(values, kpi.direction, options)
    return status


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def compute_kpi_status(context: Context, options: KpiOptions | None = None) -> list[KpiStatus]:
    """Every KPI of the map that has a formula."""
    options = options or KpiOptions()
    return [_status(context, kpi, options) for kpi in context.journey.kpis if kpi.formula]
