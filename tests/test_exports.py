"""Exports loaded as they are: GA4 (Parquet and JSON), Segment, Mixpanel, Amplitude with only
``format=NAME``; checked against hand-written events, customers, attributes, order and
quarantine counts. Also every source kind without a crash: a DuckDB view, a SQL file, a
PostgreSQL table, a bare SQLite file, OCEL files, 100,000 distinct event names."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from journeyscope.analytics import JourneyOptions
from journeyscope.evaluation import AnalysisOptions, EvaluationSettings, Sources, evaluate
from journeyscope.events import ColumnMapping, load_events
from journeyscope.formats import parse_map
from journeyscope.sql import ident

DATA = Path(__file__).parent / "data" / "exports"
UTC = dt.UTC


def _events(log: Any) -> list[tuple[str, str, str]]:
    """(customer, time as ISO text, event) in the order the analyses read them."""
    rows = log.con.sql("SELECT customer_id, ts, event FROM events ORDER BY customer_id, ts, seq")
    return [(c, t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"), e) for c, t, e in rows.fetchall()]


def _attribute(log: Any, name: str, event: str) -> Any:
    sql = f"SELECT {ident(name)} FROM events WHERE event = ? ORDER BY seq LIMIT 1"
    return log.con.execute(sql, [event]).fetchall()[0][0]


GA4_EVENTS = [
    # GA4 logs these three at one instant, in no order: the declared order puts them right
    ("2222.1717322400", "2024-06-02 10:00:00", "session_start"),
    ("2222.1717322400", "2024-06-02 10:00:00", "page_view"),
    ("2222.1717322400", "2024-06-02 10:00:15", "scroll"),
    # the browser's events before sign-in belong to the user who signed in on it
    ("u-42", "2024-06-01 10:00:00", "first_visit"),
    ("u-42", "2024-06-01 10:00:00", "session_start"),
    ("u-42", "2024-06-01 10:00:00", "page_view"),
    ("u-42", "2024-06-01 10:00:30", "view_item"),
    ("u-42", "2024-06-01 10:01:00", "login"),
    ("u-42", "2024-06-01 10:02:00", "purchase"),
]


_NESTED_MAP = """
journeyscope: 1
id: shop
title: Shop
stages:
  - id: look
    name: Look
    steps:
      - id: product
        name: Product page
        evidence:
          - event: view_item
            where: ["event_params.page_location glob */p/*", "device.category == desktop"]
      - id: big_order
        name: Big order
        evidence:
          - event: purchase
            where: ["event_params.value >= 100"]
"""


@pytest.mark.parametrize("file", ["ga4.parquet", "ga4.jsonl"])
def test_ga4_bigquery_export(file: str) -> None:
    log = load_events(DATA / file, ColumnMapping(format="ga4"))
    report = log.report
    assert (report.read, report.loaded, report.quarantined) == (10, 9, 1)
    assert report.reasons == {"missing timestamp": 1}
    assert report.linked_ids == 1  # 1111.1717236000 -> u-42
    assert _events(log) == GA4_EVENTS
    assert _attribute(log, "event_params.page_location", "view_item") == (
        "https://shop.example/p/tent"
    )
    assert _attribute(log, "event_params.engagement_time_msec", "view_item") == 5200
    assert _attribute(log, "event_params.value", "purchase") == 129.5
    assert _attribute(log, "event_params.percent_scrolled", "scroll") == 90
    assert _attribute(log, "user_properties.plan", "purchase") == "pro"
    assert _attribute(log, "device.web_info.browser", "scroll") == "Chrome"
    assert _attribute(log, "geo.country", "scroll") == "PL"
    channels = log.con.sql("SELECT DISTINCT channel FROM events").fetchall()
    assert channels == [("WEB",)]


def test_ga4_prefix_is_the_same_as_the_format() -> None:
    log = load_events(f"ga4:{DATA / 'ga4.parquet'}")
    assert _events(log) == GA4_EVENTS


def test_nested_fields_in_map_conditions() -> None:
    """A map's evidence rule addresses a flattened GA4 parameter like any attribute."""
    journey = parse_map(_NESTED_MAP)
    sources = Sources(DATA / "ga4.parquet", ColumnMapping(format="ga4"))
    result = evaluate(journey, sources, EvaluationSettings(insights=None))
    assert result.analysis is not None
    reach = {r["step"]: r["customers"] for r in result.analysis.to_dict()["reach"]}
    assert reach == {"product": 1, "big_order": 1}


