"""The same numbers from every engine: DuckDB (the reference) against Spark in local mode."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from journeyscope.analytics import (
    Exclusion,
    FlowOptions,
    FunnelOptions,
    JourneyOptions,
    Prepared,
    compute_channel_switches,
    compute_flows,
    compute_funnel,
    compute_paths,
    compute_reach,
    compute_repeats,
    compute_time_between,
    compute_variants,
    prepare,
)
from journeyscope.engine import Engine, connect
from journeyscope.events import ColumnMapping, load_events

from .conftest import SPARK_CONFIG as CONFIG
from .conftest import SPARK_DEFAULTS_CONFIG as DEFAULTS
from .conftest import SPARK_MASTER as MASTER
from .test_analytics import T0, tiny_log

pytestmark = [
    pytest.mark.spark,
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]


def _engines(log: Any, spark: Any) -> tuple[Engine, Engine]:
    return connect(log), connect(log, "spark", master=MASTER, config=CONFIG)


def _prepare_both(
    log: Any, spark: Any, options: JourneyOptions | None = None
) -> Iterator[tuple[Prepared, Prepared]]:
    duck, sparky = _engines(log, spark)
    options = options or JourneyOptions()
    yield (
        prepare(duck, None, options, log.has_customers),
        prepare(sparky, None, options, log.has_customers),
    )
    sparky.close()


@pytest.fixture(scope="module")
def tiny(spark: Any) -> Iterator[tuple[Prepared, Prepared]]:
    yield from _prepare_both(tiny_log(), spark)


@pytest.fixture(scope="module")
def synth(spark: Any) -> Iterator[tuple[Prepared, Prepared]]:
    """A Markov log with times floored to the hour: ties everywhere, file order decides."""
    from journeyscope.synth import generate_chunks

    frame = next(generate_chunks(customers=300, seed=3)).to_pandas()
    frame["ts"] = frame["ts"].dt.floor("h")
    yield from _prepare_both(load_events(frame), spark)


# --- comparing ----------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _key(row: dict[str, Any]) -> tuple[str, ...]:
    """Sort key from the exact (non-float) values of a row."""
    return tuple(repr(v) for k, v in sorted(row.items()) if not isinstance(v, float))


def _rows(data: pa.Table | list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = data.to_pylist() if isinstance(data, pa.Table) else data
    return sorted((_plain(r) for r in rows), key=_key)


def _is_rows(value: Any) -> bool:
    return isinstance(value, pa.Table) or (
        isinstance(value, list) and all(isinstance(v, dict) for v in value)
    )


def assert_same(expected: Any, got: Any, where: str = "") -> None:
    """Equal rows (in any order); floats equal up to rounding."""
    if _is_rows(expected) and _is_rows(got):
        want, have = _rows(expected), _rows(got)
        assert len(want) == len(have), where
        for a, b in zip(want, have, strict=True):
            assert_same(a, b, where)
    elif isinstance(expected, dict) and isinstance(got, dict):
        assert expected.keys() == got.keys(), where
        for key in expected:
            assert_same(expected[key], got[key], f"{where}.{key}")
    elif isinstance(expected, list) and isinstance(got, list):
        assert len(expected) == len(got), where
        for a, b in zip(expected, got, strict=True):
            assert_same(a, b, where)
    elif isinstance(expected, float) or isinstance(got, float):
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-9), where
    else:
        assert _plain(got) == _plain(expected), where


# --- the numbers --------------------------------------------------------------------------


@pytest.mark.parametrize("log", ["tiny", "synth"])
def test_variants_flows_reach_repeats_switches(log: str, request: pytest.FixtureRequest) -> None:
    duck, spark = request.getfixturevalue(log)
    for compute in (compute_variants, compute_reach, compute_repeats, compute_paths):
        assert_same(compute(duck), compute(spark), compute.__name__)
    assert_same(compute_variants(duck, 3), compute_variants(spark, 3), "top variants")
    switches = compute_channel_switches(duck), compute_channel_switches(spark)
    assert_same(switches[0][0], switches[1][0], "channel matrix")
    assert_same(switches[0][1], switches[1][1], "channel rates")
    flows = compute_flows(duck), compute_flows(spark)
    counts = [[{k: r[k] for k in ("segment", "source", "target", "count")}
               for r in table.to_pylist()] for table in flows]  # fmt: skip
    assert counts[0] == counts[1]  # same order too: the sort happens in Python
    for want, have in zip(flows[0].to_pylist(), flows[1].to_pylist(), strict=True):
        for name in ("median_seconds", "p90_seconds", "mean_seconds"):
            assert have[name] == pytest.approx(want[name])
    if log == "tiny":
        grouped = FlowOptions(start="visit", min_count=2, top_steps=3)
        assert_same(compute_flows(duck, grouped), compute_flows(spark, grouped), "flow options")


def test_funnels_and_time_between(tiny: tuple[Prepared, Prepared]) -> None:
    duck, spark = tiny
    steps = ["visit", "search", "buy"]
    for options in (
        FunnelOptions(steps),
        FunnelOptions(steps, mode="strict"),
        FunnelOptions(steps, mode="any"),
        FunnelOptions(steps, window_seconds=86400),
        FunnelOptions(
            ["visit", "search", "buy", "call"],
            optional=["buy"],
            exclusions=[Exclusion("call", 1, 2)],
        ),
    ):
        assert_same(compute_funnel(duck, options), compute_funnel(spark, options), str(options))
    for a, b in (("visit", "buy"), ("search", "buy")):
        assert_same(compute_time_between(duck, a, b), compute_time_between(spark, a, b), a + b)


def test_funnels_on_ties(synth: tuple[Prepared, Prepared]) -> None:
    duck, spark = synth
    names = [str(r["step"]) for r in compute_reach(duck).to_pylist()][:4]
    for options in (
        FunnelOptions(names[:3]),
        FunnelOptions(names[:3], mode="strict", window_seconds=3 * 86400),
        FunnelOptions(names[:3], mode="any", window_seconds=3 * 86400),
    ):
        assert_same(compute_funnel(duck, options), compute_funnel(spark, options), str(options))
    assert_same(
        compute_time_between(duck, names[0], names[1]),
        compute_time_between(spark, names[0], names[1]),
    )


def test_journey_windows_and_time_range(spark: Any) -> None:
    options = JourneyOptions(
        journey_gap_days=1, start=T0, end=T0 + dt.timedelta(days=20), collapse_repeats=True
    )
    for duck, sparky in _prepare_both(tiny_log(), spark, options):
        assert (duck.journeys, duck.events) == (sparky.journeys, sparky.events)
        assert_same(compute_variants(duck), compute_variants(sparky), "variants")
        assert_same(compute_flows(duck), compute_flows(sparky), "flows")


def test_engine_seam(spark: Any) -> None:
    frame = pd.DataFrame({"customer_id": ["a"], "ts": ["2024-01-01"], "event": ["x"]})
    engine = connect(load_events(frame), "spark", master=MASTER, config=CONFIG)
    try:
        table = engine.query("SELECT ts, count(*) * 1.0 / 2 AS half FROM events GROUP BY ts")
        assert table.schema.field("ts").type == pa.timestamp("us", tz="UTC")
        assert table.to_pylist() == [{"ts": dt.datetime(2024, 1, 1, tzinfo=dt.UTC), "half": 0.5}]
        assert {"customer_id", "ts", "event"} <= set(engine.columns("events"))
        engine.materialize("_x", "SELECT event FROM events")
        assert engine.query("SELECT * FROM _x").to_pylist() == [{"event": "x"}]
        engine.drop("_x")
        rules = [("support_*", "support_x", True), ("support_*", "supportx", False)]
        from journeyscope.analytics.binding import glob_to_like

        for pattern, text, match in rules:
            sql = f"SELECT '{text}' LIKE '{glob_to_like(pattern)}' ESCAPE '\\' AS m"
            assert engine.query(sql).to_pylist() == [{"m": match}]
        regex = engine.regex_full("'a1.b'", r"a\d\.b")
        assert engine.query(f"SELECT {regex} AS m").to_pylist() == [{"m": True}]
    finally:
        engine.close()


def test_tour_de_farce_analysis_from_the_cli(spark: Any, tmp_path: Path) -> None:
    """The Tour De Farce map by persona: `analyze --engine spark` with what a cluster needs on
    the command line (master, Spark settings, a staging folder) prints the same numbers as
    DuckDB — KPIs, funnels, stage funnel included; the staged Parquet copy is removed
    afterwards; bad Spark options exit 2 with a clear message."""
    from typer.testing import CliRunner

    from journeyscope.cli.main import app
    from journeyscope.synth.tour_de_farce import generate_tour_de_farce

    paths = generate_tour_de_farce(tmp_path, customers=300)
    stage = tmp_path / "stage"
    stage.mkdir()
    template = Path(__file__).parents[1] / "journeyscope/templates/tour-de-farce/en.yaml"
    common = ["analyze", str(template), "-e", str(paths["events"]), "--customers",
              str(paths["customers"]), "--segment-by", "persona", "--quarantine",
              str(tmp_path / "q.csv"), "-f", "json"]  # fmt: skip
    # Spark's compiled execution, as in production (the other tests interpret expressions)
    conf = [arg for key, value in DEFAULTS.items() for arg in ("--spark-conf", f"{key}={value}")]
    runner = CliRunner()
    duck = runner.invoke(app, [*common, "-o", str(tmp_path / "duck.json")])
    sparky = runner.invoke(
        app,
        [*common, "-o", str(tmp_path / "spark.json"), "--engine", "spark", "--spark-master",
         MASTER, *conf, "--spark-staging", str(stage)],
    )  # fmt: skip
    assert duck.exit_code == 0 and sparky.exit_code == 0, duck.output + sparky.output
    expected = json.loads((tmp_path / "duck.json").read_text())
    got = json.loads((tmp_path / "spark.json").read_text())
    assert (expected.pop("engine"), got.pop("engine")) == ("duckdb", "spark")
    assert expected["kpis"] and expected["funnel"] and expected["stage_funnel"]
    for key in expected:
        assert_same(expected[key], got[key], key)
    assert list(stage.iterdir()) == []  # the handed-over Parquet is gone
    bad = runner.invoke(app, [*common, "--engine", "spark", "--spark-conf", "no-equals"])
    assert bad.exit_code == 2 and "KEY=VALUE" in bad.output
    missing = runner.invoke(
        app, [*common, "--engine", "spark", "--spark-staging", str(tmp_path / "nowhere")]
    )
    assert missing.exit_code == 2 and "staging directory" in missing.output


@pytest.mark.slow
def test_insights_and_check_from_the_cli_on_spark(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole evaluation on Spark: `insights` and `check --engine spark` print the documents
    DuckDB prints — every pain point with its segment and money, KPIs, improvements, validation,
    the emotion curve and the survey pain points from the answers Spark read and checked
    itself (the same quarantine counts), staleness."""
    from typer.testing import CliRunner

    from journeyscope.cli.main import app
    from journeyscope.synth.tour_de_farce import generate_tour_de_farce

    monkeypatch.chdir(tmp_path)  # the quarantine files go to the working folder
    paths = generate_tour_de_farce(tmp_path, customers=200, with_surveys=True)
    template = Path(__file__).parents[1] / "journeyscope/templates/tour-de-farce/en.yaml"
    files = ["-e", str(paths["events"]), "--customers", str(paths["customers"]),
             "--surveys", str(paths["surveys"]), "-f", "json"]  # fmt: skip
    conf = [arg for key, value in CONFIG.items() for arg in ("--spark-conf", f"{key}={value}")]
    on_spark = ["--engine", "spark", "--spark-master", MASTER, *conf]
    runner = CliRunner()
    for command in ("insights", "check"):
        duck = runner.invoke(app, [command, str(template), *files])
        sparky = runner.invoke(app, [command, str(template), *files, *on_spark])
        assert duck.exit_code in (0, 1) and sparky.exit_code == duck.exit_code, sparky.output
        expected, got = json.loads(duck.stdout), json.loads(sparky.stdout)
        assert expected == got, command
        if command == "insights":  # the survey answers, read and judged by Spark
            kinds = {k for p in expected["pain_points"] for k in (p.get("kinds") or [p["kind"]])}
            assert {"low_score", "negative_comment"} <= kinds, kinds
            assert expected["summary"]["answers"] and expected["surveys"]["quarantined"]
            assert any(p["answers"] for p in expected["emotion_curve"])
    assert expected["staleness"]["reasons"]  # a real check, not an empty document


