"""Pictures for maps (persona photos, images in cells): uploaded, checked, re-encoded, served.

An upload is accepted only when Pillow reads it as a PNG, JPEG or WebP picture of a sane size:
never SVG (a document that can carry scripts), never a file merely named ``.png``, never a
decompression bomb (the pixel count is checked before any pixel is decoded). What is kept is a
fresh encoding of the pixels alone (no EXIF, GPS, ICC or text chunks), at most ``MAX_SIDE`` px
on its longest side, under a path made from its name and content (``images/ana-3f2a9c1b.jpg``)
that the map file points at.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import warnings
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from PIL import Image, UnidentifiedImageError

from ..model import JourneyMap
from ..render.media import embed_images, image_refs, image_type
from ..store import NotFound, Store, StoredImage, UserInfo
from .auth import DbId, api_user, map_access, page_user, settings_of, store_of
from .uploads import receive_upload

router = APIRouter(include_in_schema=False)

MAX_UPLOAD = 8_000_000  # bytes sent
MAX_PIXELS = 40_000_000  # pixels declared in the header (8,000 x 5,000)
MAX_SIDE = 512  # px kept on the longest side


class ImageRefused(ValueError):
    """The upload is not a picture Journeyscope keeps; the message says why, in plain words."""


def checked_image(raw: bytes, filename: str = "image") -> StoredImage:
    """``raw`` as a clean, small PNG or JPEG, or :class:`ImageRefused`."""
    if len(raw) > MAX_UPLOAD:
        raise ImageRefused(f"the picture is larger than {MAX_UPLOAD // 1_000_000} MB")
    head = raw[:512].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head:
        raise ImageRefused("SVG pictures are not accepted: upload a PNG, JPEG or WebP picture")
    if image_type(raw) is None:
        raise ImageRefused("this file is not a PNG, JPEG or WebP picture")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(raw), formats=["PNG", "JPEG", "WEBP"])
            if picture.width * picture.height > MAX_PIXELS:
                raise ImageRefused(
                    f"the picture has more pixels than a map needs ({picture.width:,} x "
                    f"{picture.height:,}): make it smaller first"
                )
            picture.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        if isinstance(error, ImageRefused):
            raise
        raise ImageRefused("the picture is damaged or not a PNG, JPEG or WebP image") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused(
            "the picture has more pixels than a map needs: make it smaller first"
        ) from None
    return _reencoded(picture, filename)


def _reencoded(picture: Image.Image, filename: str) -> StoredImage:
    alpha = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
    mode = "RGBA" if alpha else "RGB"
    pixels = picture.convert(mode)
    pixels.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    clean = Image.frombytes(mode, pixels.size, pixels.tobytes())  # pixels only, no metadata
    out = io.BytesIO()
    if alpha:
        clean.save(out, "PNG", optimize=True)
        kind, suffix = "image/png", "png"
    else:
        clean.save(out, "JPEG", quality=85, optimize=True)
        kind, suffix = "image/jpeg", "jpg"
    data = out.getvalue()
    stem = unicodedata.normalize("NFKD", Path(filename).stem).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:40] or "image"
    path = f"images/{slug}-{hashlib.sha256(data).hexdigest()[:12]}.{suffix}"
    return StoredImage(path, kind, data, clean.width, clean.height)


def with_workspace_images(store: Store, workspace_id: int, journey: JourneyMap) -> JourneyMap:
    """``journey`` with the workspace's uploaded pictures embedded, ready to render."""
    found = store.images(workspace_id, image_refs(journey))
    return embed_images(journey, found) if found else journey


@router.post("/api/maps/{map_id}/images")
async def upload_image(request: Request, map_id: DbId, user: UserInfo = Depends(api_user)) -> Any:
    """Upload a picture (multipart field ``file``): answers its ``path`` for the map file."""
    access = map_access(store_of(request), user, map_id, "editor")
    folder = Path(settings_of(request).data_dir) / "uploads"
    upload = await receive_upload(request, folder, MAX_UPLOAD)
    try:
        if upload.path is None:
            raise HTTPException(400, "choose a picture to upload")
        image = checked_image(upload.path.read_bytes(), upload.filename or "image")
    except ImageRefused as refusal:
        raise HTTPException(400, str(refusal)) from None
    finally:
        upload.discard()
    store_of(request).save_image(access.map.workspace_id, image, user.id)
    url = f"/maps/{map_id}/{image.path}"
    return {"path": image.path, "width": image.width, "height": image.height, "url": url}


@router.get("/maps/{map_id}/images/{name}")
def image(request: Request, map_id: DbId, name: str, user: UserInfo = Depends(page_user)):
    """A picture of the map's workspace, to signed-in members only."""
    access = map_access(store_of(request), user, map_id, "viewer")
    try:
        found = store_of(request).image(access.map.workspace_id, f"images/{name}")
    except NotFound as error:
        raise HTTPException(404, str(error)) from None
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=86400",
        "Content-Disposition": "inline",
    }
    return Response(found.data, media_type=found.media_type, headers=headers)
