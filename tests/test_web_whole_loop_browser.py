"""The whole evidence loop in Debian's chromium, in one flow, as a CX lead who never sees YAML
(issue 15, "Done when"): sign in, create a map from a template, upload a CRM export with its own
column names and date format, a customers workbook and a survey file, confirm the guessed
columns, bind the team's event names to steps and touchpoints (a select, and a drag onto the
step board), place a persona by customer attributes, read the evidence, pain points with money
and segment and KPIs against targets, accept a pain point and give it an owner, mark an
opportunity launched, upload the period after the launch, and see the improvement verdict,
the stale badge, an e-mail in a real SMTP server and a webhook POST in a loopback receiver;
download the PNG, PDF and PowerPoint (each opened), and open the read-only link signed out.
The same flow in Hebrew checks right-to-left and that no English engine text is left.

With ``JOURNEYSCOPE_SCREENSHOTS=folder`` the binding page is saved at 1440x900 and 390x844."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pptx import Presentation
from pypdf import PdfReader

from journeyscope.formats import load_template
from journeyscope.web import Settings, create_app
from journeyscope.web.i18n import translator

from .conftest import serving
from .evidence_data import crm_periods
from .notify_servers import Inbox, Receiver
from .test_web_evidence import binding_form
from .test_web_evidence_browser import SHOTS, _english_sentences, _shoot, _upload
from .test_web_support import PASSWORD

pytestmark = pytest.mark.browser

LAUNCH = dt.date(2026, 8, 1)
KPI_ID = "customers-who-contact-support"


@pytest.fixture(scope="module")
def periods(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return crm_periods(tmp_path_factory.mktemp("crm"), LAUNCH, customers=300)


@pytest.fixture
def server(tmp_path: Path, inbox: Inbox, receiver: Receiver) -> Iterator[str]:
    """A real uvicorn server with SMTP and webhook settings; Ana leads the CX team."""
    settings = Settings(
        data_dir=tmp_path / "data", secret_key="whole-loop-browser-" * 3, smtp_host=inbox.host,
        smtp_port=inbox.port, smtp_security="none", smtp_from="maps@cx.test",
        webhook_url=receiver.url, public_url="https://cx.example.com", schedule_seconds=0,
    )  # fmt: skip
    app = create_app(settings)
    user = app.state.store.create_user("ana@example.com", "Ana", PASSWORD)
    app.state.store.create_workspace("CX team", user.id)
    with serving(app) as base:
        yield base


def _sign_in(page: Any, server: str, lang: str) -> str:
    """Sign in, create the Tour De Farce map from its template: the map's URL."""
    page.goto(f"{server}/login?lang={lang}")
    page.fill("input[name=email]", "ana@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/maps")
    page.goto(f"{server}/maps/new?lang={lang}")
    page.click("button[data-template=tour-de-farce]")
    page.wait_for_url("**/maps/*")
    return str(page.url.split("?")[0].rstrip("/"))


def _bring_data(page: Any, server: str, map_url: str, files: dict[str, Path]) -> None:
    _upload(page, server, map_url, files["events"], "events", "CRM")
    assert page.locator("#field-customer_id").input_value() == "Client No"
    assert page.locator("#field-ts").input_value() == "Activity Date"
    assert page.locator("#field-event").input_value() == "Interaction"
    assert page.locator("#field-ts_format").input_value() == "%d.%m.%Y %H:%M"
    page.click("#confirm-columns")
    page.wait_for_url("**/sources*")
    _upload(page, server, map_url, files["customers"], "customers", "Customers")
    assert page.locator("#field-customer_id").input_value() == "customer_id"
    page.click("#confirm-columns")
    page.wait_for_url("**/sources*")
    _upload(page, server, map_url, files["surveys"], "surveys", "Survey")
    page.click("#confirm-columns")
    page.wait_for_url("**/sources*")
    assert page.locator("section.source").count() == 3


