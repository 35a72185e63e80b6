"""Page: the binding editor — which of the team's event names means which step (optionally only
where an attribute has a value), money and wait targets, KPIs built from event names, and an
opportunity's launch. Every save is a new map version through the map file format: the edited
map is written as YAML and read back by the map parser before it is stored."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ..formats import MapFileError, dump_map, parse_map
from ..model import KPI, Condition, JourneyMap
from ..store import Store, UserInfo
from .actions import save
from .auth import DbId, MapAccess, map_access, page_user, read_form, settings_of, store_of
from .binding_forms import (
    OPERATORS,
    FieldError,
    apply_persona,
    apply_waits,
    customer_attributes,
    kpis_on_nothing,
    wait_rows,
)
from .pages_auth import redirect
from .rendering import render
from .sources import check_mapping, combined_files

router = APIRouter(include_in_schema=False)

_ID = re.compile(r"[^a-z0-9]+")
_CACHE: dict[tuple[int, ...], dict[str, Any]] = {}


def inventory(store: Store, data_dir: Path, map_id: int) -> dict[str, Any]:
    """The event names of the map's newest confirmed events source, with their events and
    customers (over every period), and each attribute's values."""
    for source in reversed(store.sources(map_id)):
        ready = source.ready
        if source.role != "events" or not ready or source.mapping is None:
            continue
        if len(ready) == 1 and ready[0].report:
            return ready[0].report
        key = tuple(f.id for f in ready)
        if key not in _CACHE:
            if len(_CACHE) > 32:
                _CACHE.clear()
            path = combined_files(data_dir, ready, data_dir / "combined")
            _CACHE[key] = check_mapping("events", path, source.mapping)
        return _CACHE[key]
    return {"events": [], "attributes": {}, "customers": 0}


def bound_step(journey: JourneyMap, event: str) -> tuple[str | None, dict[str, str], bool]:
    """Where the rules name ``event`` exactly — a step id, or ``step/touchpoint`` for a rule on
    a touchpoint — and the rule's one ``attribute == value`` condition, in the order binding
    reads them (a step's touchpoints, then the step). The flag says the editor must leave the
    event alone: a pattern rule (glob, regex) binds it, or its rule has conditions the form
    cannot show (several, or another operator) — saving the form would lose them."""
    from ..insights.evidence import _rule_matches

    pattern = False
    for _, step in journey.steps():
        places = [(f"{step.id}/{tp.id}", tp.evidence) for tp in step.touchpoints]
        for target, rules in [*places, (step.id, step.evidence)]:
            for rule in rules:
                if rule.event == event or (rule.event_in and event in rule.event_in):
                    simple = not rule.where or (len(rule.where) == 1 and rule.where[0].op == "==")
                    if not simple:
                        return target, {}, True
                    where = rule.where[0] if rule.where else None
                    cond = (
                        {"attribute": where.attribute, "value": str(where.value)} if where else {}
                    )
                    return target, cond, False
                if (rule.event_glob or rule.event_regex) and _rule_matches(rule, event):
                    pattern = True
    return None, {}, pattern


def _steps(journey: JourneyMap) -> list[dict[str, Any]]:
    """Each step with its touchpoints: what an event name can be bound to."""
    return [{"id": step.id, "stage": stage.name, "name": step.name,
             "touchpoints": [{"id": f"{step.id}/{tp.id}", "name": tp.name, "channel": tp.channel}
                             for tp in step.touchpoints]}
            for stage, step in journey.steps()]  # fmt: skip


@router.get("/maps/{map_id}/binding")
def binding_page(request: Request, map_id: DbId, user: UserInfo = Depends(page_user)) -> Response:
    access = map_access(store_of(request), user, map_id)
    return _page(request, access)


def _page(
    request: Request, access: MapAccess, error: FieldError | None = None, saved: str = ""
) -> Response:
    store = store_of(request)
    journey, version = store.load_journey(access.map.id)
    data_dir = Path(settings_of(request).data_dir)
    inv = inventory(store, data_dir, access.map.id)
    rows = []
    for item in inv.get("events", []):
        step, cond, pattern = bound_step(journey, item["event"])
        rows.append({**item, "step": step, "cond": cond, "pattern": pattern})
    settings = journey.insights
    context = {
        "info": access.map,
        "can_edit": access.can("editor"),
        "version": version,
        "rows": rows,
        "total": sum(r["events"] for r in rows),
        "attributes": inv.get("attributes", {}),
        "steps": _steps(journey),
        "journey": journey,
        "settings": settings,
        "channels": inv.get("attributes", {}).get("channel", []),
        "opportunities": [o for _, s in journey.steps() for o in s.opportunities],
        "customer_attributes": customer_attributes(store, data_dir, access.map.id),
        "operators": OPERATORS,
        "waits": wait_rows(journey),
        "kpis_on_nothing": kpis_on_nothing(journey, [r["event"] for r in rows]),
        "error": error,
        "saved": saved or request.query_params.get("saved", ""),
    }
    return render(request, "binding.html", context, 400 if error else 200)