# --- Spark reads the sources itself -------------------------------------------------------

BAD_CSV = '''customer_id,ts,event,channel,amount
a,2024-05-01 10:00,visit,web,1
a,2024-05-01T10:05:00+02:00,buy,web,2
,2024-05-01 10:00,visit,web,3
b,,visit,app,4
b,yesterday,visit,app,5
c,1714557600,visit,app,6
c,2024-05-01 10:00Z,,app,7
d,1970-01-02,visit,web,8
d,2024-05-01 10:00,visit,web,9,extra
e,2024-05-01 11:00+0200,pay,web,10
e,  2024-05-02 ,pay,web,11
f,2024-05-01 10:00:30+02,visit,web,12
f,2024-05-01 10:00 +02:00,visit,web,13
"f, quoted",2024-05-01T10:00Z,"visit, ""again""",web,14
g
'''

BAD_JSONL = """{"customer_id":"a","ts":"2024-05-01 10:00","event":"visit","amount":1.5}

{"customer_id":"a","ts":"2024-05-01 10:05","event":"buy","extra":[1]}
[1,2]
{"customer_id":"","ts":"2024-05-01 10:05","event":"buy"}
{"customer_id":"b","ts":1714557600,"event":"buy"}
{broken
{"customer_id":"c","ts":"2024-05-01 10:05","event":null}
"""


