"""Process-mining interop: XES lifecycle options and file order, OCEL 2.0 (JSON, XML, SQLite)
with an object type as the customer, the bound log written as XES and OCEL 2.0 JSON, and maps
to and from Mermaid journey diagrams and CSV sheets. pm4py's readers and mermaid's own parser
(npm ``mermaid`` under Node, installed into tests/tools by ``scripts/setup.sh dev``) are the
oracles; expectations for the samples are written out by hand."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import sqlite3
import subprocess
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from journeyscope.analytics.bound_log import bound_log, export_bound_log
from journeyscope.cli.main import app
from journeyscope.events import load_events
from journeyscope.events.ocel import ocel_tables, read_ocel
from journeyscope.events.xes import NO_TIME, read_xes
from journeyscope.formats import MapFileError, load_template
from journeyscope.formats.csv_map import parse_csv_map
from journeyscope.formats.export import to_csv
from journeyscope.formats.mermaid import mermaid_text, parse_mermaid, to_mermaid
from journeyscope.model import JourneyMap

OCEL = Path(__file__).parent / "data" / "ocel"
TOOLS = Path(__file__).parent / "tools"
FLAVOURS = ["orders.jsonocel", "orders.xmlocel", "orders.ocel.sqlite"]
ZWSP = "\u200b"


def _pm4py() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py
    return pm4py


def _quiet(call: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call(*args, **kwargs)


def _journeys(log: Any) -> dict[str, list[tuple[str, dt.datetime]]]:
    """Each customer's events as loaded, in the log's order (time, then ingestion)."""
    rows = log.con.execute(
        "SELECT customer_id, event, ts FROM events ORDER BY customer_id, ts, seq"
    ).fetchall()
    out: dict[str, list[tuple[str, dt.datetime]]] = {}
    for customer, event, ts in rows:
        out.setdefault(customer, []).append((event, ts.astimezone(dt.UTC)))
    return out


def _pm4py_cases(frame: pd.DataFrame, time: str = "time:timestamp") -> dict[str, list[Any]]:
    """pm4py's cases as (activity, time) lists, in its order (stable sort by ``time``)."""
    frame = frame.sort_values(["case:concept:name", time], kind="stable")
    out: dict[str, list[Any]] = {}
    for case, activity, ts in frame[["case:concept:name", "concept:name", time]].itertuples(
        index=False
    ):
        out.setdefault(str(case), []).append((activity, ts.to_pydatetime().astimezone(dt.UTC)))
    return out


# -- XES: lifecycle, intervals, file order -----------------------------------------------------

LIFECYCLE_LOG = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xmlns="http://www.xes-standard.org/">
  <trace><string key="concept:name" value="c1"/>
    <event><string key="concept:name" value="register"/>
      <string key="lifecycle:transition" value="start"/>
      <date key="time:timestamp" value="2024-01-01T09:00:00+00:00"/></event>
    <event><string key="concept:name" value="check"/>
      <string key="lifecycle:transition" value="start"/>
      <date key="time:timestamp" value="2024-01-01T09:05:00+00:00"/></event>
    <event><string key="concept:name" value="register"/>
      <string key="lifecycle:transition" value="complete"/>
      <date key="time:timestamp" value="2024-01-01T09:30:00+00:00"/></event>
    <event><string key="concept:name" value="check"/>
      <string key="lifecycle:transition" value="complete"/>
      <date key="time:timestamp" value="2024-01-01T09:10:00+00:00"/></event>
    <event><string key="concept:name" value="pay"/>
      <string key="lifecycle:transition" value="schedule"/>
      <date key="time:timestamp" value="2024-01-01T10:00:00+00:00"/></event>
    <event><string key="concept:name" value="pay"/>
      <string key="lifecycle:transition" value="COMPLETE"/>
      <date key="time:timestamp" value="2024-01-01T11:00:00+00:00"/></event>
  </trace>
  <trace><string key="concept:name" value="c2"/>
    <event><string key="concept:name" value="check"/>
      <string key="lifecycle:transition" value="start"/>
      <date key="time:timestamp" value="2024-01-02T08:00:00+01:00"/></event>
    <event><string key="concept:name" value="check"/>
      <string key="lifecycle:transition" value="start"/>
      <date key="time:timestamp" value="2024-01-02T08:01:00+01:00"/></event>
    <event><string key="concept:name" value="check"/>
      <string key="lifecycle:transition" value="complete"/>
      <date key="time:timestamp" value="2024-01-02T09:00:00+01:00"/></event>
    <event><string key="concept:name" value="register"/>
      <string key="lifecycle:transition" value="start"/>
      <date key="time:timestamp" value="2024-01-02T07:00:00Z"/></event>
  </trace>
