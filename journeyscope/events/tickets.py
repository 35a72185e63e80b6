"""Help-desk exports as contacts: each ticket or conversation is one event of its customer,
on the channel it came by.

- ``freshdesk``: Freshdesk's ticket export (CSV; Tickets, Export): ``Ticket ID``, ``Source``
  (Email, Portal, Phone, Chat, Feedback Widget, Outbound Email, ... or the API's number),
  ``Created time`` in the help desk's time zone, and the contact's fields (``Unique External
  ID``, ``Email``, ``Contact ID``) — the customer is the first of those the row has.
- ``intercom``: Intercom's conversation report export (CSV): ``Conversation ID``,
  ``Conversation started at (ZONE)`` — the header names the time zone —, ``Conversation
  source`` or ``Channel``, and the person (``User ID``, ``Email``, ``User name``).

Their satisfaction ratings load as survey answers (``survey_exports``).
"""

from __future__ import annotations

import re

import duckdb

from ..sql import ident, literal

__all__ = ["FRESHDESK_CHANNEL", "FRESHDESK_SOURCES", "intercom_times", "started_at_column"]

#: Freshdesk's ticket sources (the export's words and the API's numbers) as channels
FRESHDESK_SOURCES = {
    "email": "email", "1": "email", "outbound email": "email", "10": "email",
    "portal": "portal", "2": "portal", "feedback widget": "portal", "9": "portal",
    "phone": "phone", "3": "phone", "chat": "chat", "7": "chat",
}  # fmt: skip
_SOURCE = 'lower(trim(CAST("Source" AS VARCHAR)))'
FRESHDESK_CHANNEL = (
    f"CASE {_SOURCE} "
    + " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in FRESHDESK_SOURCES.items())
    + f" ELSE NULLIF({_SOURCE}, '') END"
)
_ZONE = re.compile(r"^(?P<base>.+?)\s*\((?P<zone>[A-Za-z_]+(/[A-Za-z0-9_+\-]+)*)\)$")


def started_at_column(columns: list[str], base: str) -> tuple[str, str] | None:
    """The column ``BASE (ZONE)`` (or ``BASE``) and its time zone (UTC when unnamed).

    >>> started_at_column(["Conversation ID", "Conversation started at (Europe/Warsaw)"],
    ...                   "Conversation started at")
    ('Conversation started at (Europe/Warsaw)', 'Europe/Warsaw')
    """
    for column in columns:
        match = _ZONE.match(column)
        if match and match["base"] == base:
            return column, match["zone"]
        if column == base:
            return column, "UTC"
    return None


def intercom_times(con: duckdb.DuckDBPyConnection, relation: str, target: str) -> str:
    """View ``target``: ``relation`` with ``_js_started`` — the conversation's start as text
    with its UTC offset, read in the zone its header names (as written when not a time)."""
    columns = [row[0] for row in con.execute(f"DESCRIBE {relation}").fetchall()]
    found = started_at_column(columns, "Conversation started at")
    if found is None:
        con.execute(f"CREATE OR REPLACE VIEW {target} AS SELECT *, NULL::VARCHAR AS _js_started "
                    f"FROM {relation}")  # fmt: skip
        return target
    column, zone = found
    text = f"NULLIF(trim(CAST({ident(column)} AS VARCHAR)), '')"
    try:
        con.execute(f"SELECT timezone({literal(zone)}, TIMESTAMP '2024-01-01')").fetchall()
    except duckdb.Error:
        raise ValueError(f"{column!r}: unknown time zone {zone!r}") from None
    when = f"timezone({literal(zone)}, TRY_CAST({text} AS TIMESTAMP))"
    con.execute(
        f"CREATE OR REPLACE VIEW {target} AS SELECT *, coalesce(CAST({when} AS VARCHAR), {text}) "
        f"AS _js_started FROM {relation}"
    )
    return target
