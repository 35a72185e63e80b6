"""Map files (YAML/JSON) <-> the model, the JSON Schema, and the bundled templates."""

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
from .templates import TEMPLATE_LANGUAGES, TemplateInfo, list_templates, load_template

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