def _bind(page: Any, map_url: str, lang: str) -> None:
    """Bind the team's names as the template binds the originals: one by dragging its chip
    onto the step board, the rest with the select; then money, a KPI, a persona, a wait."""
    page.goto(f"{map_url}/binding")
    # the template's KPIs count its own event names, not the CRM's: the page says so
    assert page.locator("#kpis .kpi-on-nothing").count() == len(load_template("tour-de-farce").kpis)
    figure = page.locator("#mapped-figure")
    assert figure.get_attribute("data-share") == "0"
    names = page.locator("input[name^='event:']").evaluate_all("els => els.map(e => e.value)")
    form = binding_form(load_template("tour-de-farce", "en"), names)
    dragged = next(k for k, v in form.items() if k.startswith("step:") and "/" in v)
    row = dragged.split(":")[1]
    _drag(page, f".event-chip[data-row='{row}']", f".drop-target[data-target='{form[dragged]}']")
    assert page.locator(f"select[name='{dragged}']").input_value() == form[dragged]
    for key, value in form.items():
        if key.startswith("step:") and value and key != dragged:
            page.select_option(f"select[name='{key}']", value)
    assert int(figure.get_attribute("data-share") or 0) > 80
    _shoot(page, "binding", lang)
    page.click("#save-binding")
    page.wait_for_url("**/binding?saved=events*")
    page.fill("#value_per_customer", "1150")
    page.click("#save-money")
    page.wait_for_url("**/binding?saved=money*")
    page.fill("#kpi-form input[name=kpi_name]", "Customers who contact support")
    page.select_option("#kpi-form select[name=numerator]", "contact-support")
    page.select_option("#kpi-form select[name=denominator]", "pay")
    page.select_option("#kpi-form select[name=per]", "customers")
    page.fill("#kpi-form input[name=target]", "20")
    page.select_option("#kpi-form select[name=direction]", "lower")
    page.click("#save-kpi")
    page.wait_for_url("**/binding?saved=kpis*")
    # a persona placed by the customers file's own columns, and a wait target
    new = page.locator("#persona-new")
    new.locator("input[name=persona_name]").fill("Mobile bookers")
    new.locator("select[name='pattr:1']").select_option("device")
    new.locator("input[name='pvalue:1']").fill("mobile")
    new.locator("button[type=submit]").click()
    page.wait_for_url("**/binding?saved=personas*")
    assert page.locator("#persona-mobile-bookers input[name='pvalue:1']").input_value() == "mobile"
    page.select_option("#wait-form select[name='wstep:1']", "wait-itinerary")
    page.fill("#wait-form input[name='whours:1']", "48")
    page.select_option("#wait-form select[name='wfrom:1']", "pay")
    page.click("#save-waits")
    page.wait_for_url("**/binding?saved=waits*")
    _shoot_at(page, "#personas", "binding-forms", lang)


def _drag(page: Any, source: str, target: str) -> None:
    """Drag with the mouse as a person does: press, move in small steps, release."""
    page.locator(target).scroll_into_view_if_needed()
    start, end = page.locator(source).bounding_box(), page.locator(target).bounding_box()
    assert start and end
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=12)
    page.mouse.move(end["x"] + end["width"] / 2 + 2, end["y"] + end["height"] / 2, steps=2)
    page.mouse.up()


