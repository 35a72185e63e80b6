"""Journeyscope: customer journey maps as code, bound to real evidence."""

import sys as _sys
from typing import Any as _Any

from .formats import dump_map, list_templates, load_map, load_template, parse_map, save_map
from .model import JourneyMap

__version__ = "0.1.0"

__all__ = [
    "Evaluation",
    "EvaluationSettings",
    "JourneyMap",
    "Sources",
    "__version__",
    "dump_map",
    "evaluate",
    "list_templates",
    "load_map",
    "load_template",
    "parse_map",
    "save_map",
]

_EVALUATION = ("Evaluation", "EvaluationSettings", "Sources", "evaluate")


def __getattr__(name: str) -> _Any:
    """The evaluation on first use: ``import journeyscope`` stays light (no engine loaded)."""
    if name in _EVALUATION:
        from . import evaluation

        return getattr(evaluation, name)
    raise AttributeError(f"module 'journeyscope' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_EVALUATION})


# Rich display in notebooks; outside IPython the renderer is not loaded at import time.
if "IPython" in _sys.modules:  # pragma: no cover - exercised through tests/test_story.py
    from .evaluation import Evaluation as _Evaluation
    from .render.notebook import install_notebook_display as _install_notebook_display

    _install_notebook_display(_Evaluation)
