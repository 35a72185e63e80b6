"""Which source columns hold the customer, the time, the event and the channel."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["ColumnMapping"]


class ColumnMapping(BaseModel):
    """Source column names for the canonical event columns, and how to read times.

    >>> ColumnMapping.parse_pairs(["customer_id=case", "ts=time"]).customer_id
    'case'
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    customer_id: str = Field(default="customer_id", description="Customer (or case) id column.")
    ts: str = Field(default="ts", description="Timestamp column.")
    event: str = Field(default="event", description="Event (activity) name column.")
    channel: str | None = Field(default="channel", description="Channel column, if any.")
    attributes: list[str] | None = Field(
        default=None, description="Attribute columns to keep; empty = every other column."
    )
    ts_format: str | None = Field(
        default=None, description="strftime format of text times, e.g. '%d.%m.%Y %H:%M'."
    )
    timezone: str = Field(
        default="UTC", description="Time zone of times written without an offset."
    )
    ts_unit: str = Field(default="s", description="Unit of numeric (epoch) times: s, ms or us.")

    @field_validator("ts_unit")
    @classmethod
    def _unit(cls, value: str) -> str:
        if value not in ("s", "ms", "us"):
            raise ValueError("ts_unit must be s, ms or us")
        return value

    @classmethod
    def parse_pairs(cls, pairs: list[str]) -> ColumnMapping:
        """Read ``name=column`` pairs as typed on the command line."""
        values: dict[str, object] = {}
        for pair in pairs:
            name, sep, column = pair.partition("=")
            if not sep or not column:
                raise ValueError(f"cannot read {pair!r}: write it as name=column, e.g. ts=time")
            name = name.strip().replace("-", "_")
            if name not in cls.model_fields:
                raise ValueError(f"unknown mapping {name!r}; use {', '.join(cls.model_fields)}")
            values[name] = (
                [c.strip() for c in column.split(",")] if name == "attributes" else column
            )
        return cls.model_validate(values)
