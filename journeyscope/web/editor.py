"""Map edits as small operations (``op`` + form fields), shared by the editor page and the API.

Each operation works on the map's plain data and the result is validated as a whole map, so an
edit can never store a map that the file format would reject.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from ..formats import map_to_data
from ..model import BACKSTAGE_LISTS, LIST_LANES, JourneyMap, Step
from ..model.merge import Conflict, merge_data

__all__ = [
    "CHOICE",
    "EditError",
    "apply_edit",
    "choices_in",
    "lines",
    "merge_edit",
    "new_id",
    "step_form",
]

#: form fields ``choice:<conflict key>`` carry a person's choice for a conflict
CHOICE = "choice:"

Data = dict[str, Any]
Form = Mapping[str, str]

PERSONA_LISTS = ("goals", "needs", "behaviours", "frustrations")
PERSONA_FACTS = ("age", "occupation", "location", "photo")
LANE_KINDS = ("text", "list", "image", "metric")


class EditError(ValueError):
    """The edit cannot be applied (unknown element, bad value, invalid resulting map)."""


def lines(text: str | None) -> list[str]:
    """One item per non-empty line."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _words(text: str | None) -> list[str]:
    return [word.strip() for word in (text or "").split(",") if word.strip()]


def _score(text: str | None) -> float | None:
    text = (text or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise EditError(f"emotion score {text!r} is not a number") from None
    return int(value) if value.is_integer() else value


def _set(target: Data, key: str, value: Any) -> None:
    """Set or (for empty values) drop a field, keeping map files free of empty noise."""
    if value in (None, "", [], {}):
        target.pop(key, None)
    else:
        target[key] = value


def _stages(data: Data, form: Form) -> list[Data]:
    if form.get("state") == "future":
        future = data.setdefault("future", {})
        stages: list[Data] = future.setdefault("stages", [])
        return stages
    result: list[Data] = data["stages"]
    return result


def _find(items: list[Data], ident: str | None, what: str) -> tuple[int, Data]:
    for index, item in enumerate(items):
        if item.get("id") == ident:
            return index, item
    raise EditError(f"no {what} {ident!r} in the map")


def _find_step(data: Data, form: Form) -> tuple[list[Data], int, Data]:
    for stage in _stages(data, form):
        steps = stage.setdefault("steps", [])
        for index, step in enumerate(steps):
            if step.get("id") == form.get("step"):
                return steps, index, step
    raise EditError(f"no step {form.get('step')!r} in the map")


def _move(items: list[Data], index: int, direction: str | None) -> None:
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]


# --- operations ----------------------------------------------------------------------------


def _edit_map(data: Data, form: Form) -> None:
    data["title"] = (form.get("title") or "").strip()
    for key in ("description", "narration"):
        if key in form:
            _set(data, key, (form.get(key) or "").strip())
    for key in ("language", "scope"):
        if form.get(key):
            data[key] = form[key].strip()


def fields_text(fields: Mapping[str, str]) -> str:
    """Custom fields as the editor shows them: one ``label: value`` per line."""
    return "\n".join(f"{label}: {value}" for label, value in fields.items())


def _fields(text: str | None) -> dict[str, str]:
    """``label: value`` lines -> custom fields (a line without ``:`` is a label, no value)."""
    result = {}
    for line in lines(text):
        label, _, value = line.partition(":")
        if label.strip():
            result[label.strip()] = value.strip()
    return result


def _edit_persona(data: Data, form: Form) -> None:
    _, persona = _find(data.setdefault("personas", []), form.get("persona"), "persona")
    persona["name"] = (form.get("name") or "").strip()
    for key in ("description", "quote", *PERSONA_FACTS):
        if key in form:
            _set(persona, key, (form.get(key) or "").strip())
    for key in PERSONA_LISTS:
        if key in form:
            _set(persona, key, lines(form.get(key)))
    if "attributes" in form:
        _set(persona, "attributes", _fields(form.get("attributes")))


