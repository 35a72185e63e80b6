"""The story: slide deck (count, escaping, RTL, keyboard), narration, video and GIF, notebooks."""

from __future__ import annotations

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
