"""Shared building blocks of the domain model: the strict base class and id type."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, WithJsonSchema

#: A stable element id: letters, digits, ``_``, ``-`` and ``.``; starts with a letter or digit.
#: Ids are ASCII on purpose so they survive URLs, file names and SQL identifiers in any language.
Id = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,79}$"),
]

_HEX = r"^#[0-9a-fA-F]{6}$"


def _hex_colour(value: str) -> str:
    if not re.fullmatch(_HEX, value):
        raise ValueError(f"a colour is written #rrggbb, e.g. #1d4ed8 (got {value[:40]!r})")
    return value.lower()


#: A colour as ``#rrggbb`` (kept in lower case).
HexColour = Annotated[
    str, AfterValidator(_hex_colour), WithJsonSchema({"type": "string", "pattern": _HEX})
]

#: Where an image comes from: a path relative to the map file whose folders and name start with
#: a letter, digit or ``_`` (so never ``..`` nor an absolute path) and end in .png, .jpg, .jpeg or
#: .webp, or an embedded ``data:`` URI of one of those raster types. Never SVG: an SVG is a
#: document that can carry scripts and links.
IMAGE_REF_PATTERN = (
    r"^(?:(?:[A-Za-z0-9_][A-Za-z0-9_.\-]{0,79}/){0,8}[A-Za-z0-9_][A-Za-z0-9_.\-]{0,79}"
    r"\.(?:png|jpg|jpeg|webp)|data:image/(?:png|jpeg|webp);base64,[A-Za-z0-9+/]+={0,2})$"
)
MAX_IMAGE_REF = 4_000_000


def _image_ref(value: str) -> str:
    if len(value) > MAX_IMAGE_REF or not re.fullmatch(IMAGE_REF_PATTERN, value):
        shown = value[:40] + ("..." if len(value) > 40 else "")
        raise ValueError(
            "an image is a PNG, JPEG or WebP file next to the map (images/ana.jpg, no '..') "
            f"or a data: URI of one; SVG is not accepted (got {shown!r})"
        )
    return value


ImageRef = Annotated[
    str,
    AfterValidator(_image_ref),
    WithJsonSchema({"type": "string", "pattern": IMAGE_REF_PATTERN, "maxLength": MAX_IMAGE_REF}),
]

#: A non-empty, human-readable label in any language and script.
Label = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class Element(BaseModel):
    """Base for every model value: unknown fields are errors, values are validated on assignment."""

    model_config = ConfigDict(
        extra="forbid",
        validate_assignment=True,
        use_enum_values=True,
    )

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        missing = [n for n, f in cls.model_fields.items() if not f.description and n in FIELD_HELP]
        for name in missing:
            cls.model_fields[name].description = FIELD_HELP[name]
        if missing:
            cls.model_rebuild(force=True)


#: Plain-language meaning of fields that appear on many elements; shown in the JSON Schema and
#: the file-format reference wherever a field does not describe itself.
FIELD_HELP = {
    "id": "Stable id (ASCII letters, digits, _ - .), unique in the whole map; never translate it.",
    "name": "Name shown on the map, in the map's language.",
    "title": "Title shown on the map.",
    "description": "Longer text for people reading the map.",
    "scope": "experience = one interaction; lifecycle = from first contact to churn or disposal.",
    "language": "Language of the map's text (en, ru, he, pl...); he/ar render right to left.",
    "emotion_scale": "The scale emotion scores use.",
    "personas": "The typical customers this map is drawn for; each gets its own emotion curve.",
    "stages": "The phases of the journey, in order.",
    "paths": "Named routes through the steps (happy, unhappy, exception).",
    "kpis": "Measures of success with targets.",
    "future": "The future state: the journey once the gaps are closed.",
    "quote": "Something this persona would say.",
    "goals": "What the customer wants to achieve.",
    "behaviours": "What this persona typically does.",
    "needs": "What the customer needs here.",
    "frustrations": "What annoys this persona in general.",
    "media_mix": "Channels this persona uses, with shares.",
    "contact": "How often, at what rhythm and when to contact this persona.",
    "actions": "What the customer does.",
    "touchpoints": "Where the customer meets the business here.",
    "thoughts": "What the customer thinks.",
    "feelings": "Emotion scores and words, per persona.",
    "expectations": "What the customer expects to happen.",
    "experience": "What the customer actually experiences.",
    "pain_points": "Moments of frustration.",
    "delights": "Moments of joy.",
    "moment_of_truth": "A decisive moment (complaint, claim, repair, first use...).",
    "opportunities": "Planned improvements to this step.",
    "backstage": "Teams, systems, processes, policies and stakeholders behind it.",
    "evidence": "Rules that say which customer events count as this element happening.",
    "teams": "Internal teams involved.",
    "systems": "IT systems and tools involved.",
    "processes": "Business processes involved.",
    "policies": "Policies and rules that shape it.",
    "stakeholders": "Other people with a stake in it.",
    "owner": "Who is accountable.",
    "status": "Where the opportunity stands.",
    "priority": "How important it is.",
    "effort": "How much work it takes.",
    "expected_effect": "What should change, in words or figures.",
    "launch_date": "When the change went (or goes) live; improvement tracking compares around it.",
    "target": "The value that counts as success.",
    "direction": "Whether a higher or a lower value is better.",
    "cadence": "How often the KPI is reviewed.",
    "unit": "Unit of the KPI value (%, s, EUR...).",
    "kind": "Kind of element (see the allowed values).",
    "steps": "Steps, in order.",
    "words": "Words for the feeling: curiosity, indifference, excitement, frustration...",
    "share": "Share of contacts on this channel, 0..1.",
    "channel": "Channel name: web, app, email, store, phone, chat, social, word_of_mouth...",
    "persona": "Persona id this applies to; empty = all personas.",
    "score": "Score on the map's emotion scale.",
}
