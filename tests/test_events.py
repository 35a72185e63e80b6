"""Event input: every source format, column mapping, time zones, and the quarantine of bad rows."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from journeyscope.events import ColumnMapping, load_events

UTC = dt.UTC
ROWS = [
    {"customer_id": "a", "ts": "2024-05-01 10:00:00", "event": "visit", "channel": "web"},
    {"customer_id": "a", "ts": "2024-05-01 10:05:00", "event": "buy", "channel": "web"},
    {"customer_id": "b", "ts": "2024-05-02 08:00:00", "event": "visit", "channel": "app"},
]


def _events(log: object) -> list[tuple[object, ...]]:
    return log.con.execute(  # type: ignore[attr-defined, no-any-return]
        "SELECT customer_id, ts, seq, event, channel FROM events ORDER BY seq"
    ).fetchall()


EXPECTED = [
    ("a", dt.datetime(2024, 5, 1, 10, 0, tzinfo=UTC), 1, "visit", "web"),
    ("a", dt.datetime(2024, 5, 1, 10, 5, tzinfo=UTC), 2, "buy", "web"),
    ("b", dt.datetime(2024, 5, 2, 8, 0, tzinfo=UTC), 3, "visit", "app"),
]


def _write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.parametrize("kind", ["csv", "tsv", "parquet", "jsonl", "duckdb", "sqlite"])
def test_every_file_source_loads_the_same_rows(tmp_path: Path, kind: str) -> None:
    frame = pd.DataFrame(ROWS)
    if kind == "csv":
        source: str = str(_write_csv(tmp_path / "e.csv", ROWS))
    elif kind == "tsv":
        source = str(tmp_path / "e.tsv")
        frame.to_csv(source, sep="\t", index=False)
    elif kind == "parquet":
        source = str(tmp_path / "e.parquet")
        pq.write_table(pa.Table.from_pandas(frame), source)
    elif kind == "jsonl":
        source = str(tmp_path / "e.jsonl")
        Path(source).write_text("\n".join(json.dumps(r) for r in ROWS) + "\n", encoding="utf-8")
    elif kind == "duckdb":
        db = tmp_path / "e.duckdb"
        con = duckdb.connect(str(db))
        con.execute("CREATE TABLE clicks AS SELECT * FROM frame")
        con.close()
        source = f"duckdb:{db}::clicks"
    else:
        db = tmp_path / "e.sqlite"
        with sqlite3.connect(db) as con3:
            frame.to_sql("clicks", con3, index=False)
        source = f"sqlite:{db}::clicks"
    log = load_events(source)
    assert _events(log) == EXPECTED
    assert log.report.loaded == 3 and log.report.quarantined == 0


@pytest.mark.parametrize("kind", ["pandas", "polars", "arrow"])
def test_dataframes_load(kind: str) -> None:
    frame = pd.DataFrame(ROWS)
    data = {"pandas": frame, "polars": pl.from_pandas(frame), "arrow": pa.Table.from_pandas(frame)}
    assert _events(load_events(data[kind])) == EXPECTED


def test_xes_file_loads(tmp_path: Path) -> None:
    xes = tmp_path / "log.xes"
    xes.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><log xes.version="1.0">'
        '<trace><string key="concept:name" value="a"/>'
        '<event><string key="concept:name" value="visit"/><string key="channel" value="web"/>'
        '<date key="time:timestamp" value="2024-05-01T12:00:00.000+02:00"/></event>'
        '<event><string key="concept:name" value="buy"/><string key="channel" value="web"/>'
        '<date key="time:timestamp" value="2024-05-01T12:05:00.000+02:00"/></event></trace>'
        '<trace><string key="concept:name" value="b"/>'
        '<event><string key="concept:name" value="visit"/><string key="channel" value="app"/>'
        '<date key="time:timestamp" value="2024-05-02T08:00:00.000Z"/></event></trace></log>',
        encoding="utf-8",
    )
    assert _events(load_events(xes)) == EXPECTED


def test_column_mapping_and_time_zones(tmp_path: Path) -> None:
    rows = [
        {"case": "a", "when": "01.05.2024 12:00", "what": "visit", "via": "web", "amount": "5"},
        {"case": "b", "when": "02.05.2024 10:00", "what": "visit", "via": "app", "amount": ""},
    ]
    path = _write_csv(tmp_path / "crm.csv", rows)
    mapping = ColumnMapping.parse_pairs(
        [
            "customer_id=case",
            "ts=when",
            "event=what",
            "channel=via",
            "ts_format=%d.%m.%Y %H:%M",
            "timezone=Europe/Warsaw",
        ]
    )
    log = load_events(path, mapping)
    got = log.con.execute("SELECT customer_id, ts, channel, amount FROM events").fetchall()
    assert got == [
        ("a", dt.datetime(2024, 5, 1, 10, 0, tzinfo=UTC), "web", "5"),  # CEST = UTC+2
        ("b", dt.datetime(2024, 5, 2, 8, 0, tzinfo=UTC), "app", None),
    ]
    assert log.attributes == ["amount"]
    # offsets in the text win over the zone; epoch seconds and milliseconds are read too
    mixed = pd.DataFrame(
        {"customer_id": ["x", "y", "z"], "event": ["e", "e", "e"],
         "ts": ["2024-05-01T10:00:00+03:00", "1714557600", "2024-05-01T07:00:00Z"]}
    )  # fmt: skip
    times = load_events(mixed).con.execute("SELECT ts FROM events ORDER BY seq").fetchall()
    assert {t for (t,) in times} == {dt.datetime(2024, 5, 1, 7, 0, tzinfo=UTC),
                                     dt.datetime(2024, 5, 1, 10, 0, tzinfo=UTC)}  # fmt: skip
    ms = pd.DataFrame({"customer_id": ["x"], "event": ["e"], "ts": [1714557600000]})
    log = load_events(ms, ColumnMapping(ts_unit="ms"))
    assert log.con.execute("SELECT ts FROM events").fetchall() == [
        (dt.datetime(2024, 5, 1, 10, 0, tzinfo=UTC),)
    ]


def test_mapping_errors_name_the_columns(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "e.csv", ROWS)
    with pytest.raises(ValueError, match=r"no column 'when' for the ts; columns are: customer_id"):
        load_events(path, ColumnMapping(ts="when"))
    with pytest.raises(ValueError, match="name=column"):
        ColumnMapping.parse_pairs(["ts"])
    with pytest.raises(FileNotFoundError):
        load_events(tmp_path / "missing.csv")


def test_every_bad_row_kind_is_quarantined_with_its_reason(tmp_path: Path) -> None:
    text = (
        "customer_id,ts,event,channel\n"
        "a,2024-05-01 10:00:00,visit,web\n"  # good
        ",2024-05-01 10:01:00,visit,web\n"  # missing id
        "b,,visit,web\n"  # missing timestamp
        "c,the day after,visit,web\n"  # unparseable timestamp
        "d,2024-05-01 10:02:00,,web\n"  # missing event name
        "e,2024-05-01 10:03:00\n"  # too few columns
        "f,2024-05-01 10:04:00,visit,web,extra\n"  # too many columns
        "g,2024-05-01 10:05:00,buy,app\n"  # good
    )
    path = tmp_path / "events.csv"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "bad" / "quarantine.csv"
    log = load_events(path, quarantine=out)
    report = log.report
    assert (report.read, report.loaded, report.quarantined) == (8, 2, 6)
    assert report.read == report.loaded + report.quarantined  # nothing silently dropped
    assert report.reasons == {
        "malformed CSV row (missing columns)": 1,
        "malformed CSV row (too many columns)": 1,
        "missing customer id": 1,
        "missing event name": 1,
        "missing timestamp": 1,
        "unparseable timestamp": 1,
    }
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 6
    by_reason = {row["reason"].split(" (")[0]: row for row in rows}
    assert "the day after" in by_reason["unparseable timestamp"]["record"]
    assert by_reason["malformed CSV row"]["location"].startswith("line ")
    assert log.quarantined().num_rows == 6


def test_broken_json_lines_are_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    lines = [json.dumps(ROWS[0]), "{not json", "[1, 2]", "", json.dumps(ROWS[1])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log = load_events(path)
    assert log.report.loaded == 2 and log.report.reasons == {"not a JSON object": 2}
    locations = [r["location"] for r in log.quarantined().to_pylist()]
    assert locations == ["line 2", "line 3"]


def test_customers_table_and_its_bad_rows(tmp_path: Path) -> None:
    events = _write_csv(tmp_path / "e.csv", ROWS)
    customers = _write_csv(
        tmp_path / "c.csv",
        [
            {"customer_id": "a", "segment": "solo"},
            {"customer_id": "b", "segment": "family"},
            {"customer_id": "", "segment": "x"},
            {"customer_id": "a", "segment": "dup"},
        ],
    )
    log = load_events(events, customers=customers)
    assert log.report.customers == 2 and log.report.customer_rows_quarantined == 2
    reasons = sorted(r["reason"] for r in log.quarantined().to_pylist())
    assert reasons == ["duplicate customer id", "missing customer id"]


def test_parquet_is_read_in_place_and_its_bad_rows_quarantined(tmp_path: Path) -> None:
    """A Parquet log is not copied: ``events`` is a view that leaves the bad rows out, and the
    ingestion order is the file's row number."""
    rows = [
        {"customer_id": "a", "ts": "2024-05-01 10:00:00", "event": "visit", "channel": "web"},
        {"customer_id": None, "ts": "2024-05-01 10:01:00", "event": "visit", "channel": "web"},
        {"customer_id": "a", "ts": "the day after", "event": "buy", "channel": "web"},
        {"customer_id": "b", "ts": "2024-05-02 08:00:00", "event": "visit", "channel": "app"},
    ]
    source = tmp_path / "e.parquet"
    pq.write_table(pa.Table.from_pylist(rows), source)
    out = tmp_path / "q.csv"
    log = load_events(source, quarantine=out)
    kinds = dict(
        log.con.execute("SELECT table_name, table_type FROM information_schema.tables").fetchall()
    )
    assert kinds["events"] == "VIEW"
    assert (log.report.read, log.report.loaded, log.report.quarantined) == (4, 2, 2)
    assert log.report.reasons == {"missing customer id": 1, "unparseable timestamp": 1}
    assert [(c, s, e) for c, _, s, e, _ in _events(log)] == [("a", 1, "visit"), ("b", 4, "visit")]
    assert [r["location"] for r in log.quarantined().to_pylist()] == ["row 2", "row 3"]
    copy = tmp_path / "copy.parquet"
    log.to_parquet(copy)  # a view copies like a table
    assert pq.read_table(copy).num_rows == 2


