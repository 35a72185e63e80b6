"""Stale maps announced, share and export from the browser, many maps (issue 15, items 4-6).

Real parts throughout: the workspace app over SQLite (and PostgreSQL where marked), a real
SMTP server (aiosmtpd) and a real HTTP receiver on 127.0.0.1, files opened with Pillow, pypdf
and python-pptx, and Debian's chromium for the end-to-end test.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pptx import Presentation
from pypdf import PdfReader
from sqlalchemy import text

from journeyscope.formats import dump_map, load_map, map_json_schema, parse_map
from journeyscope.web import Settings, create_app
from journeyscope.web.scheduler import Scheduler

from .conftest import BACKENDS, serving
from .notify_servers import Inbox, Receiver
from .test_web_support import DATA, PASSWORD, World, build_world, database, wait_for_analysis

SHARE_LINK = re.compile(r'value="(https?://[^"]+/s/(jss_[^"]+))"')


def events_csv(path: Path, new_event: bool) -> Path:
    """60 customers over 60 days on the shop map; with ``new_event``, half the later ones
    also talk to a chat bot the map does not know — the staleness check's new unmapped event."""
    rows = ["customer_id,ts,event,channel"]
    start = dt.datetime(2026, 10, 1, 9)
    for i in range(60):
        steps = ["visit", "search", "add_to_cart", "pay"]
        if new_event and i >= 30 and i % 2 == 0:
            steps.insert(2, "chat_with_bot")
        for k, event in enumerate(steps):
            ts = start + dt.timedelta(days=i, minutes=5 * k)
            rows.append(f"c{i:03d},{ts.isoformat()},{event},web")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def upload(world: World, who: str, path: Path) -> dict[str, Any]:
    api = world.api(who)
    with open(path, "rb") as handle:
        response = api.post(
            f"/api/maps/{world.map_id}/analyses", files={"file": (path.name, handle)}
        )
    assert response.status_code == 202, response.text
    status = wait_for_analysis(api, world.map_id, response.json()["id"])
    assert status["status"] == "done", status
    wait_for_status(world, status["id"])
    return status


def wait_for_status(world: World, analysis_id: int) -> None:
    """The map's status follows its evaluation right after the analysis is marked done."""
    import time

    for _ in range(400):
        known = world.app.state.store.map_status(world.map_id)
        if known is not None and known.analysis_id == analysis_id:
            return
        time.sleep(0.05)
    raise AssertionError("the map status did not follow the evaluation")


def _world(tmp_path: Path, backend: str, **settings: Any) -> Iterator[World]:
    from .test_web_support import TestClient

    with database(backend) as url:
        built = build_world(tmp_path, database_url=url, **settings)
        with TestClient(built.app):
            yield built
        built.app.state.store.engine.dispose()


@pytest.fixture
def backend() -> str:
    """SQLite unless a test asks for both backends (``parametrize("backend", BACKENDS)``)."""
    return "sqlite"


@pytest.fixture
def world(tmp_path: Path, inbox: Inbox, receiver: Receiver, backend: str) -> Iterator[World]:
    yield from _world(
        tmp_path, backend, smtp_host=inbox.host, smtp_port=inbox.port,
        smtp_security="none", smtp_from="maps@cx.test", webhook_url=receiver.url,
        public_url="https://cx.example.com", schedule_seconds=0,
    )  # fmt: skip


