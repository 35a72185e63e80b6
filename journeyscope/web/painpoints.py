"""The pain-point board: pain points detected in the evidence (ranked by
``journeyscope.insights``), then the ones written on the map, each with the team's decision.

Decisions live in the workspace database; :class:`DbDecisionStore` offers them to the insights
engine through its ``DecisionStore`` seam, so a new analysis already knows what was decided.
"""

from __future__ import annotations

from typing import Any

from ..insights import Decision
from ..model import JourneyMap
from ..store import DecisionInfo, Store
from .words import Words

__all__ = ["DbDecisionStore", "board", "insights_available"]


def insights_available() -> bool:
    """Always: insights are part of the package (the board's template still asks)."""
    return True


class DbDecisionStore:
    """The insights engine's ``DecisionStore`` over the ``pain_point_decisions`` table."""

    def __init__(self, store: Store, map_id: int, user_id: int | None = None):
        self.store, self.map_id, self.user_id = store, map_id, user_id

    def _convert(self, info: DecisionInfo) -> Decision:
        return Decision(
            info.pain_point,
            info.status,  # type: ignore[arg-type]  # Decision checks it is one of its statuses
            opportunity=info.opportunity_id,
            owner=info.owner,
            note=info.note or None,
            updated=info.updated_at.isoformat(" ", "seconds"),
        )

    def get(self, key: str) -> Decision | None:
        info = self.store.decisions(self.map_id).get(key)
        return self._convert(info) if info else None

    def all(self) -> dict[str, Decision]:
        return {key: self._convert(info) for key, info in self.store.decisions(self.map_id).items()}

    def put(self, decision: Decision) -> Decision:
        info = self.store.set_decision(
            self.map_id,
            decision.key,
            decision.status,
            owner=decision.owner,
            opportunity_id=decision.opportunity,
            note=decision.note or "",
            user_id=self.user_id,
        )
        return self._convert(info)


def _lowest_score(journey: JourneyMap, step_id: str) -> float | None:
    scores = [f.score for f in journey.step(step_id).feelings if f.score is not None]
    return min(scores) if scores else None


def _decided(row: dict[str, Any], decision: DecisionInfo | None) -> dict[str, Any]:
    if decision is not None:
        row.update(
            status=decision.status,
            owner=decision.owner,
            opportunity_id=decision.opportunity_id or row.get("opportunity_id"),
            note=decision.note,
        )
    return row


def _step_name(journey: JourneyMap, step_id: str) -> str:
    try:
        return journey.step(step_id).name
    except KeyError:
        return step_id


def _evidence_rows(
    journey: JourneyMap,
    insights: dict[str, Any] | None,
    decisions: dict[str, DecisionInfo],
    words: Words | None,
) -> list[dict[str, Any]]:
    rows = []
    for point in (insights or {}).get("pain_points", []):
        steps = point.get("steps") or [point.get("element", "")]
        element = point.get("element") or steps[-1]
        segment = point.get("segment") or "all"
        if words is not None:  # a page: the finding as a sentence, in the reader's language
            text = words.pain_point(point)
            if segment != "all":
                text += f" — {words.segment(segment)}"
        else:  # the API: the short form, beside the structured fields
            kind = str(point.get("kind", "")).replace("_", " ")
            text = f"{kind}: {_step_name(journey, element)}"
            if segment != "all":
                text += f" ({segment})"
        row = {
            "key": point["key"],
            "source": "evidence",
            "kind": point.get("kind"),
            "segment": segment,
            "step_id": steps[-1],
            "step_name": _step_name(journey, steps[-1]),
            "text": text,
            "score": None,
            "customers_affected": point.get("customers_affected"),
            "priority": point.get("priority"),
            "status": "open",
            "owner": None,
            "opportunity_id": point.get("opportunity"),
            "note": "",
            "money": words.money(point) if words is not None else [],
        }
        rows.append(_decided(row, decisions.get(point["key"])))
    rows.sort(key=lambda r: (r["status"] == "dismissed", -(r["priority"] or 0.0), r["key"]))
    return rows


def _map_rows(journey: JourneyMap, decisions: dict[str, DecisionInfo]) -> list[dict[str, Any]]:
    rows = []
    for position, (_, step) in enumerate(journey.steps()):
        for text in step.pain_points:
            key = f"{step.id}:{text}"
            row: dict[str, Any] = {
                "key": key,
                "source": "map",
                "kind": None,
                "segment": None,
                "step_id": step.id,
                "step_name": step.name,
                "text": text,
                "score": _lowest_score(journey, step.id),
                "customers_affected": None,
                "priority": None,
                "status": "open",
                "owner": None,
                "opportunity_id": None,
                "note": "",
                "money": [],
                "position": position,
            }
            rows.append(_decided(row, decisions.get(key)))
    rows.sort(key=lambda r: (r["score"] if r["score"] is not None else 99, r["position"]))
    for row in rows:
        del row["position"]
    return rows


def board(
    journey: JourneyMap,
    decisions: dict[str, DecisionInfo],
    insights: dict[str, Any] | None = None,
    words: Words | None = None,
) -> list[dict[str, Any]]:
    """Every row of the board, ranked: detected pain points by the insights engine's priority,
    then the map's written pain points by the step's lowest emotion score. With ``words`` (a
    page) each finding reads as a sentence with its money in the page's language."""
    rows = _evidence_rows(journey, insights, decisions, words) + _map_rows(journey, decisions)
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    return rows
