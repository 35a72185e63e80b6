"""A map with its pictures as one file: a ZIP of the map file (``<map id>.yaml``) and the
``images/`` folder it points at — the layout ``journeyscope render`` reads from a folder, so
the same file opens on the command line once unzipped, and imports back into a workspace.

Reading a ZIP someone sent is done with care: at most ``MAX_ENTRIES`` entries, no name that
climbs out of the folder, the sizes declared in the archive checked before anything is read and
the bytes actually read bounded again (a ZIP bomb stops at the limit), one map file, and only
the pictures the map points at; each picture is then checked and re-encoded like an upload.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Mapping
from pathlib import Path

from ..render.media import MAX_IMAGE_FILE

MAX_ENTRIES = 500
MAX_TOTAL = 60_000_000  # bytes once unpacked, all entries together
MAP_SUFFIXES = (".yaml", ".yml", ".json")


class BundleRefused(ValueError):
    """The ZIP is not a map bundle Journeyscope reads; the message says why, in plain words."""


def write_bundle(map_name: str, text: str, images: Mapping[str, bytes]) -> bytes:
    """The ZIP of the map file ``map_name`` (its ``text``) and its pictures (path -> bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(map_name, text)
        for path in sorted(images):
            archive.writestr(path, images[path], compress_type=zipfile.ZIP_STORED)
    return out.getvalue()


def _safe_name(name: str) -> str | None:
    """``name`` as a plain relative path, or None when it is absolute or climbs out."""
    if "\\" in name or name.startswith("/") or ":" in name.split("/", 1)[0]:
        return None
    clean = posixpath.normpath(name)
    return None if clean.startswith("..") or clean == "." else clean


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, what: str) -> bytes:
    if info.file_size > limit:
        raise BundleRefused(f"{what} is larger than {limit:,} bytes")
    with archive.open(info) as member:
        data = member.read(limit + 1)
    if len(data) > limit:  # the archive understated the size
        raise BundleRefused(f"{what} is larger than {limit:,} bytes")
    return data


def read_bundle(path: Path, max_map_bytes: int) -> tuple[str, str, dict[str, bytes]]:
    """The map file's name and text and the pictures (``images/...`` -> bytes) in the ZIP at
    ``path``, or :class:`BundleRefused`."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise BundleRefused("this file is not a ZIP archive") from None
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > MAX_ENTRIES:
            raise BundleRefused(f"the ZIP holds {len(infos):,} files: a map bundle has at most "
                                f"{MAX_ENTRIES}")  # fmt: skip
        if sum(i.file_size for i in infos) > MAX_TOTAL:
            raise BundleRefused(f"the ZIP unpacks to more than {MAX_TOTAL // 1_000_000} MB")
        named = {}
        for info in infos:
            clean = _safe_name(info.filename)
            if clean is None:
                raise BundleRefused(f"the ZIP has a file named {info.filename!r} outside its "
                                    "folder")  # fmt: skip
            if not clean.startswith("__MACOSX/"):
                named[clean] = info
        maps = [n for n in named if "/" not in n and n.lower().endswith(MAP_SUFFIXES)]
        if len(maps) != 1:
            raise BundleRefused(
                "the ZIP holds no map file (.yaml or .json) at its top"
                if not maps
                else f"the ZIP holds {len(maps)} map files ({', '.join(sorted(maps))}): keep one"
            )
        raw = _read(archive, named[maps[0]], max_map_bytes, f"the map file {maps[0]}")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BundleRefused(f"the map file {maps[0]} is not UTF-8 text") from None
        images = {
            name: _read(archive, info, MAX_IMAGE_FILE, f"the picture {name}")
            for name, info in named.items()
            if name.startswith("images/")
        }
    return maps[0], text, images
