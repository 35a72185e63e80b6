"""KPI formulas over events, per period: ``count(newsletter_open) / count(newsletter_sent)``.

Functions, where ``x`` is an event name, a step id or a touchpoint id:

* ``count(x)`` events, ``count_customers(x)`` distinct customers, ``count_journeys(x)``
  distinct journeys;
* ``avg(a)``, ``sum(a)``, ``min(a)``, ``max(a)``, ``median(a)`` of a numeric attribute ``a``, or
  ``avg(x.a)`` of attribute ``a`` on events ``x`` only;
* ``avg_days(x -> y)`` (also ``median_``; ``_seconds``, ``_minutes``, ``_hours``): the time
  from a journey's first ``x`` to its first ``y`` after it, counted in the period of ``x``.

combined with numbers, ``+ - * /`` and parentheses. Division by zero gives no value (NULL).
The functions are registered KPI functions (``journeyscope.plugins.default_kpi_functions``); a
plugin adds its own through the same hook, ``register_kpi_functions``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow as pa

from .. import plugins
from ..engine import Engine
from ..model import KPI
from ..sql import Table, ident, literal
from .binding import Columns, column_map
from .journeys import Prepared

if TYPE_CHECKING:
    from ..plugins import KpiFunction

__all__ = ["KpiCall", "KpiFormula", "compute_kpi", "function_call", "kpi_sql", "read_formula"]

_NAME = re.compile(r"\(\s*([^()]*?)\s*\)")
_ARROW = re.compile(r"\s*(?:->|→)\s*")
#: while a KPI is computed: ``bound``'s rows with their ``_segment`` and ``_period``
_ROWS = Table("_kpi_rows")


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


def read_formula(formula: str) -> tuple[ast.expr, list[str]]:
    """The formula's expression, with each call's argument held as a name ``_n0``, ``_n1`` …,
    and the arguments (event names may hold characters Python rejects); ValueError when it
    cannot be read.

    >>> tree, names = read_formula("count(a b) / 2")
    >>> ast.unparse(tree), names
    ('count(_n0) / 2', ['a b'])
    """
    names: list[str] = []

    def hold(match: re.Match[str]) -> str:
        names.append(match[1])
        return f"(_n{len(names) - 1})"

    try:
        return ast.parse(_NAME.sub(hold, formula), mode="eval").body, names
    except SyntaxError as error:
        raise ValueError(f"cannot read KPI formula {formula!r}: {error.msg}") from None


def function_call(node: ast.expr, names: list[str]) -> tuple[str, str] | None:
    """``(function, argument)`` when ``node`` is a call of one function on one argument."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and len(node.args) == 1
        and not node.keywords
        and isinstance(node.args[0], ast.Name)
        and node.args[0].id.startswith("_n")
    ):
        return node.func.id, names[int(node.args[0].id[2:])]
    return None


def kpi_sql(formula: str, columns: Columns | None = None) -> str:
    """The formula as SQL; ValueError names what cannot be read.

    >>> print(kpi_sql("count(buy) * 2"))
    (count(CASE WHEN (event = 'buy' OR step = 'buy' OR touchpoint = 'buy') THEN 1 END) * 2)
    """
    return compile_kpi(formula, columns).sql


def compile_kpi(
    formula: str, columns: Columns | None = None, engine: Engine | None = None
) -> KpiFormula:
    """The formula compiled; ``columns`` maps the attribute names it may use to the columns
    holding them (None: not checked, each name is its own column)."""
    known = column_map(columns) if columns is not None else None
    tree, names = read_formula(formula)
    compiled = KpiFormula("")
    dialect = engine if engine is not None else Engine()  # the base spells DuckDB's SQL
    functions = plugins.kpi_functions()
    compiled.sql = _Compiler(formula, names, known, compiled, dialect, functions).sql(tree)
    return compiled


