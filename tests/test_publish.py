"""The published site: every page and link is local, the search index knows every map."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from journeyscope.cli.main import app
from journeyscope.formats import load_template, save_map
from journeyscope.render import video
from journeyscope.render.site import publish_site


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [value or "" for name, value in attrs if name in ("href", "src")]


def _check_links(site: Path) -> int:
    """Every relative href/src of every page exists; none goes to the network."""
    checked = 0
    for page in site.rglob("*.html"):
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for link in parser.links:
            assert not link.startswith(("http://", "https://", "//")), f"{page}: {link}"
            target = link.split("#")[0].split("?")[0]
            if target and not target.startswith(("data:", "javascript:")):
                assert (page.parent / target).exists(), f"{page}: broken link {link}"
                checked += 1
    return checked


@pytest.fixture
def maps_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "maps"
    english = load_template("tour-de-farce", "en")
    save_map(english, folder / "tour.yaml")
    save_map(load_template("tour-de-farce", "he"), folder / "hebrew" / "tour-he.yaml")
    (folder / "notes.json").write_text('{"hello": "not a map"}', encoding="utf-8")
    analysis = {"schema": 1, "map": english.id, "summary": {}}
    (folder / "analysis.json").write_text(json.dumps(analysis), encoding="utf-8")
    (folder / "report.html").write_text("<!doctype html><p>report</p>", encoding="utf-8")
    return folder


def _index(site: Path) -> list[dict[str, Any]]:
    html = (site / "index.html").read_text(encoding="utf-8")
    match = re.search(r'<script type="application/json" id="site-index">(.*?)</script>', html, re.S)
    assert match
    return list(json.loads(match.group(1)))


def test_publish_writes_a_local_site(maps_folder: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = publish_site(maps_folder, site)
    assert [p.name for p, _ in result.skipped] == ["notes.json"]
    assert {item.slug for item in result.maps} == {"tour", "tour-he"}
    assert _check_links(site) >= 5
    index = _index(site)
    titles = {entry["title"] for entry in index}
    assert titles == {load_template("tour-de-farce", lang).title for lang in ("en", "he")}
    english = next(e for e in index if e["language"] == "en")
    assert english["pages"]["report"] == "tour/report.html"
    assert "No filters by country, price or number of days" in " ".join(english["pain_points"])
    hebrew = next(e for e in index if e["language"] == "he")
    assert "report" not in hebrew["pages"]
    assert 'dir="rtl"' in (site / "tour-he" / "story.html").read_text(encoding="utf-8")


def test_search_index_cannot_break_out_of_its_script(tmp_path: Path) -> None:
    journey = load_template("tour-de-farce", "en").model_copy(
        update={"title": "</script><script>alert(1)</script>"}
    )
    save_map(journey, tmp_path / "maps" / "evil.yaml")
    publish_site(tmp_path / "maps", tmp_path / "site")
    html = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html
    assert _index(tmp_path / "site")[0]["title"] == "</script><script>alert(1)</script>"


def test_cli_publish(maps_folder: Path, tmp_path: Path, runner: CliRunner) -> None:
    done = runner.invoke(app, ["publish", str(maps_folder), "-o", str(tmp_path / "site")])
    assert done.exit_code == 0, done.output
    assert "skipped" in done.output and "notes.json" in done.output
    assert "Published 2 maps" in done.output
    empty = tmp_path / "empty"
    empty.mkdir()
    none = runner.invoke(app, ["publish", str(empty), "-o", str(tmp_path / "site2")])
    assert none.exit_code == 2


def test_cli_story_video_needs_ffmpeg(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = save_map(load_template("tour-de-farce", "en"), tmp_path / "map.yaml")
    monkeypatch.setattr(video.shutil, "which", lambda name: None)
    done = runner.invoke(app, ["story", str(source), "-o", str(tmp_path / "story.mp4")])
    assert done.exit_code == 2 and "ffmpeg" in done.output
    assert not (tmp_path / "story.mp4").exists()


@pytest.mark.browser
def test_search_box_filters_the_maps(maps_folder: Path, tmp_path: Path, browser: Any) -> None:
    site = tmp_path / "site"
    publish_site(maps_folder, site)
    page = browser.new_page()
    page.goto((site / "index.html").as_uri())
    visible = (
        "Array.from(document.querySelectorAll('#site-maps > li')).filter(l => !l.hidden).length"
    )
    assert page.evaluate(visible) == 2
    page.type("#site-search", "nothing is called this")
    assert page.evaluate(visible) == 0
    assert page.is_visible("#site-empty")
    page.fill("#site-search", "no filters by country")  # an English pain point
    assert page.evaluate(visible) == 1
    assert "No filters by country" in page.inner_text("#site-maps li:not([hidden]) .site-hit")
    page.fill("#site-search", "")
    assert page.evaluate(visible) == 2
    page.close()
