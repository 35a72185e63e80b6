"""The whole evaluation on DuckDB, Spark in local mode and a real two-worker standalone cluster.

The events are a folder of Parquet files (with bad rows) that Spark reads itself: on Spark the
driver never loads them (its DuckDB connection holds no events table). The cluster run is a
separate driver process (as ``journeyscope insights --engine spark --spark-master spark://...``
would be) that takes its engine from ``JOURNEYSCOPE_ENGINE`` and the file
``JOURNEYSCOPE_ENGINE_CONFIG`` names, and also runs ``check`` through the command line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from journeyscope.evaluation import EvaluationSettings, Sources, evaluate, load_sources
from journeyscope.formats import load_map

from .conftest import SPARK_CONFIG
from .test_engines import assert_same

pytestmark = [
    pytest.mark.spark,
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]

ROOT = Path(__file__).parents[1]
TEMPLATE = ROOT / "journeyscope/templates/tour-de-farce/en.yaml"
#: what a driver on loopback needs, and small executors: one core and 512 MB on each worker
CLUSTER_CONFIG = {**SPARK_CONFIG, "spark.driver.host": "127.0.0.1",
                  "spark.driver.bindAddress": "127.0.0.1", "spark.executor.memory": "512m",
                  "spark.executor.cores": "1", "spark.cores.max": "2"}  # fmt: skip


@pytest.fixture(scope="module")
def farce(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tour De Farce with survey answers and bad rows; the events split into three Parquet
    files in a folder (text columns, as an export would have them)."""
    from journeyscope.synth.tour_de_farce import generate_tour_de_farce

    folder = tmp_path_factory.mktemp("farce")
    paths = generate_tour_de_farce(folder, customers=250, with_surveys=True)
    parts = folder / "events"
    parts.mkdir()
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE e AS SELECT *, row_number() OVER () AS k FROM read_csv("
        f"'{paths['events']}', all_varchar = true, header = true, ignore_errors = true)"
    )
    for n in range(3):
        con.execute(
            f"COPY (SELECT * EXCLUDE (k) FROM e WHERE k % 3 = {n} ORDER BY k) "
            f"TO '{parts / f'part-{n}.parquet'}' (FORMAT parquet)"
        )
    return {**paths, "events": parts}


def sources(paths: dict[str, Path], out: Path) -> Sources:
    return Sources(paths["events"], customers=paths["customers"], surveys=paths["surveys"],
                   quarantine=out / "events.quarantine.csv")  # fmt: skip


def summary(result: Any) -> dict[str, Any]:
    """What the engines must agree on: the insights document, the analysis, the load report
    and the first quarantined rows (without the record text, which each engine spells)."""
    load = dict(result.load.as_dict(), quarantine_file=None)
    insights = dict(result.insights.to_dict(), load=load)
    return {
        "insights": insights,
        "analysis": dict(result.analysis.to_dict(), load=load, engine=None),
        "quarantine": [
            [r["source"], r["n"], r["location"], r["reason"]] for r in result.quarantine
        ],
    }


def drive(paths_json: str, out: str) -> None:
    """The cluster's driver (run in its own process): the engine comes from the environment;
    prints a JSON document of what it found."""
    from typer.testing import CliRunner

    from journeyscope.cli.main import app

    paths = {k: Path(v) for k, v in json.loads(paths_json).items()}
    settings = EvaluationSettings()  # engine and options from JOURNEYSCOPE_ENGINE(_CONFIG)
    log, answers = load_sources(sources(paths, Path(out)), settings)
    tables = [row[0] for row in log.con.execute("SHOW TABLES").fetchall()]
    result = evaluate(load_map(TEMPLATE), log, settings, surveys=answers)
    spark = log.spark  # type: ignore[attr-defined]
    executors = spark.sparkContext._jsc.sc().getExecutorMemoryStatus().size() - 1
    check = CliRunner().invoke(
        app, ["check", str(TEMPLATE), "-e", str(paths["events"]), "--customers",
              str(paths["customers"]), "--surveys", str(paths["surveys"]), "-f", "json"],
    )  # fmt: skip
    print(json.dumps({
        "engine": settings.engine, "master": spark.sparkContext.master, "executors": executors,
        "driver_tables": tables, "summary": summary(result), "check_exit": check.exit_code,
        "check": check.stdout,
    }, default=str))  # fmt: skip


