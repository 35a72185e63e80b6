"""The map editor: concurrent edits merge field by field, and nothing typed is ever lost."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from journeyscope.web.editor import step_form

from .conftest import BACKENDS
from .test_web_support import World, running_world


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    yield from running_world(tmp_path, request.param)


class _Forms(HTMLParser):
    """The POST forms of a page, each as (action, fields a browser would send as they stand)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method") == "post":
            self.forms.append((a.get("action", ""), {}))
        elif tag in ("input", "textarea") and self.forms and "name" in a:
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox") and "checked" not in a:
                return
            self.forms[-1][1][a["name"]] = a.get("value", "")


def _forms(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def _step_edit(world: World, step_id: str, **changes: str) -> dict[str, str]:
    """What the editor page posts for a step: its whole form, with ``changes`` typed in."""
    step = world.app.state.store.load_journey(world.map_id, 1)[0].step(step_id)
    return {"op": "step", "step": step_id, "base_version": "1", **step_form(step), **changes}


def _journey(world: World) -> Any:
    return world.app.state.store.load_journey(world.map_id)[0]


def test_apply_my_edit_no_longer_removes_a_colleagues_need(world: World) -> None:
    """Issue 16's loss: two people edit the same step from version 1; one adds a need, the
    other renames the step. The rename must not remove the need, whatever the page offers."""
    owner, editor = world.client("owner"), world.client("editor")
    added = owner.form(f"/maps/{world.map_id}/edit", _step_edit(world, "pay", needs="Trust"))
    assert added.status_code == 200
    renamed = editor.form(f"/maps/{world.map_id}/edit", _step_edit(world, "pay", name="Checkout"))
    if renamed.status_code == 409:  # the page asks: submit what it offers, as a person would
        action, fields = next(f for f in _forms(renamed.text) if f[0].endswith("/edit"))
        renamed = editor.form(action, fields)
    assert renamed.status_code == 200, renamed.text
    step = _journey(world).step("pay")
    assert step.name == "Checkout" and step.needs == ["Trust"]
    assert step.pain_points == ["Card declined without a reason"]


def test_the_same_name_changed_by_both_is_offered_side_by_side(world: World) -> None:
    owner, editor = world.client("owner"), world.client("editor")
    owner.form(f"/maps/{world.map_id}/edit", _step_edit(world, "pay", name="Pay by card"))
    stale = editor.form(f"/maps/{world.map_id}/edit", _step_edit(world, "pay", name="Checkout"))
    assert stale.status_code == 409
    assert "Pay by card" in stale.text and "Checkout" in stale.text  # both, side by side
    action, fields = next(f for f in _forms(stale.text) if f[0].endswith("/edit"))
    assert fields["choice:step/pay/name"] == "both" and fields["base_version"] == "1"
    assert _journey(world).step("pay").name == "Pay by card"  # nothing saved before a choice
    chosen = editor.form(action, {**fields, "choice:step/pay/name": "mine"})
    assert chosen.status_code == 200
    assert _journey(world).step("pay").name == "Checkout"
    assert world.app.state.store.get_map(world.map_id).current_version == 3


def test_api_edits_merge_and_name_their_conflicts(world: World) -> None:
    api = world.api("editor")
    url = f"/api/maps/{world.map_id}/edit"
    first = {"base_version": 1, "op": "set"}
    api.post(url, json={**first, "fields": {"kind": "step", "id": "visit", "field": "thoughts",
                                            "value": "Is it cheap?"}})  # fmt: skip
    api.post(url, json={**first, "fields": {"kind": "map", "field": "title", "value": "Shop"}})
    both = api.post(url, json={**first, "fields": {"kind": "map", "field": "title",
                                                   "value": "Web shop"}})  # fmt: skip
    assert both.status_code == 409
    conflict = both.json()["conflicts"][0]
    assert (conflict["key"], conflict["mine"], conflict["theirs"]) == ("title", "Web shop", "Shop")
    fields = {"kind": "map", "field": "title", "value": "Web shop", "choice:title": "both"}
    saved = api.post(url, json={**first, "fields": fields})
    assert saved.status_code == 200, saved.text
    assert saved.json()["map"]["title"] == "Shop / Web shop"
    assert saved.json()["map"]["stages"][0]["steps"][0]["thoughts"] == ["Is it cheap?"]


def test_a_step_dragged_to_another_stage_keeps_a_colleagues_edit(world: World) -> None:
    api = world.api("editor")
    url = f"/api/maps/{world.map_id}/edit"
    moved = {"step": "search", "stage": "buy", "index": "1"}
    assert api.post(url, json={"base_version": 1, "op": "place_step", "fields": moved}).is_success
    pains = "No results for typos\nFilters reset on back\nNo spelling help"
    edit = {"kind": "step", "id": "search", "field": "pain_points", "value": pains}
    saved = api.post(url, json={"base_version": 1, "op": "set", "fields": edit})
    assert saved.status_code == 200, saved.text
    stages = saved.json()["map"]["stages"]
    assert [s["id"] for s in stages[1]["steps"]] == ["cart", "search", "pay"]
    assert stages[1]["steps"][1]["pain_points"][-1] == "No spelling help"
    assert [s["id"] for s in stages[0]["steps"]] == ["visit"]


def test_ids_are_made_from_names_and_touchpoints_need_no_id(world: World) -> None:
    client = world.client("editor")
    form = _step_edit(world, "pay", touchpoints="Reminder SMS | sms\nCard form")
    assert client.form(f"/maps/{world.map_id}/edit", form).status_code == 200
    step = _journey(world).step("pay")
    assert [(t.id, t.name, t.channel) for t in step.touchpoints] == [
        ("reminder-sms", "Reminder SMS", "sms"),
        ("card-form", "Card form", "other"),
    ]
    add = {"op": "add_step", "stage": "buy", "name": "Pay", "base_version": "2", "index": "0"}
    assert client.form(f"/maps/{world.map_id}/edit", add).status_code == 200
    assert [s.id for s in _journey(world).stages[1].steps] == ["pay-2", "cart", "pay"]


def test_comment_threads_mentions_and_resolve(world: World) -> None:
    owner, editor = world.api("owner"), world.api("editor")
    url = f"/api/maps/{world.map_id}/comments"
    first = owner.post(url, json={"element_id": "pay", "body": "Ask @editor and @VIEWER; not @bob"})
    assert first.status_code == 201, first.text
    thread = first.json()
    assert thread["mentions"] == ["Editor", "Viewer"] and thread["parent_id"] is None
    reply = editor.post(url, json={"element_id": "x", "body": "On it", "parent_id": thread["id"]})
    deeper = owner.post(url, json={"element_id": "x", "body": "Thanks",
                                   "parent_id": reply.json()["id"]})  # fmt: skip
    assert [r.json()["parent_id"] for r in (reply, deeper)] == [thread["id"]] * 2
    assert {r.json()["element_id"] for r in (reply, deeper)} == {"pay"}  # the thread's element
    done = editor.post(f"{url}/{deeper.json()['id']}/resolve", json={"resolved": True}).json()
    assert done["id"] == thread["id"] and done["resolved_at"]
    again = owner.post(f"{url}/{thread['id']}/resolve", json={"resolved": False}).json()
    assert again["resolved_at"] is None
    store = world.app.state.store
    for who in ("editor", "viewer"):
        notes = store.notifications(world.users[who])
        assert [(n.kind, n.url) for n in notes] == [
            ("mention", f"/maps/{world.map_id}/edit#comment-{thread['id']}")
        ]
    assert store.notifications(world.users["owner"]) == []  # no one is told of themselves
    elsewhere = world.api("outsider").post(url, json={"element_id": "pay", "body": "hi"})
    assert elsewhere.status_code == 404
    wrong = owner.post(url, json={"element_id": "pay", "body": "x", "parent_id": 999})
    assert wrong.status_code == 404


def test_history_pages_read_stored_diffs_and_any_two_versions_compare(world: World) -> None:
    api, client = world.api("editor"), world.client("viewer")
    url = f"/api/maps/{world.map_id}/edit"
    for n in range(1, 24):  # 23 edits: versions 2..24, two pages of 20
        fields = {"kind": "step", "id": "visit", "field": "thoughts", "value": f"thought {n}"}
        assert api.post(url, json={"base_version": n, "op": "set", "fields": fields}).is_success
    store = world.app.state.store
    with store.engine.connect() as connection:  # every diff was stored when it was saved
        from sqlalchemy import text

        query = "SELECT count(*) FROM map_versions WHERE map_id = :m AND changes IS NOT NULL"
        stored = connection.execute(text(query), {"m": world.map_id}).scalar()
    assert stored == 23  # versions 2..24; version 1 has nothing before it
    first = client.get(f"/maps/{world.map_id}/history")
    assert first.status_code == 200 and "Page 1 of 2" in first.text
    assert 'id="v24"' in first.text and 'id="v4"' not in first.text
    assert "added thought" in first.text and "thought 23" in first.text
    second = client.get(f"/maps/{world.map_id}/history?page=2").text
    assert 'id="v4"' in second and 'id="v1"' in second and 'id="v24"' not in second
    compared = client.get(f"/maps/{world.map_id}/compare?a=3&b=20").text
    assert "thought 2" in compared and "thought 19" in compared
    assert client.get(f"/maps/{world.map_id}/compare?a=1&b=99").status_code == 404
    assert client.get(f"/maps/{world.map_id}/history?page=0").status_code in (400, 422)
