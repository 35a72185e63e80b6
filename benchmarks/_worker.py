"""One side of the comparison, run in its own process by compare_pm4py.py.

    python benchmarks/_worker.py pm4py FILE REPORT.json
    python benchmarks/_worker.py journeyscope FILE REPORT.json [--engine duckdb|spark]

Each side reads the same Parquet file and computes the same four things: variants, the
directly-follows graph (DFG) with counts, the performance DFG (median time per edge), and the
5-step funnel defined in FUNNEL (see README.md). It writes timings per phase and the answers
(compact enough to compare) as JSON.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: Ordered funnel: a customer reaches step k when step k's event happens strictly after (in
#: (ts, seq) order) the moment they reached step k-1; step 1 is their first home_visit. Any
#: other events may come between; no conversion window; one pass per customer (greedy, which is
#: optimal without a window).
FUNNEL = ("home_visit", "view_product", "add_to_cart", "checkout_start", "purchase")
TOP_VARIANTS = 20


class Timer:
    """Wall time per named phase."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.phases[name] = time.perf_counter() - started


def answers(
    variants: dict[tuple[str, ...], int],
    dfg: dict[tuple[str, str], int],
    medians: dict[tuple[str, str], float],
    funnel: list[int],
    *,
    variant_count: int | None = None,
    cases: int | None = None,
) -> dict[str, Any]:
    """The answers in one comparable shape, whatever side computed them.

    ``variants`` may hold only the most frequent variants when ``variant_count`` and ``cases``
    give the totals (a side need not pull every variant into Python).
    """
    top = sorted(variants.items(), key=lambda item: (-item[1], item[0]))[:TOP_VARIANTS]
    return {
        "variant_count": len(variants) if variant_count is None else variant_count,
        "cases": sum(variants.values()) if cases is None else cases,
        "top_variants": [[" > ".join(seq), n] for seq, n in top],
        "dfg_edge_count": len(dfg),
        "dfg": sorted([a, b, int(n)] for (a, b), n in dfg.items()),
        "median_s": sorted([a, b, float(m)] for (a, b), m in medians.items()),
        "funnel": [int(n) for n in funnel],
    }


def pandas_funnel(frame: Any, case: str, activity: str) -> list[int]:
    """The FUNNEL counts over a frame already sorted by (case, ts, file order)."""
    import numpy as np
    import pandas as pd

    names = frame[activity].to_numpy()
    cases = frame[case].to_numpy()
    position = np.arange(len(frame))
    reached: pd.Series | None = None
    counts = []
    for step in FUNNEL:
        hit = names == step
        rows = pd.DataFrame({"case": cases[hit], "pos": position[hit]})
        if reached is not None:
            after = rows["pos"].to_numpy() > rows["case"].map(reached).fillna(np.inf).to_numpy()
            rows = rows[after]
        reached = rows.groupby("case", sort=False)["pos"].min()
        counts.append(len(reached))
    return counts


def run_pm4py(path: Path, timer: Timer) -> dict[str, Any]:
    """pm4py as a user would run it on a Parquet file."""
    with timer.phase("import"):
        import pandas as pd
        import pm4py
    with timer.phase("read"):
        frame = pd.read_parquet(path)
    with timer.phase("format"):
        frame = pm4py.format_dataframe(
            frame, case_id="customer_id", activity_key="event", timestamp_key="ts"
        )
    with timer.phase("variants"):
        variants = pm4py.get_variants(frame)
    with timer.phase("dfg"):
        dfg, _, _ = pm4py.discover_dfg(frame)
    with timer.phase("performance_dfg"):
        performance, _, _ = pm4py.discover_performance_dfg(frame)
    with timer.phase("funnel"):
        funnel = pandas_funnel(frame, "@@case_index", "concept:name")
    medians = {edge: stats["median"] for edge, stats in performance.items()}
    return answers(variants, dfg, medians, funnel)


def run_journeyscope(path: Path, timer: Timer, engine: str) -> dict[str, Any]:
    """Journeyscope through its public API: load_events, then the analytics families."""
    from _journeyscope_side import run

    return run(path, timer, engine)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("side", choices=["pm4py", "journeyscope", "sql"])
    parser.add_argument("file", type=Path)
    parser.add_argument("report", type=Path)
    parser.add_argument("--engine", default="duckdb", choices=["duckdb", "spark"])
    args = parser.parse_args()
    timer = Timer()
    started = time.perf_counter()
    if args.side == "pm4py":
        result = run_pm4py(args.file, timer)
    elif args.side == "sql":
        from _sql_side import run

        result = run(args.file, timer, FUNNEL)
    else:
        result = run_journeyscope(args.file, timer, args.engine)
    result["phases"] = timer.phases
    result["work_s"] = time.perf_counter() - started - timer.phases.get("import", 0.0)
    args.report.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