def _bad_files(tmp_path: Path) -> dict[str, tuple[str, ColumnMapping | None]]:
    """Files with every kind of bad row, in each format Spark reads."""
    (tmp_path / "bad.csv").write_text(BAD_CSV)
    (tmp_path / "bad.jsonl").write_text(BAD_JSONL)
    parts = tmp_path / "parts"
    parts.mkdir()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    typed = (
        "SELECT * FROM (VALUES ('a', TIMESTAMPTZ '2024-05-01 10:00+00', 'visit', 1), "
        "('a', NULL, 'buy', 2), (NULL, TIMESTAMPTZ '2024-05-01 11:00+00', 'visit', 3), "
        "('b', TIMESTAMPTZ '1975-01-01 00:00+00', '', 4), "
        "('b', TIMESTAMPTZ '2024-05-01 10:00+00', 'pay', 5)) t(customer_id, ts, event, n)"
    )
    con.execute(f"COPY ({typed} WHERE n <= 3) TO '{parts}/a.parquet' (FORMAT parquet)")
    con.execute(f"COPY ({typed} WHERE n > 3) TO '{parts}/b.parquet' (FORMAT parquet)")
    con.execute(
        "COPY (SELECT * FROM (VALUES ('x', '01.05.2024 10:00', 'visit'), ('x', '1.5.24', 'buy'), "
        "('y', '31.12.2024 23:30', 'visit')) t(who, happened, what)) "
        f"TO '{tmp_path}/local.parquet' (FORMAT parquet)"
    )
    con.execute(
        "COPY (SELECT * FROM (VALUES ('x', 1714557600000, 'visit'), ('y', 1714557600, 'buy')) "
        f"t(customer_id, ts, event)) TO '{tmp_path}/millis.parquet' (FORMAT parquet)"
    )
    local = ColumnMapping(customer_id="who", ts="happened", event="what",
                          ts_format="%d.%m.%Y %H:%M", timezone="Europe/Berlin")  # fmt: skip
    return {
        "csv": (str(tmp_path / "bad.csv"), None),
        "jsonl": (str(tmp_path / "bad.jsonl"), None),
        "parquet folder": (str(parts), None),
        "parquet glob": (str(parts / "*.parquet"), None),
        "time format and zone": (str(tmp_path / "local.parquet"), local),
        "epoch milliseconds": (str(tmp_path / "millis.parquet"), ColumnMapping(ts_unit="ms")),
    }