def _round_trip(journey: JourneyMap) -> JourneyMap:
    """The map as its file says it: written as YAML, read back by the map parser."""
    try:
        return parse_map(dump_map(journey), "binding.yaml")
    except MapFileError as error:
        raise FieldError("map", "binding.error.map", detail=str(error)) from None


def _store(request: Request, access: MapAccess, user: UserInfo, journey: JourneyMap,
           form: dict[str, str], message: str, anchor: str) -> Response:  # fmt: skip
    base = int(form.get("base_version", "0") or 0)
    done = save(store_of(request), access, _round_trip(journey), base, user, message)
    if done.stale is not None:
        return _page(request, access, FieldError("map", "binding.error.stale"))
    return redirect(f"/maps/{access.map.id}/binding?saved={anchor}#{anchor}")


async def _form_save(
    request: Request,
    map_id: int,
    user: UserInfo,
    apply: Callable[[JourneyMap, dict[str, str]], JourneyMap],
    message: str,
    anchor: str,
    where: str | None = None,
) -> Response:
    """One form of the page: ``apply`` it to the current map and save the result as a new
    version (see :func:`_store`); a :class:`FieldError` shows the page with the error next to
    its field (in the form named by the field ``where``, when the page has several)."""
    form = await read_form(request)
    store = store_of(request)
    access = map_access(store, user, map_id, "editor")
    journey, _ = store.load_journey(map_id)
    try:
        return _store(request, access, user, apply(journey, form), form, message, anchor)
    except FieldError as error:
        if where is not None:
            error.where = form.get(where, "")
        return _page(request, access, error)


@router.post("/maps/{map_id}/binding")
async def save_binding(
    request: Request, map_id: DbId, user: UserInfo = Depends(page_user)
) -> Response:
    return await _form_save(request, map_id, user, apply_binding, "bind events to steps", "events")


def apply_binding(journey: JourneyMap, form: dict[str, str]) -> JourneyMap:
    """For each ``event:N`` of the form: the step or ``step/touchpoint`` ``step:N`` (empty:
    none) and the condition ``attr:N`` = ``value:N``. An event's exact rules elsewhere (on steps
    and touchpoints) are removed; pattern rules stay."""
    targets = {
        t for s in _steps(journey) for t in [s["id"], *(tp["id"] for tp in s["touchpoints"])]
    }
    wanted: dict[str, tuple[str, Condition | None]] = {}
    for key, event in form.items():
        if not key.startswith("event:"):
            continue
        n = key[6:]
        target = form.get(f"step:{n}", "")
        if target and target not in targets:
            raise FieldError(f"step:{n}", "binding.error.step", event=event)
        attribute, value = form.get(f"attr:{n}", "").strip(), form.get(f"value:{n}", "").strip()
        if bool(attribute) != bool(value):
            raise FieldError(f"value:{n}", "binding.error.condition", event=event)
        cond = Condition(attribute=attribute, op="==", value=value) if attribute else None
        wanted[event] = (target, cond)
    data = journey.model_dump(mode="json", exclude_none=True, by_alias=True)
    for stage in data["stages"]:
        for step in stage["steps"]:
            step["evidence"] = _rebound(step.get("evidence", []), step["id"], wanted)
            for tp in step.get("touchpoints", []):
                tp["evidence"] = _rebound(tp.get("evidence", []), f"{step['id']}/{tp['id']}",
                                          wanted)  # fmt: skip
    return JourneyMap.model_validate(data)


def _rebound(rules: list[dict[str, Any]], here: str,
             wanted: dict[str, tuple[str, Condition | None]]) -> list[dict[str, Any]]:  # fmt: skip
    """One element's rules without the form's events' exact rules, plus the form's rules
    that bind an event to this element (``here``: a step id or ``step/touchpoint``)."""
    kept = []
    for rule in rules:
        if rule.get("event") in wanted:
            continue
        if rule.get("event_in"):
            rule["event_in"] = [e for e in rule["event_in"] if e not in wanted]
            if not rule["event_in"]:
                continue
        kept.append(rule)
    for event, (target, cond) in wanted.items():
        if target == here:
            rule = {"event": event}
            if cond is not None:
                rule["where"] = [cond.model_dump(mode="json", exclude_none=True)]
            kept.append(rule)
    return kept


def _number(form: dict[str, str], name: str, *, minimum: float = 0) -> float | None:
    text = form.get(name, "").strip().replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise FieldError(name, "binding.error.number") from None
    if value < minimum or value != value or value in (float("inf"), float("-inf")):
        raise FieldError(name, "binding.error.number")
    return value


@router.post("/maps/{map_id}/binding/money")
async def save_money(
    request: Request, map_id: DbId, user: UserInfo = Depends(page_user)
) -> Response:
    return await _form_save(request, map_id, user, apply_money, "money", "money")


