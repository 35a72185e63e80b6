"""Validation of the map against the events [R6]: what the map misses, which steps nobody
takes, whether journeys follow the map's order, how successful each stage is, and which steps
matter most for reaching the goal.

* A journey **follows the map's order** when its mapped steps appear in non-decreasing map
  order (repeating a step is fine; going back to an earlier step is a deviation).
* **Stage success**: of the journeys that entered a stage, the share with an event of the next
  stage after their first event in this stage, and the share reaching the goal step.
* **Moments that matter**: per step, the goal rate of journeys that took the step before the
  goal (or never reached the goal) against all other journeys, with a two-proportion z-test
  and a 95% interval for the difference; ranked by the size of the difference.

The drill-down (``drilldown.py``): each deviation, stage and unmapped event lists ``examples``,
journeys behind its number; each stage also ``dropped_examples``, journeys that entered it but
did not reach the next stage.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from ..analytics import compute_unmapped
from ._context import GOALS, Context, clean, rows
from ._stats import adjust_pvalues, two_proportions
from .drilldown import EXAMPLES, edge_examples, example_journeys, unmapped_examples

__all__ = [
    "Conformance",
    "ConformanceDeviation",
    "Validation",
    "ValidationOptions",
    "compute_validation",
]


@dataclass(frozen=True)
class ValidationOptions:
    top_deviations: int = 10
    top_unmapped: int = 20
    examples: int = EXAMPLES  # journeys listed behind each number


@dataclass
class Deviation:
    """A backward transition: ``source`` followed by ``target``, which is earlier on the map."""

    source: str
    target: str
    transitions: int
    journeys: int
    examples: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class StageSuccess:
    stage: str
    name: str
    journeys: int
    reached_next: int | None
    next_rate: float | None
    reached_goal: int
    goal_rate: float
    examples: list[dict[str, Any]] = field(default_factory=list)  # journeys entering the stage
    dropped_examples: list[dict[str, Any]] = field(default_factory=list)  # not to the next

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Moment:
    """Goal rate with and without a step, and whether the difference is real."""

    step: str
    name: str
    with_journeys: int
    with_rate: float
    without_journeys: int
    without_rate: float
    difference: float
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    #: the compared journeys all entered this stage before the goal (or never reached it)
    stage: str | None = None
    q_value: float | None = None

    def to_dict(self) -> dict[str, Any]:
        significant = self.q_value is not None and self.q_value < 0.05
        return asdict(self) | {"significant": significant}


@dataclass
class ConformanceDeviation:
    """A real deviation from the map: ``back`` — from ``source`` back to ``target`` in an
    earlier stage; ``skip`` — on to ``target`` without the required ``step`` before it."""

    kind: str
    source: str
    target: str
    step: str | None
    transitions: int
    journeys: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Conformance:
    """How well the journeys fit the map when its optional steps may be left out and steps may
    repeat and loop within a stage: per journey, fitness = 1 − deviating moves ÷ moves."""

    journeys: int
    conforming: int
    mean_fitness: float
    fitness_quartiles: list[float]
    deviations: list[ConformanceDeviation] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        share = self.conforming / self.journeys if self.journeys else 0.0
        return asdict(self) | {"conforming_share": share, "deviations": rows(self.deviations)}


@dataclass
class Validation:
    goal: str
    journeys: int
    in_order: int
    unmapped_events: list[dict[str, Any]] = field(default_factory=list)
    unobserved_steps: list[str] = field(default_factory=list)
    deviations: list[Deviation] = field(default_factory=list)
    stages: list[StageSuccess] = field(default_factory=list)
    moments: list[Moment] = field(default_factory=list)
    conformance: Conformance | None = None

    @property
    def in_order_share(self) -> float:
        return self.in_order / self.journeys if self.journeys else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "goal": self.goal,
            "journeys": self.journeys,
            "in_order": self.in_order,
            "in_order_share": self.in_order_share,
            "unmapped_events": clean(self.unmapped_events),
            "unobserved_steps": self.unobserved_steps,
            "deviations": rows(self.deviations),
            "stages": rows(self.stages),
            "moments": rows(self.moments),
            "conformance": self.conformance.to_dict() if self.conformance else None,
        }


def _order(context: Context, options: ValidationOptions) -> tuple[int, int, list[Deviation]]:
    counts = context.query(
        "SELECT count(*) AS n, CAST(sum(CASE WHEN back = 0 THEN 1 ELSE 0 END) AS BIGINT) AS ok "
        "FROM (SELECT jid, sum(CASE WHEN prev_sid > sid THEN 1 ELSE 0 END) AS back "
        f"FROM {context.tables.path} GROUP BY jid) j"
    )[0]
    found = context.query(
        "SELECT prev_sid AS a, sid AS b, count(*) AS transitions, count(DISTINCT jid) AS journeys "
        f"FROM {context.tables.path} WHERE prev_sid > sid GROUP BY prev_sid, sid "
        f"ORDER BY transitions DESC, a, b LIMIT {int(options.top_deviations)}"
    )
    step = context.prepared.step_id
    deviations = [
        Deviation(step(r["a"]), step(r["b"]), r["transitions"], r["journeys"]) for r in found
    ]
    examples = edge_examples(context, [(d.source, d.target) for d in deviations], options.examples)
    for deviation in deviations:
        deviation.examples = examples[(deviation.source, deviation.target)]
    return int(counts["n"] or 0), int(counts["ok"] or 0), deviations


def _stage_spans(context: Context) -> tuple[list[tuple[str, str]], str]:
    """The stages in map order, and the CTE ``f``: per journey and stage number ``st`` (0, 1...
    in map order), the first and the last position of the journey's events in the stage."""
    infos = context.prepared.binding.steps
    stages = list(dict.fromkeys((i.stage, i.stage_name) for i in infos))
    number = {pair: k for k, pair in enumerate(stages)}
    case = " ".join(f"WHEN {i.index + 1} THEN {number[(i.stage, i.stage_name)]}" for i in infos)
    return stages, (
        f"f AS (SELECT jid, CASE sid {case} END AS st, min(pos) AS first, max(pos) AS last "
        f"FROM {context.tables.path} GROUP BY jid, CASE sid {case} END)"
    )