@pytest.mark.parametrize("kind", ["parquet", "duckdb"])
def test_typed_bad_rows_are_counted_in_place(tmp_path: Path, kind: str) -> None:
    """With typed columns the bad rows are counted by a filter a Parquet scan answers from each
    row group's statistics; row groups with and without bad rows, and a DuckDB table read in
    place, give the same counts as a read of every row."""
    at = dt.datetime(2024, 5, 1, 10, tzinfo=dt.UTC)
    rows = [
        {"customer_id": "a", "ts": at, "event": "visit"},
        {"customer_id": "b", "ts": at, "event": "visit"},  # first row group: clean
        {"customer_id": "", "ts": at, "event": "visit"},
        {"customer_id": "c", "ts": None, "event": "buy"},
        {"customer_id": "c", "ts": at, "event": ""},
        {"customer_id": "c", "ts": at, "event": "buy"},
    ]
    table = pa.Table.from_pylist(rows)
    source = str(tmp_path / "typed.parquet")
    pq.write_table(table, source, row_group_size=2)
    if kind == "duckdb":
        with duckdb.connect(str(tmp_path / "typed.duckdb")) as con:
            con.execute(f"CREATE TABLE clicks AS SELECT * FROM read_parquet('{source}')")
        source = f"duckdb:{tmp_path / 'typed.duckdb'}::clicks"
    log = load_events(source)
    assert (log.report.read, log.report.loaded, log.report.quarantined) == (6, 3, 3)
    assert log.report.reasons == {
        "missing customer id": 1, "missing timestamp": 1, "missing event name": 1,
    }  # fmt: skip
    assert [(c, s) for c, _, s, _, _ in _events(log)] == [("a", 1), ("b", 2), ("c", 6)]


