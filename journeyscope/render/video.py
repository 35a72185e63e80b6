"""The story as a video (MP4, H.264) or an animated GIF.

Every slide is screenshot by the real browser (Debian chromium through Playwright); the closing
slide's emotion curve is then animated from the current to the future state. ffmpeg (the Debian
package) joins the frames.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from ..formats import atomic_write_bytes
from ..model import JourneyMap
from .browser import CHROMIUM_ARGS, _chromium, outside_event_loop
from .story import render_story
from .story_chart import before_after_svg

__all__ = ["VIDEO_FORMATS", "FfmpegMissing", "render_story_video", "story_frames"]

VIDEO_FORMATS = (".mp4", ".gif")
SIZE = (1280, 720)
#: How long the before/after curve takes to move from the current to the future state.
CURVE_SECONDS = 2.4


class FfmpegMissing(RuntimeError):
    """Raised when a video is asked for but ffmpeg is not installed."""


def _ffmpeg() -> str:
    executable = shutil.which("ffmpeg")
    if not executable:
        raise FfmpegMissing("story videos need ffmpeg: apt-get install ffmpeg")
    return executable


def story_frames(
    journey: JourneyMap,
    folder: Path,
    curve_frames: int = 18,
    size: tuple[int, int] = SIZE,
    browser: Any = None,
    insights: Any = None,
) -> tuple[list[Path], list[Path]]:
    """Screenshot every slide, then the animated closing curve, into ``folder``.

    Pass a running Playwright ``browser`` to reuse it; otherwise chromium is started here.
    ``insights`` adds the evidence to the slides as in ``render_story``.
    Returns (slide PNGs, curve-animation PNGs).
    """
    html = render_story(journey, insights)
    if browser is not None:
        return _shoot(browser, journey, html, folder, curve_frames, size)
    return outside_event_loop(lambda: _launch_and_shoot(journey, html, folder, curve_frames, size))


def _launch_and_shoot(
    journey: JourneyMap, html: str, folder: Path, curve_frames: int, size: tuple[int, int]
) -> tuple[list[Path], list[Path]]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        started = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        try:
            return _shoot(started, journey, html, folder, curve_frames, size)
        finally:
            started.close()


def _shoot(
    browser: Any,
    journey: JourneyMap,
    html: str,
    folder: Path,
    curve_frames: int,
    size: tuple[int, int],
) -> tuple[list[Path], list[Path]]:
    page_file = folder / "story.html"
    page_file.write_text(html, encoding="utf-8")
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    try:
        page.goto(page_file.as_uri())
        slides = []
        for n in range(int(page.evaluate("document.querySelectorAll('.slide').length"))):
            page.evaluate("n => window.storyShow(n)", n)
            slides.append(folder / f"slide-{n:03d}.png")
            page.screenshot(path=str(slides[-1]))
        curve = []
        for n in range(curve_frames):
            svg = before_after_svg(journey, n / max(1, curve_frames - 1))
            page.evaluate("svg => { document.getElementById('story-chart').innerHTML = svg }", svg)
            curve.append(folder / f"curve-{n:03d}.png")
            page.screenshot(path=str(curve[-1]))
    finally:
        page.close()
    return slides, curve


def _concat_list(slides: list[Path], curve: list[Path], seconds: float) -> str:
    """An ffmpeg concat script: each slide held ``seconds``, then the curve frames, then a hold."""
    entries = [(slide, seconds) for slide in slides]
    entries += [(frame, CURVE_SECONDS / len(curve)) for frame in curve]
    if curve:
        entries.append((curve[-1], seconds))
    lines = [f"file '{path.name}'\nduration {duration:.4f}" for path, duration in entries]
    # the concat demuxer ignores the last duration unless the last file is listed again
    lines.append(f"file '{entries[-1][0].name}'")
    return "\n".join(lines) + "\n"


def _encode(folder: Path, output: Path, size: tuple[int, int], fps: int) -> None:
    scale = f"scale={size[0]}:{size[1]}:force_original_aspect_ratio=decrease,"
    scale += f"pad={size[0]}:{size[1]}:(ow-iw)/2:(oh-ih)/2:white,fps={fps}"
    base = [_ffmpeg(), "-y", "-v", "error", "-f", "concat", "-safe", "0", "-i", "frames.txt"]
    if output.suffix == ".gif":
        graph = f"{scale},split[a][b];[a]palettegen=stats_mode=diff[p];[b][p]paletteuse"
        args = [*base, "-filter_complex", graph, "-loop", "0", output.name]
    else:
        args = [*base, "-vf", f"{scale},format=yuv420p", "-c:v", "libx264", "-pix_fmt",
                "yuv420p", "-preset", "veryfast", "-crf", "23", "-movflags", "+faststart",
                output.name]  # fmt: skip
    done = subprocess.run(args, cwd=folder, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {done.stderr.strip()[-800:]}")


def render_story_video(
    journey: JourneyMap,
    path: str | Path,
    seconds: float = 4.0,
    curve_frames: int = 18,
    size: tuple[int, int] = SIZE,
    browser: Any = None,
    insights: Any = None,
) -> Path:
    """Write the story as ``.mp4`` (H.264, yuv420p) or ``.gif``: ``seconds`` per slide.

    ``browser`` (a running Playwright browser) is reused when given; ``insights`` adds the
    evidence to the slides.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in VIDEO_FORMATS:
        raise ValueError(f"cannot write a video to {path.name}: use .mp4 or .gif")
    if size[0] % 2 or size[1] % 2:
        raise ValueError(f"frame size must be even, not {size[0]}×{size[1]}")
    _ffmpeg()
    fps = 10 if suffix == ".gif" else 25
    with tempfile.TemporaryDirectory(prefix="journeyscope-story-") as tmp:
        folder = Path(tmp)
        slides, curve = story_frames(journey, folder, curve_frames, size, browser, insights)
        (folder / "frames.txt").write_text(_concat_list(slides, curve, seconds))
        _encode(folder, folder / f"story{suffix}", size, fps)
        atomic_write_bytes(path, (folder / f"story{suffix}").read_bytes())
    return path
