"""Write the Snowplow samples of this folder (run once; the files are committed).

``snowplow.tsv``: the enriched format as the pipeline writes it — 131 tab-separated fields a
line in the canonical order (Snowplow's analytics SDKs list it as ENRICHED_EVENT_FIELD_TYPES),
no header, UTC times as ``2024-06-10 09:00:00.000``, entities in ``contexts`` and
``derived_contexts`` and the self-describing event in ``unstruct_event`` as self-describing
JSON, booleans as 1/0. ``snowplow.jsonl`` and ``snowplow.parquet``: the same events as a
warehouse loader stores them (atomic.events with ``contexts_VENDOR_NAME_MAJOR`` lists and
``unstruct_event_VENDOR_NAME_MAJOR`` objects; JSON drops nulls). The oddities: a visitor known
only by the first-party cookie until the login event carries ``user_id``; a row with only the
third-party cookie; a row with no id at all; a device time the collector could not correct
(``derived_tstamp`` empty: ``collector_tstamp`` then); a time that is no time; a line cut off.
``python tests/data/exports/make_snowplow_samples.py``
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))
from journeyscope.events.snowplow import ENRICHED_FIELDS, column_of_schema  # noqa: E402

CONTEXTS = "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0"
UNSTRUCT = "iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0"
WEB_PAGE = "iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0"
UA = "iglu:com.snowplowanalytics.snowplow/ua_parser_context/jsonschema/1-0-0"
PRODUCT = "iglu:com.acme/product/jsonschema/1-0-0"
LINK_CLICK = "iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1"
SIGNUP = "iglu:com.acme/signup_completed/jsonschema/1-0-0"


def _event(n: int, kind: str, when: str | None, domain: str | None, user: str | None = None,
           **extra: object) -> dict[str, object]:  # fmt: skip
    """One enriched event: the fields every event has, then ``extra``."""
    row: dict[str, object] = {
        "app_id": "shop", "platform": "web", "etl_tstamp": "2024-06-10 12:00:00.000",
        "collector_tstamp": (when or "2024-06-10 12:00:00.000"), "dvce_created_tstamp": when,
        "event": kind, "event_id": f"00000000-0000-4000-8000-{n:012d}", "name_tracker": "sp1",
        "v_tracker": "js-3.23.0", "v_collector": "ssc-3.2.0-kinesis",
        "v_etl": "snowplow-enrich-kinesis-4.1.0",
        "user_id": user, "user_ipaddress": "203.0.113.7", "domain_userid": domain,
        "domain_sessionidx": 1, "network_userid": f"n-{domain or n}", "geo_country": "GB",
        "page_url": "https://shop.example/", "page_urlscheme": "https",
        "page_urlhost": "shop.example", "page_urlport": 443, "page_urlpath": "/",
        "useragent": "Mozilla/5.0", "br_cookies": True, "dvce_ismobile": False,
        "derived_tstamp": when, "event_vendor": "com.snowplowanalytics.snowplow",
        "event_name": kind, "event_format": "jsonschema", "event_version": "1-0-0",
        "domain_sessionid": f"s-{domain}", "entities": [(WEB_PAGE, {"id": f"wp-{n}"})],
        "derived": [(UA, {"useragentFamily": "Firefox", "osFamily": "Linux"})],
    }  # fmt: skip
    row.update(extra)
    return row


def events() -> list[dict[str, object]]:
    t = "2024-06-10 09:0{}.000"
    return [
        _event(1, "page_view", t.format("0:00"), "d-1"),
        _event(
            2, "page_ping", t.format("0:10"), "d-1", page_urlpath="/pricing", pp_yoffset_max=900
        ),
        _event(
            3,
            "struct",
            t.format("1:00"),
            "d-1",
            event_name="event",
            se_category="checkout",
            se_action="add_to_basket",
            se_label="tent-2",
            entities=[(PRODUCT, {"sku": "tent-2", "price": 129.5})],
        ),
        _event(
            4,
            "unstruct",
            t.format("2:00"),
            "d-1",
            "u-7",
            event_name="link_click",
            event_version="1-0-1",
            unstruct=(LINK_CLICK, {"targetUrl": "https://shop.example/signup"}),
        ),
        # the collector could not correct the device's clock: no derived_tstamp
        _event(
            5,
            "unstruct",
            None,
            "d-1",
            "u-7",
            event_name="signup_completed",
            event_vendor="com.acme",
            collector_tstamp=t.format("3:00"),
            unstruct=(SIGNUP, {"plan": "team", "seats": 5}),
        ),
        _event(6, "page_view", "2024-06-10 10:00:00.000", "d-2"),
        _event(7, "page_view", "2024-06-10 11:00:00.000", None, network_userid="n-3"),
        _event(8, "page_view", "2024-06-10 11:30:00.000", None, network_userid=None),
        _event(9, "page_view", "not a time", "d-2"),
    ]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _tsv_line(row: dict[str, object]) -> str:
    fields = {k: _text(v) for k, v in row.items()}
    fields["contexts"] = json.dumps(
        {"schema": CONTEXTS, "data": [{"schema": s, "data": d} for s, d in row["entities"]]}
    )  # type: ignore[attr-defined]
    fields["derived_contexts"] = json.dumps(
        {"schema": CONTEXTS, "data": [{"schema": s, "data": d} for s, d in row["derived"]]}
    )  # type: ignore[attr-defined]
    if row.get("unstruct"):
        schema, data = row["unstruct"]  # type: ignore[misc]
        fields["unstruct_event"] = json.dumps(
            {"schema": UNSTRUCT, "data": {"schema": schema, "data": data}}
        )
    return "\t".join(fields.get(name, "") for name in ENRICHED_FIELDS)


def _warehouse(row: dict[str, object]) -> dict[str, object]:
    """The row as a loader stores it: one column per entity and event type."""
    out = {k: v for k, v in row.items() if k in ENRICHED_FIELDS and k not in
           ("contexts", "derived_contexts", "unstruct_event")}  # fmt: skip
    for schema, data in [*row["entities"], *row["derived"]]:  # type: ignore[misc]
        out.setdefault(column_of_schema("contexts", schema), []).append(data)
    if row.get("unstruct"):
        schema, data = row["unstruct"]  # type: ignore[misc]
        out[column_of_schema("unstruct_event", schema)] = data
    return out


def _iso(text: object) -> str | None:
    return None if text is None else str(text).replace(" ", "T") + "Z"


def write() -> None:
    rows = events()
    lines = [_tsv_line(r) for r in rows]
    lines.insert(7, "\t".join(lines[6].split("\t")[:40]))  # a line cut off after 40 fields
    (HERE / "snowplow.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    json_lines = []
    for row in rows:
        data = _warehouse(row)
        for key in ("etl_tstamp", "collector_tstamp", "dvce_created_tstamp", "derived_tstamp"):
            data[key] = _iso(data.get(key))
        json_lines.append(json.dumps({k: v for k, v in data.items() if v is not None}))
    json_lines.insert(7, json_lines[6][:120])  # cut off by the export
    (HERE / "snowplow.jsonl").write_text("\n".join(json_lines) + "\n", encoding="utf-8")
    parquet = []
    for row in rows[:-1]:  # a Parquet timestamp cannot hold "not a time"
        data = _warehouse(row)
        for key in ("etl_tstamp", "collector_tstamp", "dvce_created_tstamp", "derived_tstamp"):
            value = data.get(key)
            data[key] = (None if value is None else dt.datetime.strptime(
                str(value), "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=dt.UTC))  # fmt: skip
        parquet.append(data)
    keys = list(dict.fromkeys(k for row in parquet for k in row))  # from_pylist reads row 1
    parquet = [{k: row.get(k) for k in keys} for row in parquet]
    pq.write_table(pa.Table.from_pylist(parquet), HERE / "snowplow.parquet")


if __name__ == "__main__":
    write()
