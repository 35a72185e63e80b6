"""What a rendered map draws besides text: channel icons, stage colours that keep their names
readable, and pictures (persona photos, images in cells) embedded so nothing is fetched."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path

from ..model import JourneyMap

__all__ = [
    "DEFAULT_STAGE",
    "STAGE_PALETTE",
    "channel_icon",
    "embed_images",
    "image_type",
    "images_in_folder",
    "readable_text",
    "replace_images",
]

#: Stage colours the editor offers: each keeps the stage's name at a contrast of 4.5:1 or more
#: with the text colour :func:`readable_text` picks (tests/test_render.py checks).
STAGE_PALETTE = (
    "#1e3a8a",
    "#0f766e",
    "#7c2d12",
    "#6d28d9",
    "#be123c",
    "#15803d",
    "#fde68a",
    "#bae6fd",
    "#fbcfe8",
    "#e2e8f0",
)
DEFAULT_STAGE = "#1e3a8a"
#: the largest picture a map file may point at (bytes): uploads are re-encoded far smaller
MAX_IMAGE_FILE = 5_000_000


@cache
def _icons() -> dict[str, str]:
    text = (resources.files("journeyscope.render") / "assets" / "channel-icons.svg").read_text(
        "utf-8"
    )
    return dict(re.findall(r'<symbol id="ch-([a-z_]+)"[^>]*>(.*?)</symbol>', text, re.S))


def channel_icon(channel: str, size: int = 14, x: float | None = None, y: float = 0) -> str:
    """The lucide icon of ``channel`` (``other`` for a channel without one) as inline SVG; with
    ``x``, placed at (x, y) inside an SVG drawing, else a standalone ``<svg>`` for HTML. The
    icon's paths come from the vendored file, never from the map's text."""
    icons = _icons()
    body = icons.get(channel, icons["other"])
    style = 'fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" '
    style += 'stroke-linejoin="round"'
    if x is None:
        return (
            f'<svg class="js-icon" width="{size}" height="{size}" viewBox="0 0 24 24" {style} '
            f'aria-hidden="true">{body}</svg>'
        )
    scale = size / 24
    return f'<g transform="translate({x:.1f},{y:.1f}) scale({scale:.3f})" {style}>{body}</g>'


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable_text(background: str) -> str:
    """Black or white, whichever reads better on ``background``.

    >>> readable_text("#1e3a8a"), readable_text("#fde68a")
    ('#ffffff', '#000000')
    """
    return (
        "#ffffff"
        if contrast(background, "#ffffff") >= contrast(background, "#000000")
        else ("#000000")
    )


_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def image_type(data: bytes) -> str | None:
    """The media type of PNG, JPEG or WebP bytes by their signature; None for anything else
    (SVG, HTML, a renamed file)."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def data_uri(data: bytes) -> str | None:
    kind = image_type(data)
    return None if kind is None else f"data:{kind};base64,{base64.b64encode(data).decode()}"


def _is_raster_uri(ref: str) -> bool:
    if not ref.startswith("data:"):
        return False
    try:
        head = base64.b64decode(ref.split(",", 1)[1][:64] + "==", validate=False)
    except ValueError:
        return False
    return image_type(head) is not None


def shown_image(ref: str | None) -> str | None:
    """The ``src`` a rendered map may use for ``ref``: an embedded raster data: URI, or None
    (a path not embedded yet, or bytes that are not PNG, JPEG or WebP)."""
    return ref if ref and _is_raster_uri(ref) else None


def embed_images(journey: JourneyMap, images: Mapping[str, bytes]) -> JourneyMap:
    """``journey`` with each image path found in ``images`` (path -> bytes) replaced by a
    data: URI, so the HTML, SVG, PNG and PDF carry their pictures; bytes that are not PNG,
    JPEG or WebP are left out."""
    return replace_images(
        journey, {ref: uri for ref, raw in images.items() if (uri := data_uri(raw))}
    )


def replace_images(journey: JourneyMap, refs: Mapping[str, str]) -> JourneyMap:
    """``journey`` with each image reference (a persona's photo, a step's picture) found in
    ``refs`` replaced by its value there."""
    data = journey.model_dump(mode="json", exclude_defaults=True)

    def swap(node: object) -> None:
        if isinstance(node, dict):
            for key in ("photo", "image"):
                if isinstance(node.get(key), str) and node[key] in refs:
                    node[key] = refs[node[key]]
            for value in node.values():
                swap(value)
        elif isinstance(node, list):
            for item in node:
                swap(item)

    swap(data)
    return JourneyMap.model_validate(data)


def image_refs(journey: JourneyMap) -> set[str]:
    """Every image path the map points at (persona photos, pictures on steps)."""
    refs = {p.photo for p in journey.personas if p.photo}
    stages = list(journey.stages) + (list(journey.future.stages) if journey.future else [])
    refs |= {image.image for stage in stages for step in stage.steps for image in step.images}
    return {ref for ref in refs if not ref.startswith("data:")}


def images_in_folder(journey: JourneyMap, folder: str | Path) -> dict[str, bytes]:
    """The map's image files found under ``folder`` (the map file's folder): a path leading
    outside it, a missing file, one over 5 MB or one that is not PNG, JPEG or WebP is skipped."""
    root = Path(folder).resolve()
    found: dict[str, bytes] = {}
    for ref in sorted(image_refs(journey)):
        path = (root / ref).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            continue
        if path.stat().st_size > MAX_IMAGE_FILE:
            continue
        raw = path.read_bytes()
        if image_type(raw):
            found[ref] = raw
    return found
