"""pm4py and Journeyscope side by side on the same Parquet file, in one run.

    .venv/bin/python benchmarks/compare_pm4py.py 1M
    .venv/bin/python benchmarks/compare_pm4py.py 10M --engine spark
    .venv/bin/python benchmarks/compare_pm4py.py 100M --sides journeyscope

Each side runs in its own process (benchmarks/_worker.py) so its wall time and peak memory are
its own. Prints a Markdown table (wall time, work time without imports, peak RSS), the ratios
(pm4py time / Journeyscope time; Journeyscope memory / pm4py memory) and whether the answers
agree (variant count, DFG edges and counts, median time per edge, funnel counts).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _measure import Measurement, measure
from generate import DEFAULT_DIR, data_path

HERE = Path(__file__).parent
PHASES = ("read", "format", "load", "ordered_pass", "variants", "dfg", "performance_dfg", "funnel")


def run_side(side: str, file: Path, engine: str, work_dir: Path) -> Measurement:
    """Run one side in a fresh interpreter."""
    label = {"pm4py": "pm4py", "sql": "duckdb-sql-reference"}.get(side, f"journeyscope-{engine}")
    command = [sys.executable, str(HERE / "_worker.py"), side, str(file)]
    command += [str(work_dir / f"{label}.json"), "--engine", engine]
    print(f"running {label} on {file.name} ...", flush=True)
    result = measure(label, command, work_dir / f"{label}.json", work_dir / f"{label}.log")
    if result.exit_code != 0:
        print(f"{label} FAILED (exit {result.exit_code}); last lines of its log:")
        print("\n".join(result.log.splitlines()[-25:]))
    return result


def _gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB"


def table(results: list[Measurement]) -> str:
    """Markdown table: one row per side."""
    head = "| side | wall (process) | work (no imports) | peak RSS | phases (s) |"
    lines = [head, "|---|---:|---:|---:|---|"]
    for r in results:
        phases = r.report.get("phases", {})
        shown = ", ".join(f"{k} {phases[k]:.2f}" for k in PHASES if k in phases)
        work = r.report.get("work_s", math.nan)
        status = "" if r.exit_code == 0 else f" (FAILED, exit {r.exit_code})"
        row = f"| {r.side}{status} | {r.wall_s:.1f} s | {work:.1f} s | {_gib(r.peak_rss_bytes)} |"
        lines.append(f"{row} {shown} |")
    return "\n".join(lines)


def ratios(base: Measurement, other: Measurement) -> str:
    """pm4py time / the other side's (wall and work); the other side's peak memory / pm4py's."""
    wall = base.wall_s / other.wall_s
    work = base.report.get("work_s", math.nan) / other.report.get("work_s", math.nan)
    memory = other.peak_rss_bytes / base.peak_rss_bytes
    return (
        f"{other.side} vs pm4py: {_speed(wall)} (wall), {_speed(work)} (work); "
        f"peak memory {memory:.2f} of pm4py's (target: >=10x faster, <=0.25 memory)"
    )


def _speed(ratio: float) -> str:
    """'3.2x faster' or, below 1, '2.0x slower' (never '0.5x faster')."""
    if ratio >= 1 or math.isnan(ratio):
        return f"{ratio:.1f}x faster"
    return f"{1 / ratio:.1f}x slower"


def _median_agree(a: list[list[Any]], b: list[list[Any]]) -> bool:
    left = {(x, y): m for x, y, m in a}
    right = {(x, y): m for x, y, m in b}
    return left.keys() == right.keys() and all(
        math.isclose(left[k], right[k], abs_tol=1e-3) for k in left
    )


def agreement(base: dict[str, Any], other: dict[str, Any]) -> list[str]:
    """MATCH/MISMATCH per answer, with both values when they differ."""
    checks = {
        "variant count": lambda r: r["variant_count"],
        "cases": lambda r: r["cases"],
        f"top {len(base['top_variants'])} variants": lambda r: r["top_variants"],
        "DFG edge count": lambda r: r["dfg_edge_count"],
        "DFG edges and counts": lambda r: r["dfg"],
        "funnel counts": lambda r: r["funnel"],
    }
    lines = []
    for name, get in checks.items():
        same = get(base) == get(other)
        detail = "" if same or isinstance(get(base), list) else f" ({get(base)} vs {get(other)})"
        if name == "funnel counts" and not same:
            detail = f" ({get(base)} vs {get(other)})"
        lines.append(f"{'MATCH' if same else 'MISMATCH'}: {name}{detail}")
    same = _median_agree(base["median_s"], other["median_s"])
    lines.append(f"{'MATCH' if same else 'MISMATCH'}: median time per DFG edge (±1 ms)")
    return lines


def machine() -> str:
    """A one-line description of where this ran."""
    import os

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    python = platform.python_version()
    return f"{platform.machine()}, {os.cpu_count()} cores, {_gib(memory)} RAM, Python {python}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", help="1M, 10M, 100M (a file made by generate.py) or a path")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--sides", default="pm4py,journeyscope")
    parser.add_argument("--engine", choices=["duckdb", "spark"], action="append")
    parser.add_argument("--hourly", action="store_true", help="the tied-timestamps file")
    args = parser.parse_args()
    file = (
        Path(args.size)
        if Path(args.size).exists()
        else data_path(args.data_dir, args.size, args.hourly)
    )
    if not file.exists():
        sys.exit(f"{file} not found: run benchmarks/generate.py {args.size} first")
    engines = ["duckdb", *[e for e in args.engine or [] if e != "duckdb"]]
    work_dir = args.data_dir / "runs"
    work_dir.mkdir(parents=True, exist_ok=True)
    sides = args.sides.split(",")
    results = []
    if "pm4py" in sides:
        results.append(run_side("pm4py", file, "duckdb", work_dir))
    if "journeyscope" in sides:
        results += [run_side("journeyscope", file, engine, work_dir) for engine in engines]
    if "sql" in sides:
        results.append(run_side("sql", file, "duckdb", work_dir))
    report(file, results)


def report(file: Path, results: list[Measurement]) -> None:
    """Print the table, ratios and agreement; keep a JSON copy next to the data."""
    print(f"\n{file} — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {machine()}\n")
    print(table(results))
    ok = [r for r in results if r.exit_code == 0 and r.report]
    base = next((r for r in ok if r.side == "pm4py"), None)
    if base is not None:
        print(
            f"\ncases {base.report['cases']:,}, variants {base.report['variant_count']:,}, "
            f"DFG edges {base.report['dfg_edge_count']}, funnel {base.report['funnel']}"
        )
        for other in ok:
            if other is not base:
                print("\n" + ratios(base, other))
                print("\n".join(f"  {line}" for line in agreement(base.report, other.report)))
    summary = [
        {
            "side": r.side,
            "wall_s": r.wall_s,
            "peak_rss_bytes": r.peak_rss_bytes,
            "exit_code": r.exit_code,
            **r.report,
        }
        for r in results
    ]
    out = file.with_suffix(".results.json")
    out.write_text(json.dumps({"file": str(file), "machine": machine(), "results": summary}))
    print(f"\nfull results: {out}")


if __name__ == "__main__":
    main()
