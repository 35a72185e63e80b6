"""UI strings in en, ru, he and pl: JSON catalogues in ``i18n/``, chosen per user.

A language's strings are ``i18n/<lang>.json`` plus every ``i18n/<area>/<lang>.json`` (one folder
per feature area, so each area keeps its words together); a key defined twice is an error.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources

LANGUAGES = {"en": "English", "ru": "Русский", "he": "עברית", "pl": "Polski"}
RTL = frozenset({"he"})
DEFAULT = "en"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The strings of ``lang``; unknown languages get English."""
    if lang not in LANGUAGES:
        lang = DEFAULT
    folder = resources.files("journeyscope.web") / "i18n"
    data: dict[str, str] = json.loads((folder / f"{lang}.json").read_text(encoding="utf-8"))
    areas = sorted((a for a in folder.iterdir() if a.is_dir()), key=lambda a: a.name)
    for area in areas:
        part = area / f"{lang}.json"
        if not part.is_file():
            continue
        strings: dict[str, str] = json.loads(part.read_text(encoding="utf-8"))
        twice = sorted(set(strings) & set(data))
        if twice:
            raise ValueError(f"i18n/{area.name}/{lang}.json repeats keys: {', '.join(twice)}")
        data.update(strings)
    return data


def translator(lang: str) -> Callable[..., str]:
    """``_("key", name=...)``: the string in ``lang``, falling back to English, then the key."""
    strings, english = catalogue(lang), catalogue(DEFAULT)

    def translate(key: str, **values: object) -> str:
        text = strings.get(key) or english.get(key) or key
        return text.format(**values) if values else text

    return translate


def pick_language(*candidates: str | None) -> str:
    """The first supported language among ``candidates`` (e.g. ?lang=, session, profile)."""
    for candidate in candidates:
        if candidate:
            code = candidate.split("-")[0].split(",")[0].strip().lower()
            if code in LANGUAGES:
                return code
    return DEFAULT
