"""PNG and PDF through a real browser: Debian's chromium driven by Playwright."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from ..formats import atomic_write_bytes

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


T = TypeVar("T")


def outside_event_loop(work: Callable[[], T]) -> T:
    """Run ``work`` (which uses Playwright's sync API) where no asyncio loop is running.

    Jupyter, and a browser already open in this thread, run a loop that the sync API refuses
    to start inside; then the work runs in a helper thread instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


class BrowserMissing(RuntimeError):
    """Raised when PNG/PDF output is asked for but chromium is not installed."""


def _chromium() -> str:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        raise BrowserMissing("PNG/PDF need chromium: apt-get install chromium")
    return executable


def html_to_png(html: str, path: Path, width: int = 1400) -> Path:
    """Screenshot the full page of ``html`` into ``path``."""
    return _print(html, path, width, pdf=False)


def html_to_pdf(html: str, path: Path, width: int = 1400) -> Path:
    """Print ``html`` to a one-page PDF poster as large as the content."""
    return _print(html, path, width, pdf=True)


def _print(html: str, path: Path, width: int, pdf: bool) -> Path:
    return outside_event_loop(lambda: _print_here(html, path, width, pdf))


def _print_here(html: str, path: Path, width: int, pdf: bool) -> Path:
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    with tempfile.TemporaryDirectory() as tmp:
        page_file = Path(tmp) / "page.html"
        page_file.write_text(html, encoding="utf-8")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(page_file.as_uri())
                page.evaluate(
                    "document.body.classList.add('js-export');"
                    "document.querySelectorAll('.js-state').forEach(s => s.hidden = false)"
                )
                size = page.evaluate(
                    "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
                )
                if pdf:
                    page.emulate_media(media="screen")
                    data = page.pdf(
                        width=f"{size[0] + 2}px",
                        height=f"{size[1] + 2}px",
                        print_background=True,
                        page_ranges="1",
                    )
                else:
                    page.set_viewport_size({"width": max(width, size[0]), "height": 900})
                    data = page.screenshot(full_page=True)
            finally:
                browser.close()
    atomic_write_bytes(path, data)
    return path