# --- item 4: stale maps announced -----------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_new_data_makes_the_map_stale_badge_email_webhook_and_bell(
    world: World, inbox: Inbox, receiver: Receiver, tmp_path: Path
) -> None:
    viewer = world.client("viewer")
    viewer.form(f"/maps/{world.map_id}/watch", {"watch": "1"}, follow_redirects=False)
    upload(world, "editor", events_csv(tmp_path / "october.csv", new_event=False))
    listing = viewer.get("/maps").text
    assert 'data-status="fresh"' in listing and not inbox.messages  # fresh: nobody is told
    upload(world, "editor", events_csv(tmp_path / "november.csv", new_event=True))
    # the list and every map page show the badge, with the reason in plain words
    listing = viewer.get("/maps").text
    assert 'data-status="stale"' in listing
    assert "a new event “chat_with_bot” reaches 50% of journeys" in listing
    page = viewer.get(f"/maps/{world.map_id}").text
    assert 'data-status="stale"' in page and "Stale since" in page
    data = world.api("viewer").get(f"/api/maps/{world.map_id}/status?lang=pl").json()
    assert data["state"] == "stale" and data["label"].startswith("Nieaktualna od")
    assert data["reasons"] == ["nowe zdarzenie „chat_with_bot” występuje w 50% ścieżek"]
    assert data["facts"]["new_events"] == [{"event": "chat_with_bot", "share": 0.5}]
    assert world.api("outsider").get(f"/api/maps/{world.map_id}/status").status_code == 404
    assert 'data-status="stale"' in viewer.get(f"/maps/{world.map_id}/history").text
    # owner (also the maker) and the watching viewer hear of it; the editor does not watch
    messages = inbox.wait(2)
    assert sorted(str(m["To"]) for m in messages) == [
        "Owner <owner@example.com>", "Viewer <viewer@example.com>"
    ]  # fmt: skip
    assert messages[0]["Subject"] == "The map “Online shop” is stale"
    body = messages[0].get_content()
    assert "a new event “chat_with_bot” reaches 50% of journeys" in body
    assert f"https://cx.example.com/maps/{world.map_id}" in body
    (post,) = receiver.wait(1)
    assert post["text"].startswith("*The map “Online shop” is stale*\nStale since ")
    assert "chat_with_bot" in post["text"] and f"/maps/{world.map_id}|" in post["text"]
    # the bell counts it; the page lists it and marks it read
    assert 'class="bell-count">1<' in viewer.get("/maps").text
    notes = viewer.get("/notifications").text
    assert "The map “Online shop” is stale" in notes and 'class="note unread"' in notes
    note_id = world.app.state.store.notifications(world.users["viewer"])[0].id
    opened = viewer.get(f"/notifications/{note_id}/open", follow_redirects=False)
    assert opened.headers["location"] == f"/maps/{world.map_id}"  # and it is read now
    assert "bell-count" not in viewer.get("/maps").text
    viewer.form("/notifications/read", {"id": str(note_id), "unread": "1"})
    assert 'class="bell-count">1<' in viewer.get("/maps").text
    assert world.client("owner").get(f"/notifications/{note_id}/open").status_code == 404
    viewer.form("/notifications/read", {})
    assert "bell-count" not in viewer.get("/maps").text
    api = world.api("viewer").get("/api/notifications").json()
    assert api["unread"] == 0 and api["notifications"][0]["kind"] == "stale"
    # the same stale evaluation read again is not announced twice
    Scheduler(world.app.state.store, world.app.state.settings).run_once()
    assert len(inbox.messages) == 2 and len(receiver.posts) == 1


def test_status_speaks_the_readers_language(world: World, tmp_path: Path) -> None:
    upload(world, "editor", events_csv(tmp_path / "late.csv", new_event=True))
    ru = world.client("viewer").get("/maps?lang=ru").text
    assert "Устарела с" in ru and "новое событие «chat_with_bot» встречается в 50% путей" in ru
    he = world.client("viewer").get(f"/maps/{world.map_id}?lang=he").text
    assert 'dir="rtl"' in he and "לא עדכנית מאז" in he and "Stale since" not in he


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_scheduler_picks_up_evaluations_and_one_process_runs_it(
    world: World, inbox: Inbox, tmp_path: Path
) -> None:
    store = world.app.state.store
    settings = dataclasses.replace(world.app.state.settings, schedule_seconds=60)
    upload(world, "editor", events_csv(tmp_path / "late.csv", new_event=True))
    inbox.wait(1)
    sent = len(inbox.messages)
    with store.engine.begin() as connection:  # as if the server stopped before telling anyone
        connection.execute(text("DELETE FROM map_status"))
    first, second = Scheduler(store, settings), Scheduler(store, settings)  # two processes
    assert first.run_once() is True
    assert second.run_once() is False  # the lease is the first one's
    assert store.map_status(world.map_id).state == "stale"
    assert len(inbox.wait(sent + 1)) > sent  # announced again: the status was lost


