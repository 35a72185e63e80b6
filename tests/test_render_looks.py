"""A map people want to look at: channel icons, stage colours, persona photos and fields, custom
lanes, pictures on steps, and emotion curves that never hide a persona nor invent a 0."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from journeyscope.cli.main import app
from journeyscope.formats import MapFileError, dump_map, load_map, parse_map
from journeyscope.model import BUILT_IN_LANES, JourneyMap
from journeyscope.render import render_file, render_html, render_svg
from journeyscope.render.layout import LANES, build_layout
from journeyscope.render.media import (
    STAGE_PALETTE,
    channel_icon,
    contrast,
    embed_images,
    images_in_folder,
    readable_text,
)

from .conftest import DATA

LOOKS = DATA / "looks.yaml"
SPRITE = Path(__file__).parents[1] / "journeyscope/web/static/vendor/lucide/sprite.svg"


def _png(colour: str = "#0f766e", size: tuple[int, int] = (64, 64)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def looks(tmp_path: Path) -> Path:
    """The looks map in a folder with its two pictures next to it."""
    shutil.copy(LOOKS, tmp_path / "looks.yaml")
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "ana.png").write_bytes(_png("#92400e"))
    (tmp_path / "images" / "screen.png").write_bytes(_png("#1e3a8a", (120, 80)))
    return tmp_path / "looks.yaml"


def _embedded(path: Path) -> JourneyMap:
    journey = load_map(path)
    return embed_images(journey, images_in_folder(journey, path.parent))


def test_the_new_keys_round_trip_through_the_file() -> None:
    journey = load_map(LOOKS)
    assert parse_map(dump_map(journey)) == journey
    assert parse_map(dump_map(journey, "json"), fmt="json") == journey
    ana = journey.persona("ana")
    assert (ana.photo, ana.age, ana.occupation, ana.location) == (
        "images/ana.png", "35-44", "Nurse", "Porto",
    )  # fmt: skip
    assert ana.attributes == {"Devices": "Phone", "Renews": "every March"}
    assert [lane.kind for lane in journey.lanes] == ["list", "image", "metric"]
    assert journey.stages[0].color == "#0f766e"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"photo": "../secret.png"}, "no '..'"),
        ({"photo": "/etc/passwd.png"}, "PNG, JPEG or WebP"),
        ({"photo": "images/evil.svg"}, "SVG is not accepted"),
        ({"photo": "data:image/svg+xml;base64,PHN2Zz4="}, "SVG is not accepted"),
    ],
)
def test_a_photo_must_be_a_raster_file_next_to_the_map(change: dict[str, str], words: str) -> None:
    text = LOOKS.read_text().replace("photo: images/ana.png", f"photo: '{change['photo']}'")
    with pytest.raises(MapFileError, match=re.escape(words)) as error:
        parse_map(text)
    assert "pattern" not in str(error.value)  # plain words, never a regular expression


def test_lane_and_colour_mistakes_are_named() -> None:
    text = LOOKS.read_text()
    cases = {
        'color: "#0f766e"': ('color: "teal"', "a colour is written #rrggbb"),
        "kpi: renewal-rate,": ("kpi: nope,", "unknown KPI 'nope'"),
        "after: thoughts": ("after: nowhere", "unknown lane 'nowhere'"),
        "lane: screens": ("lane: verbatims", "unknown image lane 'verbatims'"),
    }
    for old, (new, message) in cases.items():
        with pytest.raises(MapFileError, match=re.escape(message)):
            parse_map(text.replace(old, new))


def test_custom_lanes_sit_after_the_lane_they_name() -> None:
    layout = build_layout(load_map(LOOKS), step_metrics={"pay": {"KPI Renewal rate": "72"}})
    keys = [lane.key for lane in layout.lanes]
    assert keys.index("screens") == keys.index("touchpoints") + 1
    assert keys.index("verbatims") == keys.index("thoughts") + 1 if "thoughts" in keys else True
    assert keys.index("renewal") == keys.index("emotion") + 1
    assert tuple(lane.key for lane in LANES) == BUILT_IN_LANES
    pay = next(c for c in layout.columns if c.step.id == "pay")
    assert pay.cells["renewal"] == ["72"] and "evidence" not in pay.cells  # moved, not twice


def test_svg_draws_icons_colours_lanes_and_photos(looks: Path) -> None:
    svg = render_svg(_embedded(looks), step_metrics={"pay": {"KPI Renewal rate": "72 (missed)"}})
    channels = re.findall(r'<g class="channel" data-channel="([a-z_]+)"', svg)
    assert channels == ["mail", "email", "web", "phone", "chat", "app"]
    assert svg.count("<g transform=") >= 6  # an icon drawn for each
    assert 'fill="#0f766e" class="stage-bar" data-stage="notice"' in svg
    assert re.search(r'class="stage" fill="#ffffff" [^>]*>Notice<', svg)  # white on teal
    assert re.search(r'class="stage" fill="#000000" [^>]*>Decide<', svg)  # black on yellow
    assert svg.count('<image href="data:image/png;base64,') == 1  # the screen in its lane
    for name in ("Screens", "What customers said", "Renewal rate", "72 (missed)"):
        assert f">{name}<" in svg
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # nothing fetched


def test_html_shows_the_persona_card_and_icons(looks: Path) -> None:
    html = render_html(_embedded(looks))
    assert re.search(
        r'<img class="js-photo" src="data:image/png;base64,[^"]+" alt="Ana Lima"', html
    )
    assert "35-44 · Nurse · Porto" in html and "<dt>Devices</dt><dd>Phone</dd>" in html
    assert '<span class="js-photo js-initials" aria-hidden="true">BB</span>' in html  # no photo
    assert html.count('<svg class="js-icon"') == 6
    assert "background: #fde68a; color: #000000" in html


def test_a_photo_path_that_is_not_an_image_is_not_embedded(tmp_path: Path, looks: Path) -> None:
    (looks.parent / "images" / "ana.png").write_bytes(b"<svg onload=alert(1)></svg>")
    outside = tmp_path.parent / "outside.png"
    outside.write_bytes(_png())
    journey = _embedded(looks)
    assert journey.persona("ana").photo == "images/ana.png"  # left as a path: not drawn
    assert "onload" not in render_html(journey)


def test_equal_scores_stay_apart_and_missing_scores_leave_a_gap() -> None:
    journey = load_map(LOOKS)
    svg = render_svg(journey)
    ana = re.findall(r'<path d="([^"]+)"[^>]*data-persona="ana"', svg)
    bo = re.findall(r'<path d="([^"]+)"[^>]*stroke-dasharray="8 5" class="emotion-curve" '
                    r'data-persona="bo"', svg)  # fmt: skip
    assert len(ana) == 1 and len(bo) == 2  # Bo has no score at "quote": his line breaks there
    assert bo[0].count("C") == 0 and bo[1].count("C") == 1  # letter alone; call -> pay
    layout = build_layout(journey)
    by = {c.persona: {p.step_id: p.y for p in c.points} for c in layout.curves}
    assert "quote" not in by["bo"]  # no point at 0 for a step without a score
    assert by["ana"]["letter"] != by["bo"]["letter"]  # equal scores, drawn apart
    assert [c.marker for c in layout.curves] == ["circle", "square"]
    assert re.findall(r'<g class="legend" data-persona="(\w+)">', svg) == ["ana", "bo"]
    assert 'data-marker="square"' in svg and "<rect x=" in svg


def test_a_persona_without_any_score_draws_no_line() -> None:
    data = load_map(LOOKS).model_dump(mode="json", exclude_defaults=True)
    for stage in data["stages"]:
        for step in stage["steps"]:
            step["feelings"] = [f for f in step.get("feelings", []) if f["persona"] == "ana"]
    svg = render_svg(JourneyMap.model_validate(data))
    assert 'data-persona="bo"' not in svg.split('<g class="legend"')[0]


def test_the_palette_reads_well_and_icons_match_the_editor() -> None:
    for colour in STAGE_PALETTE:
        assert contrast(colour, readable_text(colour)) >= 4.5, colour
    sprite = SPRITE.read_text()
    for channel in ("web", "email", "sms", "word_of_mouth"):
        body = re.search(rf'<symbol id="ch-{channel}"[^>]*>(.*?)</symbol>', sprite, re.S)
        assert body and body.group(1) in channel_icon(channel)
    assert channel_icon("carrier pigeon") == channel_icon("other")


@pytest.mark.browser
def test_png_carries_icons_photo_and_custom_lane(looks: Path, tmp_path: Path) -> None:
    out = tmp_path / "looks.png"
    result = CliRunner().invoke(app, ["render", str(looks), "-o", str(out)])
    assert result.exit_code == 0, result.output
    picture = Image.open(out).convert("RGB")
    assert picture.width >= 1400
    colours = {colour for _, colour in picture.getcolors(1 << 24) or []}
    assert (0x0F, 0x76, 0x6E) in colours  # the teal stage
    assert (0x92, 0x40, 0x0E) in colours  # Ana's photo, embedded from images/ana.png
    assert (0x1E, 0x3A, 0x8A) in colours  # the screen picture in the Screens lane
    svg = tmp_path / "looks.svg"
    assert render_file(_embedded(looks), svg).read_text().count('<g class="channel"') == 6