def new_id(data: Data, name: str, fallback: str) -> str:
    """An id made from ``name`` (``Reminder SMS`` -> ``reminder-sms``), unique in the map.

    >>> new_id({"stages": [{"id": "pay"}]}, "Pay!", "step")
    'pay-2'
    >>> new_id({}, "Оплата", "step")
    'step'
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60] or fallback
    used, candidate, n = _all_ids(data), base, 2
    while candidate in used:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _named(data: Data, form: Form, fallback: str) -> Data:
    name = (form.get("name") or "").strip()
    ident = (form.get("id") or "").strip() or new_id(data, name, fallback)
    return {"id": ident, "name": name}


def _add_persona(data: Data, form: Form) -> None:
    data.setdefault("personas", []).append(_named(data, form, "persona"))


def _delete_persona(data: Data, form: Form) -> None:
    index, persona = _find(data.get("personas", []), form.get("persona"), "persona")
    data["personas"].pop(index)
    for stages in (data["stages"], (data.get("future") or {}).get("stages", [])):
        for stage in stages:
            for step in stage.get("steps", []):
                step["feelings"] = [
                    f for f in step.get("feelings", []) if f.get("persona") != persona["id"]
                ]
                _set(step, "feelings", step["feelings"])
                if persona["id"] in step.get("personas", []):
                    step["personas"].remove(persona["id"])
                    _set(step, "personas", step["personas"])


def _edit_stage(data: Data, form: Form) -> None:
    _, stage = _find(_stages(data, form), form.get("stage"), "stage")
    stage["name"] = (form.get("name") or "").strip()
    _set(stage, "description", (form.get("description") or "").strip())
    _set(stage, "goals", lines(form.get("goals")))


def _add_stage(data: Data, form: Form) -> None:
    stages, stage = _stages(data, form), _named(data, form, "stage")
    stages.insert(_index(form, len(stages)), stage)


def _delete_stage(data: Data, form: Form) -> None:
    stages = _stages(data, form)
    index, _ = _find(stages, form.get("stage"), "stage")
    stages.pop(index)


def _move_stage(data: Data, form: Form) -> None:
    stages = _stages(data, form)
    index, _ = _find(stages, form.get("stage"), "stage")
    _move(stages, index, form.get("direction"))


def _index(form: Form, size: int) -> int:
    """Where to put an element: ``index`` (0 = first), the end when not given."""
    text = (form.get("index") or "").strip()
    if not text:
        return size
    if not text.isdigit():
        raise EditError(f"position {text!r} is not a whole number")
    return min(int(text), size)


def _add_step(data: Data, form: Form) -> None:
    _, stage = _find(_stages(data, form), form.get("stage"), "stage")
    steps, step = stage.setdefault("steps", []), _named(data, form, "step")
    steps.insert(_index(form, len(steps)), step)


def _place_step(data: Data, form: Form) -> None:
    """Drag a step to ``index`` in ``stage`` (the same stage or another)."""
    steps, index, step = _find_step(data, form)
    _, stage = _find(_stages(data, form), form.get("stage"), "stage")
    steps.pop(index)
    target = stage.setdefault("steps", [])
    target.insert(_index(form, len(target)), step)
    for stage in _stages(data, form):
        _set(stage, "steps", stage.get("steps"))


def _place_stage(data: Data, form: Form) -> None:
    stages = _stages(data, form)
    index, stage = _find(stages, form.get("stage"), "stage")
    stages.pop(index)
    stages.insert(_index(form, len(stages)), stage)


def _delete_step(data: Data, form: Form) -> None:
    steps, index, _ = _find_step(data, form)
    steps.pop(index)


def _move_step(data: Data, form: Form) -> None:
    steps, index, _ = _find_step(data, form)
    _move(steps, index, form.get("direction"))


def _feelings(data: Data, step: Data, form: Form) -> list[Data]:
    old = {f.get("persona"): f for f in step.get("feelings", [])}
    keys: list[str | None] = [None, *(p["id"] for p in data.get("personas", []))]
    feelings = []
    for persona in keys:
        suffix = persona or ""
        feeling = dict(old.get(persona, {}))
        if f"score__{suffix}" in form:
            _set(feeling, "score", _score(form.get(f"score__{suffix}")))
        if f"words__{suffix}" in form:
            _set(feeling, "words", _words(form.get(f"words__{suffix}")))
        feeling.pop("persona", None)
        if feeling:
            feelings.append({"persona": persona, **feeling} if persona else feeling)
    return feelings


def _rows(text: str | None, size: int) -> list[list[str]]:
    """``a | b | c`` lines as lists of ``size`` cells (missing cells empty)."""
    rows = []
    for line in lines(text):
        cells = [cell.strip() for cell in line.split("|")]
        rows.append((cells + [""] * size)[:size])
    return rows


def _touchpoints(data: Data, step: Data, form: Form) -> list[Data]:
    """``id | name | channel`` lines, or just ``name | channel`` / ``name`` (an id is made)."""
    old = {tp.get("id"): tp for tp in step.get("touchpoints", [])}
    result = []
    for line in lines(form.get("touchpoints")):
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) < 3 and cells[0] not in old:
            cells = ["", *cells]
        ident, name, channel = [*cells, "", ""][:3]
        touchpoint = dict(old.get(ident, {}))
        ident = ident or new_id(data, name, "touchpoint")
        touchpoint.update(id=ident, name=name or ident, channel=_channel(channel))
        result.append(touchpoint)
    return result


def _channel(text: str) -> str:
    return text.strip().lower().replace(" ", "_") or "other"


def _edit_touchpoint(data: Data, form: Form) -> None:
    """Add (no ``touchpoint``) or change one touchpoint chip of a step: name and channel."""
    _, _, step = _find_step(data, form)
    items = step.setdefault("touchpoints", [])
    name = (form.get("name") or "").strip()
    if form.get("touchpoint"):
        _, touchpoint = _find(items, form.get("touchpoint"), "touchpoint")
    else:
        touchpoint = {"id": new_id(data, name, "touchpoint")}
        items.append(touchpoint)
    touchpoint["name"] = name
    touchpoint["channel"] = _channel(form.get("channel") or touchpoint.get("channel", ""))


def _delete_touchpoint(data: Data, form: Form) -> None:
    _, _, step = _find_step(data, form)
    index, _ = _find(step.get("touchpoints", []), form.get("touchpoint"), "touchpoint")
    step["touchpoints"].pop(index)
    _set(step, "touchpoints", step["touchpoints"])


#: fields of one element that the map edits in place (``set`` operation), by element kind
TEXT_FIELDS = {
    "map": ("title", "description"),
    "stage": ("name", "description", "color"),
    "step": ("name", "description"),
    "persona": ("name", "description", "quote", *PERSONA_FACTS),
    "lane": ("name", "after"),
}
LIST_FIELDS = {"stage": ("goals",), "step": LIST_LANES, "persona": PERSONA_LISTS}


def _set_field(data: Data, form: Form) -> None:
    """One field of one element, typed in place on the map: ``kind``, ``id``, ``field``,
    ``value`` (a list field: one item per line; ``score``/``words``: a feeling, per
    ``persona``; ``backstage.<list>``; ``opportunities``: one title per line)."""
    kind, field, value = form.get("kind", ""), form.get("field", ""), form.get("value", "")
    element = _element(data, kind, form)
    if field in TEXT_FIELDS.get(kind, ()):
        _set(element, field, value.strip())
    elif field in LIST_FIELDS.get(kind, ()):
        _set(element, field, lines(value))
    elif kind == "step" and field in ("score", "words"):
        _set_feeling(data, element, form.get("persona") or None, field, value)
    elif kind == "step" and field.startswith("backstage.") and field[10:] in BACKSTAGE_LISTS:
        backstage = dict(element.get("backstage") or {})
        _set(backstage, field[10:], lines(value))
        _set(element, "backstage", backstage)
    elif kind == "step" and field == "opportunities":
        _set(element, "opportunities", _titled(data, element, lines(value)))
    elif kind == "step" and field.startswith("lane:"):
        cells = dict(element.get("lanes") or {})
        _set(cells, field[5:], _lane_items(data, field[5:], value))
        _set(element, "lanes", cells)
    elif kind == "persona" and field == "attributes":
        _set(element, "attributes", _fields(value))
    else:
        raise EditError(f"{kind or 'an element'} has no field {field!r} to edit here")


def _element(data: Data, kind: str, form: Form) -> Data:
    ident = form.get("id")
    if kind == "map":
        return data
    if kind == "step":
        return _find_step(data, {**form, "step": ident or ""})[2]
    if kind == "stage":
        return _find(_stages(data, form), ident, "stage")[1]
    if kind == "persona":
        return _find(data.get("personas", []), ident, "persona")[1]
    if kind == "lane":
        return _find(data.get("lanes", []), ident, "lane")[1]
    raise EditError(f"unknown kind of element {kind!r}")


def _set_feeling(data: Data, step: Data, persona: str | None, field: str, value: str) -> None:
    if persona and persona not in {p["id"] for p in data.get("personas", [])}:
        raise EditError(f"no persona {persona!r} in the map")
    form = {f"{field}__{persona or ''}": value}
    _set(step, "feelings", _feelings(data, step, form))


def _titled(data: Data, step: Data, titles: list[str]) -> list[Data]:
    """Opportunities as titles: the ones kept keep their details; new ones get an id."""
    old = {o.get("title"): o for o in step.get("opportunities", [])}
    return [old.get(t) or {"id": new_id(data, t, "opportunity"), "title": t} for t in titles]


def _opportunities(step: Data, form: Form) -> list[Data]:
    old = {o.get("id"): o for o in step.get("opportunities", [])}
    result = []
    for ident, title, owner, status, priority in _rows(form.get("opportunities"), 5):
        opportunity = dict(old.get(ident, {}))
        opportunity.update(id=ident, title=title or ident)
        _set(opportunity, "owner", owner)
        _set(opportunity, "status", status)
        _set(opportunity, "priority", priority)
        result.append(opportunity)
    return result


def _edit_step(data: Data, form: Form) -> None:
    _, _, step = _find_step(data, form)
    step["name"] = (form.get("name") or "").strip()
    _set(step, "description", (form.get("description") or "").strip())
    if form.get("kind"):
        _set(step, "kind", None if form["kind"] == "required" else form["kind"])
    if "moment_of_truth_shown" in form:
        _set(step, "moment_of_truth", form.get("moment_of_truth") == "on" or None)
    for key in LIST_LANES:
        if key in form:
            _set(step, key, lines(form.get(key)))
    _set(step, "feelings", _feelings(data, step, form))
    if "touchpoints" in form:
        _set(step, "touchpoints", _touchpoints(data, step, form))
    if "opportunities" in form:
        _set(step, "opportunities", _opportunities(step, form))
    if "backstage_owner" in form:
        backstage = dict(step.get("backstage") or {})
        for key in BACKSTAGE_LISTS:
            _set(backstage, key, lines(form.get(f"backstage_{key}")))
        _set(backstage, "owner", (form.get("backstage_owner") or "").strip())
        _set(step, "backstage", backstage)


def _future_copy(element: Data, ids: dict[str, str], used: set[str]) -> Data:
    """A future-state copy of a stage or step: fresh ids, ``current`` pointing back."""
    copy = {key: value for key, value in element.items() if key not in ("id", "current")}
    new_id = ids.setdefault(element["id"], _fresh_id(element["id"], used))
    copy = {"id": new_id, **copy, "current": element["id"]}
    for key in ("touchpoints", "opportunities"):
        if key in copy:
            copy[key] = [{**item, "id": _fresh_id(item["id"], used)} for item in copy[key]]
    return copy


def _fresh_id(ident: str, used: set[str]) -> str:
    candidate, n = f"f-{ident}"[:80], 2
    while candidate in used:
        candidate, n = f"f{n}-{ident}"[:80], n + 1
    used.add(candidate)
    return candidate


def _all_ids(data: Any) -> set[str]:
    if isinstance(data, dict):
        found = {data["id"]} if isinstance(data.get("id"), str) else set()
        return found.union(*(_all_ids(value) for value in data.values()))
    if isinstance(data, list):
        return set().union(*(_all_ids(item) for item in data))
    return set()


def _add_future(data: Data, form: Form) -> None:
    """Start the future state as a copy of the current one, to be redrawn step by step."""
    if data.get("future"):
        raise EditError("the map already has a future state")
    used, ids = _all_ids(data), dict[str, str]()
    stages = []
    for stage in data["stages"]:
        copy = _future_copy(stage, ids, used)
        copy["steps"] = [_future_copy(step, ids, used) for step in stage.get("steps", [])]
        for step in copy["steps"]:
            step.pop("evidence", None)  # evidence binds the current journey; rebind on purpose
            if step.get("alternative_to"):
                step["alternative_to"] = ids.get(step["alternative_to"], step["alternative_to"])
        stages.append(copy)
    data["future"] = {"stages": stages}


def _delete_future(data: Data, form: Form) -> None:
    data.pop("future", None)


def _edit_kpi(data: Data, form: Form) -> None:
    _, kpi = _find(data.setdefault("kpis", []), form.get("kpi"), "KPI")
    kpi["name"] = (form.get("name") or "").strip()
    for key in ("description", "formula", "unit", "owner"):
        _set(kpi, key, (form.get(key) or "").strip())
    target = (form.get("target") or "").strip()
    _set(kpi, "target", _score(target) if target else None)
    for key in ("direction", "cadence"):
        if form.get(key):
            kpi[key] = form[key]
    _set(kpi, "touchpoints", _words(form.get("touchpoints")))


def _add_kpi(data: Data, form: Form) -> None:
    data.setdefault("kpis", []).append(_named(data, form, "kpi"))


def _delete_kpi(data: Data, form: Form) -> None:
    index, _ = _find(data.get("kpis", []), form.get("kpi"), "KPI")
    data["kpis"].pop(index)


def _lane_items(data: Data, lane_id: str, value: str) -> list[str]:
    """A text lane keeps what was typed as one paragraph; a list lane has one item per line."""
    _, lane = _find(data.get("lanes", []), lane_id, "lane")
    if lane.get("kind") == "text":
        return [value.strip()] if value.strip() else []
    return lines(value)


def _add_lane(data: Data, form: Form) -> None:
    """A custom lane: ``name``, ``kind`` (text, list, image, metric), ``kpi`` for a metric lane,
    ``after`` the lane it follows (empty: after the others)."""
    lane = _named(data, form, "lane")
    kind = form.get("kind") or "list"
    if kind not in LANE_KINDS:
        raise EditError(f"a lane is one of {', '.join(LANE_KINDS)}, not {kind!r}")
    _set(lane, "kind", None if kind == "list" else kind)
    _set(lane, "kpi", (form.get("kpi") or "").strip() if kind == "metric" else None)
    _set(lane, "after", (form.get("after") or "").strip())
    data.setdefault("lanes", []).append(lane)


def _delete_lane(data: Data, form: Form) -> None:
    """Remove a custom lane and what every step showed in it."""
    index, lane = _find(data.get("lanes", []), form.get("lane"), "lane")
    data["lanes"].pop(index)
    _set(data, "lanes", data["lanes"])
    for stages in (data["stages"], (data.get("future") or {}).get("stages", [])):
        for stage in stages:
            for step in stage.get("steps", []):
                cells = step.get("lanes") or {}
                cells.pop(lane["id"], None)
                _set(step, "lanes", cells)
                kept = [i for i in step.get("images", []) if i.get("lane") != lane["id"]]
                _set(step, "images", kept)
            for other in data.get("lanes", []):
                if other.get("after") == lane["id"]:
                    _set(other, "after", lane.get("after"))


def _add_image(data: Data, form: Form) -> None:
    """A picture on a step (``image``: an uploaded image's path), in ``lane`` or under the
    step's name, with a ``caption``."""
    _, _, step = _find_step(data, form)
    image: Data = {"image": (form.get("image") or "").strip()}
    _set(image, "caption", (form.get("caption") or "").strip())
    _set(image, "lane", (form.get("lane") or "").strip())
    images = step.setdefault("images", [])
    where = form.get("index") or ""
    images.insert(int(where) if where.isdigit() else len(images), image)


def _picture(data: Data, form: Form) -> tuple[Data, list[Data]]:
    """The step's picture named by ``image`` (its path) and the step's pictures."""
    _, _, step = _find_step(data, form)
    images: list[Data] = step.get("images", [])
    for image in images:
        if image.get("image") == form.get("image"):
            return image, images
    raise EditError(f"no picture {form.get('image')!r} on this step")


def _caption_image(data: Data, form: Form) -> None:
    """The ``caption`` under a step's picture (empty: none)."""
    caption = (form.get("caption") or "").strip()
    if len(caption) > 300:
        raise EditError("a caption is at most 300 characters")
    _set(_picture(data, form)[0], "caption", caption)


def _delete_image(data: Data, form: Form) -> None:
    image, images = _picture(data, form)
    images.remove(image)
    if not images:
        _find_step(data, form)[2].pop("images", None)


OPERATIONS: dict[str, Callable[[Data, Form], None]] = {
    "map": _edit_map,
    "persona": _edit_persona,
    "add_persona": _add_persona,
    "delete_persona": _delete_persona,
    "stage": _edit_stage,
    "add_stage": _add_stage,
    "delete_stage": _delete_stage,
    "move_stage": _move_stage,
    "step": _edit_step,
    "add_step": _add_step,
    "delete_step": _delete_step,
    "move_step": _move_step,
    "place_step": _place_step,
    "place_stage": _place_stage,
    "set": _set_field,
    "touchpoint": _edit_touchpoint,
    "delete_touchpoint": _delete_touchpoint,
    "kpi": _edit_kpi,
    "add_kpi": _add_kpi,
    "delete_kpi": _delete_kpi,
    "add_lane": _add_lane,
    "delete_lane": _delete_lane,
    "add_image": _add_image,
    "caption_image": _caption_image,
    "delete_image": _delete_image,
    "add_future": _add_future,
    "delete_future": _delete_future,
}


def apply_edit(journey: JourneyMap, form: Form) -> JourneyMap:
    """The map after the edit ``form["op"]``; raises :class:`EditError` with a readable reason.

    >>> from journeyscope.formats import load_template
    >>> journey = load_template("store-visit")
    >>> first = journey.stages[0].steps[0]
    >>> step_form(first)["name"] == first.name
    True
    >>> edited = apply_edit(journey, {"op": "step", "step": first.id, "name": "Arrive",
    ...                               "score__": "-2"})
    >>> edited.stages[0].steps[0].name, edited.stages[0].steps[0].feeling_for(None).score
    ('Arrive', -2.0)
    """
    operation = OPERATIONS.get(form.get("op", ""))
    if operation is None:
        raise EditError(f"unknown edit {form.get('op')!r}; use one of {', '.join(OPERATIONS)}")
    data = map_to_data(journey)
    operation(data, form)
    try:
        return JourneyMap.model_validate(data)
    except ValueError as error:
        raise EditError(_plain(error)) from None


def choices_in(form: Form) -> dict[str, str]:
    """The conflict choices a form carries (``choice:<key>`` = mine, theirs or both)."""
    return {k.removeprefix(CHOICE): v for k, v in form.items() if k.startswith(CHOICE)}


def merge_edit(
    base: JourneyMap, mine: JourneyMap, theirs: JourneyMap, choices: Mapping[str, str]
) -> tuple[JourneyMap, list[Conflict]]:
    """My edit of ``base`` merged into ``theirs`` (saved meanwhile), field by field; the same
    field changed by both is a conflict (kept as theirs until ``choices`` says otherwise)."""
    data, conflicts = merge_data(map_to_data(base), map_to_data(mine), map_to_data(theirs), choices)
    try:
        return JourneyMap.model_validate(data), conflicts
    except ValueError as error:
        raise EditError(_plain(error)) from None


def _plain(error: ValueError) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        return "; ".join(
            ".".join(str(p) for p in e["loc"]) + ": " + e["msg"].removeprefix("Value error, ")
            for e in errors()
        )
    return str(error)


def step_form(step: Step) -> dict[str, str]:
    """The editor's form values for a step (the inverse of the ``step`` edit)."""
    form = {"name": step.name, "description": step.description or "", "kind": step.kind}
    for key in LIST_LANES:
        form[key] = "\n".join(getattr(step, key))
    for feeling in step.feelings:
        suffix = feeling.persona or ""
        score = feeling.score
        form[f"score__{suffix}"] = "" if score is None else f"{score:g}"
        form[f"words__{suffix}"] = ", ".join(feeling.words)
    form["touchpoints"] = "\n".join(f"{t.id} | {t.name} | {t.channel}" for t in step.touchpoints)
    form["opportunities"] = "\n".join(
        " | ".join([o.id, o.title, o.owner or "", o.status, o.priority or ""])
        for o in step.opportunities
    )
    backstage = step.backstage
    for key in BACKSTAGE_LISTS:
        form[f"backstage_{key}"] = "\n".join(getattr(backstage, key)) if backstage else ""
    form["backstage_owner"] = (backstage.owner or "") if backstage else ""
    return form
