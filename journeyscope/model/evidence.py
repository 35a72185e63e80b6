"""Evidence bindings: which customer events count as a map element happening.

The shape is defined here, with no engine behind it; ``journeyscope.analytics`` gives it meaning.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from .base import Element

Operator = Literal["==", "!=", "in", "not_in", ">", ">=", "<", "<=", "exists", "glob", "regex"]

_CONDITION_RE = re.compile(
    r"^\s*(?P<attribute>[A-Za-z_][A-Za-z0-9_.]*)\s*"
    r"(?P<op>==|!=|>=|<=|>|<|not_in|in|exists|glob|regex)\s*(?P<value>.*?)\s*$"
)


def _parse_scalar(text: str) -> Any:
    """Read the value part of ``attribute op value``: a number, a [list], or a plain string."""
    if text.startswith("[") and text.endswith("]"):
        return [_parse_scalar(part.strip()) for part in text[1:-1].split(",") if part.strip()]
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    for cast in (int, float):
        try:
            number = cast(text)
        except ValueError:
            continue
        # `name == Nan` compares with the word: only finite numbers are read as numbers
        return number if math.isfinite(number) else text
    return text


_SCALARS = (str, int, float, bool, dt.date)  # dt.datetime is a dt.date


def _check_scalar(value: Any) -> None:
    """A value compared against event data: text, a finite number, a boolean or a date."""
    if not isinstance(value, _SCALARS):
        kinds: dict[type, str] = {dict: "a mapping", list: "a list inside a list"}
        kind = kinds.get(type(value), f"a {type(value).__name__}")
        raise ValueError(
            f"a condition value must be text, a number, true/false or a date, not {kind}"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"a condition value must be a finite number (got {value})")


class Condition(Element):
    """One attribute condition, e.g. ``channel == app`` or ``amount >= 100``.

    In a map file it may be written as that one-line string or as an object.

    >>> Condition.model_validate("channel == app")
    Condition(attribute='channel', op='==', value='app')
    >>> Condition.model_validate("region in [north, south]").value
    ['north', 'south']
    """

    attribute: str = Field(min_length=1, description="Event or customer attribute name.")
    op: Operator = Field(default="==", description="Comparison operator.")
    value: Any = Field(default=None, description="Value compared against; a list for in/not_in.")

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        if not isinstance(data, str):
            return data
        match = _CONDITION_RE.match(data)
        if not match:
            raise ValueError(
                f"cannot read condition {data!r}: write it as 'attribute op value', "
                "e.g. 'channel == app'"
            )
        value = match["value"]
        return {
            "attribute": match["attribute"],
            "op": match["op"],
            "value": None if match["op"] == "exists" else _parse_scalar(value),
        }

    @model_validator(mode="after")
    def _check_value(self) -> Condition:
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"operator {self.op!r} needs a list value, e.g. [a, b]")
        if (
            self.op == "regex"
            and isinstance(self.value, int | float)
            and not isinstance(self.value, bool)
        ):
            self.value = str(self.value)  # `code regex 42` is the pattern "42"
        if self.op == "regex" and not isinstance(self.value, str):
            raise ValueError(f"operator {self.op!r} needs a text pattern, not {self.value!r}")
        if self.op == "regex":
            try:
                re.compile(self.value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {self.value!r}: {exc}") from exc
        if self.op not in ("in", "not_in") and isinstance(self.value, list):
            raise ValueError(f"operator {self.op!r} compares with one value, not a list")
        # one value or a flat list of them: nothing nested, no infinity or NaN (SQL has none)
        values = self.value if isinstance(self.value, list) else [self.value]
        for value in values if self.value is not None else []:
            _check_scalar(value)
        return self


class EvidenceRule(Element):
    """Events that count as evidence: one event-name test plus optional attribute conditions.

    Exactly one of ``event``, ``event_in``, ``event_glob`` or ``event_regex`` is given.
    """

    event: str | None = Field(default=None, description="Event name, exact match.")
    event_in: list[str] | None = Field(default=None, description="Any of these event names.")
    event_glob: str | None = Field(default=None, description="Shell-style pattern: support_*.")
    event_regex: str | None = Field(default=None, description="Regular expression (full match).")
    where: list[Condition] = Field(
        default_factory=list, description="Attribute conditions, all must hold."
    )

    @model_validator(mode="after")
    def _one_name_test(self) -> EvidenceRule:
        given = [
            name
            for name in ("event", "event_in", "event_glob", "event_regex")
            if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "an evidence rule needs exactly one of event, event_in, event_glob, event_regex"
                + (f" (found {', '.join(given)})" if given else "")
            )
        return self

    @field_validator("event_regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {value!r}: {exc}") from exc
        return value