# --- item 5: share and export ---------------------------------------------------------------


def test_downloads_svg_story_and_report(world: World, tmp_path: Path) -> None:
    upload(world, "editor", events_csv(tmp_path / "late.csv", new_event=True))
    viewer = world.client("viewer")
    base = f"/maps/{world.map_id}/download"
    svg = viewer.get(f"{base}?format=svg").text
    assert svg.lstrip().startswith("<") and "<svg" in svg and "Add to cart" in svg
    story = viewer.get(f"{base}?format=story.html")
    assert "Online shop" in story.text and "attachment" in story.headers["content-disposition"]
    report = viewer.get(f"{base}?format=report.html")
    assert report.status_code == 200 and "chat_with_bot" in report.text
    assert viewer.get(f"{base}?format=exe").status_code == 422
    outsider = world.client("outsider")
    assert outsider.get(f"{base}?format=svg").status_code == 404


def test_report_needs_evidence(world: World) -> None:
    response = world.client("viewer").get(f"/maps/{world.map_id}/download?format=report.html")
    assert response.status_code == 404 and "upload data" in response.text


@pytest.mark.parametrize("backend", BACKENDS)
def test_read_only_link_opens_one_map_without_an_account_and_dies_on_revoke(
    world: World,
) -> None:
    editor = world.client("editor")
    created = editor.form(f"/maps/{world.map_id}/share-links", {"label": "Board <b>"})
    found = SHARE_LINK.search(created.text)
    assert found, created.text
    url, secret = found.group(1), found.group(2)
    assert "Board &lt;b&gt;" in created.text
    path = url.split("testserver", 1)[1]
    from .test_web_support import WebClient

    anonymous = WebClient(world.app)
    shared = anonymous.get(path)
    assert shared.status_code == 200 and "Online shop" in shared.text
    assert shared.headers["referrer-policy"] == "no-referrer"
    assert "noindex" in shared.headers["x-robots-tag"]
    # nothing editable, no other map
    assert "<form" not in shared.text and "<textarea" not in shared.text
    assert not re.search(r'href="/maps/\d', shared.text)
    assert "/edit" not in shared.text
    assert anonymous.get(f"{path}?state=current&persona=bo").status_code == 200
    drawing = anonymous.get(f"{path}/download?format=svg")
    assert drawing.status_code == 200 and "<svg" in drawing.text
    assert anonymous.get(f"/maps/{world.map_id}", follow_redirects=False).status_code == 303
    assert anonymous.get(f"{path}x").status_code == 404  # a guessed secret opens nothing
    # the store keeps only the hash
    with world.app.state.store.engine.connect() as connection:
        stored = connection.execute(text("SELECT token_hash FROM share_links")).scalar_one()
    assert secret not in stored and len(stored) == 64
    # a viewer cannot make or revoke links
    viewer = world.client("viewer")
    assert viewer.form(f"/maps/{world.map_id}/share-links", {}).status_code == 403
    link_id = world.app.state.store.shares(world.map_id)[0].id
    revoke = f"/maps/{world.map_id}/share-links/{link_id}/revoke"
    assert viewer.form(revoke, {}).status_code == 403
    assert editor.form(revoke, {}, follow_redirects=False).status_code == 303
    assert anonymous.get(path).status_code == 404
    assert anonymous.get(f"{path}/download?format=svg").status_code == 404
    assert "revoked" in editor.get(f"/maps/{world.map_id}/share").text


