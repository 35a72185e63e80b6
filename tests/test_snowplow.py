"""Snowplow loaded as it is: the enriched TSV (131 fields a line, no header), and the same
events as a warehouse loader stores them (JSON Lines and Parquet with ``contexts_*`` and
``unstruct_event_*`` columns), with only ``format=snowplow`` (or the ``snowplow:`` prefix);
checked against hand-written events, customers, attributes, order and quarantine counts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from journeyscope.evaluation import EvaluationSettings, Sources, evaluate
from journeyscope.events import ColumnMapping, load_events
from journeyscope.events.snowplow import ENRICHED_FIELDS
from journeyscope.formats import parse_map
from journeyscope.sql import ident

DATA = Path(__file__).parent / "data" / "exports"

#: the visitor d-1 logs in as u-7 at 09:02: its earlier events are u-7's; derived_tstamp is
#: the time, collector_tstamp where it is empty (signup_completed); a structured event is
#: named by its action, a self-describing one by its schema's name
EVENTS = [
    ("d-2", "2024-06-10 10:00:00", "page_view"),  # only the first-party cookie
    ("n-3", "2024-06-10 11:00:00", "page_view"),  # only the third-party cookie
    ("u-7", "2024-06-10 09:00:00", "page_view"),
    ("u-7", "2024-06-10 09:00:10", "page_ping"),
    ("u-7", "2024-06-10 09:01:00", "add_to_basket"),
    ("u-7", "2024-06-10 09:02:00", "link_click"),
    ("u-7", "2024-06-10 09:03:00", "signup_completed"),
]
ATTRIBUTES = {
    "contexts_com_acme_product_1.price", "contexts_com_acme_product_1.sku",
    "contexts_com_snowplowanalytics_snowplow_ua_parser_context_1.osFamily",
    "contexts_com_snowplowanalytics_snowplow_ua_parser_context_1.useragentFamily",
    "contexts_com_snowplowanalytics_snowplow_web_page_1.id",
    "unstruct_event_com_acme_signup_completed_1.plan",
    "unstruct_event_com_acme_signup_completed_1.seats",
    "unstruct_event_com_snowplowanalytics_snowplow_link_click_1.targetUrl",
}  # fmt: skip


def _events(log: Any) -> list[tuple[str, str, str]]:
    rows = log.con.sql("SELECT customer_id, ts, event FROM events ORDER BY customer_id, ts, seq")
    return [(c, t.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"), e)
            for c, t, e in rows.fetchall()]  # fmt: skip


def _value(log: Any, name: str, event: str) -> Any:
    sql = f"SELECT {ident(name)} FROM events WHERE event = ? ORDER BY seq LIMIT 1"
    return log.con.execute(sql, [event]).fetchall()[0][0]


def test_the_field_order_is_the_canonical_one() -> None:
    assert len(ENRICHED_FIELDS) == 131
    assert ENRICHED_FIELDS[:6] == ("app_id", "platform", "etl_tstamp", "collector_tstamp",
                                   "dvce_created_tstamp", "event")  # fmt: skip
    assert ENRICHED_FIELDS.index("contexts") == 52
    assert ENRICHED_FIELDS.index("unstruct_event") == 58
    assert ENRICHED_FIELDS.index("derived_tstamp") == 124
    assert ENRICHED_FIELDS[-1] == "true_tstamp"


@pytest.mark.parametrize(
    ("file", "read", "reasons"),
    [
        ("snowplow.tsv", 10, {"missing customer id": 1, "unparseable timestamp": 1,
                              "not a Snowplow enriched event (40 fields, not 131)": 1}),
        ("snowplow.jsonl", 10, {"missing customer id": 1, "unparseable timestamp": 1,
                                "not a JSON object": 1}),
        ("snowplow.parquet", 8, {"missing customer id": 1}),
    ],
)  # fmt: skip
def test_snowplow_enriched_and_warehouse(file: str, read: int, reasons: dict[str, int]) -> None:
    log = load_events(DATA / file, ColumnMapping(format="snowplow"))
    report = log.report
    assert (report.read, report.loaded, report.quarantined) == (read, 7, read - 7)
    assert report.reasons == reasons
    assert report.linked_ids == 1  # d-1 -> u-7, by the events that carry both
    assert report.notes == []
    assert _events(log) == EVENTS
    assert set(log.attributes) >= ATTRIBUTES
    assert _value(log, "contexts_com_acme_product_1.price", "add_to_basket") == 129.5
    assert _value(log, "contexts_com_acme_product_1.sku", "add_to_basket") == "tent-2"
    assert _value(log, "contexts_com_snowplowanalytics_snowplow_web_page_1.id", "page_ping") == (
        "wp-2"
    )
    assert _value(
        log, "contexts_com_snowplowanalytics_snowplow_ua_parser_context_1.useragentFamily",
        "page_view",
    ) == "Firefox"  # fmt: skip
    assert _value(log, "unstruct_event_com_acme_signup_completed_1.seats", "signup_completed") == 5
    assert _value(
        log, "unstruct_event_com_snowplowanalytics_snowplow_link_click_1.targetUrl", "link_click"
    ) == "https://shop.example/signup"  # fmt: skip
    assert _value(log, "event_type", "add_to_basket") == "struct"
    assert _value(log, "se_category", "add_to_basket") == "checkout"
    channels = log.con.sql("SELECT DISTINCT channel FROM events").fetchall()
    assert channels == [("web",)]
    # the raw self-describing JSON columns are replaced by their typed columns
    assert not {"contexts", "derived_contexts", "unstruct_event"} & set(log.attributes)


def test_the_quarantine_says_where_and_why() -> None:
    log = load_events(f"snowplow:{DATA / 'snowplow.tsv'}")
    bad = {row["location"]: row["reason"] for row in log.quarantined().to_pylist()}
    assert bad == {
        "line 8": "not a Snowplow enriched event (40 fields, not 131)",
        "row 9": "missing customer id",  # line 9 of the file: no user, no cookie
        "row 10": "unparseable timestamp",
    }


_MAP = """
journeyscope: 1
id: shop
title: Shop
stages:
  - id: buy
    name: Buy
    steps:
      - id: basket
        name: Big basket
        evidence:
          - event: add_to_basket
            where: ["contexts_com_acme_product_1.price >= 100"]
      - id: signup
        name: Signed up for a team
        evidence:
          - event: signup_completed
            where: ["unstruct_event_com_acme_signup_completed_1.plan == team"]