# a stage reaches the next one when the next stage's last event comes after its first one
_NEXT = "FROM f a LEFT JOIN f b ON b.jid = a.jid AND b.st = a.st + 1"
_REACHED = "b.last > a.first"


def _stage_success(context: Context, options: ValidationOptions) -> list[StageSuccess]:
    """Per stage: the journeys with an event in it, those whose next stage has an event after
    their first one here, and those reaching the goal. Not the analysis's ``stage_funnel``:
    that is a funnel (the stages in map order, each reached after the one before, counted
    from the first stage), where a journey entering at the third stage is in no step of it;
    here every journey is judged from the stage it was in, with its goal."""
    stages, spans = _stage_spans(context)
    found = context.query(
        f"WITH {spans} SELECT a.st, count(*) AS n, "
        f"CAST(sum(CASE WHEN {_REACHED} THEN 1 ELSE 0 END) AS BIGINT) AS nxt, "
        f"CAST(sum(g.goal) AS BIGINT) AS goal {_NEXT} "
        f"JOIN {GOALS} g ON g.jid = a.jid GROUP BY a.st ORDER BY a.st"
    )
    # keys: st for journeys entering stage st, -1 - st for those not reaching the next stage
    examples = example_journeys(
        context,
        f"SELECT st AS key, jid FROM f UNION ALL SELECT -1 - a.st AS key, a.jid {_NEXT} "
        f"WHERE a.st < {len(stages) - 1} AND NOT coalesce({_REACHED}, FALSE)",
        options.examples,
        ctes=[spans],
    )
    out = []
    for row in found:
        stage, name = stages[row["st"]]
        last = row["st"] == len(stages) - 1
        nxt = None if last else int(row["nxt"] or 0)
        out.append(
            StageSuccess(
                stage,
                name,
                row["n"],
                nxt,
                None if last else nxt / row["n"],
                int(row["goal"] or 0),
                (row["goal"] or 0) / row["n"],
                examples.get(str(row["st"]), []),
                examples.get(str(-1 - row["st"]), []),
            )
        )
    return out


