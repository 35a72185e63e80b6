"""Three-way merge of two edits of a map's plain data (the base both started from, mine, theirs).

Two people who change different fields never conflict; items added to the same list by both
are all kept; an element deleted by one and changed by the other is kept (the words stay); a step
moved by one and edited by the other ends up moved *and* edited. Only the same field set to two
different values is a :class:`Conflict`, which the caller offers as a choice — nothing is dropped
without the person seeing it.

>>> base = {"title": "Shop", "stages": [{"id": "s", "name": "Buy", "steps": [
...     {"id": "pay", "name": "Pay", "needs": ["Speed"]}]}]}
>>> mine = {"title": "Shop", "stages": [{"id": "s", "name": "Buy", "steps": [
...     {"id": "pay", "name": "Checkout", "needs": ["Speed"]}]}]}
>>> theirs = {"title": "Shop", "stages": [{"id": "s", "name": "Buy", "steps": [
...     {"id": "pay", "name": "Pay", "needs": ["Speed", "Trust"]}]}]}
>>> merged, conflicts = merge_data(base, mine, theirs)
>>> merged["stages"][0]["steps"][0], conflicts
({'id': 'pay', 'name': 'Checkout', 'needs': ['Speed', 'Trust']}, [])
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Conflict", "Resolution", "conflict_key", "merge_data"]

Path = tuple[str, ...]
#: a person's choice for a conflict: "mine", "theirs" or "both" (texts joined)
Resolution = str
_MISSING: Any = None


@dataclass(frozen=True)
class Conflict:
    """The same field changed by both sides to different values."""

    path: Path  # e.g. ("step", "pay", "name"): an element kind, its id, the field
    base: Any
    mine: Any
    theirs: Any

    @property
    def key(self) -> str:
        return conflict_key(self.path)

    @property
    def joinable(self) -> bool:
        """Both values are texts, so "keep both" can join them."""
        return isinstance(self.mine, str) and isinstance(self.theirs, str)


def conflict_key(path: Path) -> str:
    """A conflict's address as one string (a form field name carries it)."""
    return "/".join(path)


class _Merger:
    def __init__(self, choices: Mapping[str, Resolution]) -> None:
        self.choices = choices
        self.conflicts: list[Conflict] = []

    def value(self, path: Path, base: Any, mine: Any, theirs: Any) -> Any:
        if mine in (theirs, base):
            return theirs
        if theirs == base:
            return mine
        if isinstance(mine, dict) and isinstance(theirs, dict) and isinstance(base, dict | None):
            return self.mapping(path, base or {}, mine, theirs)
        if all(isinstance(v, list) or v is None for v in (base, mine, theirs)):
            lists = [v or [] for v in (base, mine, theirs)]
            if all(_keyed(items) for items in lists):
                return self.keyed_list(path, *lists)
            if all(all(isinstance(i, str) for i in items) for items in lists):
                return _text_list(*lists)
        return self.conflict(path, base, mine, theirs)

    def conflict(self, path: Path, base: Any, mine: Any, theirs: Any) -> Any:
        choice = self.choices.get(conflict_key(path))
        if choice == "mine":
            return mine
        if choice == "both" and isinstance(mine, str) and isinstance(theirs, str):
            return f"{theirs} / {mine}"
        if choice != "theirs":
            self.conflicts.append(Conflict(path, base, mine, theirs))
        return theirs

    def mapping(self, path: Path, base: dict, mine: dict, theirs: dict) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key in _union(base, mine, theirs):
            merged = self.value((*path, key), base.get(key), mine.get(key), theirs.get(key))
            if merged not in (None, [], {}):
                result[key] = merged
        return result

    def keyed_list(self, path: Path, base: list, mine: list, theirs: list) -> list[Any]:
        maps = [{_key(item): item for item in items} for items in (base, mine, theirs)]
        merged: dict[Hashable, Any] = {}
        for key in _union(*maps):
            b, m, t = (versions.get(key) for versions in maps)
            if b is not None and (m is None or t is None):
                # deleted by one side: gone, unless the other side changed it (its words stay)
                kept = t if m is None else m
                if kept is None or kept == b:
                    continue
                merged[key] = kept
                continue
            merged[key] = self.value((*path, _label(key)), b, m, t)
        order = merge_order(*([_key(i) for i in x] for x in (base, mine, theirs)), keep=set(merged))
        return [merged[key] for key in order]

    def stages(self, path: Path, base: list, mine: list, theirs: list) -> list[dict[str, Any]]:
        """Stages with their steps merged by step id wherever they are, so a step moved to
        another stage by one side and edited by the other is moved and edited."""
        bare = [
            [{k: v for k, v in s.items() if k != "steps"} for s in x] for x in (base, mine, theirs)
        ]
        stages = self.keyed_list(path, *bare)
        steps = [_steps(x) for x in (base, mine, theirs)]
        step_path = (*path[:-1], "step")
        contents = self.keyed_list(step_path, *([s for s, _ in side.values()] for side in steps))
        by_id = {step["id"]: step for step in contents}
        homes = {}
        for ident in by_id:
            b, m, t = (side[ident][1] if ident in side else None for side in steps)
            # a step moved by both to different stages: the later edit (mine) places it
            homes[ident] = t if m in (None, b) and t is not None else m
        for stage in stages:
            orders = [[i for i, (_, home) in side.items() if home == stage["id"]] for side in steps]
            keep = {i for i, home in homes.items() if home == stage["id"]}
            stage["steps"] = [by_id[i] for i in merge_order(*orders, keep=keep)]
            if not stage["steps"]:
                del stage["steps"]
        placed = {step["id"] for stage in stages for step in stage.get("steps", [])}
        orphans = [by_id[i] for i in by_id if i not in placed]
        if orphans and stages:  # their stage was deleted by the other side: keep the steps
            stages[-1].setdefault("steps", []).extend(orphans)
        return stages