def test_spark_leaves_nested_json_objects_to_the_driver(spark: Any, tmp_path: Path) -> None:
    """DuckDB makes a JSON object's fields dotted attributes (``extra.k``); Spark's reader does
    not, so it declines such a file and the evaluation loads it on the driver: the same log."""
    from journeyscope.evaluation import EvaluationSettings, Sources, load_sources
    from journeyscope.events.spark_load import SparkCannotRead, load_events_spark

    from .conftest import SPARK_CONFIG, SPARK_MASTER

    path = tmp_path / "nested.jsonl"
    path.write_text('{"customer_id":"a","ts":"2024-05-01 10:05","event":"buy","extra":{"k":1}}\n')
    with pytest.raises(SparkCannotRead, match="JSON objects"):
        load_events_spark(spark, str(path), None)
    settings = EvaluationSettings(
        engine="spark", engine_options={"master": SPARK_MASTER, "config": SPARK_CONFIG}
    )
    log, _ = load_sources(Sources(str(path)), settings)
    assert "extra.k" in log.attributes
    [row] = log.con.execute('SELECT "extra.k" FROM events').fetchall()
    assert str(row[0]) == "1"


def _quarantine_rows(path: Path) -> list[list[str]]:
    """(source, location, reason) of a quarantine CSV: DuckDB's file or Spark's folder."""
    import csv

    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    rows: list[list[str]] = []
    for file in files:
        with file.open(newline="") as handle:
            rows += list(csv.reader(handle))[1:]
    return [row[:3] for row in rows]