def _moments(context: Context) -> list[Moment]:
    """Per step, like with like: of the journeys that entered the step's stage before the goal
    (or never reached it), the goal rate of those that took the step against those that did
    not. A step every goal-reaching journey of its stage took (the others never reach the
    goal) is a gate on the only path, not a moment: true by construction, so left out. The
    p-values are adjusted together (Benjamini-Hochberg)."""
    goals = [context.prepared.sid(s) for s in context.alternatives(context.goal)]
    codes = ", ".join(map(str, goals))
    infos = context.prepared.binding.steps
    stages = {stage: k for k, stage in enumerate(dict.fromkeys(i.stage for i in infos))}
    number = " ".join(f"WHEN {i.index + 1} THEN {stages[i.stage]}" for i in infos)
    path = context.tables.path
    ctes = (
        f"WITH fs AS (SELECT jid, sid, min(pos) AS p FROM {path} GROUP BY jid, sid), "
        f"fg AS (SELECT jid, min(pos) AS gp FROM {path} WHERE sid IN ({codes}) GROUP BY jid), "
        "took AS (SELECT fs.jid, fs.sid, fs.p FROM fs LEFT JOIN fg ON fg.jid = fs.jid "
        "WHERE fg.gp IS NULL OR fs.p < fg.gp), "
        f"entered AS (SELECT DISTINCT jid, CASE sid {number} END AS st FROM took) "
    )
    took = context.query(
        f"{ctes}SELECT t.sid, count(*) AS n, CAST(sum(g.goal) AS BIGINT) AS goal FROM took t "
        f"JOIN {GOALS} g ON g.jid = t.jid GROUP BY t.sid"
    )
    entered = {
        int(r["st"]): (int(r["n"]), int(r["goal"] or 0))
        for r in context.query(
            f"{ctes}SELECT e.st, count(*) AS n, CAST(sum(g.goal) AS BIGINT) AS goal "
            f"FROM entered e JOIN {GOALS} g ON g.jid = e.jid GROUP BY e.st"
        )
    }
    out = []
    for row in (r for r in took if r["sid"] not in goals):
        info = infos[int(row["sid"]) - 1]
        n, x = entered[stages[info.stage]]
        x1, n1 = int(row["goal"] or 0), int(row["n"])
        x2, n2 = x - x1, n - n1
        if n2 == 0 or (x2 == 0 and x1 > 0):
            continue  # everybody took it, or only through it is the goal reached: a gate
        test = two_proportions(x1, n1, x2, n2)
        out.append(
            Moment(
                info.id,
                context.steps[info.id].name,
                n1,
                test.a,
                n2,
                test.b,
                test.difference,
                test.low,
                test.high,
                test.p_value,
                info.stage,
            )
        )
    tested = [m for m in out if m.p_value is not None]
    for moment, qv in zip(tested, adjust_pvalues([m.p_value or 0.0 for m in tested]), strict=True):
        moment.q_value = qv
    out.sort(key=lambda m: (-abs(m.difference), m.step))
    return out


def _conformance_ctes(context: Context) -> str | None:
    """CTEs ``m`` (the moves between the customer's own mapped steps: ``a`` -> ``b`` at
    ``pos``, with their stage numbers) and ``sk`` (the required steps a forward move jumped
    over that the journey had not taken before)."""
    infos = context.prepared.binding.steps
    mine = [i for i in infos if i.id in context.steps and context.steps[i.id].initiated_by
            == "customer"]  # fmt: skip
    if not mine:
        return None
    stages = {stage: k for k, stage in enumerate(dict.fromkeys(i.stage for i in infos))}
    number = " ".join(f"WHEN {i.index + 1} THEN {stages[i.stage]}" for i in infos)
    codes = ", ".join(str(i.index + 1) for i in mine)
    # a required step no event can show (no evidence rule, or nobody takes it) is the map's
    # gap, listed as unobserved: a journey cannot be blamed for skipping it
    seen = set(context.prepared.reached())
    slots = [
        (i.index + 1, i.index + 1) for i in mine if i.kind == "required" and i.index + 1 in seen
    ]
    for i in mine:
        step = context.steps[i.id]
        if step.kind == "alternative" and step.alternative_to in context.steps:
            slots.append((i.index + 1, context.prepared.sid(step.alternative_to)))
    values = ", ".join(f"({a}, {b})" for a, b in slots) or "(0, 0)"
    required = ", ".join(f"({b})" for a, b in slots if a == b) or "(0)"
    window, path = "OVER (PARTITION BY jid ORDER BY pos)", context.tables.path
    return (
        f"c AS (SELECT jid, pos, sid, lag(sid) {window} AS a FROM {path} WHERE sid IN ({codes})), "
        f"m AS (SELECT jid, pos, a, sid AS b, CASE a {number} END AS sa, CASE sid {number} END "
        "AS sb FROM c WHERE a IS NOT NULL), "
        f"slot AS (SELECT * FROM (VALUES {values}) v(sid, slot)), "
        f"req AS (SELECT * FROM (VALUES {required}) r(slot)), "
        f"fr AS (SELECT p.jid, s.slot, min(p.pos) AS first FROM {path} p JOIN slot s "
        "ON s.sid = p.sid GROUP BY p.jid, s.slot), "
        "sk AS (SELECT m.jid, m.pos, m.a, m.b, r.slot FROM m JOIN req r ON r.slot > m.a AND "
        "r.slot < m.b LEFT JOIN fr ON fr.jid = m.jid AND fr.slot = r.slot "
        "WHERE fr.first IS NULL OR fr.first > m.pos)"
    )