def _steps(stages: list[dict[str, Any]]) -> dict[str, tuple[dict[str, Any], str]]:
    return {step["id"]: (step, stage["id"]) for stage in stages for step in stage.get("steps", [])}


def _keyed(items: list[Any]) -> bool:
    return all(isinstance(i, dict) and ("id" in i or "persona" in i) for i in items) and (
        len({_key(i) for i in items}) == len(items)
    )


def _key(item: dict[str, Any]) -> Hashable:
    return item["id"] if "id" in item else ("persona", item.get("persona"))


def _label(key: Hashable) -> str:
    if isinstance(key, tuple):
        return f"persona:{key[1] or ''}"
    return str(key)


def _union(*maps: Mapping[Any, Any]) -> list[Any]:
    seen: dict[Any, None] = {}
    for mapping in maps:
        seen.update(dict.fromkeys(mapping))
    return list(seen)


def _text_list(base: list[str], mine: list[str], theirs: list[str]) -> list[str]:
    """Lines of text: each side's additions kept, each side's removals applied."""
    keep = set()
    for item in set(base) | set(mine) | set(theirs):
        was, m, t = item in base, item in mine, item in theirs
        if t if m == was else m:
            keep.add(item)
    return merge_order(base, mine, theirs, keep=keep)


def merge_order(*sides: list[Any], keep: set[Any]) -> list[Any]:
    """The order of ``keep``: theirs (or mine, if only mine reordered), with the other side's
    new items placed after the item they follow there.

    >>> merge_order(["a", "b", "c"], ["a", "x", "b", "c"], ["c", "a", "b"], keep=set("abcx"))
    ['c', 'a', 'x', 'b']
    """
    base, mine, theirs = sides
    common = set(base)
    reordered = [i for i in mine if i in common] != [i for i in base if i in set(mine)]
    theirs_reordered = [i for i in theirs if i in common] != [i for i in base if i in set(theirs)]
    primary, other = (mine, theirs) if reordered and not theirs_reordered else (theirs, mine)
    result: list[Any] = []
    for item in primary:
        if item in keep and item not in result:
            result.append(item)
    for index, item in enumerate(other):
        if item in keep and item not in result:
            before = [i for i in other[:index] if i in result]
            result.insert(result.index(before[-1]) + 1 if before else 0, item)
    result += [item for item in keep if item not in result]
    return result


def merge_data(
    base: dict[str, Any],
    mine: dict[str, Any],
    theirs: dict[str, Any],
    choices: Mapping[str, Resolution] | None = None,
) -> tuple[dict[str, Any], list[Conflict]]:
    """Merge two edits of a map's plain data; ``choices`` settle earlier conflicts by key.

    Returns the merged data (a conflict not yet chosen keeps *theirs*, the stored value) and the
    conflicts still open."""
    merger = _Merger(choices or {})
    cut = [
        {k: v for k, v in x.items() if k not in ("stages", "future")} for x in (base, mine, theirs)
    ]
    merged = merger.mapping((), *cut)
    merged["stages"] = merger.stages(
        ("stage",), base.get("stages", []), mine.get("stages", []), theirs.get("stages", [])
    )
    future = _merge_future(merger, base.get("future"), mine.get("future"), theirs.get("future"))
    if future:
        merged["future"] = future
    return merged, merger.conflicts


def _merge_future(merger: _Merger, base: Any, mine: Any, theirs: Any) -> Any:
    """The future state: deleted by one side only when the other left it as it was."""
    if base is not None and (mine is None or theirs is None):
        kept = theirs if mine is None else mine
        return None if kept is None or kept == base else kept
    sides = [x or {} for x in (base, mine, theirs)]
    bare = [{k: v for k, v in x.items() if k != "stages"} for x in sides]
    future = merger.mapping(("future",), *bare)
    stages = merger.stages(("future", "stage"), *(x.get("stages", []) for x in sides))
    return {**future, "stages": stages} if stages else None