def _shoot_at(page: Any, selector: str, name: str, lang: str) -> None:
    """Like ``_shoot``, scrolled to ``selector`` rather than the top of the page."""
    if not SHOTS:
        return
    folder = Path(SHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    suffix = "" if lang == "en" else f"-{lang}"
    for width, height, size in ((1440, 900, "desktop"), (390, 844, "phone")):
        page.set_viewport_size({"width": width, "height": height})
        page.locator(selector).evaluate("el => el.scrollIntoView({block: 'start'})")
        page.screenshot(path=str(folder / f"evidence-{name}{suffix}-{size}.png"))
    page.set_viewport_size({"width": 1440, "height": 900})


def _analyse(page: Any, map_url: str) -> None:
    page.goto(f"{map_url}/sources")
    page.click("#analyse-button")
    page.wait_for_selector('#analysis[data-status="done"]', timeout=180_000)


def _read_the_answers(page: Any, map_url: str) -> None:
    page.goto(f"{map_url}/answers")
    assert page.locator("#mapped-share").inner_text().rstrip("%").isdigit()
    page.goto(f"{map_url}/answers/pain-points")
    money = page.locator(".pain-answer dd.money").all_inner_texts()
    assert any(text.replace(",", "").isdigit() for text in money), money  # value at risk
    segments = page.locator(".pain-answer .badge").all_inner_texts()
    assert any("=" in text for text in segments), segments  # a segment (device = mobile)
    page.goto(f"{map_url}/answers/kpis")
    kpi = page.locator(f"#kpi-{KPI_ID}")
    assert kpi.locator("svg.kpi-chart polyline.value-line").count() == 1
    assert kpi.locator("svg.kpi-chart line.target-line").count() == 1
    assert kpi.locator(".badge").first.inner_text().strip()


def _act(page: Any, map_url: str) -> None:
    """Accept the top pain point with an owner; mark the itinerary e-mail launched."""
    page.goto(f"{map_url}/pain-points")
    first = page.locator("ol.board li.pain").first
    key = first.get_attribute("data-key")
    first.locator("select[name=status]").select_option("accepted")
    first.locator("input[name=owner]").fill("Dana Levi")
    first.locator("button[type=submit]").click()
    page.wait_for_url("**/pain-points")
    accepted = page.locator(f"li.pain[data-key='{key}']")
    assert "status-accepted" in (accepted.get_attribute("class") or "")
    assert accepted.locator("input[name=owner]").input_value() == "Dana Levi"
    page.goto(f"{map_url}/binding#opportunities")
    opp = page.locator("#opportunity-form")
    opp.locator("select[name=opportunity]").select_option("opp-itinerary-email")
    opp.locator("input[name=launch_date]").fill(LAUNCH.isoformat())
    opp.locator("select[name=status]").select_option("launched")
    opp.locator("select[name=effort]").select_option("low")
    opp.locator("input[name=expected_effect]").fill("Half the support contacts after booking")
    opp.locator(f"input[name='kpi:{KPI_ID}']").check()
    opp.locator("button[type=submit]").click()
    page.wait_for_url("**/binding?saved=opportunities*")


def _later_period(page: Any, map_url: str, later: Path) -> None:
    page.goto(f"{map_url}/sources")
    page.set_input_files("#source-form input[name=file]", str(later))
    choice = page.locator("#source-choice option", has_text="CRM").first.get_attribute("value")
    page.select_option("#source-choice", choice)
    page.click("#source-form button[type=submit]")
    page.wait_for_selector("#mapping-form")
    assert page.locator("#field-event").input_value() == "Interaction"
    page.click("#confirm-columns")
    page.wait_for_url("**/sources*")
    _analyse(page, map_url)


def _hear_it_went_stale(page: Any, server: str, map_url: str, inbox: Inbox,
                        receiver: Receiver, lang: str, heard: tuple[int, int]) -> None:  # fmt: skip
    """The later period brings events the map does not know (the itinerary e-mail): the
    badge, the e-mail and the webhook say so."""
    page.goto(f"{map_url}/answers/improvements")
    effect = page.locator("#imp-opp-itinerary-email li", has_text="Customers who contact support")
    effect = effect.inner_text()
    worked = translator(lang)("verdict.better", before="\0", after="", p="").split("\0")[0]
    assert worked in effect, effect  # fewer customers contact support after the launch
    _shoot(page, "did-it-work", lang)
    page.goto(f"{server}/maps")
    map_id = map_url.rsplit("/", 1)[1]
    badge = page.locator(f'li.map-card[data-map="{map_id}"] .map-status')
    assert badge.get_attribute("data-status") == "stale"
    assert "CRM Itinerary Email" in page.locator(f'li.map-card[data-map="{map_id}"]').inner_text()
    page.goto(map_url)
    assert page.locator(".map-head .map-status").get_attribute("data-status") == "stale"
    title = page.locator(".map-head h1").inner_text().strip()
    mail = inbox.wait(heard[0] + 1)[heard[0]]
    assert str(mail["To"]) == "Ana <ana@example.com>" and title in str(mail["Subject"])
    assert "CRM Itinerary Email" in mail.get_content()
    assert f"https://cx.example.com/maps/{map_id}" in mail.get_content()
    post = receiver.wait(heard[1] + 1)[heard[1]]
    assert title in post["text"] and "CRM Itinerary Email" in post["text"]


def _share(page: Any, browser: Any, map_url: str) -> None:
    page.goto(f"{map_url}/share")
    with page.expect_download() as got:
        page.click('button[data-format="png"]')
    with Image.open(Path(got.value.path())) as image:
        assert image.format == "PNG" and image.width >= 1000 and image.height > 300
    with page.expect_download() as got:
        page.click('button[data-format="pdf"]')
    words = " ".join(p.extract_text() for p in PdfReader(got.value.path()).pages)
    assert page.locator(".map-head h1").inner_text().split()[0] in words
    with page.expect_download() as got:
        page.click('button[data-format="pptx"]')
    deck = Presentation(got.value.path())
    assert len(deck.slides) >= 3 and deck.slides[0].shapes.title.text.strip()
    page.fill("input[name=label]", "Steering board")
    page.click("#links button.primary")
    link = page.locator("#new-link").input_value()
    outsider = browser.new_context(viewport={"width": 1440, "height": 900})
    anonymous = outsider.new_page()
    anonymous.goto(link)
    assert anonymous.locator(".shared-head h1").inner_text().strip()
    assert anonymous.locator("form, textarea, input, select, [contenteditable]").count() == 0
    assert anonymous.locator("a[href^='/maps/']").count() == 0
    outsider.close()


def _check_right_to_left(page: Any, map_url: str) -> None:
    english = _english_sentences()
    for name in ("/sources", "/binding", "/answers", "/answers/pain-points", "/answers/kpis",
                 "/answers/improvements", "/pain-points", "/share"):  # fmt: skip
        page.goto(f"{map_url}{name}")
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
        text = page.locator("main").inner_text()
        left = [s for s in english if s in text]
        assert not left, (name, left)


@pytest.mark.parametrize("lang", ["en", "he"])
def test_the_whole_evidence_loop_in_one_flow(
    browser: Any, server: str, periods: dict[str, Path], inbox: Inbox, receiver: Receiver,
    lang: str,
) -> None:  # fmt: skip
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    page = context.new_page()
    map_url = _sign_in(page, server, lang)
    _bring_data(page, server, map_url, periods)
    _bind(page, map_url, lang)
    _analyse(page, map_url)
    _read_the_answers(page, map_url)
    _act(page, map_url)
    heard = len(inbox.messages), len(receiver.posts)  # the template's drawn map may be stale
    _later_period(page, map_url, periods["later"])
    _hear_it_went_stale(page, server, map_url, inbox, receiver, lang, heard)
    _share(page, browser, map_url)
    if lang == "he":
        _check_right_to_left(page, map_url)
    context.close()
