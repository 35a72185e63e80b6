"""Journeyscope: customer journey maps as code, bound to real evidence."""

import sys as _sys
from typing import Any as _Any

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
_FORMATS = ("dump_map", "list_templates", "load_map", "load_template", "parse_map", "save_map")


def __getattr__(name: str) -> _Any:
    """Public names on first use: ``import journeyscope`` (so every command's start) stays light."""
    if name in _EVALUATION:
        from . import evaluation as module
    elif name in _FORMATS:
        from . import formats as module  # type: ignore[no-redef]
    elif name == "JourneyMap":
        from . import model as module  # type: ignore[no-redef]
    else:
        raise AttributeError(f"module 'journeyscope' has no attribute {name!r}")
    return getattr(module, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_EVALUATION, *_FORMATS, "JourneyMap"})


# Rich display in notebooks; outside IPython the renderer is not loaded at import time.
if "IPython" in _sys.modules:  # pragma: no cover - exercised through tests/test_story.py
    from .evaluation import Evaluation as _Evaluation
    from .render.notebook import install_notebook_display as _install_notebook_display

    _install_notebook_display(_Evaluation)
