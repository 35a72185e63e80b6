"""Uploads streamed to a temporary file, byte-counted, cut off past the limit (HTTP 413)."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from fastapi import HTTPException, Request
from python_multipart.multipart import MultipartParser, parse_options_header

__all__ = ["SavedFile", "TooLarge", "Upload", "receive_upload", "saved_suffix"]

_MAX_FIELD = 64 * 1024
_SAFE_SUFFIX = re.compile(r"\.[a-z0-9]{1,10}")


def saved_suffix(filename: str, known: tuple[str, ...] = ()) -> str:
    """The extension a saved upload keeps, so readers that go by it read the right format:
    the longest of ``known`` the name ends with (``.xes.gz``, ``.parquet``), else the last
    extension if it is short and plain letters and digits, else none. Never a path character:
    ``events.from-warehouse.parquet`` keeps ``.parquet``, ``x.csv/../y`` keeps nothing."""
    name = filename.lower().rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    for suffix in sorted(known, key=len, reverse=True):
        if name.endswith(suffix) and len(name) > len(suffix):
            return suffix
    last = Path(name).suffix
    return last if _SAFE_SUFFIX.fullmatch(last) else ""


class TooLarge(HTTPException):
    def __init__(self, limit: int):
        super().__init__(413, f"the upload is larger than the limit of {limit:,} bytes")


@dataclass
class SavedFile:
    """A further file of the form (customers, survey answers), on disk."""

    filename: str
    path: Path
    size: int = 0


@dataclass
class Upload:
    """What a multipart form sent: its small text fields, its main file and any further files
    (``extra``, by field name), on disk."""

    fields: dict[str, str] = field(default_factory=dict)
    filename: str | None = None
    path: Path | None = None
    size: int = 0
    extra: dict[str, SavedFile] = field(default_factory=dict)

    def discard(self) -> None:
        for path in [self.path, *(saved.path for saved in self.extra.values())]:
            if path is not None:
                path.unlink(missing_ok=True)

    def read_text(self) -> str:
        if self.path is None:
            return ""
        return self.path.read_text(encoding="utf-8-sig")


class _Collector:
    """Callbacks for python-multipart's streaming parser."""

    def __init__(
        self,
        upload: Upload,
        directory: Path,
        file_field: str,
        limit: int,
        known: tuple[str, ...],
        extra_fields: tuple[str, ...] = (),
    ):
        self.upload, self.directory, self.file_field, self.limit = (
            upload,
            directory,
            file_field,
            limit,
        )
        self.known, self.extra_fields = known, extra_fields
        self.saved: SavedFile | None = None  # the further file being written
        self.total = 0  # bytes of every file: the limit is for the whole upload
        self.header_field = b""
        self.headers: dict[bytes, bytes] = {}
        self.name = ""
        self.value = bytearray()
        self.handle: IO[bytes] | None = None

    def on_part_begin(self) -> None:
        self.headers, self.name, self.value, self.handle = {}, "", bytearray(), None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        key = self.header_field.lower()
        self.headers[key] = self.headers.get(key, b"") + data[start:end]

    def on_header_end(self) -> None:
        self.header_field = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        self.name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        if filename is None or not filename:
            return
        name = filename.decode("utf-8", "replace")
        main = self.name == self.file_field and self.upload.path is None
        further = self.name in self.extra_fields and self.name not in self.upload.extra
        if not (main or further):
            return
        suffix = saved_suffix(name, self.known)
        fd, path = tempfile.mkstemp(dir=self.directory, suffix=suffix)  # a 0600 file
        self.handle = os.fdopen(fd, "wb")
        if main:
            self.upload.path, self.upload.filename = Path(path), Path(name).name
        else:
            self.saved = self.upload.extra[self.name] = SavedFile(Path(name).name, Path(path))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self.handle is not None:
            self.total += len(chunk)
            if self.saved is not None:
                self.saved.size += len(chunk)
            else:
                self.upload.size += len(chunk)
            if self.total > self.limit:
                raise TooLarge(self.limit)
            self.handle.write(chunk)
        else:
            self.value += chunk
            if len(self.value) > _MAX_FIELD:
                raise HTTPException(413, "a form field is too large")

    def on_part_end(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle, self.saved = None, None
        elif self.name:
            self.upload.fields[self.name] = self.value.decode("utf-8", "replace")


async def receive_upload(
    request: Request,
    directory: Path,
    limit: int,
    file_field: str = "file",
    suffixes: tuple[str, ...] = (),
    extra_fields: tuple[str, ...] = (),
) -> Upload:
    """Stream a multipart/form-data body: fields in memory, the file to ``directory`` (with
    the extension :func:`saved_suffix` picks from the file's name and ``suffixes``), and the
    files of ``extra_fields`` beside it; ``limit`` is for all the files together.

    The declared Content-Length is checked first, then the bytes actually received, so a
    lying client is cut off too. On any error the partial file is removed.
    """
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in options:
        raise HTTPException(415, "send the file as multipart/form-data")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + _MAX_FIELD:
        raise TooLarge(limit)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    upload = Upload()
    collector = _Collector(upload, directory, file_field, limit, suffixes, extra_fields)
    callbacks = {
        name: getattr(collector, name)
        for name in (
            "on_part_begin",
            "on_part_data",
            "on_part_end",
            "on_header_field",
            "on_header_value",
            "on_header_end",
            "on_headers_finished",
        )
    }
    parser = MultipartParser(options[b"boundary"], callbacks)  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except HTTPException:
        _abort(collector, upload)
        raise
    except Exception as error:  # a malformed body is the client's fault
        _abort(collector, upload)
        raise HTTPException(400, f"could not read the upload: {error}") from None
    return upload


def _abort(collector: _Collector, upload: Upload) -> None:
    if collector.handle is not None:
        collector.handle.close()
    upload.discard()
