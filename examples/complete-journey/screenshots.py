"""Screenshots of the example's reports for docs/examples/complete-journey.md.

Run after build.py: ``.venv/bin/python examples/complete-journey/screenshots.py [--out DIR]``.
Each image is one section of a report (from its heading to the next one), taken with Debian's
chromium through Playwright; the rendered map is copied as it is.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from journeyscope.render.browser import CHROMIUM_ARGS

HERE = Path(__file__).resolve().parent
IMAGES = HERE.parents[1] / "docs" / "images"
#: image name -> (report file, heading text of the section)
SECTIONS = {
    "complete-journey-campaign-funnel": ("report.html", "Step funnel"),
    "complete-journey-flows-stages": ("report-stages.html", "Flows"),
    "complete-journey-stage-variants": ("report-stages.html", "Most common variants"),
}
_CLIP = """heading => {
  const h = [...document.querySelectorAll('h2')].find(e => e.textContent.trim() === heading);
  if (!h) return null;
  let end = h.nextElementSibling;
  while (end && end.tagName !== 'H2') end = end.nextElementSibling;
  const top = h.getBoundingClientRect().top + window.scrollY - 8;
  const bottom = end ? end.getBoundingClientRect().top + window.scrollY
                     : document.body.scrollHeight;
  return {x: 0, y: top, width: document.documentElement.scrollWidth, height: bottom - top};
}"""


def take(out: Path, images: Path = IMAGES, width: int = 1200) -> list[Path]:
    from playwright.sync_api import sync_playwright

    images.mkdir(parents=True, exist_ok=True)
    written = [images / "complete-journey-map.png"]
    shutil.copyfile(out / "map.png", written[0])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": width, "height": 900})
        for name, (report, heading) in SECTIONS.items():
            page.goto((out / report).resolve().as_uri())
            page.wait_for_timeout(500)  # Plotly draws after load
            clip = page.evaluate(_CLIP, heading)
            if clip is None:
                raise ValueError(f"{report} has no section {heading!r}")
            page.set_viewport_size({"width": width, "height": int(clip["y"] + clip["height"])})
            written.append(images / f"{name}.png")
            page.screenshot(path=str(written[-1]), clip=clip)
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "out", help="build.py's output folder")
    parser.add_argument("--images", type=Path, default=IMAGES, help="where the PNGs go")
    args = parser.parse_args()
    for path in take(args.out, args.images):
        print(path)


if __name__ == "__main__":
    main()