@dataclass
class KpiCall:
    """One call of a KPI function in a formula, as the function's ``sql`` sees it: its
    ``argument`` text, the engine whose SQL it writes, and the helpers below."""

    formula: str
    function: str
    argument: str
    engine: Engine
    #: the attributes of the events -> their columns (None: not known, not checked)
    columns: Mapping[str, str] | None
    out: KpiFormula

    def error(self, reason: str) -> ValueError:
        return ValueError(
            f"KPI formula {self.formula!r}: {self.function}({self.argument}) {reason}"
        )

    def matches(self, element: str | None = None) -> str:
        """SQL: the row is an event, at a step or at a touchpoint named ``element`` (the
        argument by default)."""
        return _match(self.argument if element is None else element)

    def value(self) -> str:
        """SQL: the number of the argument's attribute, ``a`` on every event or ``x.a`` on the
        events ``x`` only (NULL elsewhere)."""
        event, _, attribute = self.argument.rpartition(".")
        if not event or (self.columns is not None and attribute not in self.columns):
            event, attribute = "", self.argument
        if self.columns is not None and attribute not in self.columns:
            raise ValueError(f"KPI formula {self.formula!r}: no attribute {attribute!r}")
        column = self.columns[attribute] if self.columns is not None else attribute
        value = self.engine.to_number(ident(column))
        return f"CASE WHEN {_match(event)} THEN {value} END" if event else value

    def time_between(self, aggregate: str, unit: float) -> str:
        """SQL of the ``avg`` or ``median`` time, in ``unit`` seconds, from a journey's first
        ``x`` to its first ``y`` after it (the argument ``x -> y``), in the period of ``x``."""
        parts = _ARROW.split(self.argument)
        if len(parts) != 2:
            raise self.error("takes two names: x -> y")
        self.out.pairs.append((parts[0], parts[1], aggregate, unit))
        return f"max(_f{len(self.out.pairs) - 1})"


@dataclass
class _Compiler:
    formula: str
    names: list[str]
    columns: Mapping[str, str] | None
    out: KpiFormula
    engine: Engine
    functions: dict[str, KpiFunction]

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
        if (call := function_call(node, self.names)) is not None:
            return self.call(*call)
        raise ValueError(
            f"KPI formula {self.formula!r}: only numbers, + - * / and the functions "
            f"{', '.join(self.functions)} are allowed"
        )

    def call(self, function: str, arg: str) -> str:
        if function not in self.functions:
            raise ValueError(
                f"KPI formula {self.formula!r}: unknown function {function!r}; use one of "
                f"{', '.join(self.functions)}"
            )
        call = KpiCall(self.formula, function, arg, self.engine, self.columns, self.out)
        return self.functions[function].sql(call)


def _pair_sql(engine: Engine, pair: tuple[str, str, str, float], index: int) -> str:
    """Per period (of the first ``a``) and segment: the aggregated time from ``a`` to ``b``."""
    a, b, agg, unit = pair
    value = engine.median("s") if agg == "median" else "avg(s)"
    first_a = (
        f"SELECT jid, _segment, min(t) AS t, min(_period) AS _period FROM {_ROWS} "
        f"WHERE {_match(a)} GROUP BY jid, _segment"
    )
    seconds = (
        f"SELECT x._segment, x._period, min(y.t) - x.t AS s FROM ({first_a}) x "
        f"JOIN {_ROWS} y ON y.jid = x.jid AND {_match(b, 'y')} AND y.t > x.t "
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
    compiled = compile_kpi(kpi.formula, prepared.columns, engine)
    segment, join = "'all'", ""
    if segments is not None:
        segment, join = "s.segment", f" JOIN ({segments}) s ON s.jid = b.jid"
    elif prepared.options.segment_by:
        segment, join = "s.segment", f" JOIN {prepared.tables.journey_segments} s ON s.jid = b.jid"
    engine.materialize(
        _ROWS.name,
        f"SELECT b.*, {segment} AS _segment, {engine.period(kpi.cadence, 'b.ts')} AS _period "
        f"FROM {prepared.tables.bound} b{join}",
    )
    joins = "".join(
        f" LEFT JOIN ({_pair_sql(engine, pair, index)}) f{index} "
        f"ON f{index}._segment = r._segment AND f{index}._period = r._period"
        for index, pair in enumerate(compiled.pairs)
    )
    table = engine.query(
        f"SELECT r._segment AS segment, r._period AS period, {compiled.sql} AS value "
        f"FROM {_ROWS} r{joins} GROUP BY r._segment, r._period ORDER BY segment, period"
    )
    engine.drop(_ROWS.name)
    return table
