"""The demo workspace: the Tour De Farce map, its sample evidence, and everything rendered."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from .formats import load_template, save_map


def build_demo(
    directory: Path, lang: str = "en", log: Callable[[str], None] = lambda line: None
) -> dict[str, Path]:
    """Create (or refresh) a demo workspace in ``directory``; returns what was written, by label."""
    from .render import render_file

    directory.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    journey = load_template("tour-de-farce", lang)
    out["map file"] = save_map(journey, directory / "tour-de-farce.yaml")
    log(f"map written: {out['map file']}")
    out["map (HTML)"] = render_file(journey, directory / "tour-de-farce.html")
    out["map (SVG)"] = render_file(journey, directory / "tour-de-farce.svg")
    if shutil.which("chromium"):
        out["map (PNG)"] = render_file(journey, directory / "tour-de-farce.png")
    else:
        log("chromium not found: skipping the PNG (apt-get install chromium to get it)")
    return out
