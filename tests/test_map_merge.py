"""The three-way merge of map edits: what each side did survives, only same-field edits clash."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from journeyscope.model.merge import merge_data, merge_order


def _map(steps: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"id": "m", "title": "T", "stages": [{"id": "a", "name": "A", "steps": steps}], **extra}


def test_deleted_by_one_and_changed_by_the_other_is_kept() -> None:
    base = _map([{"id": "x", "name": "X"}, {"id": "y", "name": "Y"}])
    mine = _map([{"id": "y", "name": "Y"}])
    theirs = _map([{"id": "x", "name": "X", "thoughts": ["keep me"]}, {"id": "y", "name": "Y"}])
    merged, conflicts = merge_data(base, mine, theirs)
    assert merged["stages"][0]["steps"][0]["thoughts"] == ["keep me"] and not conflicts
    untouched = _map([{"id": "x", "name": "X"}, {"id": "y", "name": "Y"}])
    merged, _ = merge_data(base, mine, untouched)
    assert [s["id"] for s in merged["stages"][0]["steps"]] == ["y"]


def test_both_adding_steps_and_feelings_keeps_all() -> None:
    base = _map([{"id": "x", "name": "X", "feelings": [{"persona": "ana", "score": 1}]}])
    mine = _map([{"id": "x", "name": "X", "feelings": [{"persona": "ana", "score": 1},
                                                        {"persona": "bo", "score": -1}]},
                 {"id": "m1", "name": "Mine"}])  # fmt: skip
    changed = {"id": "x", "name": "X", "feelings": [{"persona": "ana", "score": 2}]}
    theirs = _map([{"id": "t1", "name": "Theirs"}, changed])
    merged, conflicts = merge_data(base, mine, theirs)
    steps = merged["stages"][0]["steps"]
    assert [s["id"] for s in steps] == ["t1", "x", "m1"] and not conflicts
    assert steps[1]["feelings"] == [{"persona": "ana", "score": 2}, {"persona": "bo", "score": -1}]


def test_same_score_changed_by_both_is_a_conflict_until_chosen() -> None:
    base = _map([{"id": "x", "name": "X", "feelings": [{"persona": "ana", "score": 1}]}])
    mine = _map([{"id": "x", "name": "X", "feelings": [{"persona": "ana", "score": -2}]}])
    theirs = _map([{"id": "x", "name": "X", "feelings": [{"persona": "ana", "score": 3}]}])
    merged, conflicts = merge_data(base, mine, theirs)
    assert [(c.key, c.mine, c.theirs, c.joinable) for c in conflicts] == [
        ("step/x/feelings/persona:ana/score", -2, 3, False)
    ]
    merged, conflicts = merge_data(base, mine, theirs, {conflicts[0].key: "mine"})
    assert merged["stages"][0]["steps"][0]["feelings"][0]["score"] == -2 and not conflicts


words = st.lists(st.sampled_from("abcdefgh"), unique=True, max_size=6)


@given(words, words, words)
def test_text_lists_keep_every_addition_and_every_removal(
    base: list[str], mine: list[str], theirs: list[str]
) -> None:
    merged, conflicts = merge_data(
        _map([], goals=base), _map([], goals=mine), _map([], goals=theirs)
    )
    result = merged.get("goals", [])
    assert not conflicts and len(result) == len(set(result))
    for item in set(mine) - set(base):
        assert item in result  # my additions
    for item in set(theirs) - set(base):
        assert item in result  # theirs
    for item in base:
        if item not in mine or item not in theirs:
            assert item not in result  # either side's removals


@given(words, words, words)
def test_merged_order_holds_exactly_what_is_kept(
    base: list[str], mine: list[str], theirs: list[str]
) -> None:
    keep = set(mine) | set(theirs)
    assert sorted(merge_order(base, mine, theirs, keep=keep)) == sorted(keep)
