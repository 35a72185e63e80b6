"""In Debian's chromium, as a CX lead who never sees YAML: sign in, create a map from a template,
upload a CRM export (own column names, own date format, own event names), an Excel customers
file and a survey file, confirm the guessed columns, bind the event names to steps, set the
money, add a KPI, analyse, and read the evidence, pain points with money and segment, and KPIs
against targets — in English, and the same flow in Hebrew (right to left, no English left).

With ``JOURNEYSCOPE_SCREENSHOTS=folder`` it saves each page at 1440x900 and 390x844 there
(docs/images/ holds the committed ones)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from journeyscope.formats import load_template
from journeyscope.web import Settings, create_app

from .conftest import serving
from .evidence_data import crm_exports
from .test_web_evidence import binding_form
from .test_web_support import PASSWORD

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEYSCOPE_SCREENSHOTS")


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return crm_exports(tmp_path_factory.mktemp("crm"), customers=300)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    app = create_app(Settings(data_dir=tmp_path / "data", secret_key="evidence-browser-" * 3))
    user = app.state.store.create_user("ana@example.com", "Ana", PASSWORD)
    app.state.store.create_workspace("CX team", user.id)
    with serving(app) as base:
        yield base


def _english_sentences() -> list[str]:
    """The English words of the evidence pages that a Hebrew page must not show."""
    folder = resources.files("journeyscope.web") / "i18n" / "evidence"
    strings = json.loads((folder / "en.json").read_text(encoding="utf-8"))
    return [s for s in strings.values() if len(s) > 12 and "{" not in s and "%" not in s]


def _shoot(page: Any, name: str, lang: str) -> None:
    if not SHOTS:
        return
    page.evaluate("window.scrollTo(0, 0)")
    folder = Path(SHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    suffix = "" if lang == "en" else f"-{lang}"
    for width, height, size in ((1440, 900, "desktop"), (390, 844, "phone")):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(folder / f"evidence-{name}{suffix}-{size}.png"), full_page=False)
    page.set_viewport_size({"width": 1440, "height": 900})


def _upload(page: Any, server: str, map_url: str, path: Path, role: str, name: str) -> None:
    page.goto(f"{map_url}/sources")
    page.set_input_files("#source-form input[name=file]", str(path))
    page.select_option("#source-form select[name=role]", role)
    page.fill("#source-form input[name=name]", name)
    page.click("#source-form button[type=submit]")
    page.wait_for_selector("#mapping-form")


@pytest.mark.parametrize("lang", ["en", "he"])
def test_a_cx_lead_brings_data_binds_it_and_reads_the_answers(
    browser: Any, server: str, exports: dict[str, Path], lang: str
) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(f"{server}/login?lang={lang}")
    page.fill("input[name=email]", "ana@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/maps")
    page.goto(f"{server}/maps/new?lang={lang}")  # remembered for the session
    page.click("button[data-template=tour-de-farce]")
    page.wait_for_url("**/maps/*")
    map_url = page.url.split("?")[0].rstrip("/")

    # events: the guesses are the CRM's own columns and its date format
    _upload(page, server, map_url, exports["events"], "events", "CRM")
    assert page.locator("#field-customer_id").input_value() == "Client No"
    assert page.locator("#field-ts").input_value() == "Activity Date"
    assert page.locator("#field-event").input_value() == "Interaction"
    assert page.locator("#field-ts_format").input_value() == "%d.%m.%Y %H:%M"
    _shoot(page, "mapping", lang)
    # a wrong correction is refused next to its control, in words
    page.select_option("#field-event", "Client No")
    page.click("#confirm-columns")
    assert page.locator(".field.invalid .field-error").count() == 1
    page.select_option("#field-event", "Interaction")
    page.click("#confirm-columns")
    page.wait_for_url("**/sources*")
    assert page.locator(".quarantine-row .reasons li").count() == 4
    _upload(page, server, map_url, exports["customers"], "customers", "Customers")
    assert page.locator("#field-customer_id").input_value() == "customer_id"
    page.click("#confirm-columns")
    page.wait_for_url("**/sources*")
    _upload(page, server, map_url, exports["surveys"], "surveys", "Survey")
    page.click("#confirm-columns")
    page.wait_for_url("**/sources*")
    assert page.locator("section.source").count() == 3
    _shoot(page, "sources", lang)

    # bind the team's event names to steps; the mapped figure moves as steps are picked
    page.goto(f"{map_url}/binding")
    figure = page.locator("#mapped-figure")
    assert figure.get_attribute("data-share") == "0"
    names = page.locator("input[name^='event:']").evaluate_all("els => els.map(e => e.value)")
    form = binding_form(load_template("tour-de-farce", "en"), names)
    for key, value in form.items():
        if key.startswith("step:") and value:
            page.select_option(f"select[name='{key}']", value)
    assert int(figure.get_attribute("data-share") or 0) > 80
    _shoot(page, "binding", lang)
    page.click("#save-binding")
    page.wait_for_url("**/binding?saved=events*")
    page.fill("#value_per_customer", "1150")
    page.click("#save-money")
    page.wait_for_url("**/binding?saved=money*")
    page.fill("#kpi-form input[name=kpi_name]", "Booking rate")
    page.select_option("#kpi-form select[name=numerator]", "CRM Booking Complete")
    page.select_option("#kpi-form select[name=denominator]", "CRM View Tour")
    page.select_option("#kpi-form select[name=per]", "customers")
    page.fill("#kpi-form input[name=target]", "30")
    page.click("#save-kpi")
    page.wait_for_url("**/binding?saved=kpis*")

    page.goto(f"{map_url}/sources")
    page.click("#analyse-button")
    page.wait_for_selector('#analysis[data-status="done"]', timeout=120_000)

    page.goto(f"{map_url}/answers")
    assert page.locator("#mapped-share").inner_text().rstrip("%").isdigit()
    assert page.locator("#top-pain-points li").count() >= 1
    _shoot(page, "answers", lang)
    page.goto(f"{map_url}/answers/pain-points")
    money = page.locator(".pain-answer dd.money").all_inner_texts()
    assert any(text.replace(",", "").isdigit() for text in money), money  # value at risk
    segments = page.locator(".pain-answer .badge").all_inner_texts()
    assert any("=" in text for text in segments), segments  # a segment (device = mobile)
    _shoot(page, "pain-points", lang)
    page.goto(f"{map_url}/answers/kpis")
    kpi = page.locator("#kpi-booking-rate")
    assert kpi.locator("svg.kpi-chart polyline.value-line").count() == 1
    assert kpi.locator("svg.kpi-chart line.target-line").count() == 1
    assert kpi.locator(".badge").first.inner_text().strip()
    _shoot(page, "kpis", lang)
    for name in ("validation", "improvements", "feelings"):
        page.goto(f"{map_url}/answers/{name}")
        _shoot(page, name, lang)
    if lang == "he":
        _check_right_to_left(page, map_url)
    context.close()


def _check_right_to_left(page: Any, map_url: str) -> None:
    english = _english_sentences()
    for name in ("/sources", "/binding", "/answers", "/answers/validation",
                 "/answers/pain-points", "/answers/kpis", "/answers/improvements",
                 "/answers/feelings"):  # fmt: skip
        page.goto(f"{map_url}{name}")
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
        tabs = page.locator(".evidence-nav a")
        first, last = tabs.first.bounding_box(), tabs.last.bounding_box()
        assert first and last and (first["x"] > last["x"] or first["y"] < last["y"])
        text = page.locator("main").inner_text()
        left = [s for s in english if s in text]
        assert not left, (name, left)
