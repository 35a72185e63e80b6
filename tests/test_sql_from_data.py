"""No SQL from data: hostile column names and values go through load -> analyze -> insights as
names and values, on DuckDB and Spark; a sealed connection reaches no file but its own data."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeyscope.analytics import JourneyOptions, analyze
from journeyscope.engine import connect
from journeyscope.events import load_events, load_surveys
from journeyscope.insights import compute_insights
from journeyscope.model import Condition, JourneyMap
from journeyscope.sql import QueryError, ident, literal

from .conftest import BACKENDS, SPARK_CONFIG, SPARK_MASTER

T0 = dt.datetime(2024, 3, 4, 9, 0, tzinfo=dt.UTC)

#: the payloads a probe would try first; Hypothesis adds arbitrary text around them
PAYLOADS = [
    'x"; DROP TABLE events; --',
    "a') OR 1=1 --",
    "y\" FROM read_text('/etc/passwd') --",
    "z\" , (SELECT content FROM read_text('/etc/hostname')) AS \"leak",
    "');COPY (SELECT 1) TO '/tmp/js-pwn.csv';--",
    "w\"); ATTACH '/tmp/js-pwn.duckdb' AS p; --",
    '"',
    "'",
    "''",
    "--",
    ";",
    ")",
    "{c}",
    "%s",
    "`x`",
    "\\",
    "a\nb",
    "name with spaces",
    "zamówienie",
    "ערוץ",
    "канал",
]
SLOW_OK = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
CORE = {"customer_id", "ts", "seq", "event", "channel"}
NAMES = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)
    .map(lambda text: "c" + text)  # never empty
    .filter(lambda name: name.strip() == name),
)
VALUES = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1,
            max_size=10).filter(lambda value: value.strip() == value and value != ""),
)  # fmt: skip


def usable(name: str) -> bool:
    """Names the loader keeps as attributes (DuckDB compares names without case)."""
    return name.casefold() not in CORE and not name.startswith("_")


def shop_map(attribute: str, value: str, customer_attribute: str) -> JourneyMap:
    """Three steps; "cart" is bound through a condition on the hostile attribute and value,
    the persona through the hostile customer attribute, and a KPI averages the attribute."""
    return JourneyMap.model_validate(
        {
            "id": "shop",
            "title": "Shop",
            "personas": [
                {"id": "vip", "name": "VIP", "segment": [
                    {"attribute": customer_attribute, "op": "==", "value": value}]},
            ],
            "stages": [{"id": "buy", "name": "Buy", "steps": [
                {"id": "visit", "name": "Visit", "evidence": [{"event": "visit"}]},
                {"id": "cart", "name": "Cart", "evidence": [
                    {"event": "cart", "where": [{"attribute": attribute, "op": "==",
                                                 "value": value}]}]},
                {"id": "pay", "name": "Pay", "evidence": [{"event": "pay"}]},
            ]}],
            "kpis": [{"id": "amount", "name": "Amount", "formula": "count(pay) / count(visit)"}],
        }
    )  # fmt: skip


def events(attribute: str, values: list[str]) -> pd.DataFrame:
    rows = []
    for number, value in enumerate(values * 2):
        customer = f"c{number}"
        for minute, event in enumerate(["visit", "cart", "pay"][: 1 + number % 3]):
            rows.append({"customer_id": customer, "ts": T0 + dt.timedelta(minutes=minute),
                         "event": event, "channel": "web", attribute: value})  # fmt: skip
    return pd.DataFrame(rows)


def customers(attribute: str, values: list[str]) -> pd.DataFrame:
    ids = [f"c{number}" for number in range(len(values) * 2)]
    return pd.DataFrame({"customer_id": ids, attribute: (values * 2)[: len(ids)]})


def assert_inert(result: dict[str, Any], canary: str) -> None:
    text = json.dumps(result, default=str)
    assert canary not in text
    assert not Path("/tmp/js-pwn.csv").exists()
    assert not Path("/tmp/js-pwn.duckdb").exists()


@pytest.fixture
def canary(tmp_path: Path) -> str:
    """A secret on disk next to the data: nothing may read it."""
    secret = "CANARY-" + os.urandom(6).hex()
    (tmp_path / "secret_key").write_text(secret, encoding="utf-8")
    return secret


def run_everything(
    attribute: str, customer_attribute: str, values: list[str], engine: Any = "duckdb"
) -> tuple[dict[str, Any], dict[str, Any]]:
    log = load_events(events(attribute, values), customers=customers(customer_attribute, values))
    journey = shop_map(attribute, values[0], customer_attribute)
    options = JourneyOptions(segment_by=attribute)
    runner = (
        connect(log, engine, master=SPARK_MASTER, config=SPARK_CONFIG)
        if engine == "spark"
        else engine
    )
    try:
        analysis = analyze(log, journey, engine=runner, options=options)
        insights = compute_insights(log, journey, engine=runner)
    finally:
        if not isinstance(runner, str):
            runner.close()
    return analysis.to_dict(), insights.to_dict()


def check_answers(analysis: dict[str, Any], insights: dict[str, Any], values: list[str]) -> None:
    """The hostile values came back as values: segments are exactly the distinct values, and
    "cart" is reached by the customers whose value is the map's (the first one)."""
    assert sorted(analysis["summary"]["segments"]) == sorted(set(values))
    reach = {(row["segment"], row["step"]): row["customers"] for row in analysis["reach"]}
    carts = sum(1 for number, value in enumerate(values * 2) if number % 3 and value == values[0])
    assert reach.get((values[0], "cart"), 0) == carts
    assert insights["summary"]["customers"] == len(values) * 2


