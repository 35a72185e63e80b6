"""The streaming XES reader, checked row for row against pm4py's own reader."""

from __future__ import annotations

import gzip
import shutil
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from journeyscope.events import load_events
from journeyscope.events.xes import NO_TIME, read_xes, xes_columns

NS = ' xmlns="http://www.xes-standard.org/"'

HAND_WRITTEN = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0"{ns}>
  <string key="concept:name" value="the log"/>
  <global scope="event"><string key="concept:name" value="__INVALID__"/></global>
  <trace>
    <string key="concept:name" value="c1"/>
    <string key="segment" value="gold"/>
    <event>
      <string key="concept:name" value="visit"/>
      <date key="time:timestamp" value="2010-12-30T11:02:00.000+01:00"/>
      <string key="channel" value="web"/>
      <string key="org:resource" value="Ann"/>
      <int key="amount" value="3"/>
    </event>
    <event>
      <string key="concept:name" value="buy"/>
      <string key="channel" value="app"/>
    </event>
    <event>
      <string key="concept:name" value="pay"/>
      <date key="time:timestamp" value="2010-12-30T10:00:00.000+01:00"/>
      <float key="cost" value="1.5"/>
      <boolean key="ok" value="true"/>
    </event>
    <event>
      <string key="concept:name" value="leave"/>
      <date key="time:timestamp" value="2010-12-30T10:00:00.000+01:00"/>
    </event>
  </trace>
  <trace>
    <event>
      <string key="concept:name" value="visit"/>
      <date key="time:timestamp" value="2010-12-30T11:02:00.000Z"/>
      <id key="ref" value="7f1c"/>
    </event>
    <int key="age" value="42"/>
    <string key="concept:name" value="c2"/>
  </trace>
</log>
"""


def _quiet_pm4py() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py
    return pm4py


def _pm4py_read(path: Path) -> pd.DataFrame:
    pm4py = _quiet_pm4py()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pm4py.read_xes(str(path))


def _ours(path: Path, batch_size: int = 100_000) -> dict[str, list[str | None]]:
    """Our rows as column -> values (None for null)."""
    schema = pa.schema([(c, pa.string()) for c in xes_columns(path)])
    return pa.Table.from_batches(list(read_xes(path, batch_size)), schema=schema).to_pydict()


def _utc(values: Any) -> list[Any]:
    parsed = pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601")
    return [None if pd.isna(t) else t for t in parsed]


def _text(values: Any) -> list[str | None]:
    return [None if pd.isna(v) else str(v) for v in values]


def _assert_same_as_pm4py(path: Path, oracle: Path | None = None) -> dict[str, list[Any]]:
    """Our rows equal pm4py's: count, case ids, activities and UTC times, in order."""
    ours, theirs = _ours(path), _pm4py_read(oracle or path)
    assert len(ours["event"]) == len(theirs)
    assert _text(ours["customer_id"]) == _text(theirs["case:concept:name"])
    assert _text(ours["event"]) == _text(theirs["concept:name"])
    assert _utc(ours["ts"]) == _utc(theirs["time:timestamp"])
    assert {c for c in ours if c.startswith("case:")} == {
        c for c in theirs if c.startswith("case:") and c != "case:concept:name"
    }
    return ours


def _write_text(tmp_path: Path, namespace: str = NS, name: str = "log.xes") -> Path:
    path = tmp_path / name
    path.write_text(HAND_WRITTEN.format(ns=namespace), encoding="utf-8")
    return path


def _gzip(source: Path, target: Path) -> Path:
    with source.open("rb") as plain, gzip.open(target, "wb") as packed:
        shutil.copyfileobj(plain, packed)
    return target


def _write_with_pm4py(tmp_path: Path) -> Path:
    frame = pd.DataFrame(
        {
            "cust": ["a", "a", "b", "a", "b", "c"],
            "act": ["visit", "buy", "visit", "pay", "leave", "visit"],
            "when": pd.to_datetime(
                [
                    *("2024-05-01 10:00", "2024-05-01 10:05", "2024-05-01 09:00"),
                    *("2024-05-01 10:05", "2024-05-02 00:00", "2024-03-31 02:30"),
                ]
            ).tz_localize("Europe/Berlin", nonexistent="shift_forward"),
            "channel": ["web", "app", "web", "app", "store", "email"],
            "org:resource": ["x", "y", "z", "x", "y", "z"],
            "case:segment": ["gold", "gold", "silver", "gold", "silver", "gold"],
        }
    )
    pm4py = _quiet_pm4py()
    path = tmp_path / "pm4py.xes"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        formatted = pm4py.format_dataframe(
            frame, case_id="cust", activity_key="act", timestamp_key="when"
        )
        pm4py.write_xes(formatted, str(path))
    return path


def test_a_log_written_by_pm4py_reads_like_pm4py_reads_it(tmp_path: Path) -> None:
    ours = _assert_same_as_pm4py(_write_with_pm4py(tmp_path))
    assert ours["customer_id"] == ["a", "a", "a", "b", "b", "c"]
    assert ours["case:segment"] == ["gold"] * 3 + ["silver"] * 2 + ["gold"]
    assert ours["channel"] == ["web", "app", "app", "web", "store", "email"]
    assert {"org:resource", "cust", "act", "when"} <= set(ours)