def apply_money(journey: JourneyMap, form: dict[str, str]) -> JourneyMap:
    """The value per customer and the cost of a contact per channel (``cost:CHANNEL``)."""
    settings = (journey.insights.model_dump(mode="json", exclude_none=True)
                if journey.insights else {})  # fmt: skip
    settings["value_per_customer"] = _number(form, "value_per_customer")
    costs = {k[5:]: _number(form, k) for k in form if k.startswith("cost:")}
    settings["channel_costs"] = {k: v for k, v in costs.items() if v is not None}
    settings = {k: v for k, v in settings.items() if v is not None}
    return journey.model_copy(update={"insights": type_of_settings(settings)})


def type_of_settings(data: dict[str, Any]) -> Any:
    from ..model import InsightSettings

    return InsightSettings.model_validate(data)


@router.post("/maps/{map_id}/binding/kpi")
async def save_kpi(request: Request, map_id: DbId, user: UserInfo = Depends(page_user)) -> Response:
    return await _form_save(request, map_id, user, apply_kpi, "add a KPI", "kpis")


def apply_kpi(journey: JourneyMap, form: dict[str, str]) -> JourneyMap:
    return journey.model_copy(update={"kpis": [*journey.kpis, kpi_from_form(journey, form)]})


_EVENT = re.compile(r"^[^()]{1,200}$")  # a formula holds any name but parentheses


def kpi_from_form(journey: JourneyMap, form: dict[str, str]) -> KPI:
    """A KPI ``count(numerator) / count(denominator)`` (or a plain count) from the picker."""
    name = form.get("kpi_name", "").strip()[:200]
    if not name:
        raise FieldError("kpi_name", "binding.error.required")
    numerator, denominator = form.get("numerator", ""), form.get("denominator", "")
    for field, event in (("numerator", numerator), ("denominator", denominator)):
        if (event or field == "numerator") and not _EVENT.match(event):
            raise FieldError(field, "binding.error.event")
    per = "count_customers" if form.get("per") == "customers" else "count"
    formula = f"{per}({numerator})" + (f" / {per}({denominator})" if denominator else "")
    kpi_id = _ID.sub("-", name.lower()).strip("-")[:60] or "kpi"
    taken = {k.id for k in journey.kpis} | {s.id for _, s in journey.steps()}
    base, n = kpi_id, 2
    while kpi_id in taken:
        kpi_id, n = f"{base}-{n}", n + 1
    target = _number(form, "target")
    direction = "lower_is_better" if form.get("direction") == "lower" else "higher_is_better"
    unit = "%" if denominator and form.get("unit") == "%" else None
    if unit == "%" and target is not None and target > 1:
        target = target / 100
    return KPI(id=kpi_id, name=name, formula=formula, target=target, direction=direction,
               unit=unit, cadence=form.get("cadence") if form.get("cadence") in
               ("daily", "weekly", "monthly") else "weekly")  # fmt: skip


@router.post("/maps/{map_id}/binding/opportunity")
async def save_opportunity(
    request: Request, map_id: DbId, user: UserInfo = Depends(page_user)
) -> Response:
    return await _form_save(
        request, map_id, user, apply_opportunity, "opportunity launch", "opportunities"
    )


def apply_opportunity(journey: JourneyMap, form: dict[str, str]) -> JourneyMap:
    wanted = form.get("opportunity", "")
    kpis = {k.id for k in journey.kpis}
    chosen = [k[4:] for k in form if k.startswith("kpi:") and k[4:] in kpis]
    text = form.get("launch_date", "").strip()
    try:
        launch = dt.date.fromisoformat(text) if text else None
    except ValueError:
        raise FieldError("launch_date", "binding.error.date") from None
    data = journey.model_dump(mode="json", exclude_none=True, by_alias=True)
    found = False
    for stage in data["stages"]:
        for step in stage["steps"]:
            for opp in step.get("opportunities", []):
                if opp["id"] != wanted:
                    continue
                found = True
                opp["launch_date"] = launch.isoformat() if launch else None
                opp["kpis"] = chosen
                for name, allowed in (("effort", ("low", "medium", "high")), ("status", (
                        "idea", "planned", "in_progress", "launched", "dropped"))):  # fmt: skip
                    if form.get(name) in allowed:
                        opp[name] = form[name]
                opp["expected_effect"] = form.get("expected_effect", "").strip()[:500] or None
                for key in [k for k, v in opp.items() if v is None]:
                    del opp[key]
    if not found:
        raise FieldError("opportunity", "binding.error.opportunity")
    return JourneyMap.model_validate(data)


@router.post("/maps/{map_id}/binding/persona")
async def save_persona(
    request: Request, map_id: DbId, user: UserInfo = Depends(page_user)
) -> Response:
    return await _form_save(
        request, map_id, user, apply_persona, "persona from attributes", "personas", "persona"
    )


@router.post("/maps/{map_id}/binding/waits")
async def save_waits(
    request: Request, map_id: DbId, user: UserInfo = Depends(page_user)
) -> Response:
    return await _form_save(request, map_id, user, apply_waits, "wait targets", "waits")
