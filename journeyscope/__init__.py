"""Journeyscope: customer journey maps as code, bound to real evidence."""

import sys as _sys

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

# Rich display in notebooks; outside IPython the renderer is not loaded at import time.
if "IPython" in _sys.modules:  # pragma: no cover - exercised through tests/test_story.py
    from .render.notebook import install_notebook_display as _install_notebook_display

    _install_notebook_display()