@pytest.mark.spark
def test_nested_attributes_on_spark_as_on_duckdb(spark: Any) -> None:
    """Dotted attribute names (GA4's parameters, nested structs) in conditions and segments
    give the same numbers on both engines."""
    from .conftest import SPARK_CONFIG, SPARK_MASTER

    journey = parse_map(_NESTED_MAP)
    options = AnalysisOptions(journeys=JourneyOptions(segment_by="geo.country"))
    sources = Sources(DATA / "ga4.parquet", ColumnMapping(format="ga4"))
    reach = []
    for engine, engine_options in (
        ("duckdb", {}), ("spark", {"master": SPARK_MASTER, "config": SPARK_CONFIG}),
    ):  # fmt: skip
        settings = EvaluationSettings(engine=engine, engine_options=engine_options,
                                      insights=None, analysis=options)  # fmt: skip
        result = evaluate(journey, sources, settings)
        assert result.analysis is not None
        reach.append(sorted((r["segment"], r["step"], r["customers"])
                            for r in result.analysis.to_dict()["reach"]))  # fmt: skip
    assert reach[0] == reach[1] == [("GB", "big_order", 1), ("GB", "product", 1)]


def test_segment_calls() -> None:
    log = load_events(DATA / "segment.jsonl", ColumnMapping(format="segment"))
    report = log.report
    # 7 calls: 1 identify (links ids, no event), 6 events of which 1 has an unreadable time
    assert (report.read, report.loaded, report.quarantined) == (6, 5, 1)
    assert report.reasons == {"unparseable timestamp": 1}
    assert report.linked_ids == 2  # anon-1 by the identify call, anon-9 by an event
    assert _events(log) == [
        ("anon-2", "2024-06-03 11:00:00", "Signup Started"),
        ("user-7", "2024-06-03 09:00:00", "Viewed Pricing Page"),
        ("user-7", "2024-06-03 09:01:00", "Signup Started"),
        ("user-7", "2024-06-03 09:02:30", "Signup Completed"),
        ("user-7", "2024-06-04 06:00:00", "Report Viewed"),  # +02:00 in the file
    ]
    assert _attribute(log, "properties.plan", "Signup Completed") == "team"
    assert _attribute(log, "properties.seats", "Signup Completed") == 5
    assert _attribute(log, "context.page.path", "Signup Started") == "/pricing"
    bad = log.quarantined().to_pylist()
    assert bad[0]["location"] == "row 7" and "not a time" in bad[0]["record"]


def test_mixpanel_raw_export() -> None:
    log = load_events(DATA / "mixpanel.jsonl", ColumnMapping(format="mixpanel"))
    report = log.report
    assert (report.read, report.loaded, report.quarantined) == (5, 4, 1)
    assert report.reasons == {"missing timestamp": 1}
    assert _events(log) == [
        ("d-2", "2024-06-03 09:00:00", "Sign Up"),
        ("d-2", "2024-06-03 11:00:00", "Invite Sent"),
        ("u-1", "2024-06-03 09:00:00", "Sign Up"),  # device d-1, before signing up
        ("u-1", "2024-06-03 10:00:00", "Upgrade"),
    ]
    assert _attribute(log, "properties.plan", "Upgrade") == "pro"
    assert _attribute(log, "properties.$browser", "Invite Sent") == "Chrome"


