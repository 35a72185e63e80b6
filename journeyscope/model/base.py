"""Shared building blocks of the domain model: the strict base class and id type."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

#: A stable element id: letters, digits, ``_``, ``-`` and ``.``; starts with a letter or digit.
#: Ids are ASCII on purpose so they survive URLs, file names and SQL identifiers in any language.
Id = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,79}$"),
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