def test_read_only_links_are_rate_limited(tmp_path: Path) -> None:
    for world in _world(tmp_path, "sqlite", share_rate_per_minute=3):
        store = world.app.state.store
        _info, secret = store.create_share(world.map_id, world.users["owner"])
        from .test_web_support import WebClient

        client = WebClient(world.app)
        codes = [client.get(f"/s/{secret}").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert client.get(f"/s/{secret}").headers["retry-after"] == "60"


# --- item 6: many maps ------------------------------------------------------------------------


def test_search_tags_folders_and_filters(world: World, tmp_path: Path) -> None:
    store = world.app.state.store
    editor = world.client("editor")
    second = load_map(DATA / "shop.yaml").model_copy(
        update={"title": "Returns desk", "id": "returns"}
    )
    returns = store.create_map(world.workspace, second, world.users["editor"]).id
    assert editor.form(f"/maps/{world.map_id}/tags", {"tags": "Sales/Online, checkout"},
                       follow_redirects=False).status_code == 303  # fmt: skip
    editor.form(f"/maps/{returns}/tags", {"tags": "sales/stores"})
    assert store.tags_of([world.map_id]) == {world.map_id: ["checkout", "sales/online"]}
    bad = editor.form(f"/maps/{returns}/tags", {"tags": "<script>"})
    assert bad.status_code == 400 and "may use letters" in bad.text

    def titles(query: str) -> list[str]:
        html = editor.get(f"/maps?{query}").text
        return re.findall(r'<a href="/maps/\d+"><h2>([^<]+)</h2>', html)

    assert sorted(titles("tag=sales")) == ["Online shop", "Returns desk"]  # a folder
    assert titles("tag=sales/online") == ["Online shop"]
    assert titles("q=returns") == ["Returns desk"]
    assert sorted(titles("q=typos")) == ["Online shop", "Returns desk"]  # a drawn pain point
    assert titles(f"owner={world.users['editor']}") == ["Returns desk"]
    assert titles("q=owner") == ["Online shop"]  # the maker's name, "Owner"
    assert titles("q=nothing+like+this") == []
    assert "No map matches" in editor.get("/maps?q=nothing+like+this").text
    upload(world, "editor", events_csv(tmp_path / "late.csv", new_event=True))
    assert titles("status=stale") == ["Online shop"]
    assert titles("status=none") == ["Returns desk"]
    found = editor.get("/maps?q=chat_with_bot").text
    assert "Online shop" in found and "Returns desk" not in found  # found in the evidence
    data = world.api("viewer").get("/api/search/maps?q=chat_with_bot").json()
    assert [(m["title"], m["status"]) for m in data] == [("Online shop", "stale")]
    assert data[0]["found_in"][0]["where"] == "search.in.status"
    assert (
        world.api("viewer").get(f"/api/search/maps?workspace={world.other_workspace}").status_code
        == 404
    )
    hostile = editor.get("/maps?q=%3Cscript%3Ealert(1)%3C/script%3E").text
    assert "<script>alert(1)" not in hostile


def test_a_step_links_a_detailed_sub_map(world: World) -> None:
    store = world.app.state.store
    shop = load_map(DATA / "shop.yaml")
    detail = shop.model_copy(update={"title": "Paying in detail", "id": "paying"})
    detail_id = store.create_map(world.workspace, detail, world.users["owner"]).id
    journey, version = store.load_journey(world.map_id)
    pay = journey.stages[1].steps[1]
    journey.stages[1].steps[1] = pay.model_copy(update={"detail_map": "paying"})
    journey.stages[0].steps[0] = (
        journey.stages[0].steps[0].model_copy(update={"detail_map": "no-such-map"})
    )
    store.save_map(world.map_id, journey, version, world.users["owner"])
    page = world.client("viewer").get(f"/maps/{world.map_id}").text
    assert f'href="/maps/{detail_id}" data-submap="{detail_id}">Paying in detail</a>' in page
    assert "no map with the id “no-such-map” in this workspace" in page
    # the field is in the model, the YAML and the JSON Schema
    text_ = dump_map(store.load_journey(world.map_id)[0])
    assert "detail_map: paying" in text_
    assert parse_map(text_).stages[1].steps[1].detail_map == "paying"
    step_schema = map_json_schema()["$defs"]["Step"]["properties"]["detail_map"]
    assert "sub-map" in step_schema["description"]


def test_notification_preferences_form(world: World) -> None:
    viewer = world.client("viewer")
    viewer.form("/notifications/preferences", {"digest": "daily", "email": "1"})
    prefs = world.app.state.store.preferences(world.users["viewer"])
    assert (prefs.digest, prefs.email) == ("daily", True)
    viewer.form("/notifications/preferences", {"digest": "immediately"})
    prefs = world.app.state.store.preferences(world.users["viewer"])
    assert (prefs.digest, prefs.email) == ("immediately", False)
    assert viewer.form("/notifications/preferences", {"digest": "hourly"}).status_code == 400
    assert world.client().get("/notifications", follow_redirects=False).status_code == 303


def test_pptx_deck_has_the_map_picture_stages_and_the_pain_points_found() -> None:
    from journeyscope.render.deck import render_pptx

    picture = io.BytesIO()
    Image.new("RGB", (1600, 500), "white").save(picture, "PNG")
    found = [
        {"kind": "drop_off", "segment": "all", "steps": ["pay"], "customers_affected": 12,
         "severity": 0.4, "priority": 9, "value_at_risk": 1200.0},
        {"kind": "slow_step", "segment": "persona=ana", "steps": ["search"],
         "customers_affected": 3, "severity": 0.1, "priority": 2},
        {"kind": "loop", "segment": "all", "steps": ["cart"], "customers_affected": 50,
         "severity": 0.9, "priority": 99, "status": "dismissed"},
    ]  # fmt: skip
    journey = load_map(DATA / "shop.yaml")
    deck = Presentation(io.BytesIO(render_pptx(journey, picture.getvalue(), found)))
    titles = [s.shapes.title.text for s in deck.slides]
    assert titles == ["Online shop", "Online shop", "Find", "Buy", "Pain points"]
    (image,) = [s for s in deck.slides[1].shapes if s.shape_type == 13]
    assert image.width / image.height == pytest.approx(1600 / 500, rel=0.01)
    assert image.left + image.width <= deck.slide_width
    find = deck.slides[2].placeholders[1].text_frame.text
    assert "Visit the site" in find and "⚠ No results for typos" in find
    lines = deck.slides[4].placeholders[1].text_frame.text.splitlines()
    assert len(lines) == 2  # the dismissed one stays out, the rest by priority
    assert lines[0].endswith("Pay: 40%, 12 customers, 1,200 at risk")
    assert "(Ana)" in lines[1] and "Search" in lines[1]


# --- the done-when slice, in Debian's chromium ------------------------------------------------


@pytest.fixture
def live(tmp_path: Path, inbox: Inbox, receiver: Receiver) -> Iterator[dict[str, Any]]:
    """A real uvicorn server with SMTP and webhook settings; Ana owns the shop map, Bo watches."""
    settings = Settings(
        data_dir=tmp_path / "data", secret_key="share-browser-" * 3, smtp_host=inbox.host,
        smtp_port=inbox.port, smtp_security="none", webhook_url=receiver.url,
        public_url="https://cx.example.com", schedule_seconds=0,
    )  # fmt: skip
    app = create_app(settings)
    store = app.state.store
    ana = store.create_user("ana@example.com", "Ana", PASSWORD)
    bo = store.create_user("bo@example.com", "Bo", PASSWORD)
    workspace = store.create_workspace("Research team", ana.id)
    store.set_role(workspace.id, bo.id, "viewer")
    map_id = store.create_map(workspace.id, load_map(DATA / "shop.yaml"), ana.id).id
    store.watch_map(map_id, bo.id)
    token = store.create_token(ana.id, "uploads", "write")[1]
    with serving(app) as base:
        yield {"url": base, "map": map_id, "token": token, "store": store}


def _upload_over_http(live: dict[str, Any], path: Path) -> None:
    import time

    import httpx

    headers = {"Authorization": f"Bearer {live['token']}"}
    base = f"{live['url']}/api/maps/{live['map']}/analyses"
    with open(path, "rb") as handle:
        queued = httpx.post(base, files={"file": (path.name, handle)}, headers=headers).json()
    for _ in range(600):
        known = live["store"].map_status(live["map"])
        if known is not None and known.analysis_id == queued["id"]:
            return
        time.sleep(0.05)
    raise AssertionError("the evaluation did not reach the map status")


def _shoot(page: Any, folder: Path, name: str) -> None:
    for width, height, suffix in ((1440, 900, "desktop"), (390, 844, "phone")):
        page.set_viewport_size({"width": width, "height": height})
        target = folder / f"web-{name}-{suffix}.png"
        page.screenshot(path=str(target))
        with Image.open(target) as image:
            assert image.size == (width, height)
    page.set_viewport_size({"width": 1440, "height": 900})


@pytest.mark.browser
def test_stale_badge_mail_webhook_downloads_and_read_only_link_in_chromium(
    browser: Any, live: dict[str, Any], inbox: Inbox, receiver: Receiver, tmp_path: Path
) -> None:
    import os

    shots = Path(os.environ.get("JOURNEYSCOPE_SCREENSHOTS") or tmp_path)
    server, map_id = live["url"], live["map"]
    _upload_over_http(live, events_csv(tmp_path / "october.csv", new_event=False))
    _upload_over_http(live, events_csv(tmp_path / "november.csv", new_event=True))

    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{server}/login")
    page.fill("input[name=email]", "ana@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/maps")
    # the badge in the list and on the map, with the reason in words
    card = page.locator(f'li.map-card[data-map="{map_id}"]')
    assert card.locator(".map-status").get_attribute("data-status") == "stale"
    assert "a new event “chat_with_bot” reaches 50% of journeys" in card.inner_text()
    assert page.locator(".bell-count").inner_text() == "1"
    _shoot(page, shots, "maps-stale")
    page.click(f'li.map-card[data-map="{map_id}"] h2')
    page.wait_for_url(f"{server}/maps/{map_id}")
    assert page.locator(".map-head .map-status").inner_text().startswith("Stale since")
    # e-mail to Ana (owner) and Bo (watcher); one webhook POST
    mails = inbox.wait(2)
    assert sorted(str(m["To"]) for m in mails) == ["Ana <ana@example.com>", "Bo <bo@example.com>"]
    assert all("chat_with_bot" in m.get_content() for m in mails)
    (post,) = receiver.wait(1)
    assert "The map “Online shop” is stale" in post["text"]

    # downloads from the share page, each opened
    page.click("nav.tabs >> text=Share")
    page.wait_for_url(f"{server}/maps/{map_id}/share")
    page.select_option("select[name=persona]", "ana")
    with page.expect_download() as got:
        page.click('button[data-format="png"]')
    png = Path(got.value.path())
    assert got.value.suggested_filename == "shop-v1-current-ana.png"
    with Image.open(png) as image:
        assert image.format == "PNG" and image.width >= 1400 and image.height > 300
    page.select_option("select[name=persona]", "")
    with page.expect_download() as got:
        page.click('button[data-format="pdf"]')
    words = PdfReader(got.value.path()).pages[0].extract_text()
    assert "Online shop" in words and "Add to cart" in words
    with page.expect_download() as got:
        page.click('button[data-format="pptx"]')
    deck = Presentation(got.value.path())
    assert [s.shapes.title.text for s in deck.slides][:4] == [
        "Online shop",
        "Online shop",
        "Find",
        "Buy",
    ]
    assert any(shape.shape_type == 13 for shape in deck.slides[1].shapes)

    # a read-only link, opened signed out, then revoked
    page.fill("input[name=label]", "Steering board")
    page.click("#links button.primary")
    link = page.locator("#new-link").input_value()
    assert "/s/jss_" in link
    _shoot(page, shots, "share")
    outsider = browser.new_context(viewport={"width": 1440, "height": 900})
    anonymous = outsider.new_page()
    anonymous.goto(link)
    assert anonymous.locator(".shared-head h1").inner_text() == "Online shop"
    assert anonymous.locator("#map .stage, #map [data-step], #map svg").count() > 0
    assert anonymous.locator("form, textarea, input, select, [contenteditable]").count() == 0
    assert anonymous.locator("a[href*='/edit'], a[href^='/maps/']").count() == 0
    _shoot(anonymous, shots, "shared-link")
    page.goto(f"{server}/maps/{map_id}/share")
    page.click("#links li.active button")
    page.wait_for_url(f"{server}/maps/{map_id}/share*")
    assert anonymous.goto(link).status == 404

    page.goto(f"{server}/notifications")
    assert "The map “Online shop” is stale" in page.locator(".note-list").inner_text()
    _shoot(page, shots, "notifications")
    page.goto(f"{server}/maps/{map_id}?lang=he")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert "לא עדכנית מאז" in page.locator(".map-head .map-status").inner_text()
    _shoot(page, shots, "map-stale-hebrew")
    outsider.close()
    context.close()


def test_browser_exports_wait_their_turn(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from journeyscope.web import pages_share

    monkeypatch.setattr(pages_share, "BROWSER_WAIT_SECONDS", 0.1)
    taken = [pages_share.BROWSER_EXPORTS.acquire(timeout=1) for _ in range(2)]  # two busy
    try:
        busy = world.client("viewer").get(f"/maps/{world.map_id}/download?format=png")
        assert busy.status_code == 503 and busy.headers["retry-after"] == "60"
        assert "busy drawing maps" in busy.text
        svg = world.client("viewer").get(f"/maps/{world.map_id}/download?format=svg")
        assert svg.status_code == 200  # no browser needed: not held up
    finally:
        for got in taken:
            if got:
                pages_share.BROWSER_EXPORTS.release()


def test_every_staleness_reason_reads_as_a_sentence_in_four_languages() -> None:
    from journeyscope.web.i18n import LANGUAGES, translator
    from journeyscope.web.map_status import _reasons_of, reason_sentences

    stored = {  # the shape Insights.to_dict() stores
        "kpis": [{"kpi": "refund", "name": "Refund time", "status": "missed"},
                 {"kpi": "nps", "name": "NPS", "status": "met"}],
        "staleness": {
            "status": "stale", "split": "2026-10-31T00:00:00+00:00",
            "journeys_before": 30, "journeys_after": 30,
            "reasons": ["…", "variant mix drifted (Jensen-Shannon distance 0.31)"],
            "new_unmapped": [{"event": "chat_with_bot", "share_after": 0.21}],
            "step_changes": [
                {"step": "search", "measure": "reach", "before": 0.8, "after": 0.55},
                {"step": "pay", "measure": "conversion", "before": 0.9, "after": 0.6},
            ],
            "new_channels": [{"channel": "kiosk", "share_after": 0.1}],
            "kpi_breaches": ["KPI 'Refund time' missed its target …"],
            "emotion_gaps": [{"step": "pay"}],
            "stale_elements": ["visit", "search"],
        },
    }  # fmt: skip
    state, facts = _reasons_of(stored)
    assert state == "stale" and facts["kpis_missed"] == ["Refund time"]
    journey = load_map(DATA / "shop.yaml")
    english = reason_sentences(facts, translator("en"), journey)
    assert english == [
        "a new event “chat_with_bot” reaches 21% of journeys",
        "the share of journeys through “Search” moved from 80% to 55%",
        "of the journeys through “Pay”, 60% now reach the goal (before: 90%)",
        "customers take other routes through the journey than before",
        "a new channel “kiosk” reaches 10% of journeys",
        "KPI “Refund time” missed its target",
        "customers feel differently at “Pay” than the map shows",
        "2 parts of the map rest on old evidence",
    ]
    for lang in LANGUAGES:
        words = reason_sentences(facts, translator(lang), journey)
        assert len(words) == len(english) and all("{" not in w for w in words)
        if lang != "en":
            assert not set(words) & set(english), lang  # translated, not English copies