@pytest.mark.parametrize(
    "kind",
    ["csv", "jsonl", "parquet folder", "parquet glob", "time format and zone",
     "epoch milliseconds"],
)  # fmt: skip
def test_spark_reads_and_checks_sources_as_duckdb_does(
    spark: Any, tmp_path: Path, kind: str
) -> None:
    """The same rows loaded, in the same order, and the same rows quarantined for the same
    reasons at the same places, whether DuckDB or Spark reads the file; Spark writes its
    quarantine itself and the driver holds no event."""
    from journeyscope.events.spark_load import load_events_spark

    source, mapping = _bad_files(tmp_path)[kind]
    duck = load_events(source, mapping, quarantine=tmp_path / "duck.csv")
    sparky = load_events_spark(spark, source, mapping, quarantine=tmp_path / "spark.csv")
    try:
        want, got = duck.report.as_dict(), sparky.report.as_dict()
        assert (want.pop("quarantine_file"), got.pop("quarantine_file")) == (
            (str(tmp_path / "duck.csv"), str(tmp_path / "spark.csv"))
            if duck.report.quarantined
            else (None, None)
        )
        assert got == want and got["loaded"] > 0
        if kind in ("csv", "jsonl", "parquet folder"):
            assert want["quarantined"] >= 2, want  # the test has bad rows to compare
        fields = ("source", "n", "location", "reason")
        assert [[r[f] for f in fields] for r in sparky.quarantined().to_pylist()] == [
            [r[f] for f in fields] for r in duck.quarantined().to_pylist()
        ]
        if duck.report.quarantined:
            assert _quarantine_rows(tmp_path / "spark.csv") == _quarantine_rows(
                tmp_path / "duck.csv"
            )
        assert "events" not in {r[0] for r in sparky.con.execute("SHOW TABLES").fetchall()}
        engines = connect(duck), connect(sparky, "spark", master=MASTER, config=CONFIG)
        try:
            rows = [e.query("SELECT * FROM events ORDER BY seq").to_pylist() for e in engines]
        finally:
            engines[1].close()
        assert rows[1] == rows[0]
    finally:
        sparky.close()


