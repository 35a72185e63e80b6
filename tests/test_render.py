"""The rendered map: lanes, one emotion point per step and persona, escaping, RTL, formats."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from journeyscope.cli.main import app
from journeyscope.formats import load_template, save_map
from journeyscope.formats.templates import TEMPLATE_LANGUAGES, template_names
from journeyscope.model import JourneyMap
from journeyscope.render import render_file, render_html, render_svg

from .conftest import DATA, tiny_map_data

EVIL = '<script>alert(1)</script>"><svg onload=alert(2)>'
TEMPLATE_FILES = [
    (name, lang)
    for name in template_names()
    for lang in TEMPLATE_LANGUAGES
    if (Path(__file__).parents[1] / "journeyscope" / "templates" / name / f"{lang}.yaml").exists()
]


def _points(markup: str) -> list[tuple[str, str]]:
    return re.findall(r'class="emotion-point" data-step="([^"]*)" data-persona="([^"]*)"', markup)


def _two_personas() -> JourneyMap:
    data = tiny_map_data(personas=[{"id": "ana", "name": "Ana"}, {"id": "bo", "name": "Bo"}])
    for _, step in enumerate(s for st in data["stages"] for s in st["steps"]):
        step["feelings"] = [{"persona": "ana", "score": 1}, {"persona": "bo", "score": -2}]
    return JourneyMap.model_validate(data)


def _long_map(steps: int) -> JourneyMap:
    stages: list[dict[str, Any]] = [
        {
            "id": f"stage-{s}",
            "name": f"Stage {s}",
            "steps": [
                {
                    "id": f"step-{s}-{n}",
                    "name": f"A fairly long step name number {s}.{n} that must wrap",
                    "actions": ["Does something that takes a whole sentence to describe"],
                    "feelings": [{"score": (n % 7) - 3}],
                }
                for n in range(steps // 5)
            ],
        }
        for s in range(5)
    ]
    return JourneyMap(id="long", title="Forty steps", stages=stages)  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "lang"), TEMPLATE_FILES)
def test_templates_render_to_html_and_svg(name: str, lang: str) -> None:
    journey = load_template(name, lang)
    html, svg = render_html(journey, state="current"), render_svg(journey, state="current")
    for stage in journey.stages:
        assert str(stage.name).replace("&", "&amp;") in html or stage.name in html
    personas = {c for _, s in journey.steps() for c in [f.persona for f in s.feelings]}
    drawn = [p.id for p in journey.personas if p.id in personas] or [None]
    # one point per persona curve and step where that persona (or everyone) has a score
    expected = [
        s.id
        for pid in drawn
        for _, s in journey.steps()
        if (feeling := s.feeling_for(pid)) is not None and feeling.score is not None
    ]
    for markup in (html, svg):
        points = _points(markup)
        assert sorted(step for step, _ in points) == sorted(expected)
    assert ('dir="rtl"' in html) == (lang == "he")


def test_one_point_per_step_per_persona() -> None:
    journey = _two_personas()
    points = _points(render_svg(journey))
    assert sorted(points) == sorted(
        (step.id, persona) for _, step in journey.steps() for persona in ("ana", "bo")
    )


def test_user_text_is_escaped_everywhere() -> None:
    data = tiny_map_data(title=EVIL, description=EVIL)
    data["stages"][0]["name"] = EVIL
    data["stages"][0]["steps"][0].update(name=EVIL, thoughts=[EVIL], pain_points=[EVIL])
    data["personas"][0].update(name=EVIL, goals=[EVIL])
    journey = JourneyMap.model_validate(data)
    for markup in (render_html(journey), render_svg(journey)):
        assert "<script>alert" not in markup and "<svg onload" not in markup
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    assert render_html(journey).count("<script>") == 1  # only our own toggle script


def test_hebrew_map_runs_right_to_left() -> None:
    data = tiny_map_data(language="he", title="מסע לקוח")
    journey = JourneyMap.model_validate(data)
    html, svg = render_html(journey), render_svg(journey)
    assert '<html lang="he" dir="rtl">' in html and 'direction="rtl"' in svg
    xs = {
        step: float(x)
        for x, step in re.findall(r'<circle cx="([\d.]+)"[^>]*data-step="([^"]+)"', svg)
    }
    assert xs["search"] > xs["compare"] > xs["pay"]
    assert "עקומת רגש" in svg  # lane labels in the map's language
    # under direction="rtl" "start" is a text's right end: "end" would run it off the right
    # edge of its column (and the lane labels off the picture)
    assert 'text-anchor="end"' not in svg


def test_forty_steps_grow_the_svg_and_wrap_labels() -> None:
    small, large = render_svg(_long_map(5)), render_svg(_long_map(40))
    width = lambda s: int(re.search(r'<svg[^>]* width="(\d+)"', s).group(1))  # noqa: E731
    assert width(large) > width(small)
    assert len(_points(large)) == 40
    assert "A fairly long step name number 0.0 that must wrap" not in large  # wrapped on lines


def test_future_state_and_persona_choice() -> None:
    journey = load_template("tour-de-farce", "en")
    both = render_html(journey)
    assert 'data-state="current"' in both and 'data-state="future"' in both
    future_svg = render_svg(journey, state="future")
    assert "Receive the itinerary" in future_svg and "Receive the itinerary" not in render_svg(
        journey, state="current"
    )
    only_trey = _points(render_svg(journey, state="current", persona="trey"))
    assert {persona for _, persona in only_trey} == {"trey"}
    with pytest.raises(ValueError, match="no future state"):
        render_svg(JourneyMap.model_validate(tiny_map_data()), state="future")


def test_evidence_lane_shows_figures() -> None:
    journey = JourneyMap.model_validate(tiny_map_data())
    html = render_html(journey, step_metrics={"search": {"reach": "62%", "median time": "4 min"}})
    assert "reach: 62%" in html and "median time: 4 min" in html


@pytest.mark.browser
def test_png_and_pdf_through_chromium(tmp_path: Path) -> None:
    journey = load_template("tour-de-farce", "en")
    png = render_file(journey, tmp_path / "map.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png.read_bytes()[16:20], "big")
    assert width > 1400  # the whole wide map, not just the viewport
    pdf = render_file(journey, tmp_path / "map.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    subprocess.run(["pdftoppm", "-png", "-r", "20", str(pdf), str(tmp_path / "page")], check=True)
    assert len(list(tmp_path.glob("page*.png"))) == 1


@pytest.mark.browser
@pytest.mark.parametrize("suffix", [".html", ".svg", ".png", ".pdf"])
def test_cli_render(tmp_path: Path, suffix: str) -> None:
    source = save_map(load_template("tour-de-farce", "en"), tmp_path / "map.yaml")
    result = CliRunner().invoke(app, ["render", str(source), "-o", str(tmp_path / f"out{suffix}")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / f"out{suffix}").stat().st_size > 1000


def test_cli_render_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    broken = runner.invoke(
        app, ["render", str(DATA / "broken" / "unknown-field.yaml"), "-o", "x.html"]
    )
    assert broken.exit_code == 2 and "unknown-field.yaml:10:9" in broken.output
    source = save_map(JourneyMap.model_validate(tiny_map_data()), tmp_path / "m.yaml")
    bad_type = runner.invoke(app, ["render", str(source), "-o", str(tmp_path / "x.docx")])
    assert bad_type.exit_code == 2 and ".svg" in bad_type.output
    bad_persona = runner.invoke(
        app, ["render", str(source), "-o", str(tmp_path / "x.html"), "--persona", "zz"]
    )
    assert bad_persona.exit_code == 2


def test_pain_points_in_the_evidence_lane() -> None:
    from journeyscope.render.report import add_pain_points

    def point(kind: str, priority: float, **extra: object) -> dict:
        return {"kind": kind, "steps": ["a", "b"], "segment": "all", "customers_affected": 1200,
                "severity": 0.5, "priority": priority, "status": "open", **extra}  # fmt: skip

    metrics = add_pain_points(
        {"a": {"reach": "90%"}},
        [
            point("drop_off", 3),
            point("bounce", 9, status="dismissed"),  # the team dismissed it: not shown
            point("repeat_contact", 5, segment="channel=app"),
            point("slow_transition", 1),  # a third one on the same step: left out
            point("low_score", 2, steps=["b"], severity=None),
        ],
    )
    assert metrics == {
        "a": {"reach": "90%", "⚠ Repeat contacts (channel=app)": "50%, 1,200 customers",
              "⚠ Drop-off": "50%, 1,200 customers"},
        "b": {"⚠ Low scores": "1,200 customers"},
    }  # fmt: skip


def test_feelings_and_kpis_in_the_evidence_lane(tiny_map: JourneyMap) -> None:
    from journeyscope.model import KPI
    from journeyscope.render.report import add_feelings_and_kpis

    step = next(step for _, step in tiny_map.steps())
    kpi = KPI(id="conv", name="Conversion", formula="count(x)", touchpoints=[step.id])
    journey = tiny_map.model_copy(update={"kpis": [kpi]})
    insights = {
        "emotion_curve": [{"step": step.id, "mean": -1.25, "answers": 1200},
                          {"step": "other", "mean": None, "answers": 0}],
        "kpis": [{"kpi": "conv", "name": "Conversion", "last": 0.1923, "status": "missed"},
                 {"kpi": "y", "name": "No data", "last": None, "status": "no_data"}],
    }  # fmt: skip
    metrics = add_feelings_and_kpis({}, insights, journey)
    assert metrics == {
        step.id: {"measured feeling": "-1.2 (n=1,200)", "KPI Conversion": "0.192 (missed)"}
    }
    assert add_feelings_and_kpis({}, insights) == {step.id: {"measured feeling": "-1.2 (n=1,200)"}}


def test_the_evidence_lane_names_personas_by_their_names(tiny_map: JourneyMap) -> None:
    """A persona segment reads as the persona's name, not its id, in the lane's figures and
    pain points (the map's own words)."""
    import pyarrow as pa

    from journeyscope.analytics import Analysis
    from journeyscope.render.lane import evidence_lane

    reach = pa.Table.from_pylist([{"segment": "ana", "step": "search", "customers": 12,
                                   "journeys": 12, "events": 20, "share": 0.5}])  # fmt: skip
    analysis = Analysis("tiny", "duckdb", {"segments": ["ana"]}, [], {"reach": reach})
    point = {"kind": "drop_off", "steps": ["search"], "segment": "persona=ana", "priority": 1,
             "customers_affected": 7, "severity": 0.25, "status": "open"}  # fmt: skip
    lane = evidence_lane(tiny_map, analysis, {"pain_points": [point]}, "ana")
    assert lane["search"] == {"customers (Ana)": "12", "reach": "50%",
                              "⚠ Drop-off (Ana)": "25%, 7 customers"}  # fmt: skip
