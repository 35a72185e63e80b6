"""The drill-down behind the numbers: for a number of the insights, a few example journeys — the
customer id and the journey's mapped steps in order — so that every number can be traced to the
customers behind it.

All lists come from one query helper, :func:`example_journeys`. A caller gives SQL selecting
``(key, jid)``: the journeys behind each of its numbers, keyed by number. Per key it returns the
journeys of the first customers by customer id (then journey id), so the lists stay the same from
run to run. The callers only say which journeys count:

* :func:`step_reach` — per map step, journeys that include the step;
* :func:`funnel_examples` — per step of the step funnel (every reached required step in map
  order, as ``journeyscope analyze`` draws it): journeys that reached the step, and journeys
  that reached it but not the next step;
* :func:`edge_examples` — journeys with a directly-follows edge (``[start]``/``[end]`` too);
* :func:`unmapped_examples` — journeys with an event the map does not cover, with the journey's
  raw event names (they have no mapped steps to show);
* :func:`survey_examples` — customers with low answers (or negative comments) at a step, with
  their answers.

Validation (stages, deviations, unmapped events), KPI status and pain points call these too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..analytics import compute_flows, compute_funnel, compute_reach
from ..analytics.report import default_funnel
from ..sql import literal
from ._context import GOALS, Context, clean
from ._pain_point import PainPoint
from .evidence import bind_answers, is_negative
from .segments import CUSTOMER_SEGMENTS, EVENT_SEGMENTS, Segment

__all__ = [
    "EXAMPLES",
    "Drilldown",
    "DrilldownOptions",
    "add_survey_examples",
    "busiest_flows",
    "compute_drilldown",
    "edge_examples",
    "example_journeys",
    "funnel_examples",
    "step_reach",
    "survey_customers",
    "survey_examples",
    "unmapped_examples",
]

EXAMPLES = 5  # example journeys behind each number
MAX_SEQUENCE = 100  # a longer step (or event) list is cut; ``more_steps`` says by how much
START, END = "[start]", "[end]"
Example = dict[str, Any]


@dataclass(frozen=True)
class DrilldownOptions:
    """``examples``: journeys per number; ``top_flows``: the busiest directly-follows edges
    that get examples."""

    examples: int = EXAMPLES
    top_flows: int = 20


def _sequence(name: str, items: list[str]) -> dict[str, Any]:
    if len(items) <= MAX_SEQUENCE:
        return {name: items}
    return {name: items[:MAX_SEQUENCE], f"more_{name}": len(items) - MAX_SEQUENCE}


def example_journeys(
    context: Context,
    members: str,
    limit: int = EXAMPLES,
    *,
    ctes: Sequence[str] = (),
    events: bool = False,
) -> dict[str, list[Example]]:
    """Per key of ``members`` (SQL selecting ``key`` and ``jid``; ``ctes`` are ``name AS
    (...)`` clauses it may use): up to ``limit`` journeys, the first customers by id first, each
    ``{"customer": id, "steps": [mapped step ids in order]}``; with ``events`` also
    ``"events"``, the journey's raw event names in order. Keys come back as text."""
    engine = context.prepared.engine
    picked = (
        f"m AS (SELECT DISTINCT CAST(key AS VARCHAR) AS key, jid FROM ({members}) m0), "
        "r AS (SELECT m.key, m.jid, u.customer_id, row_number() OVER (PARTITION BY m.key "
        f"ORDER BY u.customer_id, m.jid) AS rn FROM m JOIN {GOALS} g ON g.jid = m.jid "
        f"JOIN {context.tables.customer_codes} u ON u.cid = g.cid), "
        f"k AS (SELECT * FROM r WHERE rn <= {int(limit)})"
    )
    steps = (
        f"SELECT jid, {engine.ordered_list('sid', ['pos'])} AS steps FROM {context.tables.path} "
        "WHERE jid IN (SELECT jid FROM k) GROUP BY jid"
    )
    raw = (
        f"SELECT jid, {engine.ordered_list('event', ['t', 'seq'])} AS events FROM "
        f"{context.tables.bound} WHERE jid IN (SELECT jid FROM k) GROUP BY jid"
    )
    rows = context.query(
        f"WITH {', '.join([*ctes, picked])} SELECT k.key, k.rn, k.customer_id, s.steps"
        + (", e.events" if events else "")
        + f" FROM k LEFT JOIN ({steps}) s ON s.jid = k.jid"
        + (f" LEFT JOIN ({raw}) e ON e.jid = k.jid" if events else "")
        + " ORDER BY k.key, k.rn"
    )
    step_id = context.prepared.step_id
    found: dict[str, list[Example]] = {}
    for row in rows:
        example = {"customer": str(row["customer_id"])}
        example |= _sequence(
            "steps", [step_id(int(s)) for s in row["steps"] or [] if s is not None]
        )
        if events:
            example |= _sequence("events", [str(e) for e in row["events"] or []])
        found.setdefault(str(row["key"]), []).append(example)
    return found


