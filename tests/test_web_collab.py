"""Two people in one map editor at once, in Debian's chromium over a real uvicorn server: they
see each other, type into the map at the same time, drag a step, and no word is lost."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

from journeyscope.web import Settings, create_app

from .conftest import BACKENDS, serving
from .test_web_support import PASSWORD, WebClient, World, build_world, database


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[World, str]]:
    world = build_world(tmp_path)
    with serving(world.app) as base:
        yield world, base
    world.app.state.store.engine.dispose()


def _editor(browser: Any, base: str, who: str, map_id: int, size: tuple[int, int]) -> Any:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    page.goto(f"{base}/login")
    page.fill("input[name=email]", f"{who}@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/maps")
    page.goto(f"{base}/maps/{map_id}/edit")
    expect(page.locator("#board-root")).to_have_attribute("data-live", "1")
    return page


def _type(page: Any, cell: str, text: str) -> None:
    """Open a cell and type into it (not saved yet)."""
    page.click(f'[data-cell="{cell}"]')
    page.locator(f'[data-cell="{cell}"] :is(input, textarea)').fill(text)


def _commit(page: Any, cell: str) -> None:
    field = page.locator(f'[data-cell="{cell}"] :is(input, textarea)')
    field.press("Control+Enter" if "name" not in cell else "Enter")


def _drag(page: Any, step: str, to_stage: str) -> None:
    handle = page.locator(f'.step[data-step="{step}"] .grip')
    handle.wait_for()
    grip = handle.bounding_box()
    target = page.locator(f'.steps[data-stage="{to_stage}"] .step').last.bounding_box()
    page.mouse.move(grip["x"] + 5, grip["y"] + 5)
    page.mouse.down()
    for n in range(1, 11):  # a person's drag: many small moves
        x = grip["x"] + (target["x"] + target["width"] * 0.8 - grip["x"]) * n / 10
        y = grip["y"] + (target["y"] + 20 - grip["y"]) * n / 10
        page.mouse.move(x, y)
    page.mouse.up()


def _shown(page: Any) -> tuple[list[str], list[str]]:
    """What the board shows: every text, and every score."""
    texts = page.locator(".board :is(li, .value, .chip span)").all_inner_texts()
    scores = [s.input_value() for s in page.locator(".board input.score").all()]
    return texts, scores


@pytest.mark.browser
def test_two_people_edit_one_map_live_and_lose_no_word(
    browser: Any, served: tuple[World, str], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    world, base = served
    ana = _editor(browser, base, "owner", world.map_id, (1440, 900))
    bo = _editor(browser, base, "editor", world.map_id, (1440, 900))
    # the emotion curve: a line per persona; a step without Bo's score leaves his line blank
    expect(ana.locator('.scores-cell[data-step="visit"] .curve-line')).to_have_count(2)
    expect(ana.locator('.scores-cell[data-step="search"] .curve-line')).to_have_count(1)
    for page in (ana, bo):  # presence: each sees both people
        expect(page.locator("#presence .person")).to_have_count(2)
        expect(page.locator("#presence")).to_contain_text("Owner")
        expect(page.locator("#presence")).to_contain_text("Editor")
    _type(ana, "step:visit:thoughts", "Is it cheap?")
    expect(bo.locator('[data-cell="step:visit:thoughts"]')).to_have_attribute(
        "data-others", "Owner"
    )

    # different cells at the same time: both typed from the same version, both kept
    _type(bo, "step:cart:actions", "Compare prices")
    _commit(ana, "step:visit:thoughts")
    _commit(bo, "step:cart:actions")
    # the same cell at the same time: the second gets both texts side by side to choose
    _type(ana, "step:pay:name", "Pay by card")
    _type(bo, "step:pay:name", "Checkout")
    _commit(ana, "step:pay:name")
    expect(ana.locator("#save-status")).to_contain_text("version 4")
    _commit(bo, "step:pay:name")
    choice = bo.locator(".choice-card")
    expect(choice).to_contain_text("Pay by card")
    expect(choice).to_contain_text("Checkout")
    choice.locator('[data-choice="both"]').click()
    expect(bo.locator("#save-status")).to_contain_text("version 5")

    expect(ana.locator('[data-cell="step:pay:name"]')).to_have_text("Pay by card / Checkout")
    _drag(ana, "search", "buy")  # a step dragged into another stage
    expect(ana.locator("#save-status")).to_contain_text("version 6")
    for page in (ana, bo):  # within a second the other sees it too
        steps = page.locator('.steps[data-stage="buy"] .step')
        expect(steps).to_have_count(3, timeout=2000)
        expect(page.locator('[data-cell="step:pay:name"]')).to_have_text("Pay by card / Checkout")
    assert _shown(ana) == _shown(bo)

    # a comment on a step, with an @mention: a marker with its count, live on the other screen
    ana.click('.step[data-step="pay"] .comment-marker')
    ana.click('#comments-panel .mentions button:has-text("@Editor")')
    ana.locator("#comments-panel textarea.new-comment").press_sequentially("can you check?")
    ana.click("#comments-panel .post-comment")
    expect(ana.locator("#comments-panel .comment .body")).to_have_text("@Editor can you check?")
    marker = bo.locator('.step[data-step="pay"] .comment-marker .count')
    expect(marker).to_have_text("1", timeout=2000)
    bo.click('.step[data-step="pay"] .comment-marker')
    bo.locator("#comments-panel .thread textarea").fill("Checked: it works")
    bo.click('#comments-panel .thread button:has-text("Reply")')
    bo.click('#comments-panel .thread button:has-text("Resolve")')
    expect(ana.locator('.step[data-step="pay"] .comment-marker .count')).to_have_text("0")
    told = world.app.state.store.notifications(world.users["editor"])
    assert [(n.kind, n.subject) for n in told] == [
        ("mention", "Owner mentioned you on “Online shop”")
    ]

    journey = world.app.state.store.load_journey(world.map_id)[0]
    assert journey.step("visit").thoughts == ["Is it cheap?"]
    assert journey.step("cart").actions == ["Compare prices"]
    assert journey.step("pay").name == "Pay by card / Checkout"
    assert [s.id for s in journey.stages[1].steps if s.id == "search"] == ["search"]
    assert ana.errors == [] and bo.errors == []
    ana.context.close()
    bo.context.close()


# --- the live socket without a browser: auth, and fan-out between server processes ----------


def _messages(socket: Any, until: Any, limit: int = 20) -> list[dict[str, Any]]:
    """Read messages until ``until(message)`` holds (each read given 10 s, so a broken
    fan-out fails the test instead of hanging it)."""
    seen = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        for _ in range(limit):
            message = pool.submit(socket.receive_json).result(timeout=10)
            seen.append(message)
            if until(message):
                return seen
    raise AssertionError(f"never came: {seen}")


def _names(message: dict[str, Any]) -> list[str]:
    return sorted(p["name"] for p in message.get("people", []))


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_server_processes_share_presence_and_versions(tmp_path: Path, backend: str) -> None:
    """Two apps on one database stand for two server processes: a person on each sees the
    other, and a version saved through one reaches the socket of the other."""
    with database(backend) as url:
        world = build_world(tmp_path / "one", database_url=url)
        other = create_app(Settings(data_dir=tmp_path / "one" / "data" if url is None else
                                    tmp_path / "two", secret_key="test-secret-" * 4,
                                    database_url=url))  # fmt: skip
        origin = {"origin": "http://testserver"}
        url_live = f"/maps/{world.map_id}/live"
        with world.client("owner") as ana, WebClient(other) as bo:
            assert bo.sign_in("editor@example.com").status_code == 303
            with ana.websocket_connect(url_live, headers=origin) as first:
                _messages(first, lambda m: _names(m) == ["Owner"])
                with bo.websocket_connect(url_live, headers=origin) as second:
                    _messages(first, lambda m: _names(m) == ["Editor", "Owner"])
                    second.send_json({"type": "select", "cell": "step:pay:name"})
                    _messages(first, lambda m: any(p["cell"] == "step:pay:name"
                                                   for p in m.get("people", [])))  # fmt: skip
                    title = {"kind": "map", "field": "title", "value": "Live"}
                    edit = {"base_version": 1, "op": "set", "fields": title}
                    token = bo.csrf()
                    saved = bo.post(f"/api/maps/{world.map_id}/edit", json=edit,
                                    headers={"X-CSRF-Token": token})  # fmt: skip
                    assert saved.status_code == 200, saved.text
                    _messages(first, lambda m: m == {"type": "version", "version": 2})
                _messages(first, lambda m: _names(m) == ["Owner"])  # Bo left
        other.state.store.engine.dispose()
        world.app.state.store.engine.dispose()


def _refused(client: Any, url: str, origin: str = "http://testserver") -> int:
    """The close code of a socket the server refuses."""
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect(url, headers={"origin": origin}),
    ):
        pass
    return int(closed.value.code)


def test_the_live_socket_checks_sign_in_origin_and_workspace(tmp_path: Path) -> None:
    world = build_world(tmp_path)
    url_live = f"/maps/{world.map_id}/live"
    with world.client() as nobody:
        assert _refused(nobody, url_live) == 4401
    with world.client("owner") as owner:
        assert _refused(owner, url_live, "https://evil.example") == 4403
    with world.client("outsider") as outsider:
        assert _refused(outsider, url_live) == 4404  # another workspace's: not even its existence
    with world.client("viewer") as viewer:  # viewers watch; their edits are refused
        with viewer.websocket_connect(url_live, headers={"origin": "http://testserver"}) as live:
            _messages(live, lambda m: _names(m) == ["Viewer"])
            live.send_text("not json" * 1000)  # junk is ignored, the socket stays
            live.send_json({"type": "select", "cell": "step:pay:name"})
            _messages(live, lambda m: m.get("people", [{}])[0].get("cell") == "step:pay:name")
        edit = {"base_version": 1, "op": "map", "fields": {"title": "No"}}
        refused = viewer.post(f"/api/maps/{world.map_id}/edit", json=edit,
                              headers={"X-CSRF-Token": viewer.csrf()})  # fmt: skip
        assert refused.status_code == 403
    world.app.state.store.engine.dispose()