def test_spark_reads_a_catalog_table(spark: Any, tmp_path: Path) -> None:
    """``spark:NAME``: a table of the Spark catalog (here an external Parquet table), checked
    with the same reasons and counts as DuckDB finds in the table's files."""
    from journeyscope.events.spark_load import load_events_spark

    source, _ = _bad_files(tmp_path)["parquet folder"]
    spark.sql(f"CREATE TABLE js_bad_events USING parquet LOCATION '{source}'")
    try:
        sparky = load_events_spark(spark, "spark:js_bad_events")
        duck = load_events(source)
        want = dict(duck.report.as_dict(), source="spark:js_bad_events")
        assert sparky.report.as_dict() == want
        assert sorted(r["reason"] for r in sparky.quarantined().to_pylist()) == sorted(
            r["reason"] for r in duck.quarantined().to_pylist()
        )
        sparky.close()
        with pytest.raises(ValueError, match="no Spark table 'nowhere'"):
            load_events_spark(spark, "spark:nowhere")
    finally:
        spark.sql("DROP TABLE js_bad_events")


def test_spark_loading_errors_are_plain(spark: Any, tmp_path: Path) -> None:
    from journeyscope.events.spark_load import load_events_spark, spark_reads

    source, _ = _bad_files(tmp_path)["csv"]
    with pytest.raises(ValueError, match="no column 'when' for the ts; columns are: customer_id"):
        load_events_spark(spark, source, ColumnMapping(ts="when"))
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_events_spark(spark, str(tmp_path / "none.parquet"))
    with pytest.raises(ValueError, match="Spark cannot read '%q'"):
        load_events_spark(spark, source, ColumnMapping(ts_format="%q"))
    assert spark_reads("s3a://bucket/events/") and spark_reads("spark:db.events")
    assert not spark_reads("log.xes") and not spark_reads("duckdb:x.db::t")
    assert not spark_reads(pd.DataFrame())


def test_the_engine_setting_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One setting for every surface: ``JOURNEYSCOPE_ENGINE``, else the config file's engine;
    the file's options for the engine chosen; a broken file is a plain error."""
    from journeyscope.evaluation import EvaluationSettings, engine_setting

    config = tmp_path / "engine.toml"
    config.write_text('engine = "spark"\n[spark]\nmaster = "spark://h:7077"\n'
                      '[spark.config]\n"spark.executor.memory" = "8g"\n')  # fmt: skip
    env = {"JOURNEYSCOPE_ENGINE_CONFIG": str(config)}
    spark_options = {"master": "spark://h:7077", "config": {"spark.executor.memory": "8g"}}
    assert engine_setting(environ=env) == ("spark", spark_options)
    assert engine_setting(environ={**env, "JOURNEYSCOPE_ENGINE": "duckdb"}) == ("duckdb", {})
    assert engine_setting("duckdb", env) == ("duckdb", {})
    assert engine_setting(environ={}) == ("duckdb", {})
    config.write_text("engine = [")
    with pytest.raises(ValueError, match="cannot read the engine settings"):
        engine_setting(environ=env)
    monkeypatch.setenv("JOURNEYSCOPE_ENGINE", "spark")
    assert EvaluationSettings().engine == "spark"  # what the web runner and the CLI use


def test_results_written_back_as_json_and_parquet_tables(tmp_path: Path) -> None:
    """``write_tables``: the documents as JSON and each analysis table as a Parquet file that
    reads back to the same rows."""
    import pyarrow.parquet as pq

    from journeyscope.evaluation import EvaluationSettings, evaluate

    result = evaluate(None, tiny_log(), EvaluationSettings("duckdb"))
    written = result.write_tables(tmp_path / "out")
    names = {path.name for path in written}
    assert "analysis.json" in names and "insights.json" not in names  # no map: no insights
    assert json.loads((tmp_path / "out/analysis.json").read_text()) == json.loads(
        result.analysis.to_json()  # type: ignore[union-attr]
    )
    assert result.analysis is not None and result.analysis.tables
    for name, table in result.analysis.tables.items():
        assert pq.read_table(tmp_path / "out" / f"{name}.parquet").equals(table), name
    assert not list((tmp_path / "out").glob(".*"))  # nothing left half-written


