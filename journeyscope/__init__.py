"""Journeyscope: customer journey maps as code, bound to real evidence."""

from .formats import dump_map, list_templates, load_map, load_template, parse_map, save_map
from .model import JourneyMap

__version__ = "0.1.0"

__all__ = [
    "JourneyMap",
    "__version__",
    "dump_map",
    "list_templates",
    "load_map",
    "load_template",
    "parse_map",
    "save_map",
]