@settings(max_examples=40, deadline=None, suppress_health_check=SLOW_OK)
@given(
    attribute=NAMES.filter(usable),
    customer_attribute=NAMES.filter(usable),
    values=st.lists(VALUES, min_size=1, max_size=3, unique=True),
)
def test_hostile_names_and_values_are_inert_on_duckdb(
    attribute: str, customer_attribute: str, values: list[str], canary: str
) -> None:
    if attribute.casefold() == customer_attribute.casefold():
        customer_attribute += "_2"
    analysis, insights = run_everything(attribute, customer_attribute, values)
    check_answers(analysis, insights, values)
    assert_inert({"a": analysis, "i": insights}, canary)


@pytest.mark.spark
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
@settings(max_examples=4, deadline=None, suppress_health_check=SLOW_OK)
@given(
    attribute=st.sampled_from([p for p in PAYLOADS if usable(p)]),
    values=st.lists(st.sampled_from(PAYLOADS), min_size=2, max_size=2, unique=True),
)
def test_hostile_names_and_values_are_inert_on_spark(
    spark: Any, attribute: str, values: list[str], canary: str
) -> None:
    customer_attribute = attribute + " (customer)"
    duck = run_everything(attribute, customer_attribute, values)
    sparky = run_everything(attribute, customer_attribute, values, "spark")
    check_answers(*sparky, values)
    assert sorted(map(str, sparky[0]["reach"])) == sorted(map(str, duck[0]["reach"]))
    assert_inert({"a": sparky}, canary)


def _xes(frame: pd.DataFrame) -> str:
    """The events as an XES log: one trace per customer, every other column an attribute."""
    from xml.sax.saxutils import quoteattr

    traces = []
    for customer, rows in frame.groupby("customer_id", sort=False):
        events = []
        for row in rows.to_dict("records"):
            keys = {"concept:name": row["event"], "time:timestamp": str(row["ts"])}
            keys |= {k: v for k, v in row.items() if k not in ("customer_id", "ts", "event")}
            items = "".join(
                f"<string key={quoteattr(str(k))} value={quoteattr(str(v))}/>"
                if k != "time:timestamp" else f"<date key='time:timestamp' value='{v}'/>"
                for k, v in keys.items()
            )  # fmt: skip
            events.append(f"<event>{items}</event>")
        name = quoteattr(str(customer))
        traces.append(f"<trace><string key='concept:name' value={name}/>{''.join(events)}</trace>")
    return f"<?xml version='1.0' encoding='UTF-8'?><log>{''.join(traces)}</log>"


