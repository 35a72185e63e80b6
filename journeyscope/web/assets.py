"""Static assets (the app's CSS and scripts, vendored libraries, plotly.js) served to be cached.

Pages link an asset through ``asset_url(name)``, which adds a fingerprint of the file's
content (``/static/app.css?v=3f2a…``). A request carrying the current fingerprint is answered
with ``Cache-Control: immutable`` for a year, so a repeat visit downloads nothing; without it
(or with an old one) the browser must revalidate, and an unchanged file answers ``304`` to its
``ETag``. Text assets are sent gzip-compressed to browsers that accept it (plotly.js: 4.8 MB
→ about 1.4 MB). Only files inside the package's ``static`` folder are served.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

STATIC = Path(__file__).parent / "static"
PLOTLY = "plotly.min.js"  # served from the installed plotly package at /assets/plotly.min.js

_COMPRESSIBLE = ("text/", "application/json", "image/svg+xml")
_YEAR = "public, max-age=31536000, immutable"
_REVALIDATE = "no-cache"

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str
    gzipped: bytes | None  # None when compression does not pay (images, tiny files)

    @property
    def version(self) -> str:
        return self.etag.strip('"')


def _asset(body: bytes, media_type: str) -> Asset:
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    compressible = media_type.startswith(_COMPRESSIBLE) and len(body) > 1024
    packed = gzip.compress(body, compresslevel=9, mtime=0) if compressible else None
    if packed is not None and len(packed) >= len(body):
        packed = None
    return Asset(body, media_type, etag, packed)


def _media_type(name: str) -> str:
    if name.endswith((".js", ".mjs")):
        return "text/javascript; charset=utf-8"  # RFC 9239
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


@cache
def _static_file(name: str, mtime_ns: int) -> Asset:
    """A file of ``static/`` (the mtime is part of the key: an edited file is read again)."""
    del mtime_ns
    return _asset((STATIC / name).read_bytes(), _media_type(name))


@cache
def _plotly() -> Asset:
    from plotly.offline import get_plotlyjs

    return _asset(get_plotlyjs().encode("utf-8"), "text/javascript; charset=utf-8")


def _lookup(name: str) -> Asset | None:
    path = (STATIC / name).resolve()
    if not path.is_relative_to(STATIC.resolve()) or not path.is_file():
        return None
    return _static_file(path.relative_to(STATIC.resolve()).as_posix(), path.stat().st_mtime_ns)


def asset_url(name: str) -> str:
    """The URL of an asset with its fingerprint: ``asset_url("app.css")``."""
    if name == PLOTLY:
        return f"/assets/{PLOTLY}?v={_plotly().version}"
    found = _lookup(name)
    if found is None:
        raise ValueError(f"no static asset {name!r}")
    return f"/static/{name}?v={found.version}"


def _respond(request: Request, asset: Asset) -> Response:
    current = request.query_params.get("v") == asset.version
    headers = {
        "Cache-Control": _YEAR if current else _REVALIDATE,
        "ETag": asset.etag,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
    }
    if asset.etag in {t.strip() for t in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    accepts = request.headers.get("accept-encoding", "")
    if asset.gzipped is not None and "gzip" in accepts.lower():
        headers["Content-Encoding"] = "gzip"
        return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


@router.get("/static/{name:path}")
def static(request: Request, name: str) -> Response:
    asset = _lookup(name)
    if asset is None:
        raise HTTPException(404, "No such file.")
    return _respond(request, asset)


@router.get(f"/assets/{PLOTLY}")
def plotly(request: Request) -> Response:
    """plotly.js from the installed plotly package: the app never needs the internet."""
    return _respond(request, _plotly())


__all__ = ["PLOTLY", "asset_url", "router"]
