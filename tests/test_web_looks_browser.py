"""The editor in Debian's chromium: a persona photo uploaded (and hostile files refused in
plain words), a stage coloured from the palette, a custom lane added and typed into, and at
phone width the map scrolls sideways under lane names that stay put."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from .test_web_collab import _drag, _editor, served  # noqa: F401  (a fixture)
from .test_web_images import SVG, bomb, photo
from .test_web_support import World

SHOTS = os.environ.get("JOURNEYSCOPE_SCREENSHOTS")  # a folder: keep the screenshots there


def _shot(page: Any, tmp_path: Path, name: str) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    page.screenshot(path=str(folder / name))


@pytest.mark.browser
def test_photo_colour_and_custom_lane_in_the_editor(
    browser: Any,
    served: tuple[World, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    world, base = served
    page = _editor(browser, base, "owner", world.map_id, (1440, 900))
    page.click("#el-forms > summary")
    page.click("#el-personas > summary")
    box = page.locator('.photo-box[data-persona="ana"]')
    refusals = [
        ("face.svg", "image/svg+xml", SVG, "SVG pictures are not accepted"),
        ("bomb.png", "image/png", bomb(), "more pixels than a map needs"),
        ("notes.png", "image/png", b"not a picture at all\n" * 30, "not a PNG, JPEG or WebP"),
    ]
    for name, kind, data, words in refusals:
        box.locator("input.photo-upload").set_input_files(
            {"name": name, "mimeType": kind, "buffer": data}
        )
        expect(box.locator(".field-error")).to_contain_text(words)
    box.locator("input.photo-upload").set_input_files(
        {"name": "ana.jpg", "mimeType": "image/jpeg", "buffer": photo()}
    )
    expect(page.locator("#save-status")).to_contain_text("Photo saved")
    expect(box.locator("img.persona-photo")).to_have_js_property("naturalWidth", 512)
    assert world.app.state.store.load_journey(world.map_id)[0].persona("ana").photo

    # a custom list lane, placed after the thoughts, typed into on the map
    page.click("#el-lanes > summary")
    page.fill('#el-lanes input[name="name"]', "What they said")
    page.select_option('#el-lanes select[name="after"]', "thoughts")
    page.click('#el-lanes button:has-text("Add a lane")')
    cell = '[data-cell="step:pay:lane:what-they-said"]'
    page.locator(cell).wait_for()
    labels = page.locator(".lane-labels .lane-label").all_inner_texts()
    assert labels[labels.index("Thoughts") + 1] == "What they said"
    page.click(cell)
    page.locator(f"{cell} textarea").fill("Where is my code?")
    page.locator(f"{cell} textarea").press("Control+Enter")
    expect(page.locator(cell)).to_contain_text("Where is my code?")

    # a stage colour from the palette; its name stays readable on it
    page.click('.stage-col[data-stage="buy"] .swatch-button')
    page.click('.stage-col[data-stage="buy"] .palette [data-colour="#0f766e"]')
    head = page.locator('.stage-col[data-stage="buy"] .stage-head')
    expect(head).to_have_css("background-color", "rgb(15, 118, 110)")
    expect(head).to_have_css("color", "rgb(255, 255, 255)")
    journey = world.app.state.store.load_journey(world.map_id)[0]
    assert journey.stages[1].color == "#0f766e"
    assert journey.step("pay").lanes == {"what-they-said": ["Where is my code?"]}
    page.locator("#el-forms").evaluate("el => el.open = false")
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, tmp_path, "editor-1440x900.png")
    assert page.errors == []
    page.context.close()


@pytest.mark.browser
def test_at_phone_width_the_map_scrolls_under_sticky_lane_names(
    browser: Any,
    served: tuple[World, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    world, base = served
    page = _editor(browser, base, "owner", world.map_id, (390, 844))
    scroller = page.locator(".board-scroll")
    label = page.locator(".lane-labels")
    before = label.bounding_box()
    first_step = page.locator(".step").first.bounding_box()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the page itself fits
    width = scroller.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert width[0] > width[1] * 2  # the map is wider than the phone: it scrolls
    scroller.evaluate("el => el.scrollLeft = 600")
    after = label.bounding_box()
    moved = page.locator(".step").first.bounding_box()
    assert abs(after["x"] - before["x"]) < 1 and after["x"] < 30  # lane names stay at the edge
    assert moved["x"] < first_step["x"] - 500  # while the steps went by
    assert label.evaluate("el => getComputedStyle(el).position") == "sticky"
    page.locator("#board-root").evaluate("el => el.scrollIntoView()")
    scroller.evaluate("el => el.scrollLeft = 260")
    _shot(page, tmp_path, "editor-390x844.png")
    assert page.errors == []
    page.context.close()


@pytest.mark.browser
def test_pictures_take_a_caption_and_a_removal_and_undo_redo_take_back_every_kind_of_edit(
    browser: Any,
    served: tuple[World, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    """A picture uploaded into an image lane, captioned and removed; then undo and redo walk
    back and forth over a removal, a drag and a typed name, on the board and in the store."""
    from playwright.sync_api import expect

    world, base = served
    store = world.app.state.store
    page = _editor(browser, base, "owner", world.map_id, (1440, 900))
    page.click("#el-forms > summary")
    page.click("#el-lanes > summary")
    page.fill('#el-lanes input[name="name"]', "Screens")
    page.select_option('#el-lanes select[name="kind"]', "image")
    page.click('#el-lanes button:has-text("Add a lane")')
    cell = page.locator('[data-cell="step:pay:lane:screens"]')
    cell.wait_for()
    cell.locator('input[type="file"]').set_input_files(
        {"name": "pay.png", "mimeType": "image/png", "buffer": photo(fmt="PNG")}
    )
    figure = cell.locator("figure.picture")
    expect(figure).to_have_count(1)
    figure.locator("input.caption-input").fill("The pay screen")
    figure.locator("input.caption-input").press("Tab")
    expect(page.locator("#save-status")).to_contain_text("Saved")
    _eventually(lambda: [i.caption for i in store.load_journey(world.map_id)[0].step("pay").images]
                == ["The pay screen"])  # fmt: skip
    figure.hover()
    cell.scroll_into_view_if_needed()
    _shot(page, tmp_path, "editor-pictures.png")
    figure.locator("button.remove-picture").click()
    expect(cell.locator("figure.picture")).to_have_count(0)
    _eventually(lambda: store.load_journey(world.map_id)[0].step("pay").images == [])

    page.click('[data-cell="step:cart:name"]')
    page.locator('[data-cell="step:cart:name"] input').fill("Fill the basket")
    page.locator('[data-cell="step:cart:name"] input').press("Enter")
    expect(page.locator('[data-cell="step:cart:name"]')).to_contain_text("Fill the basket")
    _drag(page, "search", "buy")
    expect(page.locator('.steps[data-stage="buy"] .step[data-step="search"]')).to_have_count(1)

    def stage_of(step: str) -> str:
        journey = store.load_journey(world.map_id)[0]
        return next(s.id for s in journey.stages if any(p.id == step for p in s.steps))

    _eventually(lambda: stage_of("search") == "buy")
    page.click("#undo")  # the drag
    _eventually(lambda: stage_of("search") == "find")
    expect(page.locator('.steps[data-stage="find"] .step[data-step="search"]')).to_have_count(1)
    page.click("#undo")  # the name
    _eventually(lambda: store.load_journey(world.map_id)[0].step("cart").name == "Add to cart")
    expect(page.locator('[data-cell="step:cart:name"]')).to_contain_text("Add to cart")
    page.click("#undo")  # the removal: the picture is back with its caption
    expect(cell.locator("figure.picture")).to_have_count(1)
    expect(cell.locator("input.caption-input")).to_have_value("The pay screen")
    _eventually(lambda: [i.caption for i in store.load_journey(world.map_id)[0].step("pay").images]
                == ["The pay screen"])  # fmt: skip
    page.click("#redo")  # removed again
    expect(cell.locator("figure.picture")).to_have_count(0)
    page.click("#redo")  # named again
    expect(page.locator('[data-cell="step:cart:name"]')).to_contain_text("Fill the basket")
    _eventually(lambda: store.load_journey(world.map_id)[0].step("cart").name == "Fill the basket")
    assert page.errors == []
    page.context.close()


def _eventually(check: Any, seconds: float = 10) -> None:
    """Wait until ``check()`` holds (the store catches up with the board within a second)."""
    import time

    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the store did not catch up"
        time.sleep(0.05)