def write(path: Path, frame: pd.DataFrame) -> Path:
    if path.suffix == ".xes":
        path.write_text(_xes(frame), encoding="utf-8")
    elif path.suffix == ".parquet":
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    elif path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r, default=str) + "\n" for r in
                                frame.to_dict("records")), encoding="utf-8")  # fmt: skip
    else:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(frame.columns)
            writer.writerows(frame.astype(str).itertuples(index=False))
    return path


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl", ".xes"])
@pytest.mark.parametrize("attribute", [p for p in PAYLOADS[:6]])
def test_files_with_sql_in_their_column_names(
    tmp_path: Path, canary: str, suffix: str, attribute: str
) -> None:
    values = ["north", "it's", PAYLOADS[0]]
    source = write(tmp_path / f"events{suffix}", events(attribute, values))
    people_suffix = ".csv" if suffix == ".xes" else suffix  # customers are a table, not a log
    people = write(tmp_path / f"customers{people_suffix}", customers(attribute + "!", values))
    log = load_events(source, customers=people)
    journey = shop_map(attribute, values[0], attribute + "!")
    analysis = analyze(log, journey, options=JourneyOptions(segment_by=attribute)).to_dict()
    insights = compute_insights(log, journey).to_dict()
    check_answers(analysis, insights, values)
    assert_inert({"a": analysis, "i": insights}, canary)
    assert sorted(os.listdir(tmp_path)) == sorted(["secret_key", source.name, people.name])


def test_a_sealed_connection_reads_only_its_own_files(tmp_path: Path, canary: str) -> None:
    source = write(tmp_path / "events.parquet", events("region", ["north"]))
    log = load_events(source)  # read in place: the file stays readable
    engine = connect(log)
    assert engine.query("SELECT count(*) AS n FROM events").column(0)[0].as_py() == 3
    secret = tmp_path / "secret_key"
    attempts = [
        f"SELECT * FROM read_text({literal(str(secret))})",
        f"SELECT * FROM read_csv({literal(str(secret))})",
        f"SELECT * FROM glob({literal(str(tmp_path / '*'))})",
        f"COPY (SELECT 1) TO {literal(str(tmp_path / 'out.csv'))}",
        f"ATTACH {literal(str(tmp_path / 'x.duckdb'))} AS x",
        "SET enable_external_access = true",
        "INSTALL httpfs",
    ]
    for sql in attempts:
        with pytest.raises(QueryError) as caught:
            engine.execute(sql)
        message = str(caught.value)
        assert str(tmp_path) not in message and canary not in message and "SELECT" not in message
    assert sorted(os.listdir(tmp_path)) == ["events.parquet", "secret_key"]
    # surveys loaded after the seal arrive as Arrow, not through the sealed connection
    answers = tmp_path / "answers.csv"
    answers.write_text("customer_id,ts,score,kind,step\nc0,2024-03-04,2,csat,visit\n")
    assert load_surveys(answers, into=log).report.loaded == 1
    assert engine.query("SELECT count(*) AS n FROM answers").column(0)[0].as_py() == 1


def test_one_statement_per_call() -> None:
    log = load_events(events("region", ["north"]))
    engine = connect(log)
    with pytest.raises(QueryError):
        engine.query("SELECT 1 AS a; DROP TABLE events")
    with pytest.raises(QueryError):
        engine.execute("")
    assert engine.query("SELECT count(*) AS n FROM events").column(0)[0].as_py() == 3


def test_the_quoting_pair() -> None:
    assert ident('a"b') == '"a""b"'
    assert literal("a'b") == "'a''b'"
    assert literal(dt.date(2024, 1, 2)) == "DATE '2024-01-02'"
    assert literal(dt.datetime(2024, 1, 2, 3, 4)) == "TIMESTAMPTZ '2024-01-02T03:04:00+00:00'"
    with pytest.raises(ValueError):
        ident("a\x00b")
    with pytest.raises(ValueError):
        literal(float("inf"))
    with pytest.raises(TypeError):
        literal(object())


@pytest.fixture
def web_world(tmp_path: Path) -> Any:
    from .test_web_support import running_world

    yield from running_world(tmp_path)


