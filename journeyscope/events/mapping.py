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

    format: str | None = Field(
        default=None,
        description="An export's shape by name: ga4, segment, mixpanel, amplitude, snowplow, "
        "or a help desk's tickets: zendesk, freshdesk, intercom (its id, time and event "
        "columns, nested fields as attributes).",
    )
    customer_id: str = Field(default="customer_id", description="Customer (or case) id column.")
    anonymous_id: str | None = Field(
        default=None,
        description="Anonymous id column (a browser or device) used where the customer id is "
        "empty; joined to the customer id of any row that has both.",
    )
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
    ts_unit: str | None = Field(
        default=None,
        description="Unit of numeric (epoch) times: s, ms, us or ns; left out, it is inferred "
        "from their size.",
    )
    file_order: bool = Field(
        default=False,
        description="The source has no times: order each customer's events as the file "
        "does (pm4py's fallback); times and durations then mean nothing.",
    )
    event_order: list[str] | None = Field(
        default=None,
        description="Event names in the order they happen when logged at the same time "
        "(first_visit, session_start); others follow, in file order.",
    )

    @field_validator("event_order")
    @classmethod
    def _order(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(value) > 500:
            raise ValueError("event_order names at most 500 events")
        return value

    @field_validator("ts_unit")
    @classmethod
    def _unit(cls, value: str | None) -> str | None:
        if value is not None and value not in ("s", "ms", "us", "ns"):
            raise ValueError(
                f"ts_unit must be s, ms, us or ns (seconds, milli-, micro- or nanoseconds), "
                f"not {value!r}"
            )
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
                [c.strip() for c in column.split(",")]
                if name in ("attributes", "event_order")
                else None
                if name == "channel" and column.strip().lower() == "none"
                else column
            )
        return cls.model_validate(values)
