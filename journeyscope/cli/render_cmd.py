"""Command: render a map to HTML, SVG, PNG or PDF."""

from __future__ import annotations

from pathlib import Path

import typer

from ._app import app, console, err_console
from .maps_cmd import read_map


def _listed(names: list[str]) -> str:
    """``.html, .svg, .png or .pdf``."""
    return " or ".join(filter(None, [", ".join(names[:-1]), *names[-1:]]))


@app.command()
def render(
    map_file: Path = typer.Argument(..., help="Map file (.yaml, .yml, .json)."),
    output: Path = typer.Option(
        ...,
        "-o",
        "--output",
        help="Output: .html, .svg, .png or .pdf (or a format a plugin adds); the suffix picks it.",
    ),
    state: str = typer.Option(
        "both", "--state", help="current, future, or both (HTML toggles; SVG/PNG/PDF stack)."
    ),
    persona: str | None = typer.Option(None, "--persona", help="Draw only this persona's curve."),
) -> None:
    """Draw the journey map: stages as columns, lanes, the emotion curve, backstage."""
    from ..render import FORMATS, BrowserMissing, render_file
    from ..render.media import embed_images, images_in_folder

    journey = read_map(map_file)
    # pictures next to the map file (persona photos, images in cells) go into the drawing
    journey = embed_images(journey, images_in_folder(journey, Path(map_file).parent))
    if output.suffix.lower() not in FORMATS:
        err_console.print(f"Unknown output type {output.suffix!r}: use {_listed(list(FORMATS))}.")
        raise typer.Exit(2)
    if state not in ("current", "future", "both"):
        err_console.print("--state must be current, future or both.")
        raise typer.Exit(2)
    if persona and persona not in {p.id for p in journey.personas}:
        err_console.print(f"No persona {persona!r} in {map_file}.")
        raise typer.Exit(2)
    try:
        render_file(journey, output, state=state, persona=persona)  # type: ignore[arg-type]
    except (BrowserMissing, ValueError) as error:
        err_console.print(str(error))
        raise typer.Exit(2) from None
    console.print(f"Rendered {map_file} -> {output}", highlight=False)
