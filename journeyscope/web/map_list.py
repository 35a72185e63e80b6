"""The map list of a workspace: search across maps (titles, stages, steps, pain points drawn
and found, opportunities, owners), tags as folders, filters by status and by owner."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..model import JourneyMap
from ..render.lane import pain_point_label
from ..store import MapInfo, Store
from .map_status import describe_status

__all__ = ["MapCard", "list_maps", "map_texts"]

#: the most places a search result quotes
SHOWN_MATCHES = 3


@dataclass
class MapCard:
    info: MapInfo
    tags: list[str]
    status: dict[str, Any]
    owner: tuple[int, str] | None
    matches: list[tuple[str, str]] = field(default_factory=list)  # (where, text)


def map_texts(
    journey: JourneyMap, found: list[dict[str, Any]] | None = None
) -> list[tuple[str, str]]:
    """Every searchable text of a map as (where, text): ``where`` is a catalogue key."""
    texts = [("search.in.title", journey.title)]
    if journey.description:
        texts.append(("search.in.description", journey.description))
    texts += [("search.in.persona", p.name) for p in journey.personas]
    for stage in journey.stages:
        texts.append(("search.in.stage", stage.name))
        for step in stage.steps:
            texts.append(("search.in.step", step.name))
            if step.description:
                texts.append(("search.in.step", f"{step.name}: {step.description}"))
            texts += [("search.in.pain_point", f"{step.name}: {p}") for p in step.pain_points]
            texts += [("search.in.opportunity", o.title) for o in step.opportunities]
            owners = [o.owner for o in step.opportunities if o.owner]
            if step.backstage and step.backstage.owner:
                owners.append(step.backstage.owner)
            texts += [("search.in.owner", f"{owner} ({step.name})") for owner in owners]
    texts += [("search.in.owner", str(k.owner)) for k in journey.kpis if getattr(k, "owner", None)]
    names = {st.id: st.name for s in journey.stages for st in s.steps}
    personas = {p.id: p.name for p in journey.personas}
    for point in found or []:
        where = ", ".join(names.get(s, s) for s in point.get("steps") or [])
        label = pain_point_label(point, journey.language, personas).lstrip("⚠ ")
        texts.append(("search.in.found", f"{label}: {where}" if where else label))
        texts += [("search.in.owner", f"{o} ({label})") for o in point.get("owners") or []]
    return texts


def _matches(texts: list[tuple[str, str]], words: list[str]) -> list[tuple[str, str]] | None:
    """The texts that hold a query word, when every word is somewhere; else None."""
    folded = [(where, text, text.casefold()) for where, text in texts]
    if not all(any(word in low for _, _, low in folded) for word in words):
        return None
    hits = [(where, text) for where, text, low in folded if any(w in low for w in words)]
    return list(dict.fromkeys(hits))[:SHOWN_MATCHES]


def _in_folder(tags: list[str], folder: str) -> bool:
    return any(tag == folder or tag.startswith(folder + "/") for tag in tags)


def list_maps(
    store: Store,
    workspace_id: int,
    translate: Callable[..., str],
    *,
    query: str = "",
    tag: str = "",
    status: str = "",
    owner: int | None = None,
) -> list[MapCard]:
    """The workspace's maps that pass the search and the filters, newest first."""
    maps = store.list_maps(workspace_id)
    ids = [m.id for m in maps]
    tags, statuses, makers = store.tags_of(ids), store.map_statuses(ids), store.map_makers(ids)
    words = [w.casefold() for w in query.split()][:10]
    cards = []
    for info in maps:
        card_tags = tags.get(info.id, [])
        known = statuses.get(info.id)
        maker = makers.get(info.id)
        if tag and not _in_folder(card_tags, tag):
            continue
        if status and (known.state if known else "none") != status:
            continue
        if owner is not None and (maker is None or maker[0] != owner):
            continue
        stale = known is not None and known.state == "stale"
        journey = store.load_journey(info.id)[0] if words or stale else None
        described = describe_status(known, translate, journey)  # steps by their names
        matches: list[tuple[str, str]] = []
        if words and journey is not None:
            latest = store.latest_analysis(info.id)
            found = (latest.insights or {}).get("pain_points") if latest else None
            texts = map_texts(journey, found)
            if maker is not None:
                texts.append(("search.in.owner", maker[1]))
            texts += [("search.in.tag", t) for t in card_tags]
            texts += [("search.in.status", r) for r in described["reasons"]]
            hits = _matches(texts, words)
            if hits is None:
                continue
            matches = hits
        cards.append(MapCard(info, card_tags, described, maker, matches))
    return cards
