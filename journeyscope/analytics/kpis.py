"""KPI formulas over events, per period: ``count(newsletter_open) / count(newsletter_sent)``.

Functions, where ``x`` is an event name, a step id or a touchpoint id:

* ``count(x)`` events, ``count_customers(x)`` distinct customers, ``count_journeys(x)``
  distinct journeys;
* ``avg(a)``, ``sum(a)``, ``min(a)``, ``max(a)``, ``median(a)`` of a numeric attribute ``a``, or
  ``avg(x.a)`` of attribute ``a`` on events ``x`` only;
* ``avg_days(x -> y)`` (also ``median_``; ``_seconds``, ``_minutes``, ``_hours``): the time
  from a journey's first ``x`` to its first ``y`` after it, counted in the period of ``x``.

combined with numbers, ``+ - * /`` and parentheses. Division by zero gives no value (NULL).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

import pyarrow as pa

from ..engine import Engine
from ..model import KPI
from ..sql import ident, literal
from .journeys import Prepared

__all__ = ["KpiFormula", "compute_kpi", "kpi_sql"]

_COUNTS = {
    "count": "count(CASE WHEN {m} THEN 1 END)",
    "count_customers": "count(DISTINCT CASE WHEN {m} THEN customer_id END)",
    "count_journeys": "count(DISTINCT CASE WHEN {m} THEN jid END)",
}
_AGGREGATES = ("avg", "sum", "min", "max", "median")
_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
_TIME = re.compile(r"^(avg|median)_(seconds|minutes|hours|days)$")
_NAME = re.compile(r"\(\s*([^()]*?)\s*\)")
_ARROW = re.compile(r"\s*(?:->|→)\s*")


def _match(name: str, alias: str = "") -> str:
    a = f"{alias}." if alias else ""
    value = literal(name)
    return f"({a}event = {value} OR {a}step = {value} OR {a}touchpoint = {value})"


@dataclass
class KpiFormula:
    """A compiled formula: one aggregate SQL expression over ``bound`` grouped by period, and
    the time-between pairs it needs (joined in as columns ``_f0``, ``_f1``, ...)."""

    sql: str
    pairs: list[tuple[str, str, str, float]] = field(default_factory=list)  # a, b, agg, unit


def kpi_sql(formula: str, columns: set[str] | None = None) -> str:
    """The formula as SQL; ValueError names what cannot be read.

    >>> print(kpi_sql("count(buy) * 2"))
    (count(CASE WHEN (event = 'buy' OR step = 'buy' OR touchpoint = 'buy') THEN 1 END) * 2)
    """
    return compile_kpi(formula, columns).sql


def compile_kpi(
    formula: str, columns: set[str] | None = None, engine: Engine | None = None
) -> KpiFormula:
    names: list[str] = []

    def hold(match: re.Match[str]) -> str:  # event names may hold characters Python rejects
        names.append(match[1])
        return f"(_n{len(names) - 1})"

    try:
        tree = ast.parse(_NAME.sub(hold, formula), mode="eval")
    except SyntaxError as error:
        raise ValueError(f"cannot read KPI formula {formula!r}: {error.msg}") from None
    compiled = KpiFormula("")
    dialect = engine if engine is not None else Engine()  # the base spells DuckDB's SQL
    compiled.sql = _Compiler(formula, names, columns, compiled, dialect).sql(tree.body)
    return compiled


@dataclass
class _Compiler:
    formula: str
    names: list[str]
    columns: set[str] | None
    out: KpiFormula
    engine: Engine

    def sql(self, node: ast.expr) -> str:
        if isinstance(node, ast.BinOp) and isinstance(
            node.op, ast.Add | ast.Sub | ast.Mult | ast.Div
        ):
            left, right = self.sql(node.left), self.sql(node.right)
            if isinstance(node.op, ast.Div):
                return f"({left}) * 1.0 / nullif(({right}), 0)"
            op = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}[type(node.op)]
            return f"({left} {op} {right})"
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return repr(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return f"(-{self.sql(node.operand)})"
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id.startswith("_n")
        ):
            return self.call(node.func.id, self.names[int(node.args[0].id[2:])])
        allowed = ", ".join([*_COUNTS, *_AGGREGATES, "avg_days(x -> y)"])
        raise ValueError(
            f"KPI formula {self.formula!r}: only numbers, + - * / and {allowed} are allowed"
        )

    def call(self, function: str, arg: str) -> str:
        if function in _COUNTS:
            return _COUNTS[function].format(m=_match(arg))
        if function in _AGGREGATES:
            return self.aggregate(function, arg)
        if (time := _TIME.match(function)) and len(parts := _ARROW.split(arg)) == 2:
            self.out.pairs.append((parts[0], parts[1], time[1], _UNITS[time[2]]))
            return f"max(_f{len(self.out.pairs) - 1})"
        raise ValueError(
            f"KPI formula {self.formula!r}: unknown function {function!r} (or its argument "
            f"{arg!r}); use {', '.join([*_COUNTS, *_AGGREGATES])} or avg_days(x -> y)"
        )

    def aggregate(self, function: str, arg: str) -> str:
        event, _, attribute = arg.rpartition(".")
        if not event or (self.columns is not None and attribute not in self.columns):
            event, attribute = "", arg
        if self.columns is not None and attribute not in self.columns:
            raise ValueError(f"KPI formula {self.formula!r}: no attribute {attribute!r}")
        value = self.engine.to_number(ident(attribute))
        if event:
            value = f"CASE WHEN {_match(event)} THEN {value} END"
        if function == "median":
            return self.engine.median(value)
        return f"{function}({value})"


def _pair_sql(engine: Engine, pair: tuple[str, str, str, float], index: int) -> str:
    """Per period (of the first ``a``) and segment: the aggregated time from ``a`` to ``b``."""
    a, b, agg, unit = pair
    value = engine.median("s") if agg == "median" else "avg(s)"
    first_a = (
        "SELECT jid, _segment, min(t) AS t, min(_period) AS _period FROM _kpi_rows "
        f"WHERE {_match(a)} GROUP BY jid, _segment"
    )
    seconds = (
        f"SELECT x._segment, x._period, min(y.t) - x.t AS s FROM ({first_a}) x "
        f"JOIN _kpi_rows y ON y.jid = x.jid AND {_match(b, 'y')} AND y.t > x.t "
        "GROUP BY x.jid, x._segment, x._period, x.t"
    )
    return (
        f"SELECT _segment, _period, {value} / {unit} AS _f{index} FROM ({seconds}) p "
        "GROUP BY _segment, _period"
    )


def compute_kpi(prepared: Prepared, kpi: KPI, segments: str | None = None) -> pa.Table:
    """The KPI per period of its cadence (and per segment). ``segments``: SQL giving
    ``(jid, segment)`` to split by instead of the journeys' own segments (e.g. a treated and a
    comparison group); journeys it leaves out are not counted."""
    if not kpi.formula:
        raise ValueError(f"KPI {kpi.id!r} has no formula")
    engine = prepared.engine
    compiled = compile_kpi(kpi.formula, set(engine.columns("bound")), engine)
    segment, join = "'all'", ""
    if segments is not None:
        segment, join = "s.segment", f" JOIN ({segments}) s ON s.jid = b.jid"
    elif prepared.options.segment_by:
        segment, join = "s.segment", " JOIN _jseg s ON s.jid = b.jid"
    engine.materialize(
        "_kpi_rows",
        f"SELECT b.*, {segment} AS _segment, {engine.period(kpi.cadence, 'b.ts')} AS _period "
        f"FROM bound b{join}",
    )
    joins = "".join(
        f" LEFT JOIN ({_pair_sql(engine, pair, index)}) f{index} "
        f"ON f{index}._segment = r._segment AND f{index}._period = r._period"
        for index, pair in enumerate(compiled.pairs)
    )
    table = engine.query(
        f"SELECT r._segment AS segment, r._period AS period, {compiled.sql} AS value "
        f"FROM _kpi_rows r{joins} GROUP BY r._segment, r._period ORDER BY segment, period"
    )
    engine.drop("_kpi_rows")
    return table