def test_amplitude_export() -> None:
    log = load_events(DATA / "amplitude.jsonl", ColumnMapping(format="amplitude"))
    assert (log.report.read, log.report.loaded, log.report.quarantined) == (3, 3, 0)
    assert _events(log) == [
        ("cust-1", "2024-06-05 07:00:00", "app_open"),
        ("cust-1", "2024-06-05 07:03:10", "checkout"),
        ("dev-b", "2024-06-05 08:00:00", "app_open"),
    ]
    assert _attribute(log, "event_properties.items", "checkout") == 2
    assert _attribute(log, "user_properties.tier", "checkout") == "gold"


def test_a_mapping_given_by_hand_wins_over_the_format() -> None:
    log = load_events(
        DATA / "ga4.parquet",
        ColumnMapping(format="ga4", customer_id="user_pseudo_id", anonymous_id=None),
    )
    customers = log.con.sql("SELECT DISTINCT customer_id FROM events ORDER BY 1").fetchall()
    assert customers == [("1111.1717236000",), ("2222.1717322400",)]


def test_an_unknown_format_is_named_plainly() -> None:
    with pytest.raises(ValueError, match="no event format 'ga5'"):
        load_events(DATA / "ga4.parquet", ColumnMapping(format="ga5"))


def test_generic_nested_address_in_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "nested.jsonl"
    path.write_text(
        '{"who": {"id": "a"}, "what": "open", "when": {"ms": 1717236000000}}\n'
        '{"who": {"id": "a"}, "what": "buy", "when": {"ms": 1717236060000}, "meta": {"n": 2}}\n'
    )
    log = load_events(path, ColumnMapping.parse_pairs(["customer_id=who.id", "event=what",
                                                       "ts=when.ms"]))  # fmt: skip
    assert _events(log) == [
        ("a", "2024-06-01 10:00:00", "open"),
        ("a", "2024-06-01 10:01:00", "buy"),
    ]
    assert log.attributes == ["meta.n"]
    assert any("milliseconds" in note for note in log.report.notes)  # the unit, inferred


@pytest.mark.parametrize(
    ("value", "unit"),
    [(1717236000, "seconds"), (1717236000123, "milliseconds"), (1717236000123456, "microseconds"),
     (1717236000123456789, "nanoseconds")],
)  # fmt: skip
def test_epoch_units_are_inferred_from_their_size(value: int, unit: str) -> None:
    frame = pd.DataFrame({"customer_id": ["a"], "ts": [value], "event": ["x"]})
    log = load_events(frame)
    assert log.report.loaded == 1 and unit in log.report.notes[0]
    assert _events(log)[0][1] == "2024-06-01 10:00:00"


def test_a_wrong_unit_is_quarantined_with_a_reason_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "us.csv"
    path.write_text("customer_id,ts,event\na,1717236000123456,x\nb,1717236000,y\n")
    log = load_events(path, ColumnMapping(ts_unit="s"))
    assert log.report.loaded == 1
    [reason] = log.report.reasons
    assert "check the time unit" in reason
    assert "1717236000123456" in log.quarantined().to_pylist()[0]["record"]
    with pytest.raises(ValueError, match="ts_unit must be s, ms, us or ns"):
        ColumnMapping(ts_unit="millis")


def test_duckdb_view_schema_table_and_sql_file(tmp_path: Path) -> None:
    db = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE SCHEMA crm")
    con.execute(
        "CREATE TABLE crm.raw_events AS SELECT * FROM (VALUES "
        "('a', TIMESTAMP '2024-06-01 10:00', 'visit'), ('a', TIMESTAMP '2024-06-01 11:00', 'buy'), "
        "('b', NULL, 'visit')) v(customer_id, ts, event)"
    )
    con.execute("CREATE VIEW crm.events AS SELECT * FROM crm.raw_events WHERE event <> 'ignored'")
    con.close()
    query = tmp_path / "buys.sql"
    query.write_text("SELECT customer_id, ts, event FROM crm.raw_events WHERE event = 'buy';\n")
    for spec, loaded in ((f"duckdb:{db}::crm.events", 2), (f"duckdb:{db}::crm.raw_events", 2),
                         (f"duckdb:{db}::{query}", 1)):  # fmt: skip
        log = load_events(spec)
        assert (log.report.read, log.report.loaded) == (loaded + (loaded == 2), loaded), spec