@pytest.mark.parametrize("namespace", [NS, ""], ids=["namespaced", "no-namespace"])
def test_hand_written_logs_read_like_pm4py_reads_them(tmp_path: Path, namespace: str) -> None:
    ours = _assert_same_as_pm4py(_write_text(tmp_path, namespace))
    assert ours["ts"][:2] == ["2010-12-30T11:02:00.000+01:00", None]  # as written
    assert ours["event"] == ["visit", "buy", "pay", "leave", "visit"]  # ties keep order
    assert ours["channel"] == ["web", "app", None, None, None]
    assert ours["amount"] == ["3", None, None, None, None]
    assert ours["ok"] == [None, None, "true", None, None]


def test_trace_attributes_become_case_columns_on_every_event(tmp_path: Path) -> None:
    path = _write_text(tmp_path)
    ours, theirs = _ours(path), _pm4py_read(path)
    assert ours["customer_id"] == ["c1"] * 4 + ["c2"]
    assert ours["case:segment"] == ["gold"] * 4 + [None]
    assert ours["case:age"] == [None] * 4 + ["42"]  # read after the trace's events
    assert _text(ours["case:segment"]) == _text(theirs["case:segment"])


def test_columns_are_core_then_event_keys_then_case_keys(tmp_path: Path) -> None:
    assert xes_columns(_write_text(tmp_path)) == [
        *("customer_id", "ts", "event", "channel", "org:resource", "amount", "cost", "ok"),
        *("ref", "case:segment", "case:age"),
    ]


@pytest.mark.parametrize("name", ["log.xes.gz", "disguised.xes"])
def test_gzip_is_detected_by_its_magic_bytes(tmp_path: Path, name: str) -> None:
    plain = _write_text(tmp_path, name="plain.xes")
    packed = _gzip(plain, tmp_path / name)
    _assert_same_as_pm4py(packed, oracle=plain)
    assert _ours(packed) == _ours(plain)


def test_small_batches_give_the_same_rows_as_one_batch(tmp_path: Path) -> None:
    path = _write_text(tmp_path)
    batches = list(read_xes(path, batch_size=2))
    assert [b.num_rows for b in batches] == [2, 2, 1]
    assert all(b.schema.names == xes_columns(path) for b in batches)
    assert all(t == pa.string() for b in batches for t in b.schema.types)
    assert _ours(path, batch_size=2) == _ours(path)


def test_list_values_clashing_keys_and_loose_events(tmp_path: Path) -> None:
    path = tmp_path / "odd.xes"
    path.write_text(
        '<log><trace><event><string key="concept:name" value="a"/>'
        '<string key="ts" value="shadow"/><list key="items"><values>'
        '<string key="inner" value="x"/></values></list></event></trace>'
        '<event><string key="concept:name" value="b"/></event></log>',
        encoding="utf-8",
    )
    assert xes_columns(path) == ["customer_id", "ts", "event", "channel"]
    assert _ours(path) == {  # no event has a time: file order, every event at NO_TIME
        "customer_id": [None, None],
        "ts": [NO_TIME, NO_TIME],
        "event": ["a", "b"],
        "channel": [None, None],
    }


def test_an_empty_log_has_the_core_columns_and_no_batches(tmp_path: Path) -> None:
    path = tmp_path / "empty.xes"
    path.write_text(f"<log{NS}/>", encoding="utf-8")
    assert xes_columns(path) == ["customer_id", "ts", "event", "channel"]
    assert list(read_xes(path)) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<log>\n<trace>\n<event></trace></log>", r"line 3"),
        (b"", r"not well-formed XML"),
        (b"<html><body/></html>", r"not an XES log \(root element is <html>\)"),
        (b"\x1f\x8bnot really gzip", r"corrupt gzip"),
    ],
    ids=["mismatched-tag", "empty", "not-xes", "bad-gzip"],
)
def test_a_broken_file_raises_a_value_error_naming_it(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "broken.xes"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as raised:
        list(read_xes(path))
    assert str(path) in str(raised.value)


def test_batch_size_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        read_xes(_write_text(tmp_path), batch_size=0)


def test_memory_stays_flat_on_a_larger_log(tmp_path: Path) -> None:
    event = (
        '<event><string key="concept:name" value="step"/>'
        '<date key="time:timestamp" value="2024-01-01T00:00:00Z"/>'
        '<string key="org:resource" value="somebody"/></event>'
    )
    trace = f'<trace><string key="concept:name" value="c"/>{event * 10}</trace>\n'
    path = tmp_path / "big.xes"
    path.write_text(f"<log{NS}>{trace * 3000}</log>", encoding="utf-8")
    next(read_xes(path, batch_size=10))  # warm up: the key pass and lazy imports are not counted
    tracemalloc.start()
    try:
        rows = sum(batch.num_rows for batch in read_xes(path, batch_size=1000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert rows == 30_000
    assert peak < path.stat().st_size / 4  # a whole tree would take several times the file


def test_load_events_reads_an_xes_file(tmp_path: Path) -> None:
    log = load_events(_write_text(tmp_path))
    assert (log.report.loaded, log.report.reasons) == (4, {"missing timestamp": 1})
    assert log.con.execute("SELECT count(*) FROM events WHERE ts IS NULL").fetchone() == (0,)
