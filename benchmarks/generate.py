"""Generate the benchmark event logs (Parquet) with the Markov journey generator.

    .venv/bin/python benchmarks/generate.py 1M 10M            # -> /tmp/journeyscope-bench/
    .venv/bin/python benchmarks/generate.py 100M --data-dir /big/disk

Files are named ``events-<size>.parquet`` (``events-<size>-hourly.parquet`` with ``--hourly``)
and are skipped when they already exist (``--force`` rewrites them). The data never goes into
the repository.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from journeyscope.synth import write_parquet

DEFAULT_DIR = Path("/tmp/journeyscope-bench")
BYTES_PER_EVENT = 12  # measured: ~8 bytes per event with zstd; leave room


def parse_size(text: str) -> int:
    """'1M' -> 1_000_000, '250k' -> 250_000, '1234' -> 1234."""
    factors = {"k": 1_000, "m": 1_000_000, "g": 1_000_000_000}
    text = text.strip().lower()
    if text and text[-1] in factors:
        return int(float(text[:-1]) * factors[text[-1]])
    return int(text)


def data_path(data_dir: Path, size: str, hourly: bool = False) -> Path:
    """Where the log of ``size`` events lives."""
    return data_dir / f"events-{size.upper()}{'-hourly' if hourly else ''}.parquet"


def generate(size: str, data_dir: Path, seed: int, hourly: bool, force: bool) -> Path:
    """Write one log unless it is there already; refuses when the disk is too small."""
    path = data_path(data_dir, size, hourly)
    if path.exists() and not force:
        print(f"{path} exists (use --force to rewrite)")
        return path
    events = parse_size(size)
    data_dir.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(data_dir).free
    if free < events * BYTES_PER_EVENT * 2:
        sys.exit(f"not enough disk in {data_dir}: {free / 2**30:.1f} GiB free")
    started = time.perf_counter()

    def report(done: int) -> None:
        elapsed = time.perf_counter() - started
        print(f"\r{path.name}: {done:,}/{events:,} events, {elapsed:.0f} s", end="", flush=True)

    write_parquet(path, events=events, seed=seed, truncate_to_hour=hourly, on_chunk=report)
    print(
        f"\n{path}: {path.stat().st_size / 2**20:.0f} MiB in {time.perf_counter() - started:.0f} s"
    )
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", help="event counts, e.g. 1M 10M 100M")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--hourly", action="store_true", help="truncate times to the hour (ties)")
    parser.add_argument("--force", action="store_true", help="rewrite existing files")
    args = parser.parse_args(argv)
    for size in args.sizes:
        generate(size, args.data_dir, args.seed, args.hourly, args.force)


if __name__ == "__main__":
    main()
