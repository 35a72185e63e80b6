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

from dataclasses import asdict, dataclass, field
from typing import Any

from ..analytics import compute_unmapped
from ._context import Context, clean, rows
from ._stats import two_proportions
from .drilldown import EXAMPLES, edge_examples, example_journeys, unmapped_examples

__all__ = ["Validation", "ValidationOptions", "compute_validation"]


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

    def to_dict(self) -> dict[str, Any]:
        significant = self.p_value is not None and self.p_value < 0.05
        return asdict(self) | {"significant": significant}


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
        }


def _order(context: Context, options: ValidationOptions) -> tuple[int, int, list[Deviation]]:
    counts = context.query(
        "SELECT count(*) AS n, CAST(sum(CASE WHEN back = 0 THEN 1 ELSE 0 END) AS BIGINT) AS ok "
        "FROM (SELECT jid, "
        "sum(CASE WHEN prev_sid > sid THEN 1 ELSE 0 END) AS back FROM path GROUP BY jid) j"
    )[0]
    found = context.query(
        "SELECT prev_sid AS a, sid AS b, count(*) AS transitions, count(DISTINCT jid) AS journeys "
        "FROM path WHERE prev_sid > sid GROUP BY prev_sid, sid "
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
        f"FROM path GROUP BY jid, CASE sid {case} END)"
    )


# a stage reaches the next one when the next stage's last event comes after its first one
_NEXT = "FROM f a LEFT JOIN f b ON b.jid = a.jid AND b.st = a.st + 1"
_REACHED = "b.last > a.first"


def _stage_success(context: Context, options: ValidationOptions) -> list[StageSuccess]:
    stages, spans = _stage_spans(context)
    found = context.query(
        f"WITH {spans} SELECT a.st, count(*) AS n, "
        f"CAST(sum(CASE WHEN {_REACHED} THEN 1 ELSE 0 END) AS BIGINT) AS nxt, "
        f"CAST(sum(g.goal) AS BIGINT) AS goal {_NEXT} "
        "JOIN _ins_goal g ON g.jid = a.jid GROUP BY a.st ORDER BY a.st"
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
    goals = [context.prepared.sid(s) for s in context.alternatives(context.goal)]
    codes = ", ".join(map(str, goals))
    found = context.query(
        "WITH fs AS (SELECT jid, sid, min(pos) AS p FROM path GROUP BY jid, sid), "
        f"fg AS (SELECT jid, min(pos) AS gp FROM path WHERE sid IN ({codes}) GROUP BY jid) "
        "SELECT fs.sid, count(*) AS n, "
        "CAST(sum(CASE WHEN fg.gp IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS goal "
        "FROM fs LEFT JOIN fg ON fg.jid = fs.jid WHERE fg.gp IS NULL OR fs.p < fg.gp "
        "GROUP BY fs.sid"
    )
    total = context.query(
        "SELECT (SELECT count(DISTINCT jid) FROM path) AS n, "
        f"(SELECT count(DISTINCT jid) FROM path WHERE sid IN ({codes})) AS goal"
    )[0]
    out = []
    for row in (r for r in found if r["sid"] not in goals):
        x1, n1 = int(row["goal"]), int(row["n"])
        x2, n2 = int(total["goal"]) - x1, int(total["n"]) - n1
        test = two_proportions(x1, n1, x2, n2)
        step = context.prepared.step_id(row["sid"])
        out.append(
            Moment(
                step,
                context.steps[step].name,
                n1,
                test.a,
                n2,
                test.b,
                test.difference,
                test.low,
                test.high,
                test.p_value,
            )
        )
    out.sort(key=lambda m: (-abs(m.difference), m.step))
    return out


def compute_validation(context: Context, options: ValidationOptions | None = None) -> Validation:
    """Validate the map against the prepared events; see the module docstring."""
    options = options or ValidationOptions()
    journeys, in_order, deviations = _order(context, options)
    reached = {r["sid"] for r in context.query("SELECT DISTINCT sid FROM path")}
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
    )