def test_a_bare_database_file_and_its_one_table(tmp_path: Path) -> None:
    path = tmp_path / "shop.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE events (customer_id TEXT, ts TEXT, event TEXT)")
    db.execute("INSERT INTO events VALUES ('a', '2024-06-01 10:00:00', 'visit')")
    db.commit()
    assert load_events(path).report.loaded == 1
    query = tmp_path / "visits.sql"
    query.write_text("SELECT customer_id, ts, 'visited ' || event AS event FROM events")
    log = load_events(f"sqlite:{path}::{query}")
    assert log.con.sql("SELECT event FROM events").fetchall() == [("visited visit",)]
    query.write_text("DELETE FROM events; SELECT 1")
    with pytest.raises(ValueError, match="write one SELECT query"):
        load_events(f"sqlite:{path}::{query}")
    db.execute("CREATE TABLE other (x)")
    db.commit()
    db.close()
    with pytest.raises(ValueError, match=r"2 tables \(events, other\): name one, as sqlite:"):
        load_events(path)
    renamed = tmp_path / "shop.dat"
    path.rename(renamed)
    with pytest.raises(ValueError, match="is a SQLite database: name the table"):
        load_events(renamed)


@pytest.mark.parametrize("name", ["log.jsonocel", "log.xmlocel"])
def test_ocel_files_are_not_read_as_csv(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An installation without an OCEL reader (the built-in one taken away) refuses an OCEL file
    in words instead of reading it as CSV."""
    from journeyscope import plugins

    readers = plugins.event_readers()
    without = {k: r for k, r in readers.items() if not any(name.endswith(s) for s in r.suffixes)}
    assert "ocel" in readers and "ocel" not in without
    monkeypatch.setattr(plugins, "event_readers", lambda: without)
    path = tmp_path / name
    path.write_text('{"objectTypes": [], "eventTypes": [], "objects": [], "events": []}')
    with pytest.raises(ValueError, match=r"OCEL 2\.0 .* log, which this installation does not"):
        load_events(path)


@pytest.mark.postgres
def test_postgresql_table_and_query(tmp_path: Path) -> None:
    import psycopg

    from .conftest import postgres_schema

    with postgres_schema() as url:
        schema = url.rsplit("%3D", 1)[1]
        server = "postgresql://postgres@127.0.0.1:5432/test"
        with psycopg.connect(server, autocommit=True) as db:
            db.execute(f'CREATE TABLE "{schema}".web_events (customer_id text, ts timestamptz, '
                       "event text, plan text)")  # fmt: skip
            db.execute(
                f'INSERT INTO "{schema}".web_events VALUES '
                "('a', '2024-06-01 12:00+02', 'visit', 'pro'), ('a', NULL, 'buy', 'pro'), "
                "('b', '2024-06-01 10:30+00', 'visit', NULL)"
            )
        log = load_events(f"{server}::{schema}.web_events")
        assert (log.report.read, log.report.loaded, log.report.reasons) == (
            3, 2, {"missing timestamp": 1},
        )  # fmt: skip
        assert _events(log) == [
            ("a", "2024-06-01 10:00:00", "visit"),
            ("b", "2024-06-01 10:30:00", "visit"),
        ]
        assert log.attributes == ["plan"]
        query = tmp_path / "visits.sql"
        query.write_text(f"SELECT * FROM \"{schema}\".web_events WHERE event = 'visit'")
        assert load_events(f"{server}::{query}").report.loaded == 2
        with pytest.raises(ValueError, match=r"cannot read postgresql://postgres@127\.0\.0\.1"):
            load_events(f"{server}::{schema}.missing")


def test_one_hundred_thousand_distinct_event_names() -> None:
    """Page URLs as events: more distinct names than a 2-byte step code holds."""
    n = 100_000
    frame = pd.DataFrame({
        "customer_id": [f"c{i % 5000}" for i in range(n)],
        "ts": pd.date_range("2024-01-01", periods=n, freq="min", tz="UTC"),
        "event": [f"/page/{i}" for i in range(n)],
    })  # fmt: skip
    result = evaluate(None, Sources(frame), EvaluationSettings(insights=None))
    assert result.analysis is not None
    data = result.analysis.to_dict()
    assert data["summary"]["events"] == n and len(data["steps"]) == n
    top = data["variants"][0]
    assert top["variant"][:2] == ["/page/0", "/page/5000"]  # c0's first two pages, in order


def test_zendesk_tickets_as_contacts() -> None:
    log = load_events(DATA / "zendesk.jsonl", ColumnMapping(format="zendesk"))
    assert (log.report.read, log.report.loaded, log.report.reasons) == (
        5, 4, {"not a JSON object": 1},
    )  # fmt: skip
    rows = log.con.sql("SELECT customer_id, channel FROM events ORDER BY seq").fetchall()
    assert rows == [("20978392", "email"), ("20978400", "chat"), ("20978401", "web"),
                    ("20978402", "web")]  # fmt: skip
    assert _attribute(log, "satisfaction_rating.score", "ticket_created") == "good"


def test_file_order_when_there_are_no_times(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("case,activity\nc1,register\nc1,check\nc2,register\nc1,decide\n")
    mapping = ColumnMapping.parse_pairs(["customer_id=case", "event=activity", "file_order=true"])
    log = load_events(path, mapping)
    assert log.report.loaded == 4 and "file_order" in log.report.notes[0]
    rows = log.con.sql("SELECT customer_id, event FROM events ORDER BY customer_id, ts, seq")
    assert rows.fetchall() == [("c1", "register"), ("c1", "check"), ("c1", "decide"),
                               ("c2", "register")]  # fmt: skip
    with pytest.raises(ValueError, match="no column 'ts' for the ts"):
        load_events(path, ColumnMapping(customer_id="case", event="activity"))


def test_hostile_nested_keys_are_only_names(tmp_path: Path) -> None:
    """Keys become column names through sql.ident and literal: quotes, dots and SQL in them
    stay text."""
    path = tmp_path / "hostile.jsonl"
    key = "x\"); DROP TABLE events; --'"
    path.write_text(
        '{"customer_id": "a", "ts": "2024-06-01T10:00:00Z", "event": "open", '
        f'"properties": {{{json.dumps(key)}: "v1", "a.b": {{"c": "v2"}}}}}}\n'
    )
    log = load_events(path)
    assert log.report.loaded == 1
    assert sorted(log.attributes) == sorted([f"properties.{key}", "properties.a.b.c"])
    assert _attribute(log, f"properties.{key}", "open") == "v1"
    assert _attribute(log, "properties.a.b.c", "open") == "v2"


@pytest.mark.parametrize(
    ("depth", "leaf"), [(3, "p.k.k.k"), (20, "p.k.k.k.k.k.k.k.k"), (3000, "p")]
)
def test_deep_nesting_stays_one_value_below_eight_levels(
    tmp_path: Path, depth: int, leaf: str
) -> None:
    value = "1"
    for _ in range(depth):
        value = '{"k":' + value + "}"
    path = tmp_path / "deep.jsonl"
    path.write_text(
        '{"customer_id":"a","ts":"2024-06-01T10:00:00Z","event":"x","p":' + value + "}\n"
    )
    log = load_events(path)
    assert log.report.loaded == 1 and log.attributes == [leaf]
    kept = _attribute(log, leaf, "x")
    assert str(kept) == "1" if depth == 3 else str(kept).startswith('{"k":')
