"""What changed between two maps, or between a map's current and future state, element by element.

Elements are matched by id (the future state matches by its ``current:`` references), so a
renamed step is a change, not a removal plus an addition. Every change can say itself as one
sentence a reviewer can read in a pull request.

>>> from journeyscope.model import JourneyMap
>>> step = {"id": "pay", "name": "Pay", "pain_points": ["Slow"]}
>>> old = JourneyMap.model_validate(
...     {"id": "m", "title": "Map", "stages": [{"id": "s", "name": "Buy", "steps": [step]}]})
>>> new = old.model_copy(deep=True)
>>> new.stages[0].steps[0].pain_points = ["Slow", "No Apple Pay"]
>>> [change.sentence() for change in diff_maps(old, new)]
['Step "Pay" (pay): added pain point "No Apple Pay".']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from .journey import JourneyMap, Stage, Step

__all__ = ["Change", "diff_maps", "diff_states"]

Action = Literal["added", "removed", "changed", "moved"]

# field name -> the words for one item of it (lists) or for the field (scalars)
_WORDS = {
    "actions": "action",
    "thoughts": "thought",
    "needs": "need",
    "expectations": "expectation",
    "experience": "experience",
    "pain_points": "pain point",
    "delights": "delight",
    "goals": "goal",
    "behaviours": "behaviour",
    "frustrations": "frustration",
    "teams": "team",
    "systems": "system",
    "processes": "process",
    "policies": "policy",
    "stakeholders": "stakeholder",
    "personas": "persona",
    "evidence": "evidence rule",
    "segment": "segment condition",
    "media_mix": "media share",
    "kpis": "KPI",
    "steps": "step",
    "touchpoints": "touchpoint",
    "opportunities": "opportunity",
    "moment_of_truth": "moment of truth",
    "cost_per_contact": "cost per contact",
    "alternative_to": "alternative to",
    "expected_effect": "expected effect",
    "launch_date": "launch date",
    "emotion_scale": "emotion scale",
    "min_label": "lowest label",
    "max_label": "highest label",
}
_KIND_WORDS = {"kpi": "KPI", "map": "Map"}


@dataclass(frozen=True)
class Change:
    """One difference: an element added, removed, moved, or one of its fields changed."""

    action: Action
    kind: str  # map, persona, stage, step, touchpoint, opportunity, kpi, path
    id: str
    name: str
    field: str | None = None
    old: Any = None
    new: Any = None
    section: str = "Map"

    def sentence(self) -> str:
        """The change in words, e.g. ``Step "Pay" (pay): added pain point "No Apple Pay".``"""
        subject = f'{_KIND_WORDS.get(self.kind, self.kind.capitalize())} "{self.name}" ({self.id})'
        if self.field is None:
            extra = f" {self.new}" if self.new else ""
            lowered = subject if self.kind == "kpi" else subject[0].lower() + subject[1:]
            return f"{self.action.capitalize()} {lowered}{extra}."
        label = _field_words(self.field)
        if self.action == "added":
            return f"{subject}: added {label} {_show(self.new)}."
        if self.action == "removed":
            return f"{subject}: removed {label} {_show(self.old)}."
        if self.action == "moved":
            return f"{subject}: {self.new}."
        if self.old is None:
            return f"{subject}: {label} set to {_show(self.new)}."
        if self.new is None:
            return f"{subject}: {label} cleared (was {_show(self.old)})."
        return f"{subject}: {label} changed from {_show(self.old)} to {_show(self.new)}."

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "kind": self.kind,
            "id": self.id,
            "name": self.name,
            "field": self.field,
            "old": _plain(self.old),
            "new": _plain(self.new),
            "section": self.section,
            "sentence": self.sentence(),
        }


def _field_words(field: str) -> str:
    parts = field.split(".")
    return " ".join(_WORDS.get(part, part.replace("_", " ")) for part in parts)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {item}" for key, item in value.items()) + "}"
    return f'"{value}"'


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_defaults=True)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _item_text(item: Any) -> str:
    """A compact, comparable text for a list item without an id (rules, conditions, shares)."""
    if isinstance(item, BaseModel):
        data = item.model_dump(mode="json", exclude_defaults=True)
        return ", ".join(f"{key}: {value}" for key, value in data.items())
    return str(item)


class _Differ:
    """Collects changes; ``element`` compares two values of one model class field by field."""

    # fields compared by their own matching logic, never as plain values
    NESTED = frozenset({"id", "steps", "touchpoints", "opportunities", "feelings", "current"})

    def __init__(self, persona_names: dict[str, str], carry_over: bool = False) -> None:
        self.changes: list[Change] = []
        self.persona_names = persona_names
        # current -> future: a lane the future step leaves empty is carried over, not removed;
        # pain points are the exception (a future step without them has resolved them)
        self.carry_over = carry_over

    def restated(self, field: str, after: Any) -> bool:
        if not self.carry_over or field.endswith("pain_points"):
            return True
        return after not in (None, [], False, "") and not (
            isinstance(after, BaseModel) and after == type(after)()
        )

    def add(self, action: Action, element: Any, kind: str, section: str, **kw: Any) -> None:
        name = getattr(element, "name", None) or getattr(element, "title", None) or ""
        ident = getattr(element, "id", None) or kind
        self.changes.append(Change(action, kind, ident, name, section=section, **kw))

    def element(
        self, old: BaseModel, new: BaseModel, kind: str, section: str, prefix: str = ""
    ) -> None:
        for field in type(new).model_fields:
            if field in self.NESTED:
                continue
            before, after = getattr(old, field), getattr(new, field)
            self.value(new, kind, section, prefix + field, before, after)

    def value(
        self, owner: Any, kind: str, section: str, field: str, before: Any, after: Any
    ) -> None:
        if before == after or not self.restated(field, after):
            return
        if isinstance(before, BaseModel) and isinstance(after, BaseModel):
            for sub in type(after).model_fields:
                sub_before, sub_after = getattr(before, sub), getattr(after, sub)
                self.value(owner, kind, section, f"{field}.{sub}", sub_before, sub_after)
            return
        if isinstance(before, BaseModel | None) and isinstance(after, BaseModel | None):
            model: type[BaseModel] = type(before or after)  # type: ignore[assignment]
            empty = model()
            self.value(owner, kind, section, field, before or empty, after or empty)
            return
        if isinstance(before, list) and isinstance(after, list):
            self.items(owner, kind, section, field, before, after)
            return
        self.add("changed", owner, kind, section, field=field, old=before, new=after)

    def items(
        self, owner: Any, kind: str, section: str, field: str, before: list[Any], after: list[Any]
    ) -> None:
        old_texts = [_item_text(item) for item in before]
        new_texts = [_item_text(item) for item in after]
        for text in old_texts:
            if text not in new_texts:
                self.add("removed", owner, kind, section, field=field, old=text)
        for text in new_texts:
            if text not in old_texts:
                self.add("added", owner, kind, section, field=field, new=text)
        if sorted(old_texts) == sorted(new_texts) and old_texts != new_texts:
            self.add(
                "changed",
                owner,
                kind,
                section,
                field=f"{field} order",
                old=old_texts,
                new=new_texts,
            )

    def feelings(self, old: Step, new: Step, section: str) -> None:
        def by_persona(step: Step) -> dict[str | None, Any]:
            return {feeling.persona: feeling for feeling in step.feelings}

        before, after = by_persona(old), by_persona(new)
        for persona in [*before, *(key for key in after if key not in before)]:
            who = self.persona_names.get(persona or "", persona) if persona else "everyone"
            old_feeling, new_feeling = before.get(persona), after.get(persona)
            old_score = old_feeling.score if old_feeling else None
            new_score = new_feeling.score if new_feeling else None
            if old_score != new_score and self.restated("score", new_score):
                self.add(
                    "changed",
                    new,
                    "step",
                    section,
                    field=f"emotion score of {who}",
                    old=old_score,
                    new=new_score,
                )
            old_words = old_feeling.words if old_feeling else []
            new_words = new_feeling.words if new_feeling else []
            if self.restated("words", new_words):
                self.items(new, "step", section, f"feeling word of {who}", old_words, new_words)

    def step(self, old: Step, new: Step, section: str) -> None:
        self.element(old, new, "step", section)
        self.feelings(old, new, section)
        parent = f'step "{new.name}"'
        for field, kind in (("touchpoints", "touchpoint"), ("opportunities", "opportunity")):
            if self.restated(field, getattr(new, field)):
                self.children(getattr(old, field), getattr(new, field), kind, section, _id, parent)

    def children(
        self,
        old: Sequence[Any],
        new: Sequence[Any],
        kind: str,
        section: str | Callable[[Any], str],
        key: Callable[[Any], str],
        parent: str | None = None,
    ) -> None:
        """Match by key; report additions, removals, field changes and a changed order."""
        before = {key(item): item for item in old}
        after = {key(item): item for item in new}

        def where(item: Any) -> str:
            return section(item) if callable(section) else section

        for ident, item in before.items():
            if ident not in after:
                self.add("removed", item, kind, where(item), new=parent and f"from {parent}")
        for ident, item in after.items():
            if ident not in before:
                self.add("added", item, kind, where(item), new=parent and f"to {parent}")
            else:
                self.element(before[ident], item, kind, where(item))
        kept_old = [ident for ident in before if ident in after]
        kept_new = [ident for ident in after if ident in before]
        if kept_old != kept_new:
            for position, ident in enumerate(kept_new, 1):
                if kept_old.index(ident) + 1 != position and kind != "step":
                    self.add(
                        "moved",
                        after[ident],
                        kind,
                        where(after[ident]),
                        field="position",
                        new=f"moved to position {position}",
                    )


def _persona_names(*maps: JourneyMap) -> dict[str, str]:
    return {persona.id: persona.name for journey in maps for persona in journey.personas}


def _stage_steps(
    differ: _Differ,
    old: Sequence[Stage],
    new: Sequence[Stage],
    future: bool,
    key: Callable[[Any], str | None],
) -> None:
    """Stages and steps, steps matched across stages so a step that moved is one change."""
    differ.children(
        old,
        new,
        "stage",
        lambda stage: _section(stage, future),
        lambda stage: key(stage) or stage.id,
    )
    old_steps = {(key(step) or step.id): (stage, step) for stage in old for step in stage.steps}
    new_steps = {(key(step) or step.id): (stage, step) for stage in new for step in stage.steps}
    for ident, (stage, step) in old_steps.items():
        if ident not in new_steps:
            differ.add(
                "removed", step, "step", _section(stage, future), new=f'from stage "{stage.name}"'
            )
    for ident, (stage, step) in new_steps.items():
        section = _section(stage, future)
        if ident not in old_steps:
            differ.add("added", step, "step", section, new=f'to stage "{stage.name}"')
            continue
        old_stage, old_step = old_steps[ident]
        if (key(old_stage) or old_stage.id) != (key(stage) or stage.id):
            differ.add(
                "moved",
                step,
                "step",
                section,
                field="stage",
                new=f'moved from stage "{old_stage.name}" to stage "{stage.name}"',
            )
        differ.step(old_step, step, section)
    _step_order(differ, old, new, future, key)


def _step_order(
    differ: _Differ,
    old: Sequence[Stage],
    new: Sequence[Stage],
    future: bool,
    key: Callable[[Any], str | None],
) -> None:
    old_orders = {key(stage) or stage.id: [key(s) or s.id for s in stage.steps] for stage in old}
    for stage in new:
        before = old_orders.get(key(stage) or stage.id)
        after = [key(s) or s.id for s in stage.steps]
        if before is None:
            continue
        kept_before = [ident for ident in before if ident in after]
        kept_after = [ident for ident in after if ident in before]
        if kept_before != kept_after:
            differ.add(
                "changed",
                stage,
                "stage",
                _section(stage, future),
                field="step order",
                old=kept_before,
                new=kept_after,
            )


def _section(stage: Stage, future: bool) -> str:
    return f"{'Future state, stage' if future else 'Stage'} {stage.name}"


def diff_maps(old: JourneyMap, new: JourneyMap) -> list[Change]:
    """Every change from ``old`` to ``new``: map fields, personas, stages, steps, KPIs, paths,
    and the future state."""
    differ = _Differ(_persona_names(old, new))
    skip = {"personas", "stages", "paths", "kpis", "future"}
    for field in JourneyMap.model_fields:
        if field not in skip and field != "id":
            differ.value(new, "map", "Map", field, getattr(old, field), getattr(new, field))
    if old.id != new.id:
        differ.add("changed", new, "map", "Map", field="id", old=old.id, new=new.id)
    differ.children(old.personas, new.personas, "persona", "Personas", _id)
    _stage_steps(differ, old.stages, new.stages, False, lambda _: None)
    differ.children(old.kpis, new.kpis, "kpi", "KPIs", _id)
    differ.children(old.paths, new.paths, "path", "Paths", _id)
    old_future, new_future = old.future, new.future
    if old_future is None and new_future is not None:
        differ.add("added", _Named("future", "future state"), "map", "Future state")
    elif old_future is not None and new_future is None:
        differ.add("removed", _Named("future", "future state"), "map", "Future state")
    if old_future is not None and new_future is not None:
        if old_future.description != new_future.description:
            differ.add(
                "changed",
                _Named("future", "future state"),
                "map",
                "Future state",
                field="description",
                old=old_future.description,
                new=new_future.description,
            )
        _stage_steps(differ, old_future.stages, new_future.stages, True, lambda _: None)
    return _grouped(differ.changes)


def _grouped(changes: list[Change]) -> list[Change]:
    """Changes of one section together, sections in the order they first appear."""
    order: dict[str, int] = {}
    for change in changes:
        order.setdefault(change.section, len(order))
    return sorted(changes, key=lambda change: order[change.section])


def diff_states(journey: JourneyMap) -> list[Change]:
    """From the current state to the future state of one map.

    Future stages and steps are matched to the current ones their ``current:`` field names;
    a current step left out of a redrawn stage is reported as removed, a future step with no
    ``current:`` as added. Stages the future state does not redraw are not compared, and a lane
    a future step leaves empty is carried over from the current step — except pain points: a
    future step without them has resolved them.
    """
    if journey.future is None:
        raise ValueError(f"map {journey.id!r} has no future state")
    redrawn = {stage.current for stage in journey.future.stages if stage.current}
    current = [stage for stage in journey.stages if stage.id in redrawn]
    differ = _Differ(_persona_names(journey), carry_over=True)
    _stage_steps(differ, current, journey.future.stages, True, _current_key)
    return _grouped(differ.changes)


def _current_key(element: Any) -> str | None:
    return getattr(element, "current", None)


def _id(element: Any) -> str:
    return str(element.id)


@dataclass(frozen=True)
class _Named:
    id: str
    name: str


def summarize(changes: Iterable[Change]) -> dict[str, int]:
    """Counts per action, e.g. ``{"added": 3, "removed": 1, "changed": 5, "moved": 0}``."""
    counts = dict.fromkeys(("added", "removed", "changed", "moved"), 0)
    for change in changes:
        counts[change.action] += 1
    return counts