def _quartiles(values: list[tuple[float, int]]) -> list[float]:
    """The 25th, 50th and 75th percentiles of values given with their counts."""
    ordered, total, out = sorted(values), sum(n for _, n in values), []
    for share in (0.25, 0.5, 0.75):
        seen = 0
        for value, n in ordered:
            seen += n
            if seen >= share * total:
                out.append(value)
                break
    return out


def _conformance(context: Context, options: ValidationOptions) -> Conformance:
    journeys = int(
        context.query(f"SELECT count(DISTINCT jid) AS n FROM {context.tables.path}")[0]["n"] or 0
    )
    ctes = _conformance_ctes(context)
    if ctes is None or not journeys:
        return Conformance(journeys, journeys, 1.0, [1.0, 1.0, 1.0] if journeys else [])
    bad = "SELECT DISTINCT jid, pos FROM (SELECT jid, pos FROM m WHERE sb < sa UNION ALL " \
        "SELECT jid, pos FROM sk) d0"  # fmt: skip
    per = (
        "SELECT m.jid, count(*) AS moves, count(d.pos) AS bad FROM m LEFT JOIN "
        f"({bad}) d ON d.jid = m.jid AND d.pos = m.pos GROUP BY m.jid"
    )
    spread = context.query(
        f"WITH {ctes} SELECT 1.0 - CAST(bad AS DOUBLE) / moves AS f, count(*) AS n "
        f"FROM ({per}) j GROUP BY 1.0 - CAST(bad AS DOUBLE) / moves"
    )
    values = [(float(r["f"]), int(r["n"])) for r in spread]
    moved = sum(n for _, n in values)
    values.append((1.0, journeys - moved))  # no move between two steps: nothing to deviate
    values = [(v, n) for v, n in values if n > 0]
    conforming = sum(n for v, n in values if v >= 1.0)
    values.sort()  # the engine's groups come in any order: the same sums whatever it is
    mean = math.fsum(v * n for v, n in values) / journeys
    found = context.query(
        f"WITH {ctes} SELECT * FROM (SELECT 'back' AS kind, a, b, CAST(NULL AS INTEGER) AS slot, "
        "count(*) AS transitions, count(DISTINCT jid) AS journeys FROM m WHERE sb < sa "
        "GROUP BY a, b UNION ALL SELECT 'skip' AS kind, a, b, slot, count(*) AS transitions, "
        "count(DISTINCT jid) AS journeys FROM sk GROUP BY a, b, slot) x "
        "ORDER BY journeys DESC, transitions DESC, kind, a, b, slot "
        f"LIMIT {int(options.top_deviations)}"
    )
    step = context.prepared.step_id
    deviations = [
        ConformanceDeviation(
            r["kind"],
            step(int(r["a"])),
            step(int(r["b"])),
            step(int(r["slot"])) if r["slot"] is not None else None,
            int(r["transitions"]),
            int(r["journeys"]),
        )
        for r in found
    ]
    return Conformance(journeys, conforming, mean, _quartiles(values), deviations)


def compute_validation(context: Context, options: ValidationOptions | None = None) -> Validation:
    """Validate the map against the prepared events; see the module docstring."""
    options = options or ValidationOptions()
    journeys, in_order, deviations = _order(context, options)
    reached = set(context.prepared.reached())
    untaken = [i.id for i in context.prepared.binding.steps if i.index + 1 not in reached]
    unmapped = compute_unmapped(context.prepared).to_pylist()[: options.top_unmapped]
    found = unmapped_examples(context, [u["event"] for u in unmapped], options.examples)
    for row in unmapped:
        row["examples"] = found.get(str(row["event"]), [])
    return Validation(
        context.goal,
        journeys,
        in_order,
        unmapped,
        untaken,
        deviations,
        _stage_success(context, options),
        _moments(context),
        _conformance(context, options),
    )
