"""The bundled starting maps: ``journeyscope/templates/<name>/<lang>.yaml``."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from ..model import JourneyMap
from . import TEMPLATE_LANGUAGES
from .files import parse_map


@dataclass(frozen=True)
class TemplateInfo:
    name: str
    title: str
    scope: str
    languages: tuple[str, ...]
    description: str


def _root() -> resources.abc.Traversable:
    return resources.files("journeyscope") / "templates"


def template_names() -> list[str]:
    return sorted(
        entry.name
        for entry in _root().iterdir()
        if entry.is_dir() and (entry / "en.yaml").is_file()
    )


def template_text(name: str, lang: str = "en") -> str:
    """The YAML text of template ``name`` in ``lang``; KeyError names what exists."""
    if name not in template_names():
        raise KeyError(f"no template {name!r}; choose one of: {', '.join(template_names())}")
    path = _root() / name / f"{lang}.yaml"
    if not path.is_file():
        raise KeyError(f"template {name!r} has no {lang!r} version")
    return path.read_text(encoding="utf-8")


def load_template(name: str, lang: str = "en") -> JourneyMap:
    """Template ``name`` in ``lang`` as a map."""
    return parse_map(template_text(name, lang), f"template:{name}/{lang}.yaml")


def list_templates(lang: str = "en") -> list[TemplateInfo]:
    infos = []
    for name in template_names():
        journey = load_template(name, lang if (_root() / name / f"{lang}.yaml").is_file() else "en")
        langs = tuple(
            code for code in TEMPLATE_LANGUAGES if (_root() / name / f"{code}.yaml").is_file()
        )
        infos.append(
            TemplateInfo(name, journey.title, journey.scope, langs, journey.description or "")
        )
    return infos
