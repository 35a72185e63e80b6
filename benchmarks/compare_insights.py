"""The product's main job timed as users run it: `insights`, `check` and `analyze` on a
realistic planted world, beside pm4py and a hand-written DuckDB reference, in one run.

    .venv/bin/python benchmarks/compare_insights.py retail 100000
    .venv/bin/python benchmarks/compare_insights.py retail 1000000 --sides insights,analyze,sql

The world comes from ``journeyscope.synth.planted`` (retail: app and web, months of time,
company sends, 20-30 steps with conditions, customer attributes, survey answers and comments;
``subscription`` and ``utility`` too), generated once into ``--data-dir`` and reused. Every side
is its own process, measured from outside (wall time, peak RSS of the process tree):

| side | what runs |
|---|---|
| `insights` | `journeyscope insights MAP --events --customers --surveys --format json` |
| `check` | `journeyscope check MAP --events --customers --format json` |
| `analyze` | `journeyscope analyze MAP --events --format json` (the whole report) |
| `phases` | `evaluate()` in a worker: the seconds of each stage (load, bind, analyze, insights) |
| `pm4py` | read the Parquet file, `format_dataframe`, variants, DFG, performance DFG |
| `sql` | hand-written DuckDB SQL: variants, DFG counts, median seconds per edge, reach |

Prints a Markdown table and the ratios insights/analyze and pm4py/analyze.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from _measure import Measurement, measure

HERE = Path(__file__).parent
DEFAULT_DIR = Path("/tmp/journeyscope-bench")
SIDES = ("insights", "check", "analyze", "phases", "pm4py", "sql")


def _world(shape: str, customers: int, data_dir: Path) -> Any:
    from journeyscope.synth.planted import SHAPES

    folder = data_dir / f"{shape}-{customers}"
    started = time.perf_counter()
    world = SHAPES[shape](customers, seed=1, folder=folder)
    print(
        f"generated {shape} with {customers:,} customers in {time.perf_counter() - started:.1f} s"
    )
    return world


def _cli(world: Any, command: str, out: Path) -> list[str]:
    base = [sys.executable, "-m", "journeyscope.cli.main", command, str(world.map),
            "--events", str(world.events)]  # fmt: skip
    for pair in world.map_options():
        base += ["--map", pair]
    if command in ("insights", "check"):
        base += ["--customers", str(world.customers)]
    if command == "insights":  # `check` takes no survey column mapping
        base += ["--surveys", str(world.surveys)]
        for key, value in world.survey_mapping.model_dump(exclude_defaults=True).items():
            base += ["--survey-map", f"{key}={value}"]
    written = ["-o", str(out)] if command != "check" else []  # check prints its JSON
    return [*base, "--format", "json", *written]


def _events_count(world: Any) -> int:
    import duckdb

    from journeyscope.sql import literal

    return int(
        duckdb.sql(f"select count(*) from read_parquet({literal(str(world.events))})").fetchall()[
            0
        ][0]
    )


def _worker(side: str, world_folder: Path, report: Path) -> None:
    """One measured side that is not a CLI command (run in its own process)."""
    started = time.perf_counter()
    phases: dict[str, float] = {}
    from journeyscope.synth.planted import SHAPES  # noqa: F401  (import cost is counted)

    truth = json.loads((world_folder / "truth.json").read_text())
    mapping, files = truth["mapping"], truth["files"]
    events = world_folder / files["events"]
    if side == "phases":
        from journeyscope.evaluation import Sources, evaluate
        from journeyscope.events import ColumnMapping, SurveyMapping
        from journeyscope.formats import load_map

        sources = Sources(events=str(events), mapping=ColumnMapping(**mapping),
                          customers=str(world_folder / files["customers"]),
                          customer_id=truth["customer_id"],
                          surveys=str(world_folder / files["surveys"]),
                          survey_mapping=SurveyMapping(**truth["survey_mapping"]))  # fmt: skip
        last = [time.perf_counter(), "start"]

        def tell(stage: str, _fraction: float) -> None:
            now = time.perf_counter()
            phases[str(last[1])] = phases.get(str(last[1]), 0.0) + now - float(last[0])
            last[:] = [now, stage]

        imported = time.perf_counter()
        evaluate(load_map(world_folder / files["map"]), sources, progress=tell)
        phases.pop("start", None)
        phases["imports"] = imported - started
    elif side == "pm4py":
        import pandas as pd
        import pm4py

        imported = time.perf_counter()
        phases["imports"] = imported - started
        frame = pd.read_parquet(events)
        phases["read"] = time.perf_counter() - imported
        mark = time.perf_counter()
        frame = pm4py.format_dataframe(
            frame,
            case_id=mapping["customer_id"],
            activity_key=mapping["event"],
            timestamp_key=mapping["ts"],
        )
        phases["format"] = time.perf_counter() - mark
        for name, call in (("variants", pm4py.get_variants), ("dfg", pm4py.discover_dfg),
                           ("performance_dfg", pm4py.discover_performance_dfg)):  # fmt: skip
            mark = time.perf_counter()
            call(frame)
            phases[name] = time.perf_counter() - mark
    else:  # the hand-written DuckDB reference
        import duckdb

        from journeyscope.sql import ident, literal

        imported = time.perf_counter()
        phases["imports"] = imported - started
        cid, ts, ev = (ident(mapping[k]) for k in ("customer_id", "ts", "event"))
        con = duckdb.connect()
        mark = time.perf_counter()
        con.execute(
            f"create temp table o as select {cid} c, {ev} e, epoch({ts}) t, "
            f"lag({ev}) over w p, epoch({ts}) - lag(epoch({ts})) over w g, "
            f"row_number() over w n from read_parquet({literal(str(events))}) "
            f"window w as (partition by {cid} order by {ts})"
        )
        phases["ordered_pass"] = time.perf_counter() - mark
        for name, sql in (
            ("variants", "select count(*) from (select string_agg(e, '>' order by n) v "
                         "from o group by c) group by v"),
            ("dfg", "select p, e, count(*), median(g) from o where p is not null group by p, e"),
            ("reach", "select e, count(distinct c) from o group by e"),
        ):  # fmt: skip
            mark = time.perf_counter()
            con.execute(sql).fetchall()
            phases[name] = time.perf_counter() - mark
    report.write_text(json.dumps({"phases": phases, "work_s": time.perf_counter() - started}))


def _row(m: Measurement) -> str:
    phases = m.report.get("phases", {})
    shown = ", ".join(f"{k} {v:.1f}" for k, v in phases.items())
    ok = m.exit_code == 0 or (m.side == "check" and m.exit_code == 1)  # 1: the map is stale
    status = "" if ok else f" (FAILED, exit {m.exit_code})"
    return f"| {m.side}{status} | {m.wall_s:.1f} s | {m.peak_rss_bytes / 2**30:.2f} GiB | {shown} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shape", choices=("retail", "subscription", "utility"))
    parser.add_argument("customers", type=int)
    parser.add_argument("--sides", default=",".join(SIDES))
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker[0], Path(args.worker[1]), Path(args.worker[2]))
        return
    world = _world(args.shape, args.customers, args.data_dir)
    runs = world.folder / "runs"
    runs.mkdir(exist_ok=True)
    print(f"{_events_count(world):,} events")
    results = []
    for side in args.sides.split(","):
        out = runs / f"{side}.json"
        if side in ("insights", "check", "analyze"):
            command = _cli(world, side, runs / f"{side}.out.json")
        else:
            command = [sys.executable, __file__, args.shape, "0", "--worker", side,
                       str(world.folder), str(out)]  # fmt: skip
        print(f"running {side} ...", flush=True)
        result = measure(side, command, out, runs / f"{side}.log")
        if result.exit_code != 0:
            print("\n".join(result.log.splitlines()[-15:]))
        results.append(result)
    print("| side | wall (process) | peak RSS | phases (s) |\n|---|---:|---:|---|")
    for result in results:
        print(_row(result))
    wall = {r.side: r.wall_s for r in results if r.exit_code == 0}
    if "analyze" in wall:
        for side in ("insights", "check", "pm4py", "sql"):
            if side in wall:
                print(f"{side} / analyze: {wall[side] / wall['analyze']:.2f}")


if __name__ == "__main__":
    main()