def test_an_editor_uploading_sql_in_column_names_reaches_nothing(web_world: Any) -> None:
    """The probe's attack: an editor's uploads whose headers carry SQL that reads the data
    folder's secret, lists it, and writes a file. Each analysis treats them as names."""
    from .test_web_support import DATA, wait_for_analysis

    data_dir: Path = web_world.data_dir
    secret = data_dir / "secret_key"
    secret.write_text("CANARY-" + os.urandom(6).hex(), encoding="utf-8")
    before = sorted(str(p.relative_to(data_dir)) for p in data_dir.rglob("*") if p.is_file())
    headers = [
        f"region\" , (SELECT content FROM read_text('{secret}')) AS \"leak",
        f"x\" FROM glob('{data_dir}/*') --",
        f"y\"; COPY (SELECT 1) TO '{data_dir}/pwned.csv'; --",
    ]
    rows = (DATA / "events.csv").read_text(encoding="utf-8").splitlines()
    api = web_world.api("editor")
    for header in headers:
        out = [rows[0] + "," + '"' + header.replace('"', '""') + '"']
        out += [f"{row},north" for row in rows[1:]]
        body = ("\n".join(out) + "\n").encode()
        queued = api.post(f"/api/maps/{web_world.map_id}/analyses",
                          files={"file": ("events.csv", body)}).json()  # fmt: skip
        status = wait_for_analysis(api, web_world.map_id, queued["id"])
        assert status["status"] == "done", status
        full = api.get(f"/api/maps/{web_world.map_id}/analyses/{queued['id']}"
                       "?include_result=true").text  # fmt: skip
        # the header comes back as a name (it is one); the secret it names never does
        assert secret.read_text(encoding="utf-8") not in full
        assert "journeyscope.db" not in full  # no listing of the data folder either
        assert json.loads(full)["result"]["summary"]["customers"] == 40
    after = sorted(str(p.relative_to(data_dir)) for p in data_dir.rglob("*") if p.is_file())
    assert not (data_dir / "pwned.csv").exists()
    assert [p for p in after if p not in before and not p.startswith("quarantine")] == []
    # and the other workspace stays out of reach
    assert api.get(f"/api/maps/{web_world.other_map_id}").status_code == 404


def test_a_failed_web_analysis_shows_no_server_path_or_sql(web_world: Any) -> None:
    from .test_web_support import wait_for_analysis

    api = web_world.api("editor")
    queued = api.post(f"/api/maps/{web_world.map_id}/analyses",
                      files={"file": ("events.csv", b"who,when\n1,2\n")}).json()  # fmt: skip
    status = wait_for_analysis(api, web_world.map_id, queued["id"])
    assert status["status"] == "failed"
    assert str(web_world.data_dir) not in status["error"] and "/tmp" not in status["error"]
    assert status["error"].startswith("events.csv: ") and "SELECT" not in status["error"]


def test_numbers_and_dates_in_conditions_compare_as_the_map_means() -> None:
    """``size in [3, 4]`` compares text (a value like ``5+`` must not break it), ``size >= 3``
    compares numbers, a date compares as written."""
    frame = events("size", ["3", "5+", "4"]).assign(day="2024-03-04")
    log = load_events(frame)
    journey = shop_map("size", "3", "size").model_copy(deep=True)
    cart = journey.stages[0].steps[1]
    # carts: customers 1, 2, 4 and 5, whose sizes are 5+, 4, 5+ and 4
    for where, carts in (("size in [3, 4]", 2), ("size >= 3", 2), ("day == 2024-03-04", 4)):
        cart.evidence[0].where = [Condition.model_validate(where)]
        reach = {r["step"]: r["customers"] for r in analyze(log, journey).to_dict()["reach"]}
        assert reach["cart"] == carts, where


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_stored_map_the_rules_now_refuse_is_a_plain_422(tmp_path: Path, backend: str) -> None:
    """A map version saved before anchors were refused (an alias bomb, say) answers at once
    with why it cannot be read, on every page and API route that reads it: never a 500."""
    from sqlalchemy import update

    from journeyscope.store.schema import MapVersion

    from .test_web_support import running_world

    for world in running_world(tmp_path, backend):
        bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nid: shop\ntitle: Shop\n"
        with world.app.state.store.session() as session:
            session.execute(update(MapVersion).where(MapVersion.map_id == world.map_id)
                            .values(yaml_text=bomb))  # fmt: skip
            session.commit()
        for client, url in ((world.client("viewer"), f"/maps/{world.map_id}"),
                            (world.api("viewer"), f"/api/maps/{world.map_id}")):  # fmt: skip
            response = client.get(url)
            assert response.status_code == 422, (url, response.status_code)
            assert "anchors" in response.text