def step_reach(context: Context, limit: int = EXAMPLES) -> list[dict[str, Any]]:
    """Per step that customers take, in map order: its reach (customers, journeys, share of
    customers; ``compute_reach``) and journeys that include it."""
    reach = {r["step"]: r for r in compute_reach(context.prepared).to_pylist()}
    found = example_journeys(context, f"SELECT sid AS key, jid FROM {context.tables.path}", limit)
    return [
        {"step": info.id, "customers": row["customers"], "journeys": row["journeys"],
         "share": row["share"], "examples": found.get(str(info.index + 1), [])}
        for info in context.prepared.binding.steps
        if (row := reach.get(info.id)) is not None
    ]  # fmt: skip


def funnel_examples(context: Context, limit: int = EXAMPLES) -> list[dict[str, Any]]:
    """Per step of the step funnel: journeys reaching it (``compute_funnel``'s numbers) with
    examples, and ``dropped_after`` — journeys that reached it but not the next step — with
    theirs. A journey reaches step k when its first step-1 event is followed by step 2, then
    step 3... each the first after the previous: the attempt an ordered funnel counts."""
    prepared = context.prepared
    funnel = default_funnel(prepared)
    if funnel is None:
        return []
    codes, path = [prepared.sid(step) for step in funnel.steps], context.tables.path
    ctes = [f"f1 AS (SELECT jid, min(pos) AS p FROM {path} WHERE sid = {codes[0]} GROUP BY jid)"]
    for k, code in enumerate(codes[1:], start=2):
        ctes.append(
            f"f{k} AS (SELECT f.jid, min(x.pos) AS p FROM f{k - 1} f JOIN {path} x "
            f"ON x.jid = f.jid AND x.sid = {code} AND x.pos > f.p GROUP BY f.jid)"
        )
    parts = [f"SELECT {k} AS key, jid FROM f{k}" for k in range(1, len(codes) + 1)]
    parts += [
        f"SELECT {-k} AS key, a.jid FROM f{k} a LEFT JOIN f{k + 1} b ON b.jid = a.jid "
        "WHERE b.jid IS NULL"
        for k in range(1, len(codes))
    ]
    found = example_journeys(context, " UNION ALL ".join(parts), limit, ctes=ctes)
    rows = compute_funnel(prepared, funnel).to_pylist()
    return [
        {"index": row["index"], "step": row["step"], "journeys": row["journeys"],
         "dropped_after": row["journeys"] - nxt["journeys"] if nxt else None,
         "examples": found.get(str(row["index"]), []),
         "dropped_examples": found.get(str(-row["index"]), [])}
        for row, nxt in zip(rows, [*rows[1:], None], strict=True)
    ]  # fmt: skip


def edge_examples(
    context: Context, edges: Iterable[tuple[str, str]], limit: int = EXAMPLES
) -> dict[tuple[str, str], list[Example]]:
    """Per directly-follows edge ``(source, target)`` (step ids; ``[start]`` opens a journey,
    ``[end]`` closes it): journeys that take it."""
    prepared = context.prepared
    base = len(prepared.binding.steps) + 1  # key = source code * base + target code; 0: start/end
    code = lambda step: 0 if step in (START, END) else prepared.sid(step)  # noqa: E731
    keys = {code(a) * base + code(b): (a, b) for a, b in edges}
    if not keys:
        return {}
    path = context.tables.path
    members = (
        "SELECT key, jid FROM (SELECT CAST(coalesce(prev_sid, 0) AS INTEGER) * "
        f"{base} + sid AS key, jid FROM {path} UNION ALL SELECT CAST(p.sid AS INTEGER) * {base} "
        f"AS key, p.jid FROM {path} p JOIN (SELECT jid, max(pos) AS last FROM {path} GROUP BY jid) "
        "l ON l.jid = p.jid AND p.pos = l.last) e "
        f"WHERE key IN ({', '.join(map(str, keys))})"
    )
    found = example_journeys(context, members, limit)
    return {edge: found.get(str(key), []) for key, edge in keys.items()}


def unmapped_examples(
    context: Context, events: Iterable[str], limit: int = EXAMPLES
) -> dict[str, list[Example]]:
    """Per event name the map does not cover: journeys with that event, each with its raw
    ``events`` besides its (maybe empty) mapped ``steps``."""
    names = ", ".join(literal(str(e)) for e in events)
    if not names:
        return {}
    members = (
        f"SELECT event AS key, jid FROM {context.tables.bound} "
        f"WHERE step IS NULL AND event IN ({names})"
    )
    return example_journeys(context, members, limit, events=True)


def _segment_customers(context: Context, segment: Segment, step: str) -> set[str]:
    """The customers in ``segment``: of the customer, or of their events at ``step``."""
    table, at = CUSTOMER_SEGMENTS, ""
    if segment.level == "event":
        table, at = EVENT_SEGMENTS, f" AND s.step = {literal(step)}"
    rows = context.query(
        f"SELECT DISTINCT u.customer_id FROM {table} s JOIN {GOALS} g ON g.jid = s.jid "
        f"JOIN {context.tables.customer_codes} u ON u.cid = g.cid WHERE s.dim = "
        f"{literal(segment.dimension)} AND CAST(s.value AS VARCHAR) = {literal(segment.value)}{at}"
    )
    return {str(r["customer_id"]) for r in rows}


