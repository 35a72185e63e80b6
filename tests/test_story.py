"""The story: slide deck (count, escaping, RTL, keyboard), narration, video and GIF, notebooks."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from journeyscope.cli.main import app
from journeyscope.formats import load_template, save_map
from journeyscope.model import JourneyMap
from journeyscope.render.story import kpi_target, render_story, story_stages
from journeyscope.render.story_chart import before_after_svg, blend, persona_curves
from journeyscope.render.video import render_story_video

from .conftest import tiny_map_data

EVIL = '<script>alert(1)</script>"><svg onload=alert(2)>'


def _slides(html: str) -> list[str]:
    return re.findall(r'<section class="slide[^"]*" data-slide="(\d+)"', html)


@pytest.mark.parametrize("lang", ["en", "ru", "he", "pl"])
def test_one_slide_per_stage_plus_title_and_close(lang: str) -> None:
    journey = load_template("tour-de-farce", lang)
    html = render_story(journey)
    assert _slides(html) == [str(n) for n in range(len(journey.stages) + 2)]
    assert ('dir="rtl"' in html) == (lang == "he")
    assert journey.title.replace("'", "&#39;") in html
    assert html.count("<script>") == 1 and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )


def test_hebrew_story_runs_right_to_left() -> None:
    html = render_story(load_template("tour-de-farce", "he"))
    assert '<html lang="he" dir="rtl">' in html
    assert "מצב עתידי" in html and "עקומת רגש: לפני ואחרי" in html


def test_stage_slide_pairs_current_and_future() -> None:
    journey = load_template("tour-de-farce", "en")
    research = next(s for s in story_stages(journey) if s.stage.id == "research")
    assert [v.name for v in research.future] == [
        "Filter tours by country, price and days",
        "Read a tour's details",
    ]
    assert any(o.owner for o in research.opportunities)
    assert any(v.pain_points for v in research.current)
    html = render_story(journey)
    assert "Expected effect" in html and "KPI targets" in html and "↓ 0.2" in html


def test_user_text_is_escaped() -> None:
    data = tiny_map_data(title=EVIL, narration=EVIL)
    data["stages"][0].update(name=EVIL, narration=EVIL)
    data["stages"][0]["steps"][0].update(name=EVIL, pain_points=[EVIL], actions=[EVIL])
    data["personas"][0].update(name=EVIL, quote=EVIL)
    html = render_story(JourneyMap.model_validate(data))
    assert "<script>alert" not in html and "<svg onload" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("<script>") == 1  # only the deck's own navigation script


def test_narration_is_the_caption() -> None:
    data = tiny_map_data(narration="Meet Ana.")
    data["stages"][1]["narration"] = "Paying is the best part."
    html = render_story(JourneyMap.model_validate(data))
    assert '<p class="st-caption">Meet Ana.</p>' in html
    assert '<p class="st-caption">Paying is the best part.</p>' in html


def test_before_after_curves_line_up_by_stage() -> None:
    journey = load_template("tour-de-farce", "en")
    curves = persona_curves(journey)
    assert [c.name for c in curves] == [p.name for p in journey.personas]
    for curve in curves:
        assert curve.current and curve.future
        assert blend(curve, 0)[0][1] == pytest.approx(curve.current[0][1])
        assert blend(curve, 1)[-1][1] == pytest.approx(curve.future[-1][1])
    assert 'class="story-before"' in before_after_svg(journey)
    assert 'class="story-blend"' in before_after_svg(journey, 0.5)
    no_future = JourneyMap.model_validate(tiny_map_data())
    assert len(_slides(render_story(no_future))) == 4


def test_kpi_targets_read_like_people_write_them() -> None:
    journey = load_template("tour-de-farce", "en")
    targets = {k.id: kpi_target(k) for k in journey.kpis}
    assert targets["newsletter-open-rate"] == "↑ 30%"
    assert targets["contacts-per-booking"] == "↓ 0.2"


def test_cli_story_html_and_bad_type(tmp_path: Path, runner: CliRunner) -> None:
    source = save_map(load_template("tour-de-farce", "en"), tmp_path / "map.yaml")
    done = runner.invoke(app, ["story", str(source), "-o", str(tmp_path / "story.html")])
    assert done.exit_code == 0, done.output
    assert len(_slides((tmp_path / "story.html").read_text(encoding="utf-8"))) == 7
    bad = runner.invoke(app, ["story", str(source), "-o", str(tmp_path / "story.avi")])
    assert bad.exit_code == 2 and ".mp4" in bad.output


def test_notebook_display() -> None:
    from journeyscope.analytics import Analysis
    from journeyscope.render.notebook import install_notebook_display

    install_notebook_display()
    journey = JourneyMap.model_validate(tiny_map_data(title=EVIL))
    html = journey._repr_html_()  # type: ignore[attr-defined]
    assert 'class="js-map"' in html and "<script>alert" not in html
    assert "body {" not in html.split("</style>")[0]
    analysis = Analysis("tiny", "duckdb", {"customers": 3, "mapped_share": 0.5}, [], {})
    table = analysis._repr_html_()  # type: ignore[attr-defined]
    assert "customers" in table and "50.0%" in table


def _visible(page: Any) -> str:
    return str(page.evaluate("document.querySelector('.slide:not([hidden])').dataset.slide"))


@pytest.mark.browser
def test_keyboard_navigation(browser: Any, tmp_path: Path) -> None:
    journey = load_template("tour-de-farce", "en")
    deck = tmp_path / "story.html"
    deck.write_text(render_story(journey), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(deck.as_uri())
    assert _visible(page) == "0"
    page.keyboard.press("ArrowRight")
    assert _visible(page) == "1"
    page.keyboard.press("PageDown")
    assert _visible(page) == "2"
    page.keyboard.press("End")
    assert _visible(page) == str(len(journey.stages) + 1)
    page.keyboard.press("PageUp")
    page.keyboard.press("ArrowLeft")
    assert _visible(page) == str(len(journey.stages) - 1)
    page.keyboard.press("Home")
    assert _visible(page) == "0"
    pdf = page.pdf(width="1280px", height="720px", print_background=True)
    page.close()
    (tmp_path / "story.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "10", str(tmp_path / "story.pdf"),
                    str(tmp_path / "p")], check=True)  # fmt: skip
    assert len(list(tmp_path.glob("p*.png"))) == len(journey.stages) + 2  # a slide per page


def _probe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries",
         "stream=width,height,duration,nb_frames,codec_name,pix_fmt:format=duration",
         "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return dict(json.loads(out.stdout))


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_story_video(tmp_path: Path, browser: Any, suffix: str) -> None:
    journey = load_template("tour-de-farce", "en")
    output = tmp_path / f"story{suffix}"
    render_story_video(journey, output, seconds=1, curve_frames=6, browser=browser)
    info = _probe(output)
    stream = info["streams"][0]
    assert (stream["width"], stream["height"]) == (1280, 720)
    slides = len(journey.stages) + 2
    expected = slides * 1 + 2.4 + 1  # slides, the curve animation, the final hold
    assert float(info["format"]["duration"]) == pytest.approx(expected, abs=0.3)
    if suffix == ".mp4":
        assert stream["codec_name"] == "h264" and stream["pix_fmt"] == "yuv420p"
    assert not list(tmp_path.glob(".*tmp*"))  # written atomically, nothing left behind


def _pain(step: str, **extra: Any) -> Any:
    from journeyscope.insights import PainPoint

    fields: dict[str, Any] = {
        "key": f"drop_off:{step}", "kind": "drop_off", "element": step, "segment": "all",
        "steps": [step, "book-tour"], "touchpoints": [], "events": [],
        "customers_affected": 1408, "severity": 0.5, "evidence": {},
    }  # fmt: skip
    return PainPoint(**(fields | extra))


def test_evidence_on_the_slides() -> None:
    """Pain points show once (on their first step), highest priority first, with customers,
    value at risk and handling cost; dismissed ones and the segment text stay safe."""
    from types import SimpleNamespace

    from journeyscope.insights import Improvement, KpiEffect

    journey = load_template("tour-de-farce", "en")
    effect = KpiEffect("k", "Search-to-booking conversion", "before/after", "z", 0.3, 0.4, 0.1,
                       0.05, 0.15, 0.001, 8, 8, True, True, "up 10 points (p = 0.001)")  # fmt: skip
    opportunity = next(o for s in journey.stages for st in s.steps for o in st.opportunities)
    insights = SimpleNamespace(
        pain_points=[
            _pain("search-tours", priority=1.0),
            _pain("search-tours", kind="repeat_contact", segment=EVIL, priority=5.0,
                  value_at_risk=12345.6, handling_cost=614.0),
            _pain("search-tours", kind="bounce", status="dismissed", priority=9.0),
        ],
        improvements=[Improvement(opportunity.id, opportunity.title, "x", "planned",
                                  dt.date(2024, 1, 1), [effect])],
        summary={"customers": 3000},
    )  # fmt: skip
    insights.to_dict = lambda: {"pain_points": [p.to_dict() for p in insights.pain_points]}
    stages = story_stages(journey, insights)  # type: ignore[arg-type]
    search = next(v for s in stages for v in s.current if v.name == "Search the tour packages")
    # the step's evidence lane, as the map and the report show it
    assert search.measured == [
        f"⚠ Repeat contacts ({EVIL}): 50%, 1,408 customers, 12,346 at risk, 614 handling cost",
        "⚠ Drop-off: 50%, 1,408 customers",
    ]
    assert all(not v.measured for s in stages for v in s.current if v is not search)
    with_effect = next(s for s in stages if opportunity.id in s.effects)
    assert with_effect.effects[opportunity.id] == [
        "Search-to-booking conversion: up 10 points (p = 0.001)"
    ]
    html = render_story(journey, insights)  # type: ignore[arg-type]
    assert "In the data: ⚠ Repeat contacts (&lt;script&gt;" in html and "<script>alert" not in html
    assert "Measured: Search-to-booking conversion: up 10 points" in html
    # the title slide: the facts of the map and the headline of the evidence (dismissed left out)
    assert "12 steps · 4 moments of truth" in html
    assert "2 pain points found in the data of 3,000 customers; the first:" in html
    assert "Search the tour packages: ⚠ Repeat contacts (&lt;script&gt;" in html


def test_cli_story_with_events(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from journeyscope.synth.tour_de_farce import generate_tour_de_farce

    monkeypatch.chdir(tmp_path)  # quarantine files go to the working folder

    data = generate_tour_de_farce(tmp_path / "data", customers=400, with_surveys=True)
    map_file = save_map(load_template("tour-de-farce", "en"), tmp_path / "tdf.yaml")
    out = tmp_path / "story.html"
    args = ["story", str(map_file), "-o", str(out), "-e", str(data["events"]),
            "--customers", str(data["customers"]), "--surveys", str(data["surveys"])]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "In the data: " in html
    assert _slides(html) == [str(n) for n in range(len(load_template("tour-de-farce").stages) + 2)]
    bad = runner.invoke(app, ["story", str(map_file), "-o", str(out), "--surveys", "x.csv"])
    assert bad.exit_code == 2 and "need --events" in bad.output
