"""Map files (YAML/JSON) <-> the model, the JSON Schema, and the bundled templates.

The names below are imported on first use, so a command that only needs the template
languages (``--help``) does not load the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

#: the languages every bundled template is written in
TEMPLATE_LANGUAGES = ("en", "ru", "he", "pl")

if TYPE_CHECKING:
    from .files import (
        FileProblem,
        MapFileError,
        atomic_write_bytes,
        atomic_write_text,
        dump_map,
        load_map,
        map_to_data,
        parse_map,
        save_map,
    )
    from .schema import map_json_schema
    from .templates import TemplateInfo, list_templates, load_template

_FILES = ("FileProblem", "MapFileError", "atomic_write_bytes", "atomic_write_text", "dump_map",
          "load_map", "map_to_data", "parse_map", "save_map")  # fmt: skip
_TEMPLATES = ("TemplateInfo", "list_templates", "load_template")


def __getattr__(name: str) -> Any:
    if name in _FILES:
        from . import files as module
    elif name in _TEMPLATES:
        from . import templates as module  # type: ignore[no-redef]
    elif name == "map_json_schema":
        from . import schema as module  # type: ignore[no-redef]
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(module, name)


__all__ = [
    "TEMPLATE_LANGUAGES",
    "FileProblem",
    "MapFileError",
    "TemplateInfo",
    "atomic_write_bytes",
    "atomic_write_text",
    "dump_map",
    "list_templates",
    "load_map",
    "load_template",
    "map_json_schema",
    "map_to_data",
    "parse_map",
    "save_map",
]
