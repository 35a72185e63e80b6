"""Readers for the exports analytics tools make, by name: ``ga4``, ``segment``, ``mixpanel``,
``amplitude``, and ``zendesk`` (tickets as contacts).

Each reads the file as its suffix says (Parquet, JSON Lines, CSV, a table), flattens the nested
fields into attributes (``event_params.page_location``, ``properties.plan``; see ``nested``),
and knows the export's columns: the customer and the anonymous id it is stitched from, the
time and its unit, the event name, the order of events logged at the same instant. Choose one
with ``format=NAME`` in the column mapping or a ``NAME:`` prefix on the source
(``ga4:events.parquet``); a mapping given by hand wins over the format's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ..sql import ident
from .nested import flatten
from .snowplow import open_snowplow, self_describing
from .sources import SEQ, Source, open_source
from .tickets import FRESHDESK_CHANNEL, intercom_times

__all__ = ["EXPORTS", "ExportShape", "open_export"]


@dataclass(frozen=True)
class ExportShape:
    """What an export's rows look like: column-mapping defaults (``ColumnMapping`` fields),
    SQL for derived columns (name -> expression over the flattened columns), and the rows
    that link ids rather than being events (Segment's ``identify`` and ``alias`` calls)."""

    name: str
    defaults: dict[str, Any]
    derived: dict[str, str] = field(default_factory=dict)
    #: SQL condition of rows that only link an anonymous id to a customer id
    links_only: str | None = None
    #: columns an export leaves out when no row has them (JSON drops nulls): added as NULL
    needs: tuple[str, ...] = ()
    #: how the file is opened (con, target, view) when not by its suffix (Snowplow's TSV)
    opener: Callable[[duckdb.DuckDBPyConnection, Any, str], Source] | None = None
    #: a view of the opened rows before they are flattened (con, relation, view) -> view
    reshape: Callable[[duckdb.DuckDBPyConnection, str, str], str] | None = None


EXPORTS: dict[str, ExportShape] = {
    # BigQuery export of GA4 (Parquet, or newline-delimited JSON): times in microseconds;
    # user_id once signed in, user_pseudo_id (the browser) always; GA4 logs first_visit,
    # session_start and the first page_view at one instant, in no order
    "ga4": ExportShape(
        "ga4",
        {
            "customer_id": "user_id",
            "anonymous_id": "user_pseudo_id",
            "ts": "event_timestamp",
            "ts_unit": "us",
            "event": "event_name",
            "channel": "platform",
            "event_order": ["first_open", "first_visit", "session_start"],
        },
        needs=("user_id", "platform"),
    ),
    # Segment / RudderStack calls as JSON (track, page, screen, identify, alias)
    "segment": ExportShape(
        "segment",
        {
            "customer_id": "userId",
            "anonymous_id": "anonymousId",
            "ts": "timestamp",
            "event": "_js_event",
            "channel": None,
        },
        derived={
            "_js_event": (
                f"CASE WHEN {ident('type')} = 'track' THEN {ident('event')} "
                f"WHEN {ident('type')} IN ('page', 'screen') THEN 'Viewed ' || "
                f"coalesce({ident('name')} || ' ', '') || CASE {ident('type')} "
                "WHEN 'page' THEN 'Page' "
                "ELSE 'Screen' END END"
            ),
        },
        links_only=f"{ident('type')} IN ('identify', 'alias', 'group')",
        needs=("type", "event", "name", "userId", "anonymousId"),
    ),
    # Mixpanel's raw event export: everything under properties, time in epoch seconds;
    # with ID merge, $device_id on every event and $user_id once signed up (an export
    # without them has distinct_id only)
    "mixpanel": ExportShape(
        "mixpanel",
        {
            "customer_id": "properties.$user_id",
            "anonymous_id": "_js_anonymous",
            "ts": "properties.time",
            "ts_unit": "s",
            "event": "event",
            "channel": None,
        },
        derived={
            "_js_anonymous": (
                f"coalesce({ident('properties.$device_id')}, {ident('properties.distinct_id')})"
            )
        },
        needs=("properties.$user_id", "properties.distinct_id", "properties.$device_id"),
    ),
    # Amplitude's export API (JSON lines): event_time is UTC text, user_id after sign-in
    "amplitude": ExportShape(
        "amplitude",
        {
            "customer_id": "user_id",
            "anonymous_id": "device_id",
            "ts": "event_time",
            "event": "event_type",
            "channel": "platform",
        },
        needs=("user_id", "device_id", "platform"),
    ),
    # Snowplow's enriched events (the 131-field TSV, or atomic.events from a warehouse): the
    # user id once set, else the first-party cookie (domain_userid), else the third-party one;
    # derived_tstamp (the device's time corrected by the collector's) before collector_tstamp,
    # both UTC; a structured event by its action, a self-describing one by its schema's name
    "snowplow": ExportShape(
        "snowplow",
        {
            "customer_id": "user_id",
            "anonymous_id": "_js_anonymous",
            "ts": "_js_ts",
            "timezone": "UTC",
            "event": "_js_event",
            "channel": "platform",
        },
        derived={
            "_js_anonymous": f"coalesce({ident('domain_userid')}, {ident('network_userid')})",
            "_js_ts": (
                f"CASE WHEN NULLIF(CAST({ident('derived_tstamp')} AS VARCHAR), '') IS NOT NULL "
                f"THEN CAST({ident('derived_tstamp')} AS VARCHAR) "
                f"ELSE CAST({ident('collector_tstamp')} AS VARCHAR) END"
            ),
            "_js_event": (
                f"CASE WHEN {ident('event_type')} = 'struct' THEN coalesce({ident('se_action')}, "
                f"{ident('event_name')}, {ident('event_type')}) "
                f"ELSE coalesce({ident('event_name')}, {ident('event_type')}) END"
            ),
        },
        needs=(
            "user_id",
            "domain_userid",
            "network_userid",
            "derived_tstamp",
            "collector_tstamp",
            "event_type",
            "event_name",
            "se_action",
            "platform",
        ),
        opener=open_snowplow,
        reshape=self_describing,
    ),
    # Zendesk tickets (the API's ticket objects as JSON lines, or a CSV): each ticket is one
    # contact, on the channel it came by
    "zendesk": ExportShape(
        "zendesk",
        {
            "customer_id": "requester_id",
            "ts": "created_at",
            "event": "_js_event",
            "channel": "via.channel",
        },
        derived={"_js_event": "'ticket_created'"},
        needs=("via.channel",),
    ),
    # Freshdesk's ticket export (CSV): the contact's external id, else e-mail, else contact id
    # (all fields of the contact, so one person keeps one id); times in the help desk's zone
    # (say it with timezone=...)
    "freshdesk": ExportShape(
        "freshdesk",
        {
            "customer_id": "_js_customer",
            "ts": "Created time",
            "event": "_js_event",
            "channel": "_js_channel",
        },
        derived={
            "_js_customer": (
                f"coalesce(NULLIF(trim({ident('Unique External ID')}), ''), "
                f"NULLIF(trim({ident('Email')}), ''), NULLIF(trim({ident('Contact ID')}), ''))"
            ),
            "_js_event": "'ticket_created'",
            "_js_channel": FRESHDESK_CHANNEL,
        },
        needs=("Unique External ID", "Email", "Contact ID", "Source"),
    ),
    # Intercom's conversation report export (CSV): the start time in the zone its header
    # names, the person's user id, else e-mail, else name
    "intercom": ExportShape(
        "intercom",
        {
            "customer_id": "_js_customer",
            "ts": "_js_started",
            "event": "_js_event",
            "channel": "_js_channel",
        },
        derived={
            "_js_customer": (
                f"coalesce(NULLIF(trim({ident('User ID')}), ''), "
                f"NULLIF(trim({ident('Email')}), ''), "
                f"NULLIF(trim({ident('User name')}), ''))"
            ),
            "_js_event": "'conversation_started'",
            "_js_channel": f"lower(NULLIF(trim({ident('Conversation source')}), ''))",
        },
        needs=("User ID", "Email", "User name", "Conversation source"),
        reshape=intercom_times,
    ),
}


def open_export(
    name: str, con: duckdb.DuckDBPyConnection, target: Any, view: str, ordered: bool
) -> Source:
    """Open ``target`` with the reader its suffix or prefix picks, then shape it as export
    ``name``: view ``view`` holds the events; the id-only rows (Segment's identify calls) go
    to view ``_js_link_rows``, named by ``Source.link_rows``."""
    shape = EXPORTS[name]
    target = str(target) if isinstance(target, Path) else target
    if shape.opener is not None:
        inner = shape.opener(con, target, f"{view}_export")
    else:
        inner = open_source(con, target, f"{view}_export", ordered=True)
    base = with_sequence(con, inner, f"{view}_export")
    if shape.reshape is not None:
        base = shape.reshape(con, base, f"{view}_shaped")
    flatten(con, base, f"{view}_flat", json_text=inner.json_text, keep=(SEQ,))
    columns = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {view}_flat").fetchall()}
    extra = [f"NULL::VARCHAR AS {ident(c)}" for c in shape.needs if c not in columns]
    extra += [f"{sql} AS {ident(column)}" for column, sql in shape.derived.items()]
    select = f"SELECT *{''.join(', ' + e for e in extra)} FROM {view}_flat"
    links = None
    if shape.links_only:
        con.execute(f"CREATE OR REPLACE VIEW {view}_all AS {select}")
        only = f"coalesce({shape.links_only}, false)"
        con.execute(f"CREATE VIEW {view} AS SELECT * FROM {view}_all WHERE NOT {only}")
        links = f"{view}_links"
        con.execute(f"CREATE OR REPLACE VIEW {links} AS SELECT * FROM {view}_all WHERE {only}")
    else:
        con.execute(f"CREATE VIEW {view} AS {select}")
    return Source(
        label=f"{inner.label} ({name} export)",
        rejects=inner.rejects,
        all_text=inner.all_text,
        sequence=SEQ,
        lazy=inner.lazy,
        defaults=dict(shape.defaults),
        link_rows=links,
        flattened=True,
    )


def with_sequence(con: duckdb.DuckDBPyConnection, opened: Source, relation: str) -> str:
    """The relation to read ``relation`` from with its ingestion order as column ``SEQ``: a
    table's row id (``rowid + 1``) cannot be read through a view, so a view adds it."""
    if not opened.sequence or opened.sequence == SEQ:
        return relation
    con.execute(
        f"CREATE OR REPLACE VIEW {relation}_seq AS SELECT *, "
        f"CAST({opened.sequence} AS BIGINT) AS {SEQ} FROM {relation}"
    )
    opened.sequence = SEQ
    return f"{relation}_seq"
