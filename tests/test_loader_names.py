"""Any column name survives the load as an attribute: a column named like one of the loader's
own (``event`` beside a mapped event name, ``seq``, ``channel``, ``_r``, a customers' ``_n``)
is kept under ``NAME_1`` and said so; the customers' id column is chosen on the command line
with ``--customers-id`` (or found as the column the events' id was mapped from)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from journeyscope.cli.main import app
from journeyscope.events import ColumnMapping, load_events
from journeyscope.sql import ident

#: names of the loader's own columns (those beginning ``_js_`` are its alone)
OURS = ["seq", "event", "channel", "customer_id", "ts", "_r", "_ts_text", "_n"]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_columns_named_like_ours_are_kept_as_attributes(tmp_path: Path) -> None:
    header = ["who", "when", "action", "event", "seq", "channel", "_r", "_ts_text"]
    rows = [
        ["a", "2024-06-01 10:00", "visit", "e-1", "7", "web", "r1", "t1"],
        ["a", "2024-06-01 11:00", "buy", "e-2", "8", "app", "r2", "t2"],
    ]
    path = _write(tmp_path / "events.csv", header, rows)
    mapping = ColumnMapping(customer_id="who", ts="when", event="action", channel=None)
    log = load_events(path, mapping)
    assert log.report.loaded == 2
    assert log.attributes == ["event_1", "seq_1", "channel_1", "_r_1", "_ts_text_1"]
    got = log.con.sql(
        "SELECT event, seq, channel, event_1, seq_1, channel_1, _r_1, _ts_text_1 "
        "FROM events ORDER BY seq"
    ).fetchall()
    assert got == [
        ("visit", 1, None, "e-1", "7", "web", "r1", "t1"),
        ("buy", 2, None, "e-2", "8", "app", "r2", "t2"),
    ]
    assert "the column 'event' is not the event name here: kept as the attribute 'event_1'" in (
        log.report.notes
    )


def test_a_customers_file_with_columns_named_like_ours(tmp_path: Path) -> None:
    events = _write(
        tmp_path / "events.csv",
        ["customer_id", "ts", "event"],
        [["a", "2024-06-01 10:00", "visit"], ["b", "2024-06-01 10:00", "visit"]],
    )
    customers = _write(
        tmp_path / "customers.csv",
        ["cid", "_n", "customer_id", "_js_n", "plan"],
        [["a", "1", "old-a", "x", "pro"], ["b", "2", "old-b", "y", "free"], ["a", "3", "", "", ""]],
    )
    log = load_events(events, customers=customers, customer_id="cid")
    assert log.customer_attributes == ["_n", "customer_id_1", "_js_n", "plan"]
    assert log.report.customers == 2 and log.report.customer_rows_quarantined == 1
    rows = log.con.sql(
        'SELECT customer_id, "_n", customer_id_1, "_js_n", plan FROM customers ORDER BY 1'
    ).fetchall()
    assert rows == [("a", "1", "old-a", "x", "pro"), ("b", "2", "old-b", "y", "free")]
    [bad] = log.quarantined().to_pylist()
    assert bad["reason"] == "duplicate customer id" and bad["location"] == "row 3"
    assert json.loads(bad["record"])["_n"] == "3"


NAMES = st.one_of(
    st.sampled_from([*OURS, "Event", "SEQ", "event_1", "a.b", 'q"uote', "x y"]),
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00\r\n"),
            min_size=1, max_size=8).filter(lambda n: n.strip() == n and not n.startswith("_js_")),
)  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(NAMES, min_size=1, max_size=5, unique_by=str.casefold))
def test_every_column_name_survives(names: list[str]) -> None:
    """Whatever the names of the other columns, each keeps its values in a column of its
    own: the events' attributes and the customers' attributes, in order."""
    names = [n for n in names if n.casefold() not in ("who", "when", "what")]
    if not names:
        return
    events = {"who": ["a", "b"], "when": ["2024-06-01 10:00", "2024-06-01 11:00"],
              "what": ["visit", "buy"]}  # fmt: skip
    events |= {name: [f"{i}-a", f"{i}-b"] for i, name in enumerate(names)}
    customers = {"who": ["a", "b"]} | {name: [f"c{i}-a", f"c{i}-b"] for i, name in enumerate(names)}
    mapping = ColumnMapping(customer_id="who", ts="when", event="what", channel=None)
    log = load_events(pd.DataFrame(events), mapping, customers=pd.DataFrame(customers),
                      customer_id="who")  # fmt: skip
    assert len(log.attributes) == len(names) and len(log.customer_attributes) == len(names)
    for i, column in enumerate(log.attributes):
        values = log.con.sql(f"SELECT {ident(column)} FROM events ORDER BY customer_id")
        assert values.fetchall() == [(f"{i}-a",), (f"{i}-b",)], column
    for i, column in enumerate(log.customer_attributes):
        values = log.con.sql(f"SELECT {ident(column)} FROM customers ORDER BY customer_id")
        assert values.fetchall() == [(f"c{i}-a",), (f"c{i}-b",)], column


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    events = _write(
        tmp_path / "events.csv",
        ["case", "ts", "event"],
        [["a", "2024-06-01 10:00", "visit"], ["b", "2024-06-01 10:00", "visit"],
         ["b", "2024-06-01 11:00", "buy"]],
    )  # fmt: skip
    by_case = _write(tmp_path / "by_case.csv", ["case", "plan"], [["a", "pro"], ["b", "free"]])
    by_account = _write(
        tmp_path / "by_account.csv", ["account", "plan"], [["a", "pro"], ["b", "free"]]
    )
    return {"events": events, "by_case": by_case, "by_account": by_account}


def _segments(runner: CliRunner, tmp_path: Path, args: list[str]) -> tuple[int, str, dict]:
    out = tmp_path / "out.json"
    result = runner.invoke(app, ["analyze", *args, "--segment-by", "plan", "-f", "json",
                                 "-o", str(out)])  # fmt: skip
    data = json.loads(out.read_text()) if result.exit_code == 0 else {}
    return result.exit_code, result.output, data


def test_customers_id_on_the_command_line(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    base = ["-e", str(files["events"]), "--map", "customer_id=case"]
    # the customers file has the column the events' id was mapped from: used as it is
    code, _, data = _segments(runner, tmp_path, [*base, "--customers", str(files["by_case"])])
    assert code == 0 and sorted(data["summary"]["segments"]) == ["free", "pro"]
    # a column of another name: --customers-id names it
    code, _, data = _segments(
        runner, tmp_path,
        [*base, "--customers", str(files["by_account"]), "--customers-id", "account"],
    )  # fmt: skip
    assert code == 0 and sorted(data["summary"]["segments"]) == ["free", "pro"]
    # without it, the error names the option that fixes it
    code, output, _ = _segments(runner, tmp_path, [*base, "--customers", str(files["by_account"])])
    assert code != 0
    assert "no column 'customer_id' for the customer id" in " ".join(output.split())
    assert "--customers-id COLUMN" in output
    help_text = runner.invoke(app, ["analyze", "--help"]).output
    assert "--customers-id" in help_text


@pytest.mark.spark
def test_spark_keeps_the_same_names(spark: Any, tmp_path: Path) -> None:
    """The one rule on both loaders: the same attribute columns, values and notes."""
    from journeyscope.events.spark_load import load_events_spark

    events = _write(
        tmp_path / "events.csv",
        ["who", "when", "action", "event", "seq", "_r"],
        [["a", "2024-06-01 10:00:00", "visit", "e-1", "7", "r1"],
         ["b", "2024-06-01 11:00:00", "buy", "e-2", "8", "r2"]],
    )  # fmt: skip
    customers = _write(
        tmp_path / "customers.csv", ["who", "_n", "customer_id"], [["a", "1", "x"], ["b", "2", "y"]]
    )
    mapping = ColumnMapping(customer_id="who", ts="when", event="action", channel=None)
    duck = load_events(events, mapping, customers=customers, customer_id="who")
    sparky = load_events_spark(
        spark, str(events), mapping, customers=str(customers), customer_id="who"
    )
    try:
        assert sparky.attributes == duck.attributes == ["event_1", "seq_1", "_r_1"]
        assert sparky.customer_attributes == duck.customer_attributes == ["_n", "customer_id_1"]
        assert [n for n in sparky.report.notes if "kept as" in n] == [
            n for n in duck.report.notes if "kept as" in n and "customers'" not in n
        ]
        view = sparky.views["events"]
        got = spark.sql(f"SELECT customer_id, event_1, seq_1, _r_1 FROM {view} ORDER BY 1")
        assert [tuple(r) for r in got.collect()] == [
            ("a", "e-1", "7", "r1"),
            ("b", "e-2", "8", "r2"),
        ]
        got = spark.sql(f"SELECT customer_id, _n, customer_id_1 FROM {sparky.views['customers']} "
                        "ORDER BY 1")  # fmt: skip
        assert [tuple(r) for r in got.collect()] == [("a", "1", "x"), ("b", "2", "y")]
    finally:
        sparky.close()