"""


def test_a_map_binds_through_an_entity_field() -> None:
    journey = parse_map(_MAP)
    result = evaluate(journey, Sources(DATA / "snowplow.tsv", ColumnMapping(format="snowplow")),
                      EvaluationSettings(insights=None))  # fmt: skip
    assert result.analysis is not None
    reach = {r["step"]: r["customers"] for r in result.analysis.to_dict()["reach"]}
    assert reach == {"basket": 1, "signup": 1}


@pytest.mark.spark
def test_spark_declines_snowplow_and_gives_the_same_numbers(spark: Any) -> None:
    """Spark does not read Snowplow's shape itself: the events load on the driver and are
    handed over, with the same reach per step as on DuckDB."""
    from .conftest import SPARK_CONFIG, SPARK_MASTER

    journey = parse_map(_MAP)
    reach = []
    for engine, options in (("duckdb", {}), ("spark", {"master": SPARK_MASTER,
                                                       "config": SPARK_CONFIG})):  # fmt: skip
        settings = EvaluationSettings(engine=engine, engine_options=options, insights=None)
        result = evaluate(journey, Sources(f"snowplow:{DATA / 'snowplow.tsv'}"), settings)
        assert result.analysis is not None
        reach.append({r["step"]: r["customers"] for r in result.analysis.to_dict()["reach"]})
    assert reach[0] == reach[1] == {"basket": 1, "signup": 1}


def test_a_header_tsv_is_the_warehouse_shape(tmp_path: Path) -> None:
    """atomic.events unloaded to a TSV with its header reads by the names."""
    path = tmp_path / "atomic_events.tsv"
    path.write_text(
        "app_id\tplatform\tcollector_tstamp\tevent\tevent_name\tuser_id\tdomain_userid\n"
        "shop\tweb\t2024-06-10 09:00:00\tpage_view\tpage_view\t\td-9\n"
    )
    log = load_events(path, ColumnMapping(format="snowplow"))
    assert _events(log) == [("d-9", "2024-06-10 09:00:00", "page_view")]


def test_a_file_that_is_not_text_is_a_plain_error(tmp_path: Path) -> None:
    path = tmp_path / "enriched.tsv"
    path.write_bytes(b"shop\tweb\t\xff\xfe not UTF-8\n")
    with pytest.raises(ValueError, match="cannot read it as Snowplow's enriched TSV"):
        load_events(f"snowplow:{path}")
