"""UI strings in en, ru, he and pl: JSON catalogues in ``i18n/``, chosen per user."""

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
    path = resources.files("journeyscope.web") / "i18n" / f"{lang}.json"
    data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
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
