"""Excel workbooks (.xlsx) read safely into a CSV copy: the first sheet, header in row 1.

An .xlsx file is a zip of XML parts. Before openpyxl opens it the zip's own directory is
checked (no more than ``MAX_PARTS`` parts, at most ``MAX_UNPACKED`` bytes unpacked, no part
packed more than ``MAX_RATIO`` times), so a zip bomb is refused without being unpacked; the XML
is parsed by openpyxl with defusedxml (no entity expansion, no external entities).
"""

from __future__ import annotations

import csv
import datetime as dt
import zipfile
from pathlib import Path

import defusedxml  # noqa: F401  (openpyxl parses with it when it is installed)

__all__ = ["MAX_CELLS", "MAX_PARTS", "MAX_RATIO", "MAX_UNPACKED", "WorkbookError", "xlsx_to_csv"]

MAX_PARTS = 2_000
MAX_UNPACKED = 512 * 1024 * 1024
MAX_RATIO = 200
MAX_CELLS = 20_000_000


class WorkbookError(ValueError):
    """An .xlsx file that is refused, in words for the person who uploaded it."""


def check_zip(path: Path) -> None:
    """Refuse what is not an .xlsx zip, or one that would unpack to too much."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise WorkbookError("the file is not an Excel workbook (.xlsx)") from None
    if len(parts) > MAX_PARTS:
        raise WorkbookError(f"the workbook has too many parts ({len(parts):,})")
    unpacked = sum(part.file_size for part in parts)
    if unpacked > MAX_UNPACKED:
        raise WorkbookError(
            f"the workbook would unpack to {unpacked:,} bytes, more than {MAX_UNPACKED:,}: "
            "it is refused as a possible zip bomb"
        )
    for part in parts:
        if part.compress_size and part.file_size / part.compress_size > MAX_RATIO:
            raise WorkbookError(
                f"a part of the workbook ({part.filename}) is packed {MAX_RATIO}+ times: "
                "it is refused as a possible zip bomb"
            )
    if "[Content_Types].xml" not in {part.filename for part in parts}:
        raise WorkbookError("the file is not an Excel workbook (.xlsx)")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def xlsx_to_csv(path: Path, target: Path) -> int:
    """Write the first sheet of the workbook at ``path`` to ``target`` as CSV (dates as ISO
    text); returns the rows written, header included."""
    check_zip(path)
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken workbook
        raise WorkbookError(f"the workbook could not be read ({type(error).__name__})") from None
    rows = cells = 0
    try:
        sheet = book.worksheets[0]
        with target.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            for row in sheet.iter_rows(values_only=True):
                cells += len(row)
                if cells > MAX_CELLS:
                    raise WorkbookError(f"the workbook has more than {MAX_CELLS:,} cells")
                writer.writerow([_cell(value) for value in row])
                rows += 1
    finally:
        book.close()
    if rows == 0:
        raise WorkbookError("the workbook's first sheet is empty")
    return rows
