"""The same numbers from every engine: DuckDB (the reference) against Spark in local mode."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
from journeyscope.events import load_events

from .conftest import SPARK_CONFIG as CONFIG
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
    conf = [arg for key, value in CONFIG.items() for arg in ("--spark-conf", f"{key}={value}")]
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
    the emotion curve from the surveys, staleness."""
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
    assert expected["staleness"]["reasons"]  # a real check, not an empty document