def test_a_parquet_folder_is_one_log_in_file_name_order(tmp_path: Path) -> None:
    """Rows of several files keep file order (files by name): equal times are never shuffled."""
    folder = tmp_path / "log"
    folder.mkdir()
    same = "2024-05-01 10:00:00"
    for name, events in (("part-2", ["c", "d"]), ("part-1", ["a", "b"]), ("part-10", ["e"])):
        rows = [{"customer_id": "x", "ts": same, "event": e, "channel": "web"} for e in events]
        pq.write_table(pa.Table.from_pylist(rows), folder / f"{name}.parquet")
    log = load_events(folder)
    ordered = log.con.execute("SELECT event FROM events ORDER BY ts, seq").fetchall()
    assert [e for (e,) in ordered] == ["a", "b", "e", "c", "d"]  # part-1, part-10, part-2
    assert log.report.loaded == 5


def test_quarantine_files_are_private(tmp_path: Path) -> None:
    """Bad rows are customer data: their file is readable by its owner only."""
    source = tmp_path / "events.csv"
    source.write_text("customer_id,ts,event\na,2024-01-01,x\n,2024-01-01,y\n", encoding="utf-8")
    log = load_events(source, quarantine=tmp_path / "bad.csv")
    assert log.report.quarantined == 1
    assert (tmp_path / "bad.csv").stat().st_mode & 0o777 == 0o600


def test_times_from_a_wrong_unit_are_quarantined_not_loaded(tmp_path: Path) -> None:
    """Epoch milliseconds read as seconds are the year 56302; seconds read as milliseconds are
    January 1970: such rows are quarantined with a reason that names the fix, in memory and in
    a Parquet file read in place (typed times too)."""
    frame = pd.DataFrame({"customer_id": ["x", "y"], "event": ["e", "e"],
                          "ts": [1714557600000, 1714557600]})  # fmt: skip
    reason = "timestamp outside 1980 to next year (check the time unit: ts_unit=s|ms|us|ns)"
    assert load_events(frame).report.reasons == {reason: 1}
    assert load_events(frame, ColumnMapping(ts_unit="ms")).report.reasons == {reason: 1}
    typed = pa.table({"customer_id": ["a", "b", "c"], "event": ["e"] * 3,
                      "ts": pa.array([dt.datetime(2024, 1, 1), dt.datetime(1970, 1, 20),
                                      dt.datetime(9999, 12, 31)], pa.timestamp("us"))})  # fmt: skip
    path = tmp_path / "typed.parquet"
    pq.write_table(typed, path)
    log = load_events(path)
    assert (log.report.loaded, log.report.reasons) == (1, {reason: 2})
    assert log.con.execute("SELECT customer_id FROM events").fetchall() == [("a",)]
