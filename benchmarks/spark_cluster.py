"""The whole evaluation on a standalone Spark cluster beside DuckDB and Spark local mode.

    .venv/bin/python benchmarks/spark_cluster.py --customers 2000 --workers 2

Writes the Tour De Farce log (with survey answers and bad rows) as a folder of Parquet files,
starts a master and ``--workers`` workers on loopback (``tests/conftest.py:standalone_spark``),
then runs ``evaluate`` (analysis + insights) once per side, each in its own driver process:
``duckdb``, ``spark-local`` (``local[2]``) and ``cluster``. It records each side's wall time and
the peak memory of its driver's process tree, and on the cluster the peak memory of the master
and of each worker with the executors it started; checks that the three insights documents are
equal; prints a Markdown table and saves the measurements as JSON next to the data.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from _measure import measure, tree_rss  # noqa: E402

SIDE = """
import json, sys, time
from pathlib import Path
from journeyscope.evaluation import EvaluationSettings, Sources, evaluate
from journeyscope.formats import load_map
data, engine, options, report = Path(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
started = time.perf_counter()
result = evaluate(
    load_map(Path(sys.argv[5])),
    Sources(data / "events", customers=data / "customers.csv", surveys=data / "surveys.csv",
            quarantine=data / f"quarantine-{engine}-{len(options)}"),
    EvaluationSettings(engine, options),
)
insights = result.insights.to_dict()
insights["load"] = dict(insights["load"], quarantine_file=None)
Path(report).write_text(json.dumps({"work_s": time.perf_counter() - started,
    "events": result.load.read, "insights": insights}, default=str))
"""


def write_log(folder: Path, customers: int) -> int:
    """Tour De Farce as three Parquet files in ``folder/events``; the number of event rows."""
    import duckdb

    from journeyscope.synth.tour_de_farce import generate_tour_de_farce

    paths = generate_tour_de_farce(folder, customers=customers, with_surveys=True)
    parts = folder / "events"
    parts.mkdir(exist_ok=True)
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
    return int(con.execute("SELECT count(*) FROM e").fetchall()[0][0])


class Peaks(threading.Thread):
    """The peak RSS of each given process tree, polled every 200 ms."""

    def __init__(self, pids: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.pids, self.peaks = pids, dict.fromkeys(pids, 0)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.2):
            for name, pid in self.pids.items():
                self.peaks[name] = max(self.peaks[name], tree_rss(pid))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/journeyscope-bench/cluster"))
    args = parser.parse_args()
    from tests.conftest import standalone_spark

    data = args.data_dir / f"farce-{args.customers}"
    data.mkdir(parents=True, exist_ok=True)
    rows = write_log(data, args.customers)
    template = ROOT / "journeyscope/templates/tour-de-farce/en.yaml"
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    # Spark's own defaults plus ours (journeyscope._spark: 4 shuffle partitions, UTC), not the
    # tests' small-log settings
    local: dict[str, Any] = {"master": "local[2]", "config": {}}
    results: dict[str, Any] = {"events": rows, "workers": args.workers, "sides": {}}

    def run(side: str, engine: str, options: dict[str, Any]) -> Any:
        report, log = data / f"{side}.json", data / f"{side}.log"
        command = [sys.executable, "-c", SIDE, str(data), engine, json.dumps(options),
                   str(report), str(template)]  # fmt: skip
        return measure(side, command, report, log)

    sides = [run("duckdb", "duckdb", {}), run("spark-local", "spark", local)]
    with standalone_spark(data, args.workers) as (url, processes):
        config = {"spark.driver.host": "127.0.0.1",
                  "spark.driver.bindAddress": "127.0.0.1", "spark.executor.memory": "512m",
                  "spark.executor.cores": "1", "spark.cores.max": str(args.workers)}  # fmt: skip
        names = ["master", *(f"worker-{n}" for n in range(1, args.workers + 1))]
        peaks = Peaks(dict(zip(names, (p.pid for p in processes), strict=True)))
        peaks.start()
        sides.append(run("cluster", "spark", {"master": url, "config": config}))
        peaks.stopped.set()
        peaks.join()
    expected = sides[0].report.get("insights")
    for side in sides:
        results["sides"][side.side] = {
            "wall_s": round(side.wall_s, 1), "work_s": round(side.report.get("work_s", 0), 1),
            "driver_peak_gib": round(side.peak_rss_bytes / 2**30, 2), "exit": side.exit_code,
            "same_insights_as_duckdb": side.report.get("insights") == expected,
        }  # fmt: skip
    results["cluster_processes_peak_gib"] = {k: round(v / 2**30, 2) for k, v in peaks.peaks.items()}
    results["load_average"] = os.getloadavg()
    (data / "results.json").write_text(json.dumps(results, indent=2))
    print(f"{rows:,} events, {args.workers} workers, load average {results['load_average'][0]:.1f}")
    print("| side | wall | evaluate | driver peak | same insights as DuckDB |")
    print("|---|---:|---:|---:|---|")
    for name, side in results["sides"].items():
        print(f"| {name} | {side['wall_s']} s | {side['work_s']} s | "
              f"{side['driver_peak_gib']} GiB | {side['same_insights_as_duckdb']} |")  # fmt: skip
    for name, peak in results["cluster_processes_peak_gib"].items():
        print(f"- {name} (with its executors): peak {peak} GiB")


if __name__ == "__main__":
    main()
