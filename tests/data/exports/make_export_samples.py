"""Write the small sample exports of this folder (run once; the files are committed).

Each follows its tool's documented export shape, with the oddities real exports have:
GA4's BigQuery export (event_params as key/value structs, microsecond times, tied times in
arbitrary file order, the user id only after login), Segment's track/page/identify calls,
Mixpanel's raw export (everything under ``properties``, epoch seconds), Amplitude's export
(``event_time`` text in UTC). ``python tests/data/exports/make_export_samples.py``
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
T0 = 1_717_236_000_000_000  # 2024-06-01 10:00:00 UTC in microseconds
T1 = 1_717_322_400_000_000  # 2024-06-02 10:00:00 UTC


def _param(key: str, value: object) -> dict[str, object]:
    slot = {"string_value": None, "int_value": None, "float_value": None, "double_value": None}
    if isinstance(value, str):
        slot["string_value"] = value
    elif isinstance(value, int):
        slot["int_value"] = value
    else:
        slot["double_value"] = value
    return {"key": key, "value": slot}


def _ga4_event(name, ts, pseudo, user, params, country="GB", category="desktop"):
    return {
        "event_date": "20240601" if ts and ts < T1 else "20240602",
        "event_timestamp": ts,
        "event_name": name,
        "event_params": [_param(k, v) for k, v in params.items()],
        "event_previous_timestamp": None,
        "event_bundle_sequence_id": 1,
        "user_id": user,
        "user_pseudo_id": pseudo,
        "user_properties": [
            {
                "key": "plan",
                "value": {**_param("plan", "pro")["value"], "set_timestamp_micros": T0},
            }
        ]
        if user
        else [],
        "user_first_touch_timestamp": T0,
        "device": {
            "category": category,
            "operating_system": "Windows" if category == "desktop" else "Android",
            "language": "en-gb",
            "web_info": {
                "browser": "Chrome",
                "browser_version": "125.0",
                "hostname": "shop.example",
            },
        },
        "geo": {"continent": "Europe", "country": country, "region": "England", "city": "Leeds"},
        "traffic_source": {"name": "(organic)", "medium": "organic", "source": "google"},
        "stream_id": "4178203012",
        "platform": "WEB",
    }


def ga4_events() -> list[dict[str, object]]:
    a, b, c = "1111.1717236000", "2222.1717322400", "3333.1717322400"
    home = {"page_location": "https://shop.example/", "page_title": "Home"}
    s1 = {"ga_session_id": 1717236000, "ga_session_number": 1}
    s2 = {"ga_session_id": 1717322400, "ga_session_number": 1}
    return [  # file order as BigQuery gives it: the tied first three out of order
        _ga4_event("page_view", T0, a, None, {**home, **s1}),
        _ga4_event("session_start", T0, a, None, {**home, **s1}),
        _ga4_event("first_visit", T0, a, None, {**home, **s1}),
        _ga4_event(
            "view_item",
            T0 + 30_000_000,
            a,
            None,
            {
                "page_location": "https://shop.example/p/tent",
                "page_title": "Tent",
                **s1,
                "engagement_time_msec": 5200,
            },
        ),
        _ga4_event("login", T0 + 60_000_000, a, "u-42", {**s1, "method": "email"}),
        _ga4_event(
            "purchase",
            T0 + 120_000_000,
            a,
            "u-42",
            {**s1, "value": 129.5, "currency": "GBP", "transaction_id": "T-1001"},
        ),
        _ga4_event("page_view", T1, b, None, {**home, **s2}, country="PL", category="mobile"),
        _ga4_event("session_start", T1, b, None, {**home, **s2}, country="PL", category="mobile"),
        _ga4_event(
            "scroll",
            T1 + 15_000_000,
            b,
            None,
            {**s2, "percent_scrolled": 90},
            country="PL",
            category="mobile",
        ),
        _ga4_event("page_view", None, c, None, {**home}),  # a row without a time
    ]


_KV = pa.struct([("string_value", pa.string()), ("int_value", pa.int64()),
                 ("float_value", pa.float64()), ("double_value", pa.float64())])  # fmt: skip
_USER_KV = pa.struct([*(_KV.field(i) for i in range(_KV.num_fields)),
                      ("set_timestamp_micros", pa.int64())])  # fmt: skip
GA4_SCHEMA = pa.schema([
    ("event_date", pa.string()), ("event_timestamp", pa.int64()), ("event_name", pa.string()),
    ("event_params", pa.list_(pa.struct([("key", pa.string()), ("value", _KV)]))),
    ("event_previous_timestamp", pa.int64()), ("event_bundle_sequence_id", pa.int64()),
    ("user_id", pa.string()), ("user_pseudo_id", pa.string()),
    ("user_properties", pa.list_(pa.struct([("key", pa.string()), ("value", _USER_KV)]))),
    ("user_first_touch_timestamp", pa.int64()),
    ("device", pa.struct([("category", pa.string()), ("operating_system", pa.string()),
                          ("language", pa.string()),
                          ("web_info", pa.struct([("browser", pa.string()),
                                                  ("browser_version", pa.string()),
                                                  ("hostname", pa.string())]))])),
    ("geo", pa.struct([("continent", pa.string()), ("country", pa.string()),
                       ("region", pa.string()), ("city", pa.string())])),
    ("traffic_source", pa.struct([("name", pa.string()), ("medium", pa.string()),
                                  ("source", pa.string())])),
    ("stream_id", pa.string()), ("platform", pa.string()),
])  # fmt: skip


def _bigquery_json(value: object) -> object:
    """BigQuery's JSON export writes INT64 as strings and leaves out nulls."""
    if isinstance(value, dict):
        return {k: _bigquery_json(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_bigquery_json(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def write_ga4() -> None:
    events = ga4_events()
    pq.write_table(pa.Table.from_pylist(events, GA4_SCHEMA), HERE / "ga4.parquet")
    lines = [json.dumps(_bigquery_json(e), separators=(",", ":")) for e in events]
    (HERE / "ga4.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_segment() -> None:
    ctx = {"library": {"name": "analytics.js", "version": "4.1.0"}, "locale": "en-GB",
           "page": {"path": "/pricing", "url": "https://app.example/pricing"},
           "userAgent": "Mozilla/5.0"}  # fmt: skip
    calls = [
        {"type": "page", "name": "Pricing", "anonymousId": "anon-1", "userId": None,
         "properties": {"path": "/pricing", "url": "https://app.example/pricing"},
         "timestamp": "2024-06-03T09:00:00.000Z", "context": ctx, "messageId": "m1"},
        {"type": "track", "event": "Signup Started", "anonymousId": "anon-1", "userId": None,
         "properties": {"plan": "team"}, "timestamp": "2024-06-03T09:01:00.000Z",
         "context": ctx, "messageId": "m2"},
        {"type": "identify", "anonymousId": "anon-1", "userId": "user-7",
         "traits": {"email": "ada@example.com"}, "timestamp": "2024-06-03T09:02:00.000Z",
         "context": ctx, "messageId": "m3"},
        {"type": "track", "event": "Signup Completed", "anonymousId": "anon-1",
         "userId": "user-7", "properties": {"plan": "team", "seats": 5},
         "timestamp": "2024-06-03T09:02:30.000Z", "context": ctx, "messageId": "m4"},
        {"type": "track", "event": "Report Viewed", "anonymousId": "anon-9", "userId": "user-7",
         "properties": {"report": "funnel"}, "timestamp": "2024-06-04T08:00:00+02:00",
         "context": ctx, "messageId": "m5"},
        {"type": "track", "event": "Signup Started", "anonymousId": "anon-2", "userId": None,
         "properties": {"plan": "solo"}, "timestamp": "2024-06-03T11:00:00.000Z",
         "context": ctx, "messageId": "m6"},
        {"type": "screen", "name": "Home", "anonymousId": "anon-2", "userId": None,
         "properties": {}, "timestamp": "not a time", "context": ctx, "messageId": "m7"},
    ]  # fmt: skip
    lines = [json.dumps({k: v for k, v in c.items() if v is not None}) for c in calls]
    (HERE / "segment.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_mixpanel() -> None:
    """Simplified ID merge: ``$device_id`` always, ``$user_id`` once known, ``distinct_id``
    the user id or ``$device:`` and the device id."""
    rows = [
        ("Sign Up", 1717405200, "d-1", None, {"plan": "free", "$browser": "Firefox"}),
        ("Sign Up", 1717405200, "d-2", None, {"plan": "pro", "$browser": "Chrome"}),
        ("Upgrade", 1717408800, "d-1", "u-1", {"plan": "pro", "$browser": "Firefox"}),
        ("Invite Sent", 1717412400, "d-2", None, {"$browser": "Chrome", "invites": 3}),
        ("Sign Up", None, "d-3", None, {"plan": "free"}),
    ]
    lines = []
    for i, (event, time, device, user, extra) in enumerate(rows, 1):
        props: dict[str, object] = {
            "distinct_id": user or f"$device:{device}", "$device_id": device,
            "$insert_id": f"ins-{i}", "mp_processing_time_ms": 1717412500123, **extra,
        }  # fmt: skip
        if time is not None:
            props["time"] = time
        if user:
            props["$user_id"] = user
        lines.append(json.dumps({"event": event, "properties": props}))
    (HERE / "mixpanel.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_amplitude() -> None:
    rows = [
        ("app_open", "2024-06-05 07:00:00.125000", None, "dev-a", {"source": "push"}),
        ("checkout", "2024-06-05 07:03:10.000000", "cust-1", "dev-a", {"items": 2}),
        ("app_open", "2024-06-05 08:00:00.000000", None, "dev-b", {"source": "icon"}),
    ]
    lines = []
    for i, (kind, time, user, device, props) in enumerate(rows, 1):
        lines.append(json.dumps({
            "event_type": kind, "event_time": time, "user_id": user, "device_id": device,
            "event_id": i, "session_id": 1717570800000, "platform": "iOS", "country": "Spain",
            "event_properties": props, "user_properties": {"tier": "gold"},
            "insert_id": f"amp-{i}", "uuid": f"00000000-0000-0000-0000-00000000000{i}",
        }))  # fmt: skip
    (HERE / "amplitude.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_ga4()
    write_segment()
    write_mixpanel()
    write_amplitude()