@pytest.mark.slow
def test_the_same_evaluation_on_duckdb_spark_local_and_a_cluster(
    spark: Any,
    spark_cluster: str,
    farce: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every pain point with its segment, KPIs, improvements, staleness, validation, the
    analysis and the quarantine: equal on DuckDB, Spark local and the two-worker cluster."""
    journey = load_map(TEMPLATE)
    (tmp_path / "duck").mkdir()
    duck = evaluate(journey, sources(farce, tmp_path / "duck"), EvaluationSettings("duckdb"))
    want = summary(duck)
    insights = want["insights"]
    # the kinds of evidence this log shows, from the events and from the survey answers (a
    # finding holds every kind merged into it: a low score and complaints on the same answers)
    kinds = {k for p in insights["pain_points"] for k in (p.get("kinds") or [p["kind"]])}
    assert {"drop_off", "loop", "low_score", "negative_comment"} <= kinds, kinds
    assert any(p["segment"] for p in insights["pain_points"])  # found in a segment
    assert insights["kpis"] and insights["improvements"] and insights["staleness"]["reasons"]
    assert insights["validation"] and insights["emotion_curve"]
    assert duck.load.quarantined and duck.load.reasons  # the bad rows, counted

    (tmp_path / "local").mkdir()
    options = {"master": "local[2]", "config": SPARK_CONFIG}
    local = evaluate(journey, sources(farce, tmp_path / "local"),
                     EvaluationSettings("spark", options))  # fmt: skip
    assert_same(want, summary(local), "spark local")
    assert (tmp_path / "local/events.quarantine.csv").is_dir()  # written by Spark

    config = tmp_path / "engine.toml"
    config.write_text(
        f'engine = "spark"\n[spark]\nmaster = "{spark_cluster}"\n[spark.config]\n'
        + "".join(f'"{k}" = "{v}"\n' for k, v in CLUSTER_CONFIG.items())
    )
    (tmp_path / "cluster").mkdir()
    env = {**os.environ, "JOURNEYSCOPE_ENGINE_CONFIG": str(config), "PYTHONPATH": str(ROOT),
           "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}  # fmt: skip
    env.pop("JOURNEYSCOPE_ENGINE", None)
    paths = json.dumps({k: str(v) for k, v in farce.items()})
    out = str(tmp_path / "cluster")
    code = f"from tests.test_spark_cluster import drive; drive({paths!r}, {out!r})"
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600)  # fmt: skip
    assert run.returncode == 0, run.stderr[-4000:]
    cluster = json.loads(run.stdout.strip().splitlines()[-1])
    assert (cluster["engine"], cluster["master"], cluster["executors"]) == (
        "spark",
        spark_cluster,
        2,
    )
    # the driver never loaded the events nor the survey answers
    assert not {"events", "answers"} & set(cluster["driver_tables"])
    assert_same(want, cluster["summary"], "cluster")
    assert (tmp_path / "cluster/events.quarantine.csv").is_dir()

    from typer.testing import CliRunner

    from journeyscope.cli.main import app

    monkeypatch.chdir(tmp_path / "duck")  # the command line's quarantine goes here
    duck_check = CliRunner().invoke(
        app, ["check", str(TEMPLATE), "-e", str(farce["events"]), "--customers",
              str(farce["customers"]), "--surveys", str(farce["surveys"]), "-f", "json",
              "--engine", "duckdb"],
    )  # fmt: skip
    assert cluster["check_exit"] == duck_check.exit_code and cluster["check_exit"] in (0, 1)
    expected = json.loads(duck_check.stdout)
    assert expected["staleness"]["reasons"]
    assert_same(expected, json.loads(cluster["check"]), "check")
