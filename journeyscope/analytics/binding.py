"""Binding: the map's evidence rules as SQL that assigns each event to a step and touchpoint.

An event belongs to the first step, in map order, that one of its rules matches: a rule on a
touchpoint assigns the touchpoint and its step; a rule on the step assigns the step (and the
first of its touchpoints whose own rules match, if any). Events that match nothing stay in the
log as *unmapped*.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..engine import Engine
from ..model import Condition, EvidenceRule, JourneyMap, MapState
from ..sql import ident, literal

__all__ = [
    "Binding",
    "StepInfo",
    "bind_map",
    "bind_raw",
    "by_stage",
    "column_map",
    "glob_to_like",
    "rule_sql",
]

#: attribute names (as the user wrote them) -> the column holding them; a plain set of column
#: names stands for itself
Columns = Mapping[str, str] | set[str]


def column_map(columns: Columns) -> Mapping[str, str]:
    """``columns`` as a mapping from the attribute names a map or setting may use to the columns
    that hold them (a set: each name is its own column)."""
    return columns if isinstance(columns, Mapping) else {name: name for name in columns}


@dataclass(frozen=True)
class StepInfo:
    """A step as analytics sees it: its place in the map and what it is called."""

    id: str
    name: str
    stage: str
    stage_name: str
    index: int
    kind: str = "required"
    touchpoints: tuple[str, ...] = ()


@dataclass
class Binding:
    """SQL expressions giving ``step`` and ``touchpoint`` per event, and the step order."""

    step_sql: str
    touchpoint_sql: str
    steps: list[StepInfo]
    touchpoint_names: dict[str, str] = field(default_factory=dict)
    touchpoint_channels: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    raw: bool = False  # no map: every event name is its own step

    def step(self, step_id: str) -> StepInfo:
        for info in self.steps:
            if info.id == step_id:
                return info
        raise KeyError(f"no step {step_id!r}; steps are: {', '.join(s.id for s in self.steps)}")


def glob_to_like(pattern: str) -> str:
    r"""A shell pattern as a SQL LIKE pattern with ``\`` as the escape character.

    >>> glob_to_like("support_*")
    'support\\_%'
    """
    out = []
    for char in pattern:
        if char in "%_\\":
            out.append("\\" + char)
        elif char == "*":
            out.append("%")
        elif char == "?":
            out.append("_")
        else:
            out.append(char)
    return "".join(out)


def _condition_sql(condition: Condition, engine: Engine, columns: Mapping[str, str]) -> str | None:
    name, op, value = condition.attribute, condition.op, condition.value
    if name not in columns:
        return None
    col = ident(columns[name])
    if op == "exists":
        return f"{col} IS NOT NULL"
    if op in ("in", "not_in"):
        items = ", ".join(literal(str(item)) for item in value)  # compared as text
        return f"{engine.to_text(col)} {'NOT ' if op == 'not_in' else ''}IN ({items})"
    if op == "glob":
        return f"{engine.to_text(col)} LIKE {literal(glob_to_like(str(value)))} ESCAPE '\\'"
    if op == "regex":
        return engine.regex_full(engine.to_text(col), str(value))
    sql_op = "=" if op == "==" else op
    if isinstance(value, bool):
        return f"lower({engine.to_text(col)}) {sql_op} {literal(str(value).lower())}"
    if isinstance(value, int | float):
        return f"{engine.to_number(col)} {sql_op} {literal(float(value))}"
    return f"{engine.to_text(col)} {sql_op} {literal(str(value))}"  # dates too, as written


def rule_sql(rule: EvidenceRule, engine: Engine, columns: Columns) -> tuple[str, list[str]]:
    """One rule as a SQL condition, and the attributes it names that the data lacks.
    ``columns`` maps the attribute names to the columns holding them (see ``column_map``)."""
    names = column_map(columns)
    if rule.event is not None:
        parts = [f"event = {literal(rule.event)}"]
    elif rule.event_in is not None:
        parts = [f"event IN ({', '.join(literal(e) for e in rule.event_in)})"]
    elif rule.event_glob is not None:
        parts = [f"event LIKE {literal(glob_to_like(rule.event_glob))} ESCAPE '\\'"]
    else:
        parts = [engine.regex_full("event", str(rule.event_regex))]
    missing = []
    for condition in rule.where:
        sql = _condition_sql(condition, engine, names)
        if sql is None:
            missing.append(condition.attribute)
            sql = "FALSE"
        parts.append(sql)
    return "(" + " AND ".join(parts) + ")", missing


def bind_map(
    journey: JourneyMap, engine: Engine, columns: Columns, state: MapState = "current"
) -> Binding:
    """Compile the evidence rules of ``journey`` (``state``) against the available columns."""
    step_cases: list[str] = []
    touchpoint_cases: list[str] = []
    binding = Binding("", "", [])

    def compile_rules(rules: list[EvidenceRule], where: str) -> str | None:
        sqls = []
        for rule in rules:
            sql, missing = rule_sql(rule, engine, columns)
            sqls.append(sql)
            binding.problems += [
                f"{where}: no attribute {name!r} in the events or customers" for name in missing
            ]
        return " OR ".join(sqls) if sqls else None

    for stage in journey.stages_of(state):
        for step in stage.steps:
            binding.steps.append(
                StepInfo(step.id, step.name, stage.id, stage.name, len(binding.steps), step.kind,
                         tuple(tp.id for tp in step.touchpoints))
            )  # fmt: skip
            for tp in step.touchpoints:
                binding.touchpoint_names[tp.id] = tp.name
                binding.touchpoint_channels[tp.id] = tp.channel
                sql = compile_rules(tp.evidence, f"touchpoint {tp.id}")
                if sql:
                    step_cases.append(f"WHEN {sql} THEN {literal(step.id)}")
                    touchpoint_cases.append(f"WHEN {sql} THEN {literal(tp.id)}")
            sql = compile_rules(step.evidence, f"step {step.id}")
            if sql:
                step_cases.append(f"WHEN {sql} THEN {literal(step.id)}")
                touchpoint_cases.append(f"WHEN {sql} THEN NULL")
    if not step_cases:
        binding.problems.append("the map has no evidence rules: no event can be bound to it")
    binding.step_sql = f"CASE {' '.join(step_cases)} END" if step_cases else "NULL"
    binding.touchpoint_sql = f"CASE {' '.join(touchpoint_cases)} END" if step_cases else "NULL"
    return binding


def bind_raw(event_names: list[str]) -> Binding:
    """No map: every event name is a step (in order of first appearance)."""
    steps = [StepInfo(name, name, "", "", index) for index, name in enumerate(event_names)]
    return Binding("event", "NULL", steps, raw=True)


def by_stage(binding: Binding) -> Binding:
    """The same binding one level up: each stage stands as one step (``--level stage``), so a
    long log reads as a handful of stage sequences instead of thousands of step sequences."""
    if binding.raw:
        raise ValueError("stage level needs a map: without one there are no stages")
    stages: dict[str, StepInfo] = {}
    for info in binding.steps:
        if info.stage not in stages:
            stages[info.stage] = StepInfo(
                info.stage, info.stage_name, info.stage, info.stage_name, len(stages)
            )
    cases = " ".join(f"WHEN {literal(i.id)} THEN {literal(i.stage)}" for i in binding.steps)
    step_sql = f"CASE ({binding.step_sql}) {cases} END" if cases else "NULL"
    return Binding(step_sql, binding.touchpoint_sql, list(stages.values()),
                   binding.touchpoint_names, binding.touchpoint_channels,
                   list(binding.problems))  # fmt: skip