def survey_examples(
    context: Context,
    kind: str,
    step: str,
    segment: Segment | None = None,
    answers: list[dict[str, Any]] | None = None,
    limit: int = EXAMPLES,
) -> list[Example]:
    """The drill-down of a survey pain point (``kind`` ``low_score`` or ``negative_comment``)
    at ``step``, in ``segment`` (None: all customers): the first customers by id with a low
    answer (below the middle of its scale) or a negative comment there, each with their first
    journey's ``steps`` (empty when they have no events) and their ``answers`` there (kind,
    score, comment, time). ``answers``: ``bind_answers(context)``, to bind them only once."""
    answers = bind_answers(context) if answers is None else answers
    mine = _survey_hits(context, kind, step, segment, answers)
    customers = sorted({str(a["customer_id"]) for a in mine})[:limit]
    if not customers:
        return []
    members = (
        f"SELECT u.customer_id AS key, min(g.jid) AS jid FROM {GOALS} g JOIN "
        f"{context.tables.customer_codes} u "
        f"ON u.cid = g.cid WHERE u.customer_id IN ({', '.join(map(literal, customers))}) "
        "GROUP BY u.customer_id"
    )
    journeys = example_journeys(context, members, 1)
    out = []
    for customer in customers:
        theirs = sorted((a for a in mine if str(a["customer_id"]) == customer), key=_when)
        steps = journeys.get(customer, [{"steps": []}])[0]
        out.append(
            {"customer": customer, **{k: v for k, v in steps.items() if k != "customer"},
             "answers": [clean({"kind": a["kind"], "score": a["score"],
                                "comment": a["comment"], "ts": a["ts"]}) for a in theirs]}
        )  # fmt: skip
    return out


def _survey_hits(
    context: Context,
    kind: str,
    step: str,
    segment: Segment | None,
    answers: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The answers that count for a survey pain point at ``step`` (in ``segment``)."""
    mine = [a for a in answers if a["bound_step"] == step and _counts(kind, a)]
    if segment is not None:
        inside = _segment_customers(context, segment, step)
        mine = [a for a in mine if str(a["customer_id"]) in inside]
    return mine


def survey_customers(
    context: Context,
    kind: str,
    step: str,
    segment: Segment | None,
    answers: list[dict[str, Any]],
) -> set[str]:
    """Every customer behind a survey pain point (not only the examples)."""
    return {str(a["customer_id"]) for a in _survey_hits(context, kind, step, segment, answers)}


def _counts(kind: str, answer: dict[str, Any]) -> bool:
    """Whether an answer counts for a survey pain point of ``kind``."""
    if kind == "low_score":
        return bool(answer["norm"] < 0.5)
    return is_negative(answer["comment"], answer["norm"])


def _when(answer: dict[str, Any]) -> Any:
    return answer["ts"]


SURVEY_KINDS = ("low_score", "negative_comment")


def add_survey_examples(
    context: Context, points: list[PainPoint], limit: int = EXAMPLES
) -> list[PainPoint]:
    """Fill in ``examples`` of the survey pain points that have none (answers bound once)."""
    wanted = [p for p in points if p.kind in SURVEY_KINDS and not p.examples]
    answers = bind_answers(context) if wanted else []
    for point in wanted:
        detail = point.segment_detail
        segment = None if detail is None else Segment(**detail)  # type: ignore[arg-type]
        point.examples = survey_examples(
            context, point.kind, point.element, segment, answers, limit
        )
    return points


@dataclass
class Drilldown:
    """Example journeys behind the numbers of the analysis that insights do not list
    elsewhere: reach per step, the step funnel and the busiest flows."""

    examples: int
    steps: list[dict[str, Any]] = field(default_factory=list)
    funnel: list[dict[str, Any]] = field(default_factory=list)
    flows: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "steps": clean(self.steps),
            "funnel": clean(self.funnel),
            "flows": clean(self.flows),
        }


def busiest_flows(context: Context, top: int, limit: int = EXAMPLES) -> list[dict[str, Any]]:
    """The ``top`` directly-follows edges, most frequent first (``compute_flows``; ``count`` is
    how often the edge is taken), each with journeys taking it."""
    rows = compute_flows(context.prepared).to_pylist()[:top]
    found = edge_examples(context, [(r["source"], r["target"]) for r in rows], limit)
    return [
        {"source": r["source"], "target": r["target"], "count": r["count"],
         "examples": found[(r["source"], r["target"])]}
        for r in rows
    ]  # fmt: skip


def compute_drilldown(context: Context, options: DrilldownOptions | None = None) -> Drilldown:
    """Reach per step, the step funnel and the busiest flows, each with example journeys."""
    options = options or DrilldownOptions()
    n = options.examples
    return Drilldown(
        n,
        step_reach(context, n),
        funnel_examples(context, n),
        busiest_flows(context, options.top_flows, n),
    )