# --- survey answers on Spark ------------------------------------------------------------------

BAD_SURVEYS = """customer_id,ts,kind,score,touchpoint,event,step,comment
a,2024-05-01 10:00,csat,5,,,pay,fine
b,2024-05-01 10:00,csat,9,,,pay,
c,2024-05-01 10:00,nps,x,,,pay,
,2024-05-01 10:00,csat,3,,,pay,
d,,csat,3,,,pay,
e,yesterday,csat,3,,,pay,
f,2024-05-01 10:00,zzz,3,,,pay,
g,2024-05-01 10:00,ces,3,,,,
h,2024-05-01 10:00,CES,7,,visit,,"too slow, not good"
i,2024-05-01 10:00,csat,,,,pay,
j,2024-05-01 10:00,csat,4,tp1,,,x,extra
k,2024-05-01T10:00:00+02:00,nps,10,tp1,,,
l, 1714557600 ,csat,2,,,pay,nothing works
"""


@pytest.mark.parametrize("kind", ["csv", "parquet folder", "jsonl"])
def test_spark_reads_and_checks_survey_answers_as_duckdb_does(
    spark: Any, tmp_path: Path, kind: str
) -> None:
    """Every reason a survey row is refused, at the same places, counted the same; the same
    answers in the same order (``seq``); Spark writes the quarantine itself and the driver
    holds no answer."""
    from journeyscope.events import load_surveys
    from journeyscope.events.spark_surveys import load_surveys_spark

    (tmp_path / "bad.csv").write_text(BAD_SURVEYS)
    source = tmp_path / "bad.csv"
    con = duckdb.connect()
    if kind == "parquet folder":  # text columns in two files, as an export writes them
        (tmp_path / "parts").mkdir()
        con.execute(f"CREATE TABLE s AS SELECT * FROM read_csv('{source}', all_varchar = true, "
                    "header = true, ignore_errors = true)")  # fmt: skip
        for n, where in enumerate(("customer_id < 'f'", "NOT customer_id < 'f' OR "
                                   "customer_id IS NULL")):  # fmt: skip
            con.execute(f"COPY (SELECT * FROM s WHERE {where}) TO "
                        f"'{tmp_path / f'parts/part-{n}.parquet'}' (FORMAT parquet)")  # fmt: skip
        source = tmp_path / "parts"
    elif kind == "jsonl":
        source = tmp_path / "bad.jsonl"
        rows = f"read_csv('{tmp_path / 'bad.csv'}', all_varchar = true, ignore_errors = true)"
        con.execute(f"COPY (SELECT * FROM {rows}) TO '{source}' (FORMAT json)")
    duck = load_surveys(source, quarantine=tmp_path / "duck.csv")
    sparky = load_surveys_spark(spark, source, quarantine=tmp_path / "spark.csv")
    want, got = duck.report.as_dict(), sparky.report.as_dict()
    assert (want.pop("quarantine_file"), got.pop("quarantine_file")) == (
        str(tmp_path / "duck.csv"), str(tmp_path / "spark.csv"))  # fmt: skip
    assert got == want and want["loaded"] == 4 and len(want["reasons"]) >= 8, want
    fields = ("source", "n", "location", "reason")
    assert [[r[f] for f in fields] for r in sparky.quarantined().to_pylist()] == [
        [r[f] for f in fields] for r in duck.quarantined().to_pylist()
    ]
    assert _quarantine_rows(tmp_path / "spark.csv") == _quarantine_rows(tmp_path / "duck.csv")
    assert "answers" not in {r[0] for r in sparky.con.execute("SHOW TABLES").fetchall()}
    assert sparky.answers().to_pylist() == duck.answers().to_pylist()
    spark.catalog.dropGlobalTempView(sparky.view.split(".", 1)[1])
