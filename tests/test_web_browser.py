"""End to end in Debian's chromium: sign in, create a map from a template, edit a step's emotion
and see the curve move, upload events and see the evidence on the map, switch to Hebrew."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from journeyscope.web import Settings, create_app

from .conftest import serving
from .test_web_support import DATA, PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """A real uvicorn server in a thread, on a free port, with one owner account."""
    app = create_app(Settings(data_dir=tmp_path / "data", secret_key="browser-test-" * 3))
    user = app.state.store.create_user("ana@example.com", "Ana", PASSWORD)
    app.state.store.create_workspace("Research team", user.id)
    with serving(app) as base:
        yield base


def _curve(page: Any, scope: str) -> list[str]:
    return [p.get_attribute("d") for p in page.locator(f"{scope} path.emotion-curve").all()]


def test_author_a_map_and_see_its_evidence(browser: Any, server: str) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{server}/login")
    page.fill("input[name=email]", "ana@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/maps")

    page.click("a.button.primary")  # New map
    page.wait_for_url(f"{server}/maps/new")
    page.click("button[data-template=product-use]")
    page.wait_for_url("**/maps/*")
    map_url = page.url
    assert "robot vacuum" in page.locator("h1").first.inner_text()
    before = _curve(page, "#map")
    assert before

    page.click("nav.tabs >> text=Edit")
    name = page.locator('[data-cell="step:unbox:name"]')
    name.click()
    name.locator("input").fill("Unbox the new robot")
    name.locator("input").press("Enter")
    expect(page.locator("#save-status")).to_contain_text("version 2")
    scores = page.locator('.step[data-step="unbox"] input.score')
    for index in range(scores.count()):
        scores.nth(index).fill("-3")
        scores.nth(index).press("Tab")
        expect(page.locator("#save-status")).to_contain_text(f"version {3 + index}")
    page.goto(map_url)
    after = _curve(page, "#map")
    assert after and after != before
    assert "Unbox the new robot" in page.locator("#map").inner_text()

    page.click("nav.tabs >> text=Evidence")
    page.set_input_files("input[name=file]", str(DATA / "product-use-events.csv"))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector('#analysis[data-status="done"]', timeout=120_000)
    assert "30" in page.locator("dl.facts").inner_text()

    page.goto(map_url)
    evidence = " ".join(page.locator("#map .js-l-evidence").all_inner_texts())
    assert "60%" in evidence and "100%" in evidence
    # the pain point found in the evidence sits on the map, on the step customers leave:
    # 12 of 18 who pair the robot never run a first clean
    assert "⚠ Drop-off: 67%, 12 customers" in evidence

    page.click("nav.langs >> text=HE")
    page.wait_for_load_state()
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.get_attribute("html", "lang") == "he"
    assert "מפה" in page.locator("nav.tabs").inner_text()
    context.close()
