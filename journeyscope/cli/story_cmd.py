"""Commands: tell a map's story (slide deck, video) and publish a folder of maps as a site."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ._app import app, console, err_console, run_evaluation
from .maps_cmd import read_map

if TYPE_CHECKING:  # the renderers load when the command runs; the engine with --events only
    from ..insights import Insights
    from ..model import JourneyMap


def _insights(
    journey: JourneyMap, events: str | None, customers: str | None, surveys: str | None
) -> Insights | None:
    if events is None:
        if customers or surveys:
            err_console.print("--customers and --surveys need --events.")
            raise typer.Exit(2)
        return None
    from ..evaluation import EvaluationSettings
    from .insights_cmd import _sources

    settings = EvaluationSettings(analysis=None)
    return run_evaluation(journey, _sources(events, customers, [], surveys, []), settings).insights


@app.command()
def story(
    map_file: Path = typer.Argument(..., help="Map file (.yaml, .yml, .json)."),
    output: Path = typer.Option(..., "-o", "--output", help="Output: .html, .mp4 or .gif."),
    seconds: float = typer.Option(
        4.0, "--seconds", min=0.5, help="Video: how long each slide stays on screen."
    ),
    curve_frames: int = typer.Option(
        18, "--curve-frames", min=2, help="Video: frames of the animated before/after curve."
    ),
    events: str | None = typer.Option(
        None, "-e", "--events", help="Events: show the pain points found in them on the slides."
    ),
    customers: str | None = typer.Option(
        None, "--customers", help="Customer attributes (with --events)."
    ),
    surveys: str | None = typer.Option(
        None, "--surveys", help="Survey answers and comments (with --events)."
    ),
) -> None:
    """Tell the map as a story: a slide deck (title, one slide per stage with its current and
    future state, the emotion curves before and after, KPI targets) or a video of it. With
    --events, each step also shows the pain points found in the evidence (customers, value at
    risk, handling cost) and each opportunity its measured effect."""
    from ..formats import atomic_write_text
    from ..render import BrowserMissing
    from ..render.story import render_story
    from ..render.video import VIDEO_FORMATS, FfmpegMissing, render_story_video

    suffix = output.suffix.lower()
    story_formats = (".html", *VIDEO_FORMATS)
    if suffix not in story_formats:
        err_console.print(f"Unknown output type {output.suffix!r}: use {', '.join(story_formats)}.")
        raise typer.Exit(2)
    journey = read_map(map_file)
    started = time.monotonic()
    insights = _insights(journey, events, customers, surveys)
    if suffix == ".html":
        atomic_write_text(output, render_story(journey, insights))
    else:
        try:
            with err_console.status(f"Recording {len(journey.stages) + 2} slides"):
                render_story_video(
                    journey, output, seconds=seconds, curve_frames=curve_frames, insights=insights
                )
        except (BrowserMissing, FfmpegMissing, RuntimeError) as error:
            err_console.print(str(error), markup=False, highlight=False)
            raise typer.Exit(2) from None
    elapsed = time.monotonic() - started
    console.print(f"Story of {map_file} -> {output} ({elapsed:.1f} s)", highlight=False)


@app.command()
def publish(
    folder: Path = typer.Argument(..., help="Folder with map files (searched recursively)."),
    output: Path = typer.Option(..., "-o", "--output", help="Folder to write the site into."),
    lang: str = typer.Option("en", "--lang", help="Language of the index page: en, ru, he, pl."),
) -> None:
    """Publish every map in FOLDER as a static, read-only site: an index with search, and per
    map the rendered map, its story deck and, if an analysis sits next to it, the report."""
    from ..render.site import publish_site

    if not folder.is_dir():
        err_console.print(f"{folder} is not a folder.")
        raise typer.Exit(2)
    result = publish_site(folder, output, language=lang)
    for path, reason in result.skipped:
        err_console.print(f"[yellow]skipped[/yellow] {path}: {reason}", highlight=False)
    if not result.maps:
        err_console.print(f"No map files found in {folder}.")
        raise typer.Exit(2)
    console.print(f"Published {len(result.maps)} maps -> {result.index}", highlight=False)