</log>
"""


@pytest.fixture(scope="module")
def lifecycle_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("xes") / "lifecycle.xes"
    path.write_text(LIFECYCLE_LOG, encoding="utf-8")
    return path


def test_intervals_pair_starts_and_completes_as_pm4py_does(lifecycle_log: Path) -> None:
    pm4py = _pm4py()
    from pm4py.objects.log.util import interval_lifecycle

    legacy = _quiet(pm4py.read_xes, str(lifecycle_log), return_legacy_log_object=True)
    oracle = _quiet(pm4py.convert_to_dataframe, interval_lifecycle.to_interval(legacy))
    for time, column in (("start", "start_timestamp"), ("complete", "time:timestamp")):
        log = load_events(f"xes:{lifecycle_log}::lifecycle=intervals, time={time}")
        assert log.report.quarantined == 0
        assert _journeys(log) == _pm4py_cases(oracle, column), time
    # by start (pm4py's order) check comes before register in c1; by completion after it
    log = load_events(f"xes:{lifecycle_log}::lifecycle=intervals")
    assert [e for e, _ in _journeys(log)["c1"]] == ["register", "check", "pay"]
    assert log.con.execute(
        "SELECT start_timestamp, complete_timestamp FROM events WHERE event = 'check' "
        "AND customer_id = 'c2'"
    ).fetchall() == [("2024-01-02T08:00:00+01:00", "2024-01-02T09:00:00+01:00")]


def test_complete_only_and_name_plus_transition(lifecycle_log: Path) -> None:
    pm4py = _pm4py()
    frame = _quiet(pm4py.read_xes, str(lifecycle_log))
    completed = frame[frame["lifecycle:transition"].str.lower() == "complete"]
    log = load_events(f"xes:{lifecycle_log}::lifecycle=complete")
    assert _journeys(log) == _pm4py_cases(completed)
    # pm4py's "Event Name AND Lifecycle transition" classifier joins the two with "+"
    frame["concept:name"] = frame["concept:name"] + "+" + frame["lifecycle:transition"]
    log = load_events(f"xes:{lifecycle_log}::step=name+transition")
    assert _journeys(log) == _pm4py_cases(frame)
    assert "check+start" in {e for e, _ in _journeys(log)["c2"]}


def test_pm4py_interval_form_and_bad_options(tmp_path: Path) -> None:
    path = tmp_path / "interval.xes"  # pm4py's own interval form: start_timestamp on the event
    path.write_text(
        '<log><trace><string key="concept:name" value="C1"/>'
        '<event><string key="concept:name" value="place order"/>'
        '<date key="time:timestamp" value="2015-01-05T09:02:50.000+00:00"/>'
        '<date key="start_timestamp" value="2015-01-05T09:00:07.000+00:00"/></event>'
        '<event><string key="concept:name" value="send invoice"/>'
        '<date key="time:timestamp" value="2015-01-05T09:01:00.000+00:00"/>'
        '<date key="start_timestamp" value="2015-01-05T09:00:30.000+00:00"/></event>'
        "</trace></log>",
        encoding="utf-8",
    )
    by_start = load_events(f"xes:{path}::lifecycle=intervals")
    assert [e for e, _ in _journeys(by_start)["C1"]] == ["place order", "send invoice"]
    by_end = load_events(f"xes:{path}::lifecycle=intervals,time=complete")
    assert [e for e, _ in _journeys(by_end)["C1"]] == ["send invoice", "place order"]
    for text, words in (
        ("lifecycle=some", "lifecycle must be one of all, complete, intervals"),
        ("time=complete", "time=complete is for lifecycle=intervals only"),
        ("colour", "write key=value"),
    ):
        with pytest.raises(ValueError, match=words):
            load_events(f"xes:{path}::{text}")
    with pytest.raises(FileNotFoundError, match="no such XES file"):
        load_events(f"xes:{tmp_path / 'missing.xes'}::lifecycle=complete")


def test_a_log_without_timestamps_is_read_in_file_order(tmp_path: Path) -> None:
    path = tmp_path / "untimed.xes"
    events = ["b", "a", "c", "a"]
    path.write_text(
        "<log><trace><string key='concept:name' value='k1'/>"
        + "".join(f"<event><string key='concept:name' value='{e}'/></event>" for e in events)
        + "</trace><trace><string key='concept:name' value='k2'/>"
        "<event><string key='concept:name' value='z'/></event></trace></log>",
        encoding="utf-8",
    )
    frame = _quiet(_pm4py().read_xes, str(path))
    oracle = frame.groupby("case:concept:name", sort=False)["concept:name"].apply(list).to_dict()
    log = load_events(path)
    assert (log.report.loaded, log.report.quarantined) == (5, 0)
    assert {c: [e for e, _ in j] for c, j in _journeys(log).items()} == oracle
    assert {ts for j in _journeys(log).values() for _, ts in j} == {
        dt.datetime.fromisoformat(NO_TIME)
    }
    # one event with a time: the log has times, and the others are missing theirs
    path.write_text(
        path.read_text().replace(
            "value='c'/>", "value='c'/><date key='time:timestamp' value='2024-01-01T00:00:00Z'/>"
        )
    )
    assert load_events(path).report.reasons == {"missing timestamp": 4}


# -- OCEL 2.0 --------------------------------------------------------------------------------

#: by hand, from make_ocel_samples.py: each order's events in time order (ties in file order)
ORDER_JOURNEYS = {
    "o1": ["place order", "confirm order", "pick item", "pick item", "pay order"],
    "o2": ["place order", "pay order", "confirm order"],
    "o3": ["place order", "cancel order"],
}


@pytest.mark.parametrize("name", FLAVOURS)
def test_ocel_orders_as_customers(name: str) -> None:
    log = load_events(f"ocel:{OCEL / name}::order")
    report = log.report
    assert (report.read, report.loaded, report.quarantined, report.customers) == (10, 10, 0, 3)
    journeys = _journeys(log)
    assert {c: [e for e, _ in j] for c, j in journeys.items()} == ORDER_JOURNEYS
    # 11:30 at +02:00 is 09:30 UTC: o2 placed its order before o1
    assert journeys["o2"][0][1] == dt.datetime(2024, 3, 1, 9, 30, tzinfo=dt.UTC)
    # the two picks of o1 share a time: file order, e4 then e5 (e5 is listed after e6)
    picks = log.con.execute(
        'SELECT "ocel:eid", "ocel:qualifier" FROM events WHERE customer_id = \'o1\' '
        "AND event = 'pick item' ORDER BY ts, seq"
    ).fetchall()
    assert picks == [("e4", "for"), ("e5", "for")]
    assert log.con.execute(
        "SELECT channel, amount FROM events WHERE event = 'pay order' ORDER BY ts"
    ).fetchall() == [("web", "99.0"), ("phone", "40.0")]
    # object attributes are customer attributes, at their latest value (o1's price changed)
    customers = log.con.execute("SELECT * FROM customers ORDER BY customer_id").fetchall()
    assert customers == [("o1", "99.0", "north"), ("o2", "40.0", "south"), ("o3", "15.0", "north")]


@pytest.mark.parametrize("name", FLAVOURS)
def test_ocel_flavours_match_pm4py_flattening(name: str) -> None:
    pm4py = _pm4py()
    reader = {
        "jsonocel": pm4py.read_ocel2_json,
        "xmlocel": pm4py.read_ocel2_xml,
        "sqlite": pm4py.read_ocel2_sqlite,
    }[name.rsplit(".", 1)[1]]
    ocel = _quiet(reader, str(OCEL / name))
    for object_type in ("order", "item", "package"):
        flat = _quiet(pm4py.ocel_flattening, ocel, object_type)
        log = load_events(f"ocel:{OCEL / name}::{object_type}")
        assert _journeys(log) == _pm4py_cases(flat), object_type
        objects = ocel.objects[ocel.objects["ocel:type"] == object_type]["ocel:oid"]
        assert log.report.customers == len(objects)


def test_ocel_errors_are_plain(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"no object type was chosen.*order, item, package"):
        load_events(OCEL / "orders.jsonocel")
    with pytest.raises(ValueError, match="no object type 'orders'"):
        load_events(f"ocel:{OCEL / 'orders.xmlocel'}::orders")
    broken = tmp_path / "broken.jsonocel"
    broken.write_text('{"events": [\n{"id": "e1",,}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken.jsonocel \(line 2\): not valid JSON"):
        load_events(f"ocel:{broken}::order")
    broken.write_text('{"objects": [], "events": [{"id": "e1", "time": "2024-05-01"}]}')
    with pytest.raises(ValueError, match=r"event 1 has no 'type', which OCEL 2\.0 requires"):
        load_events(f"ocel:{broken}::order")
    hostile = tmp_path / "entities.xmlocel"
    hostile.write_text(
        '<?xml version="1.0"?><!DOCTYPE log [<!ENTITY a "aaaaaaaaaa">]><log>&a;</log>',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="document type declaration"):
        read_ocel(hostile)
    viewed = tmp_path / "viewed.sqlite"  # a view where a table belongs is not read
    shutil.copy(OCEL / "orders.ocel.sqlite", viewed)
    db = sqlite3.connect(viewed)
    db.execute("ALTER TABLE event_object RENAME TO e2o")
    db.execute("CREATE VIEW event_object AS SELECT * FROM e2o")
    db.commit()
    db.close()
    with pytest.raises(ValueError, match="it has no table 'event_object'"):
        load_events(f"ocel:{viewed}::order")
    one_type = tmp_path / "one.jsonocel"  # one object type: no need to name it
    one_type.write_text(json.dumps({
        "objectTypes": [{"name": "ticket", "attributes": []}], "eventTypes": [],
        "objects": [{"id": "t1", "type": "ticket"}],
        "events": [{"id": "e1", "type": "open", "time": "2024-05-01T10:00:00Z",
                    "relationships": [{"objectId": "t1", "qualifier": ""}]}],
    }), encoding="utf-8")  # fmt: skip
    events, customers = ocel_tables(read_ocel(one_type))
    assert events["customer_id"].to_pylist() == ["t1"] and customers.num_rows == 1


# -- the bound log as XES and OCEL 2.0 JSON ----------------------------------------------------

ORDER_MAP = {
    "id": "orders", "title": "Orders <&> \"quoted\"", "stages": [
        {"id": "buy", "name": "Buy", "steps": [
            {"id": "place", "name": "Place the order", "evidence": [{"event": "place order"}]},
            {"id": "pay", "name": "Pay", "evidence": [{"event": "pay order"}], "touchpoints": [
                {"id": "shop", "name": "Web shop", "channel": "web",
                 "evidence": [{"event": "pay order", "where": [
                     {"attribute": "channel", "value": "web"}]}]}]}]},
        {"id": "after", "name": "After", "steps": [
            {"id": "cancel", "name": "Cancel", "evidence": [{"event": "cancel order"}]}]},
    ],
}  # fmt: skip


def test_bound_log_to_xes_reads_back_in_pm4py(tmp_path: Path) -> None:
    journey = JourneyMap.model_validate(ORDER_MAP)
    source = f"ocel:{OCEL / 'orders.jsonocel'}::order"
    expected = _journeys(load_events(source))
    path = tmp_path / "bound.xes"
    assert export_bound_log(load_events(source), journey, path) == 10
    frame = _quiet(_pm4py().read_xes, str(path))
    assert _pm4py_cases(frame) == expected
    steps = frame.set_index("ocel:eid")["step"].to_dict()
    assert (steps["e1"], steps["e7"], steps["e12"]) == ("Place the order", "Pay", "Cancel")
    assert pd.isna(steps["e3"])  # confirm order is on no step
    assert frame.set_index("ocel:eid")["touchpoint"].to_dict()["e7"] == "Web shop"
    assert frame["price"].dropna().tolist()[0] == "99.0"  # customer attributes go along
    # our reader reads it back too; with the step as the activity, off-map events are left out
    assert sum(b.num_rows for b in read_xes(path)) == 10
    export_bound_log(load_events(source), journey, path, activity="step")
    frame = _quiet(_pm4py().read_xes, str(path))
    assert frame.groupby("case:concept:name")["concept:name"].apply(list).to_dict() == {
        "o1": ["Place the order", "Pay"],
        "o2": ["Place the order", "Pay"],
        "o3": ["Place the order", "Cancel"],
    }


def test_bound_log_to_ocel_reads_back_in_pm4py(tmp_path: Path) -> None:
    journey = JourneyMap.model_validate(ORDER_MAP)
    source = OCEL.parent / "web" / "events.csv"
    log = load_events(source)
    table = bound_log(load_events(source), journey)
    path = tmp_path / "bound.jsonocel"
    assert export_bound_log(log, journey, path, object_type="visitor") == table.num_rows
    ocel = _quiet(_pm4py().read_ocel2_json, str(path))
    assert len(ocel.events) == table.num_rows
    assert sorted(ocel.objects["ocel:oid"]) == sorted(set(table["customer_id"].to_pylist()))
    assert set(ocel.objects["ocel:type"]) == {"visitor"}
    assert len(ocel.relations) == table.num_rows  # each event related to its customer
    activities = ocel.events.sort_values("ocel:eid", key=lambda s: s.str[1:].astype(int))
    by_time = table.sort_by([("ts", "ascending"), ("seq", "ascending")])
    assert activities["ocel:activity"].tolist() == by_time["event"].to_pylist()


def test_ocel_to_ocel_keeps_objects_and_their_attributes(tmp_path: Path) -> None:
    journey = JourneyMap.model_validate(ORDER_MAP)
    path = tmp_path / "again.jsonocel"
    export_bound_log(load_events(f"ocel:{OCEL / 'orders.ocel.sqlite'}::order"), journey, path)
    again = load_events(f"ocel:{path}::customer")
    assert {c: [e for e, _ in j] for c, j in _journeys(again).items()} == ORDER_JOURNEYS
    assert again.con.execute("SELECT * FROM customers ORDER BY customer_id").fetchall() == [
        ("o1", "99.0", "north"), ("o2", "40.0", "south"), ("o3", "15.0", "north")]  # fmt: skip
    steps = again.con.execute("SELECT DISTINCT step FROM events ORDER BY 1").fetchall()
    assert steps == [("Cancel",), ("Pay",), ("Place the order",), (None,)]
    ocel = _quiet(_pm4py().read_ocel2_json, str(path))
    assert sorted(ocel.objects["price"].astype(str)) == ["15.0", "40.0", "99.0"]


def test_export_escapes_what_xml_cannot_hold(tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "customer_id": ["a<b", "a<b"], "ts": ["2024-05-01 10:00", "2024-05-01 11:00"],
        "event": ['say "hi" & <leave>', "bell\x07ring"], "note": ["x\ny", "]]>"],
    })  # fmt: skip
    path = tmp_path / "odd.xes"
    export_bound_log(load_events(frame), None, path)
    back = _quiet(_pm4py().read_xes, str(path))
    assert back["concept:name"].tolist() == ['say "hi" & <leave>', "bell\ufffdring"]
    assert back["case:concept:name"].tolist() == ["a<b", "a<b"]
    assert back["note"].tolist() == ["x\ny", "]]>"]
    with pytest.raises(ValueError, match=r"write the log to a file ending in \.xes"):
        export_bound_log(load_events(frame), None, tmp_path / "log.csv")


# -- Mermaid: export that mermaid reads back, and import ---------------------------------------


def _mermaid(text: str, check: bool = True) -> dict[str, Any]:
    """What mermaid's own parser and renderer make of ``text`` (tests/tools/mermaid_check.mjs);
    ``check=False``: ``{"error": ...}`` when mermaid refuses it."""
    node = shutil.which("node")
    assert node, "Node is needed for the Mermaid tests (scripts/setup.sh dev installs it)"
    assert (TOOLS / "node_modules" / "mermaid").is_dir(), "run scripts/setup.sh dev"
    done = subprocess.run(
        [node, str(TOOLS / "mermaid_check.mjs")], input=text, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0 and not check:
        return {"error": done.stderr}
    assert done.returncode == 0, f"mermaid refused the diagram: {done.stderr}\n{text}"
    result: dict[str, Any] = json.loads(done.stdout)
    return result


HOSTILE_NAMES = [
    "section Pay now", "title Deeds", "%% not a comment", "Section upper case", "TITLE caps",
    "journey planner", "% off", "a%% b", "50%% off", "accDescr {x}", "Plain step",
    "#hash: and; semicolon",
]  # fmt: skip


def test_mermaid_export_of_keywords_renders_and_keeps_every_step() -> None:
    steps = [
        {"id": f"s{i}", "name": name, "feelings": [{"persona": "p1", "score": i % 7 - 3},
                                                   {"persona": "p2", "score": 3}]}
        for i, name in enumerate(HOSTILE_NAMES)
    ]  # fmt: skip
    journey = JourneyMap.model_validate({
        "id": "hostile", "title": "title %% section",
        "personas": [{"id": "p1", "name": "Smith, Anna"}, {"id": "p2", "name": "Ops: a, b"}],
        "stages": [{"id": "a", "name": "section %%x", "steps": steps[:6]},
                   {"id": "b", "name": "Later", "steps": steps[6:]}],
    })  # fmt: skip
    text = to_mermaid(journey)
    seen = _mermaid(text)
    assert seen["type"] == "journey"
    tasks = seen["tasks"]
    names = list(dict.fromkeys(t["task"].replace(ZWSP, "") for t in tasks))
    assert names == [mermaid_text(n) for n in HOSTILE_NAMES]  # every step, in order
    assert {t["section"].replace(ZWSP, "") for t in tasks} == {"section %%x", "Later"}
    people = {p.replace("\u201a", ",") for t in tasks for p in t["people"]}
    assert people == {"Smith, Anna", "Ops - a, b"}  # commas kept inside one actor each
    assert all(f"{t['task']}" in seen["svg"] or "&" in t["task"] for t in tasks)
    # and back: stages, steps, personas and scores
    back = parse_mermaid(text)
    assert [s.name for s in back.stages] == ["section %%x", "Later"]
    assert [s.name for _, s in back.steps()] == [mermaid_text(n) for n in HOSTILE_NAMES]
    assert [p.name for p in back.personas] == ["Smith, Anna", "Ops - a, b"]
    assert to_mermaid(back) == text
    # the test has teeth: without the escapes mermaid reads fewer steps (or refuses the text)
    naive = _mermaid(text.replace(ZWSP, ""), check=False)
    assert naive.get("tasks") is None or len(naive["tasks"]) < len(tasks)


def test_mermaid_round_trip_of_every_template() -> None:
    from journeyscope.formats.templates import list_templates

    names = sorted({info.name for info in list_templates()})
    assert len(names) >= 8
    for name in names:
        journey = load_template(name)
        text = to_mermaid(journey)
        back = parse_mermaid(text, f"{name}.mmd")
        assert [s.name for s in back.stages] == [mermaid_text(s.name) for s in journey.stages]
        assert [s.name for _, s in back.steps()] == [
            mermaid_text(s.name) for _, s in journey.steps()
        ]
        assert {p.name for p in back.personas} == {p.name for p in journey.personas}
        assert to_mermaid(back) == text, name  # same scores for the same personas
    # the bundled tour, in mermaid's own parser: every task line
    seen = _mermaid(to_mermaid(load_template("tour-de-farce")))
    assert len(seen["tasks"]) == to_mermaid(load_template("tour-de-farce")).count(": ") // 2


NAME_CHARACTERS = st.characters(codec="utf-8", exclude_characters=ZWSP)
NAMES = st.text(NAME_CHARACTERS, min_size=1, max_size=30).filter(lambda t: bool(mermaid_text(t)))


@settings(max_examples=60, deadline=None)
@given(st.lists(NAMES, min_size=1, max_size=6))
def test_mermaid_names_survive_export_and_import(names: list[str]) -> None:
    steps = [{"id": f"s{i}", "name": n} for i, n in enumerate(names)]
    journey = JourneyMap.model_validate(
        {"id": "m", "title": "T", "stages": [{"id": "a", "name": "A", "steps": steps}]}
    )
    back = parse_mermaid(to_mermaid(journey))
    assert [s.name for _, s in back.steps()] == [mermaid_text(n) for n in names]


@settings(max_examples=40, deadline=None)
@given(st.lists(NAMES, min_size=1, max_size=4, unique=True))
def test_mermaid_persona_names_survive_export_and_import(names: list[str]) -> None:
    personas = [{"id": f"p{i}", "name": n} for i, n in enumerate(names)]
    steps = [{"id": "s", "name": "Step", "feelings": [
        {"persona": f"p{i}", "score": i % 3 - 1} for i in range(len(names))]}]  # fmt: skip
    journey = JourneyMap.model_validate({"id": "m", "title": "T", "personas": personas,
        "stages": [{"id": "a", "name": "A", "steps": steps}]})  # fmt: skip
    back = parse_mermaid(to_mermaid(journey))
    expected = [mermaid_text(n) for n in names]
    if len(set(expected)) == len(expected) and expected != ["Customer"]:
        assert sorted(p.name for p in back.personas) == sorted(expected)  # in order of scores


def test_mermaid_import_errors_are_located(tmp_path: Path) -> None:
    with pytest.raises(MapFileError) as raised:
        parse_mermaid("journey\n  section A\n    do it: six: Me\n    fine: 9: Me\n", "x.mmd")
    assert [str(p) for p in raised.value.problems] == [
        "x.mmd:3:1: task: the score 'six' is not a number (Mermaid uses 1 to 5)",
        "x.mmd:4:1: task: the score 9 is not a whole number from 1 to 5",
    ]
    with pytest.raises(MapFileError, match="starts with 'journey'"):
        parse_mermaid("flowchart LR\n  a --> b\n", "y.mmd")


# -- CSV sheets --------------------------------------------------------------------------------


def test_csv_sheet_by_hand() -> None:
    sheet = (
        "Stage,Step,Touchpoint,Channel,Score,Pain points,Moment of truth,emotion:smb\n"
        'Research,Compare prices,"Price page [web]\nStore visit [store]",,1,"Too many tabs",,2\n'
        "Research,Ask a friend,Word of mouth,word_of_mouth,,,,\n"
        "Buy,Pay,Checkout,web,-2,,yes,-3\n"
    )
    journey = parse_csv_map(sheet, "my-journey.csv")
    assert journey.title == "my journey"
    assert [s.name for s in journey.stages] == ["Research", "Buy"]
    steps = [s for _, s in journey.steps()]
    assert [(t.name, t.channel) for t in steps[0].touchpoints] == [
        ("Price page", "web"), ("Store visit", "store")]  # fmt: skip
    assert steps[1].touchpoints[0].channel == "word_of_mouth"
    assert steps[0].pain_points == ["Too many tabs"] and steps[2].moment_of_truth
    assert [(f.persona, f.score) for f in steps[2].feelings] == [(None, -2), ("smb", -3)]
    assert [p.id for p in journey.personas] == ["smb"]


def test_csv_export_reads_back_for_every_template() -> None:
    from journeyscope.formats.templates import list_templates

    for name in sorted({info.name for info in list_templates()}):
        journey = load_template(name)
        back = parse_csv_map(to_csv(journey), f"{name}.csv")
        assert [(s.id, s.name) for s in back.stages] == [(s.id, s.name) for s in journey.stages]
        pairs = zip(back.steps(), journey.steps(), strict=True)
        for (_, got), (_, want) in pairs:
            assert (got.id, got.name, got.actions, got.pain_points) == (
                want.id, want.name, want.actions, want.pain_points)  # fmt: skip
            assert [(t.name, t.channel) for t in got.touchpoints] == [
                (t.name, t.channel) for t in want.touchpoints]  # fmt: skip
            assert {(f.persona, f.score) for f in got.feelings if f.score is not None} == {
                (f.persona, f.score) for f in want.feelings if f.score is not None}  # fmt: skip


def test_csv_problems_are_located() -> None:
    with pytest.raises(MapFileError) as raised:
        parse_csv_map("stage,step,colour\nA,B,red\n", "s.csv")
    assert str(raised.value.problems[0]).startswith("s.csv:1:3: colour: unknown column")
    sheet = "stage,step,touchpoint,score\nA,B,Desk,1\nA,,x [web],2\nA,C,,many\n"
    with pytest.raises(MapFileError) as raised:
        parse_csv_map(sheet, "s.csv")
    assert [str(p) for p in raised.value.problems] == [
        "s.csv:2:1: touchpoints: 'Desk' has no channel: write it as 'Desk [web]' or fill the "
        "channel column",
        "s.csv:3:1: step: the step name is empty",
        "s.csv:4:1: emotion: 'many' is not a number",
    ]


# -- the commands ------------------------------------------------------------------------------


def test_import_and_export_log_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    diagram = tmp_path / "map.mmd"
    diagram.write_text(to_mermaid(load_template("tour-de-farce")), encoding="utf-8")
    result = runner.invoke(app, ["import", str(diagram), "-o", str(tmp_path / "map.yaml")])
    assert result.exit_code == 0, result.output
    assert "Imported 12 steps in 5 stages" in result.stderr
    again = runner.invoke(app, ["import", str(diagram), "-o", str(tmp_path / "map.yaml")])
    assert again.exit_code == 2 and "--force" in again.stderr
    sheet = tmp_path / "map.csv"
    sheet.write_text("stage,step,colour\nA,B,red\n", encoding="utf-8")
    bad = runner.invoke(app, ["import", str(sheet)])
    assert bad.exit_code == 2 and "map.csv:1:3: colour: unknown column" in bad.stderr
    out = tmp_path / "orders.xes"
    result = runner.invoke(app, [
        "export-log", "-e", f"ocel:{OCEL / 'orders.ocel.sqlite'}::order", "-o", str(out),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Wrote 10 events" in result.stderr
    frame = _quiet(_pm4py().read_xes, str(out))
    assert sorted(set(frame["case:concept:name"])) == ["o1", "o2", "o3"]
    result = runner.invoke(app, ["export-log", "-e", str(OCEL / "orders.jsonocel"), "-o",
                                 str(tmp_path / "x.jsonocel")])  # fmt: skip
    assert result.exit_code == 2 and "choose which objects are the customers" in result.stderr


def test_csv_header_of_the_export_is_what_the_import_knows() -> None:
    header = next(csv.reader(io.StringIO(to_csv(load_template("tour-de-farce")))))
    journey = parse_csv_map(",".join(header) + "\ns,S,t,T\n", "h.csv")
    assert [(s.id, s.name) for _, s in journey.steps()] == [("t", "T")]


@pytest.mark.spark
def test_bound_log_is_the_same_on_spark(spark: Any) -> None:
    from tests.conftest import SPARK_CONFIG, SPARK_MASTER

    journey = JourneyMap.model_validate(ORDER_MAP)
    source = f"ocel:{OCEL / 'orders.xmlocel'}::order"
    duck = bound_log(load_events(source), journey).to_pylist()
    options = {"master": SPARK_MASTER, "config": SPARK_CONFIG}
    sparky = bound_log(load_events(source), journey, engine="spark", engine_options=options)
    assert [{**row, "ts": row["ts"].astimezone(dt.UTC)} for row in sparky.to_pylist()] == [
        {**row, "ts": row["ts"].astimezone(dt.UTC)} for row in duck
    ]
