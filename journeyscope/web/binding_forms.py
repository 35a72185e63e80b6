"""The binding editor's form values as map fields: personas placed by customer attributes and
wait targets. Pure functions of the map and the posted form; a field that cannot be read
raises :class:`FieldError` naming the control, so the page shows the words next to it."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from ..model import Condition, JourneyMap, WaitTarget

OPERATORS = ("==", "!=", "in", "not_in", ">", ">=", "<", "<=")
_NUMERIC = (">", ">=", "<", "<=")
_ID = re.compile(r"[^a-z0-9]+")


class FieldError(Exception):
    """A form field that cannot be saved: its name, a catalogue key and the key's values."""

    def __init__(self, field: str, key: str, **values: Any):
        super().__init__(key)
        self.field, self.key, self.values = field, key, values
        self.where = ""  # which of a page's like forms (a persona's id), when there are several


def customer_attributes(store: Any, data_dir: Path, map_id: int) -> dict[str, list[str]]:
    """The columns of the map's newest confirmed customers file (its id column left out),
    each with its values when it has few enough to pick from (a segment, a region)."""
    from .sources import FileProblem, preview, readable_path

    for source in reversed(store.sources(map_id)):
        if source.role != "customers" or not source.ready or source.mapping is None:
            continue
        try:
            sample = preview(readable_path(data_dir, source.ready[-1].stored))
        except FileProblem:
            return {}
        key = source.mapping.get("customer_id")
        return {c: (v if len(v := sample.samples.get(c, [])) <= 30 else [])
                for c in sample.columns if c != key}  # fmt: skip
    return {}


def kpis_on_nothing(journey: JourneyMap, events: list[str]) -> dict[str, list[str]]:
    """KPI id -> the names its formula counts, for each KPI none of whose names is an event of
    the data, a step or a touchpoint (a template's KPI written for other event names): it would
    never have a value, and the page says so rather than leaving it to look measured."""
    from ..analytics.kpis import read_formula

    if not events:
        return {}
    known = {
        *events,
        *(s.id for _, s in journey.steps()),
        *(t.id for _, t in journey.touchpoints()),
    }
    found: dict[str, list[str]] = {}
    for kpi in journey.kpis:
        if not kpi.formula:
            continue
        try:
            names = read_formula(kpi.formula)[1]
        except ValueError:
            continue
        parts = [p for n in names for p in re.split(r"\s*(?:->|→|,)\s*", n.strip()) if p]
        if parts and not any(p in known for p in parts):
            found[kpi.id] = list(dict.fromkeys(parts))
    return found


def _value(op: str, text: str, field: str) -> Any:
    if op in ("in", "not_in"):
        values = [part.strip() for part in text.split(",") if part.strip()]
        if not values:
            raise FieldError(field, "persona.error.list")
        return values
    if op in _NUMERIC:
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            raise FieldError(field, "persona.error.number") from None
        if not math.isfinite(number):
            raise FieldError(field, "persona.error.number")
        return int(number) if number.is_integer() else number
    return text


def segment_from_form(form: dict[str, str]) -> list[Condition]:
    """The rows ``pattr:N`` ``pop:N`` ``pvalue:N`` as conditions; a row with no attribute is
    skipped, a row with an attribute and no value is refused next to its value."""
    conditions = []
    rows = sorted({k.split(":", 1)[1] for k in form if k.startswith("pattr:")}, key=str)
    for n in rows:
        attribute = form.get(f"pattr:{n}", "").strip()[:200]
        if not attribute:
            continue
        op, text = form.get(f"pop:{n}", "=="), form.get(f"pvalue:{n}", "").strip()[:500]
        if op not in OPERATORS:
            raise FieldError(f"pop:{n}", "persona.error.operator")
        if not text:
            raise FieldError(f"pvalue:{n}", "persona.error.value", attribute=attribute)
        value = _value(op, text, f"pvalue:{n}")
        conditions.append(Condition(attribute=attribute, op=op, value=value))
    return conditions


def apply_persona(journey: JourneyMap, form: dict[str, str]) -> JourneyMap:
    """Set the segment of persona ``persona`` (empty: a new persona named ``persona_name``)."""
    segment = [c.model_dump(mode="json", exclude_none=True) for c in segment_from_form(form)]
    data = journey.model_dump(mode="json", exclude_none=True, by_alias=True)
    wanted = form.get("persona", "")
    if not wanted:
        name = form.get("persona_name", "").strip()[:200]
        if not name:
            raise FieldError("persona_name", "binding.error.required")
        taken = {p["id"] for p in data.get("personas", [])}
        base = _ID.sub("-", name.lower()).strip("-")[:60] or "persona"
        pid, n = base, 2
        while pid in taken:
            pid, n = f"{base}-{n}", n + 1
        data.setdefault("personas", []).append({"id": pid, "name": name, "segment": segment})
        return JourneyMap.model_validate(data)
    for persona in data.get("personas", []):
        if persona["id"] == wanted:
            persona["segment"] = segment
            return JourneyMap.model_validate(data)
    raise FieldError("persona", "persona.error.which")


def wait_rows(journey: JourneyMap) -> list[dict[str, Any]]:
    """The map's wait targets as the form shows them: from the step just before (the
    ``wait_targets_hours`` field) or from a named earlier step (``wait_targets``)."""
    settings = journey.insights
    if settings is None:
        return []
    rows = [{"step": s, "hours": h, "from": ""} for s, h in settings.wait_targets_hours.items()]
    rows += [{"step": w.step, "hours": w.hours, "from": w.measured_from or ""}
             for w in settings.wait_targets]  # fmt: skip
    return rows


def apply_waits(journey: JourneyMap, form: dict[str, str]) -> JourneyMap:
    """The rows ``wstep:N`` ``whours:N`` ``wfrom:N``: with no earlier step a wait from the step
    just before, else a wait measured from that step, which must come earlier on the map."""
    order = {s.id: i for i, (_, s) in enumerate(journey.steps())}
    hours_of: dict[str, float] = {}
    targets: list[WaitTarget] = []
    rows = sorted({k.split(":", 1)[1] for k in form if k.startswith("wstep:")}, key=str)
    for n in rows:
        step, text = form.get(f"wstep:{n}", ""), form.get(f"whours:{n}", "").strip()
        if not step:
            continue
        if step not in order:
            raise FieldError(f"wstep:{n}", "wait.error.step")
        try:
            hours = float(text.replace(",", "."))
        except ValueError:
            raise FieldError(f"whours:{n}", "wait.error.hours") from None
        if not math.isfinite(hours) or hours <= 0:
            raise FieldError(f"whours:{n}", "wait.error.hours")
        start = form.get(f"wfrom:{n}", "")
        if start and (start not in order or order[start] >= order[step]):
            raise FieldError(f"wfrom:{n}", "wait.error.from")
        if start:
            targets.append(WaitTarget(step=step, hours=hours, measured_from=start))
        else:
            hours_of[step] = hours
    settings = (journey.insights.model_dump(mode="json", exclude_none=True)
                if journey.insights else {})  # fmt: skip
    settings["wait_targets_hours"] = hours_of
    settings["wait_targets"] = [t.model_dump(mode="json", exclude_none=True) for t in targets]
    data = journey.model_dump(mode="json", exclude_none=True, by_alias=True)
    data["insights"] = settings
    return JourneyMap.model_validate(data)
