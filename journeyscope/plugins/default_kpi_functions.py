"""The built-in functions of KPI formulas (see ``journeyscope.analytics.kpis``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ._types import KpiFunction
from .hookspecs import hookimpl

if TYPE_CHECKING:
    from ..analytics.kpis import KpiCall

Sql = Callable[["KpiCall"], str]

_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


def count(call: KpiCall) -> str:
    """Events that are ``x`` (an event name, a step or a touchpoint)."""
    return f"count(CASE WHEN {call.matches()} THEN 1 END)"


def count_customers(call: KpiCall) -> str:
    return f"count(DISTINCT CASE WHEN {call.matches()} THEN customer_id END)"


def count_journeys(call: KpiCall) -> str:
    return f"count(DISTINCT CASE WHEN {call.matches()} THEN jid END)"


def _aggregate(function: str) -> Sql:
    """``function`` of a numeric attribute (``median`` is spelled per engine)."""

    def sql(call: KpiCall) -> str:
        value = call.value()
        return call.engine.median(value) if function == "median" else f"{function}({value})"

    return sql


def _time(aggregate: str, unit: float) -> Sql:
    return lambda call: call.time_between(aggregate, unit)


@hookimpl
def register_kpi_functions() -> list[KpiFunction]:
    return [
        KpiFunction("count", count, counts=True),
        KpiFunction("count_customers", count_customers, counts=True),
        KpiFunction("count_journeys", count_journeys, counts=True),
        *(KpiFunction(f, _aggregate(f)) for f in ("avg", "sum", "min", "max", "median")),
        *(
            KpiFunction(f"{aggregate}_{unit}", _time(aggregate, seconds))
            for aggregate in ("avg", "median")
            for unit, seconds in _UNITS.items()
        ),
    ]
