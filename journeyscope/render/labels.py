"""Words the rendered map itself uses (lane names, state names), in the map's language."""

from __future__ import annotations

from typing import Any

_EN: dict[str, Any] = {
    "current": "Current state", "future": "Future state", "both": "Side by side",
    "steps": "steps", "stages": "stages", "goals": "Goals", "needs": "Needs",
    "behaviours": "Behaviours", "frustrations": "Frustrations", "media": "Media mix",
    "optional": "optional", "alternative": "alternative", "required": "",
    "scope": {"experience": "Experience map", "lifecycle": "Lifecycle map"},
    "lanes": {
        "actions": "Actions", "touchpoints": "Touchpoints & channels", "thoughts": "Thoughts",
        "emotion": "Emotion curve", "feeling_words": "Feelings", "needs": "Needs & expectations",
        "pain_points": "Pain points", "delights": "Delights", "moment_of_truth": "Moments of truth",
        "opportunities": "Opportunities", "teams": "Backstage: teams & owner",
        "systems": "Backstage: systems", "processes": "Backstage: processes & policies",
        "evidence": "Evidence",
    },
}
_RU: dict[str, Any] = {
    "current": "Текущее состояние", "future": "Будущее состояние", "both": "Рядом",
    "steps": "шагов", "stages": "этапов", "goals": "Цели", "needs": "Потребности",
    "behaviours": "Поведение", "frustrations": "Раздражители", "media": "Каналы",
    "optional": "необязательный", "alternative": "альтернатива", "required": "",
    "scope": {"experience": "Карта опыта", "lifecycle": "Карта жизненного цикла"},
    "lanes": {
        "actions": "Действия", "touchpoints": "Точки контакта и каналы", "thoughts": "Мысли",
        "emotion": "Кривая эмоций", "feeling_words": "Чувства", "needs": "Потребности и ожидания",
        "pain_points": "Болевые точки", "delights": "Радости", "moment_of_truth": "Моменты истины",
        "opportunities": "Возможности", "teams": "Закулисье: команды и владелец",
        "systems": "Закулисье: системы", "processes": "Закулисье: процессы и правила",
        "evidence": "Данные",
    },
}
_HE: dict[str, Any] = {
    "current": "מצב נוכחי", "future": "מצב עתידי", "both": "זה לצד זה",
    "steps": "שלבים", "stages": "שלבי-על", "goals": "מטרות", "needs": "צרכים",
    "behaviours": "התנהגויות", "frustrations": "תסכולים", "media": "ערוצים",
    "optional": "אופציונלי", "alternative": "חלופה", "required": "",
    "scope": {"experience": "מפת חוויה", "lifecycle": "מפת מחזור חיים"},
    "lanes": {
        "actions": "פעולות", "touchpoints": "נקודות מגע וערוצים", "thoughts": "מחשבות",
        "emotion": "עקומת רגש", "feeling_words": "רגשות", "needs": "צרכים וציפיות",
        "pain_points": "נקודות כאב", "delights": "רגעי שמחה", "moment_of_truth": "רגעי אמת",
        "opportunities": "הזדמנויות", "teams": "מאחורי הקלעים: צוותים ובעלים",
        "systems": "מאחורי הקלעים: מערכות", "processes": "מאחורי הקלעים: תהליכים ומדיניות",
        "evidence": "ראיות",
    },
}
_PL: dict[str, Any] = {
    "current": "Stan obecny", "future": "Stan przyszły", "both": "Obok siebie",
    "steps": "kroków", "stages": "etapów", "goals": "Cele", "needs": "Potrzeby",
    "behaviours": "Zachowania", "frustrations": "Frustracje", "media": "Kanały",
    "optional": "opcjonalny", "alternative": "alternatywa", "required": "",
    "scope": {"experience": "Mapa doświadczenia", "lifecycle": "Mapa cyklu życia"},
    "lanes": {
        "actions": "Działania", "touchpoints": "Punkty styku i kanały", "thoughts": "Myśli",
        "emotion": "Krzywa emocji", "feeling_words": "Uczucia", "needs": "Potrzeby i oczekiwania",
        "pain_points": "Punkty bólu", "delights": "Zachwyty", "moment_of_truth": "Momenty prawdy",
        "opportunities": "Szanse", "teams": "Zaplecze: zespoły i właściciel",
        "systems": "Zaplecze: systemy", "processes": "Zaplecze: procesy i zasady",
        "evidence": "Dowody",
    },
}
_ALL = {"en": _EN, "ru": _RU, "he": _HE, "pl": _PL}


def labels_for(language: str) -> dict[str, Any]:
    """The label set for ``language`` (e.g. ``pt-BR`` falls back to English)."""
    return _ALL.get(language.split("-")[0], _EN)
