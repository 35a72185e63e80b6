"""Judge an evaluation's findings against a planted world's truth.

A pain point **matches** a planted problem when its kind is one of the problem's kinds, its
segment names the problem's segment (``attribute=value``; ``all`` for a problem everybody has)
and the problem's step is the pain point's element or one of its steps. Each problem counts
once: a second pain point matching it is a **duplicate** (the same customers counted twice),
and like every other unmatched pain point it is **not planted**. Precision is the share of the
top pain points that are a planted problem's first match; recall the share of the planted
problems matched in the top.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...evaluation import Evaluation
from ._world import PlantedProblem, PlantedWorld

__all__ = ["Label", "Score", "score"]


@dataclass(frozen=True)
class Label:
    """What one of the top pain points is: ``planted`` (the first match of ``problem``),
    ``duplicate`` (a later match of it), ``decoy`` (a normal pattern reported as a problem),
    ``symptom`` (where a problem shows without being named, in its segment), ``near`` (a
    problem's kind and step in another segment) or ``not planted``. Only ``planted`` counts
    for precision."""

    rank: int
    kind: str
    element: str
    segment: str
    verdict: str
    problem: str | None = None


@dataclass
class Score:
    """How an evaluation's findings compare with the truth of a world."""

    shape: str
    customers: int
    top: int
    labels: list[Label]
    #: problem id -> its first matching pain point's rank among all pain points (None: missed)
    ranks: dict[str, int | None]
    #: opportunity -> True when the verdict is right (real: significantly better; placebo: not
    #: significant), with the evaluation's own words
    improvements: dict[str, tuple[bool, str]] = field(default_factory=dict)
    kpis: dict[str, tuple[bool, str]] = field(default_factory=dict)
    #: None: no drift planted; else whether check named the new event and said stale
    drift: bool | None = None
    #: unmapped events check reported as new (a false alarm when no drift was planted)
    new_events: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        planted = sum(1 for label in self.labels if label.verdict == "planted")
        return planted / len(self.labels) if self.labels else 1.0

    @property
    def recall(self) -> float:
        found = sum(1 for rank in self.ranks.values() if rank is not None and rank <= self.top)
        return found / len(self.ranks) if self.ranks else 1.0

    @property
    def not_planted(self) -> int:
        return sum(1 for label in self.labels if label.verdict != "planted")

    def missed(self, within: int) -> list[str]:
        """Problems whose first match is not among the first ``within`` pain points."""
        return [p for p, r in self.ranks.items() if r is None or r > within]

    def meets_bar(self, within: int = 8, max_not_planted: int = 2) -> bool:
        """The issue's bar: every planted problem in the first ``within`` pain points, at most
        ``max_not_planted`` of the top not planted, every improvement verdict right, drift
        found when planted."""
        return (
            not self.missed(within)
            and self.not_planted <= max_not_planted
            and all(ok for ok, _ in self.improvements.values())
            and self.drift is not False
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "shape": self.shape,
            "customers": self.customers,
            "top": self.top,
            "precision": self.precision,
            "recall": self.recall,
            "ranks": self.ranks,
            "labels": [label.__dict__ for label in self.labels],
            "improvements": {
                k: {"right": ok, "verdict": v} for k, (ok, v) in self.improvements.items()
            },
            "kpis": {k: {"right": ok, "status": v} for k, (ok, v) in self.kpis.items()},
            "drift": self.drift,
            "new_events": self.new_events,
        }


def matches(problem: PlantedProblem, point: Any) -> bool:
    """Is ``point`` (a pain point) a finding of ``problem``? A finding that merged several
    kinds of evidence (``kinds``) matches by any of them."""
    steps = {point.element, *point.steps}
    kinds = set(getattr(point, "kinds", None) or [point.kind])
    return (
        bool(kinds & problem.kinds)
        and point.segment in problem.segment_names
        and bool(problem.steps & steps)
    )


def _candidates(world: PlantedWorld, point: Any) -> list[PlantedProblem]:
    """The problems ``point`` matches, those at their own step (not an ``also_steps``) first."""
    steps = {point.element, *point.steps}
    found = [p for p in world.problems if matches(p, point)]
    return sorted(found, key=lambda p: p.step not in steps)


def _label(world: PlantedWorld, rank: int, point: Any, seen: set[str]) -> Label:
    def label(verdict: str, problem: str | None = None) -> Label:
        return Label(rank, point.kind, point.element, point.segment, verdict, problem)

    for problem in _candidates(world, point):
        verdict = "duplicate" if problem.id in seen else "planted"
        seen.add(problem.id)
        return label(verdict, problem.id)
    steps = {point.element, *point.steps}
    for decoy in world.decoys:
        if point.kind == decoy.kind and decoy.step in steps:
            return label("decoy", decoy.step)
    for problem in world.problems:
        symptom = any(point.kind == k and s in steps for k, s in problem.symptoms)
        if symptom and point.segment in problem.segment_names:
            return label("symptom", problem.id)
    for problem in world.problems:
        if point.kind in problem.kinds and problem.steps & steps:
            return label("near", problem.id)
    return label("not planted")


def _improvements(world: PlantedWorld, evaluation: Evaluation) -> dict[str, tuple[bool, str]]:
    insights = evaluation.insights
    assert insights is not None
    effects = {(i.opportunity, e.kpi): e for i in insights.improvements for e in i.effects}
    out: dict[str, tuple[bool, str]] = {}
    for planted in world.improvements:
        effect = effects.get((planted.opportunity, planted.kpi))
        if effect is None:
            out[planted.opportunity] = (False, "not tracked")
            continue
        right = (
            effect.significant and bool(effect.better) if planted.real else not effect.significant
        )
        out[planted.opportunity] = (right, effect.verdict)
    return out


def score(world: PlantedWorld, evaluation: Evaluation, top: int = 10) -> Score:
    """Score ``evaluation`` (of ``world``'s files and map) against the world's truth."""
    insights = evaluation.insights
    if insights is None:
        raise ValueError("the evaluation has no insights: evaluate with the world's map")
    points = insights.pain_points
    seen: set[str] = set()
    labels = [_label(world, rank, p, seen) for rank, p in enumerate(points[:top], start=1)]
    ranks: dict[str, int | None] = {}
    for problem in world.problems:
        found = [r for r, p in enumerate(points, 1) if _candidates(world, p)[:1] == [problem]]
        ranks[problem.id] = found[0] if found else None
    status = {k.kpi: k.status for k in insights.kpis}
    kpis = {k.kpi: (status.get(k.kpi) == k.status, status.get(k.kpi, "absent")) for k in world.kpis}
    staleness = insights.staleness
    new_events = [str(row.get("event")) for row in staleness.new_unmapped]
    drift = None
    if world.drift is not None:
        drift = world.drift.event in new_events and staleness.stale
    return Score(
        shape=world.shape,
        customers=world.n_customers,
        top=top,
        labels=labels,
        ranks=ranks,
        improvements=_improvements(world, evaluation),
        kpis=kpis,
        drift=drift,
        new_events=new_events,
    )
