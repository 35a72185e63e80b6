"""A static, read-only site of every map in a folder: an index with search, then per map the
rendered map, the story deck and (when an analysis sits next to it) the evidence report.

Links are relative and nothing is fetched from the network, so the site works from a file
share, an intranet server or a zip file.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..formats import MapFileError, atomic_write_text, load_map
from ..model import JourneyMap
from .html import _ENV, render_html
from .labels import labels_for
from .story import render_story

__all__ = ["MAP_SUFFIXES", "PublishedMap", "SiteResult", "find_map_files", "publish_site"]

MAP_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class PublishedMap:
    """One map of the site and the pages written for it (relative to the site root)."""

    source: Path
    journey: JourneyMap
    slug: str
    pages: dict[str, str] = field(default_factory=dict)


@dataclass
class SiteResult:
    """What ``publish_site`` wrote, and the files it skipped (with the reason)."""

    index: Path
    maps: list[PublishedMap]
    skipped: list[tuple[Path, str]]


def find_map_files(folder: Path, exclude: Path | None = None) -> list[Path]:
    """Candidate map files under ``folder`` (analysis outputs and ``exclude`` left out)."""
    found = []
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() not in MAP_SUFFIXES or not path.is_file():
            continue
        if path.name == "analysis.json":
            continue
        if exclude is not None and exclude.resolve() in path.resolve().parents:
            continue
        found.append(path)
    return found


def _slug(path: Path, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9-]+", "-", path.stem.lower()).strip("-") or "map"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _report_next_to(source: Path, journey: JourneyMap) -> Path | None:
    """The ``report.html`` beside the map, when an ``analysis.json`` there is about this map."""
    analysis, report = source.parent / "analysis.json", source.parent / "report.html"
    if not (analysis.is_file() and report.is_file()):
        return None
    try:
        data = json.loads(analysis.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return report if isinstance(data, dict) and data.get("map") == journey.id else None


def _write_map(item: PublishedMap, site: Path) -> None:
    folder = site / item.slug
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / "map.html", render_html(item.journey))
    atomic_write_text(folder / "story.html", render_story(item.journey))
    item.pages = {"map": f"{item.slug}/map.html", "story": f"{item.slug}/story.html"}
    report = _report_next_to(item.source, item.journey)
    if report is not None:
        shutil.copyfile(report, folder / "report.html")
        item.pages["report"] = f"{item.slug}/report.html"


def search_entry(item: PublishedMap) -> dict[str, Any]:
    """What the index's search box looks through for one map."""
    journey = item.journey
    return {
        "title": journey.title,
        "language": journey.language,
        "pages": item.pages,
        "stages": [stage.name for stage in journey.stages],
        "steps": [step.name for _, step in journey.steps()],
        "pain_points": [p for _, step in journey.steps() for p in step.pain_points],
    }


def _index_html(maps: list[PublishedMap], language: str) -> str:
    entries = [search_entry(item) for item in maps]
    # "<" escaped so no map text can close the script element holding the index
    data = json.dumps(entries, ensure_ascii=False).replace("<", "\\u003c")
    return _ENV.get_template("site-index.html.j2").render(
        maps=maps, entries=entries, index_json=Markup(data), labels=labels_for(language)
    )


def publish_site(folder: str | Path, output: str | Path, language: str = "en") -> SiteResult:
    """Render every map file under ``folder`` into a static site in ``output``."""
    folder, output = Path(folder), Path(output)
    maps, skipped, taken = [], [], {"index"}
    for path in find_map_files(folder, exclude=output):
        try:
            journey = load_map(path)
        except MapFileError as error:
            skipped.append((path, str(error.problems[0]) if error.problems else "not a map"))
            continue
        maps.append(PublishedMap(path, journey, _slug(path, taken)))
    output.mkdir(parents=True, exist_ok=True)
    for item in maps:
        _write_map(item, output)
    index = output / "index.html"
    atomic_write_text(index, _index_html(maps, language))
    return SiteResult(index, maps, skipped)
