"""KPIs as the team reviews them [R10]: every KPI per period of its cadence, whether the last
period met the target (by the KPI's direction), and the trend.

The trend is the least-squares slope over the last ``trend_periods`` periods with a value; it
is ``improving`` or ``worsening`` (by the KPI's direction) when the slope's p-value is below
``alpha``, else ``flat``; with fewer than three periods it is ``unknown``.

A period the data covers only in part (the log starts after its first day or ends before its
last) is marked ``complete: false`` and left out of ``last``, the target status and the trend:
a week with two days of data is not a bad week. So is a thin period, with fewer than
``THIN_SHARE`` of the busiest period's events (the tail of a log where a few late reviews make a
ratio of 1/1).

The drill-down: ``examples`` are journeys of customers behind the numerator of ``last``
(``last_period``): for a formula whose numerator counts events, customers or journeys —
``count(x)``, ``count_customers(x)``, ``count_journeys(x)``, sums of them, times a number — the
journeys with an ``x`` in that period. Other numerators (averages, times between steps) are not
made of customers: ``examples`` is empty and ``examples_note`` says why.
"""

from __future__ import annotations

import ast
import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from scipy import stats

from .. import plugins
from ..analytics import compute_kpi
from ..analytics.kpis import function_call, read_formula
from ..model import KPI
from ..sql import literal
from ._context import Context
from .drilldown import EXAMPLES, example_journeys

__all__ = [
    "KpiOptions",
    "KpiStatus",
    "compute_kpi_status",
    "numerator_elements",
    "target_status",
]


@dataclass(frozen=True)
class KpiOptions:
    trend_periods: int = 6
    alpha: float = 0.05
    examples: int = EXAMPLES  # journeys listed behind the last period's numerator


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
    last_period: str | None = None  # the period of ``last``
    examples: list[dict[str, Any]] = field(default_factory=list)
    examples_note: str | None = None  # why there are no examples, when there cannot be any

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
    first, last = _data_span(context)
    events = _events_per_period(context, kpi.cadence)
    busiest = max(events.values(), default=0)
    status.periods = [
        {"period": _iso(r["period"]), "value": r["value"],
         "complete": _complete(r["period"], kpi.cadence, first, last),
         "events": events.get(r["period"], 0)}
        for r in table
    ]  # fmt: skip
    rows = [
        p for p in status.periods if p["complete"] and p["events"] >= THIN_SHARE * busiest
    ] or status.periods
    valued = [p for p in rows if p["value"] is not None]
    values = [float(p["value"]) for p in valued]
    if values:
        status.last, status.last_period = values[-1], valued[-1]["period"]
        status.previous = values[-2] if len(values) > 1 else None
    status.status = target_status(status.last, kpi.target, kpi.direction)
    status.trend, status.slope, status.slope_p_value = _trend(values, kpi.direction, options)
    _add_examples(context, kpi, status, options.examples)
    return status


def numerator_elements(formula: str) -> list[str] | None:
    """The events, steps or touchpoints the numerator of ``formula`` counts, or None when the
    numerator is not made of counting KPI functions (``counts``: count, count_customers,
    count_journeys and any a plugin marks so); then it has no customers.

    >>> numerator_elements("count(pay) / count(cart)"), numerator_elements("avg(amount)")
    (['pay'], None)
    >>> numerator_elements("(count(a) + count_customers(b)) / count(c) * 100")
    ['a', 'b']
    """
    try:
        node, names = read_formula(formula)
    except ValueError:
        return None
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Div):
        if isinstance(node.right, ast.Constant):  # x * 100, x / 7
            node = node.left
        elif isinstance(node.left, ast.Constant) and isinstance(node.op, ast.Mult):
            node = node.right
        elif isinstance(node.op, ast.Div):  # the numerator
            node = node.left
        else:
            return None
    counting = {f.name for f in plugins.kpi_functions().values() if f.counts}
    return _counted(node, names, counting)


def _counted(node: ast.expr, names: list[str], counting: set[str]) -> list[str] | None:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _counted(node.left, names, counting), _counted(node.right, names, counting)
        return None if left is None or right is None else [*left, *right]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        if isinstance(node.left, ast.Constant):
            return _counted(node.right, names, counting)
        if isinstance(node.right, ast.Constant):
            return _counted(node.left, names, counting)
        return None
    call = function_call(node, names)
    return [call[1]] if call is not None and call[0] in counting else None


def _add_examples(context: Context, kpi: KPI, status: KpiStatus, limit: int) -> None:
    """Journeys with a counted element in the period of ``last``; or the note why none."""
    if status.error is not None or kpi.formula is None:
        return
    elements = numerator_elements(kpi.formula)
    if elements is None:
        status.examples_note = (
            "not per customer: the numerator is not a count of events, customers or journeys"
        )
        return
    if status.last_period is None:
        status.examples_note = "no period with a value"
        return
    names = ", ".join(literal(e) for e in dict.fromkeys(elements))
    period = context.prepared.engine.period(kpi.cadence, "ts")
    members = (
        f"SELECT 1 AS key, jid FROM {context.tables.bound} WHERE (event IN ({names}) "
        f"OR step IN ({names}) OR touchpoint IN ({names})) "
        f"AND {period} = CAST({literal(str(status.last_period))} AS DATE)"
    )
    status.examples = example_journeys(context, members, limit).get("1", [])


_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}
THIN_SHARE = 0.1


def _events_per_period(context: Context, cadence: str) -> dict[Any, int]:
    engine = context.prepared.engine
    period = engine.period(cadence, "ts")
    rows = context.query(
        f"SELECT {period} AS p, count(*) AS n FROM {context.tables.bound} GROUP BY {period}"
    )
    return {r["p"]: int(r["n"]) for r in rows}


def period_end(start: dt.date, cadence: str) -> dt.date:
    """The first day after a period.

    >>> period_end(dt.date(2024, 11, 1), "quarterly"), period_end(dt.date(2024, 3, 4), "weekly")
    (datetime.date(2025, 2, 1), datetime.date(2024, 3, 11))
    """
    if cadence in ("daily", "weekly"):
        return start + dt.timedelta(days=1 if cadence == "daily" else 7)
    months = start.month - 1 + _MONTHS.get(cadence, 12)
    return dt.date(start.year + months // 12, months % 12 + 1, 1)


def _data_span(context: Context) -> tuple[dt.date | None, dt.date | None]:
    """The first and the last day with an event (UTC)."""
    row = context.query(f"SELECT min(t) AS lo, max(t) AS hi FROM {context.tables.bound}")[0]
    if row["lo"] is None:
        return None, None
    day = lambda t: dt.datetime.fromtimestamp(float(t), dt.UTC).date()  # noqa: E731
    return day(row["lo"]), day(row["hi"])


def _complete(start: Any, cadence: str, first: dt.date | None, last: dt.date | None) -> bool:
    """Whether the data covers the whole period: it began by the period's first day and ran
    until (at least) its last day."""
    if not isinstance(start, dt.date) or first is None or last is None:
        return True
    return first <= start and last >= period_end(start, cadence) - dt.timedelta(days=1)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def compute_kpi_status(context: Context, options: KpiOptions | None = None) -> list[KpiStatus]:
    """Every KPI of the map that has a formula."""
    options = options or KpiOptions()
    return [_status(context, kpi, options) for kpi in context.journey.kpis if kpi.formula]
