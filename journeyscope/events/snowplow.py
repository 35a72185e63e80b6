"""Snowplow events as the pipeline and its loaders write them.

- The **enriched TSV**: one event per line, 131 tab-separated fields in the canonical order
  (``ENRICHED_FIELDS``, as Snowplow's analytics SDKs read it), no header; times in UTC;
  ``contexts``, ``derived_contexts`` and ``unstruct_event`` hold self-describing JSON
  (``{"schema": "iglu:...", "data": ...}``). A line with another number of fields is rejected
  with its line number.
- The **warehouse shape** (``atomic.events`` loaded into Snowflake, BigQuery, Databricks or a
  lake, exported as Parquet or JSON Lines): named columns, each entity type in a column
  ``contexts_VENDOR_NAME_MAJOR`` (a list) and the self-describing event in
  ``unstruct_event_VENDOR_NAME_MAJOR``.

Both become the same columns, named as the loaders name them (``contexts_com_acme_user_1``,
the vendor's dots as ``_``, the name in snake case, the major version): an entity column
holds the first entity of its type, an event column the event's data; ``nested.flatten`` then
makes their fields attributes (``contexts_com_acme_user_1.plan``). The export's shape (the
customer, the time, the event name) is ``exports.EXPORTS["snowplow"]``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb

from ..sql import ident, literal
from .sources import SEQ, Reject, Source, open_csv, open_source

__all__ = ["ENRICHED_FIELDS", "column_of_schema", "open_snowplow", "self_describing"]

#: the enriched event's fields in their TSV order (Snowplow's canonical event model)
ENRICHED_FIELDS = (
    "app_id", "platform", "etl_tstamp", "collector_tstamp", "dvce_created_tstamp", "event",
    "event_id", "txn_id", "name_tracker", "v_tracker", "v_collector", "v_etl", "user_id",
    "user_ipaddress", "user_fingerprint", "domain_userid", "domain_sessionidx",
    "network_userid", "geo_country", "geo_region", "geo_city", "geo_zipcode", "geo_latitude",
    "geo_longitude", "geo_region_name", "ip_isp", "ip_organization", "ip_domain",
    "ip_netspeed", "page_url", "page_title", "page_referrer", "page_urlscheme", "page_urlhost",
    "page_urlport", "page_urlpath", "page_urlquery", "page_urlfragment", "refr_urlscheme",
    "refr_urlhost", "refr_urlport", "refr_urlpath", "refr_urlquery", "refr_urlfragment",
    "refr_medium", "refr_source", "refr_term", "mkt_medium", "mkt_source", "mkt_term",
    "mkt_content", "mkt_campaign", "contexts", "se_category", "se_action", "se_label",
    "se_property", "se_value", "unstruct_event", "tr_orderid", "tr_affiliation", "tr_total",
    "tr_tax", "tr_shipping", "tr_city", "tr_state", "tr_country", "ti_orderid", "ti_sku",
    "ti_name", "ti_category", "ti_price", "ti_quantity", "pp_xoffset_min", "pp_xoffset_max",
    "pp_yoffset_min", "pp_yoffset_max", "useragent", "br_name", "br_family", "br_version",
    "br_type", "br_renderengine", "br_lang", "br_features_pdf", "br_features_flash",
    "br_features_java", "br_features_director", "br_features_quicktime",
    "br_features_realplayer", "br_features_windowsmedia", "br_features_gears",
    "br_features_silverlight", "br_cookies", "br_colordepth", "br_viewwidth",
    "br_viewheight", "os_name", "os_family", "os_manufacturer", "os_timezone", "dvce_type",
    "dvce_ismobile", "dvce_screenwidth", "dvce_screenheight", "doc_charset", "doc_width",
    "doc_height", "tr_currency", "tr_total_base", "tr_tax_base", "tr_shipping_base",
    "ti_currency", "ti_price_base", "base_currency", "geo_timezone", "mkt_clickid",
    "mkt_network", "etl_tags", "dvce_sent_tstamp", "refr_domain_userid", "refr_device_tstamp",
    "derived_contexts", "domain_sessionid", "derived_tstamp", "event_vendor", "event_name",
    "event_format", "event_version", "event_fingerprint", "true_tstamp",
)  # fmt: skip
assert len(ENRICHED_FIELDS) == 131
#: text files that may be the enriched TSV (the pipeline writes them without a suffix too)
_TEXT_SUFFIXES = (".tsv", ".tsv.gz", ".txt", ".gz", "")
_SCHEMA = re.compile(r"^iglu:([A-Za-z0-9_.\-]+)/([A-Za-z0-9_\-]+)/[^/]+/([0-9]+)-")
#: more entity or event types than this in one file is not a shape: refused
_MAX_TYPES = 500


def column_of_schema(prefix: str, schema: str) -> str | None:
    """The warehouse column of a self-describing schema, as Snowplow's loaders name it.

    >>> column_of_schema("contexts", "iglu:org.w3/PerformanceTiming/jsonschema/1-0-0")
    'contexts_org_w3_performance_timing_1'
    >>> column_of_schema("unstruct_event", "iglu:com.acme/link_click/jsonschema/2-1-0")
    'unstruct_event_com_acme_link_click_2'
    """
    match = _SCHEMA.match(schema or "")
    if match is None:
        return None
    vendor = re.sub(r"[^a-z0-9_]", "_", match[1].lower())
    name = re.sub(r"([^A-Z_])([A-Z])", r"\1_\2", match[2]).lower().replace("-", "_")
    return f"{prefix}_{vendor}_{name}_{match[3]}"


def open_snowplow(con: duckdb.DuckDBPyConnection, target: Any, name: str) -> Source:
    """View ``name`` over a Snowplow source with the ingestion order as ``SEQ``: the enriched
    TSV (no header) read field by field, anything else (a header TSV, Parquet, JSON Lines, a
    table) by its own reader."""
    text = str(target) if isinstance(target, Path) else target
    if isinstance(text, str) and _is_enriched_tsv(text):
        return _open_enriched(con, Path(text), name)
    if isinstance(text, str) and text.lower().endswith(".tsv"):
        return open_csv(con, Path(text), name)
    return open_source(con, text, name, ordered=True)


def _is_enriched_tsv(text: str) -> bool:
    """A text file (``.tsv``, ``.txt``, gzipped, or without a suffix, as the pipeline writes
    them) whose first line is not a header (``app_id`` ...) nor JSON."""
    path = Path(text)
    lower = path.name.lower()
    if not path.is_file() or not (lower.endswith(_TEXT_SUFFIXES[:-1]) or not path.suffix):
        return False
    if lower.endswith(".gz"):
        import gzip

        with gzip.open(path, "rb") as handle:
            first = handle.readline(4096)
    else:
        with path.open("rb") as handle:
            first = handle.readline(4096)
    return not first.startswith(b"app_id\t") and not first.lstrip().startswith(b"{")


def _open_enriched(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> Source:
    """The enriched TSV: each line split at its tabs, 131 fields named in order; a line with
    another number of fields is a reject (its line number, how many fields)."""
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _sp_lines AS SELECT row_number() OVER () AS line, "
            "text, len(string_split(text, chr(9))) AS fields FROM read_csv("
            f"{literal(str(path))}, columns={{'text': 'VARCHAR'}}, header=false, delim=chr(1), "
            "quote='', escape='', auto_detect=false, strict_mode=false)"
        )
    except duckdb.InvalidInputException as error:
        reason = str(error).strip().splitlines()[0].removeprefix("Invalid Input Error: ")
        raise ValueError(f"{path}: cannot read it as Snowplow's enriched TSV: {reason}") from None
    wanted = len(ENRICHED_FIELDS)
    rejects = [
        Reject(
            f"line {line}",
            f"not a Snowplow enriched event ({fields} fields, not {wanted})",
            text[:10_000],
        )
        for line, text, fields in con.execute(
            f"SELECT line, text, fields FROM _sp_lines WHERE fields <> {wanted} "
            "AND trim(coalesce(text, '')) <> '' ORDER BY line"
        ).fetchall()
    ]
    columns = ", ".join(
        f"NULLIF(p[{i}], '') AS {ident(field)}" for i, field in enumerate(ENRICHED_FIELDS, 1)
    )
    con.execute(
        f"CREATE VIEW {name} AS SELECT {columns}, line AS {SEQ} FROM (SELECT line, "
        f"string_split(text, chr(9)) AS p FROM _sp_lines WHERE fields = {wanted}) ORDER BY line"
    )
    return Source(label=str(path), rejects=rejects, all_text=True, sequence=SEQ, json_text=True)


def self_describing(con: duckdb.DuckDBPyConnection, relation: str, target: str) -> str:
    """View ``target`` over ``relation`` with the self-describing JSON of the enriched format
    (``contexts``, ``derived_contexts``, ``unstruct_event``) as one column per entity type
    and per event type (JSON text, for ``flatten``), every ``contexts_*`` list column as its
    first entity, and ``event`` (the type of event) as ``event_type``. Returns ``target``."""
    kinds = {row[0]: row[1] for row in con.execute(f"DESCRIBE {relation}").fetchall()}
    dropped = ("contexts", "derived_contexts", "unstruct_event", "event")
    select = [ident(c) for c in kinds if c not in dropped and not c.startswith("contexts_")]
    if "event" in kinds:  # the type of event (page_view, struct): the name is made of it
        select.append(f"{ident('event')} AS event_type")
    for column, kind in kinds.items():
        if column.startswith("contexts_"):
            select.append(f"{_first_entity(ident(column), kind)} AS {ident(column)}")
    taken = set(kinds)
    entities = [c for c in ("contexts", "derived_contexts") if kinds.get(c) == "VARCHAR"]
    if entities:
        lists = [f"coalesce(json_extract(TRY_CAST({ident(c)} AS JSON), '$.data[*]'), [])"
                 for c in entities]  # fmt: skip
        all_entities = f"list_concat({', '.join(lists)})"
        for column, schemas in _schemas(con, relation, f"unnest({all_entities})").items():
            if column in taken:
                continue
            wanted = ", ".join(literal(s) for s in schemas)
            first = (f"list_filter({all_entities}, lambda x: json_extract_string(x, '$.schema') "
                     f"IN ({wanted}))[1]")  # fmt: skip
            select.append(f"CAST(json_extract({first}, '$.data') AS VARCHAR) AS {ident(column)}")
    if kinds.get("unstruct_event") == "VARCHAR":
        event = "json_extract(TRY_CAST(unstruct_event AS JSON), '$.data')"
        for column, schemas in _schemas(con, relation, event, "unstruct_event").items():
            if column in taken:
                continue
            wanted = ", ".join(literal(s) for s in schemas)
            select.append(
                f"CASE WHEN json_extract_string({event}, '$.schema') IN ({wanted}) THEN "
                f"CAST(json_extract({event}, '$.data') AS VARCHAR) END AS {ident(column)}"
            )
    con.execute(f"CREATE OR REPLACE VIEW {target} AS SELECT {', '.join(select)} FROM {relation}")
    return target


def _first_entity(value: str, kind: str) -> str:
    """An entity column's first entity: the first item of a list, of a JSON array's text."""
    if kind.endswith("[]"):
        return f"{value}[1]"
    if kind == "VARCHAR":
        return (
            f"CASE WHEN try(json_type(TRY_CAST({value} AS JSON))) = 'ARRAY' THEN "
            f"CAST(TRY_CAST({value} AS JSON) -> 0 AS VARCHAR) ELSE {value} END"
        )
    return value


def _schemas(
    con: duckdb.DuckDBPyConnection, relation: str, items: str, prefix: str = "contexts"
) -> dict[str, list[str]]:
    """The schemas found in ``items`` (SQL giving self-describing JSON values), by the column
    each belongs to."""
    rows = con.execute(
        f"SELECT DISTINCT json_extract_string(v, '$.schema') FROM (SELECT {items} AS v "
        f"FROM {relation}) WHERE v IS NOT NULL ORDER BY 1"
    ).fetchall()
    out: dict[str, list[str]] = {}
    for (schema,) in rows:
        column = column_of_schema(prefix, schema) if schema else None
        if column is not None:
            out.setdefault(column, []).append(schema)
    if len(out) > _MAX_TYPES:
        raise ValueError(f"more than {_MAX_TYPES} {prefix} types: is this a Snowplow export?")
    return out
