"""Precision and recall of the findings on the planted-problem worlds, per shape and size.

    .venv/bin/python benchmarks/planted_scores.py                    # every shape, 3k and 300k
    .venv/bin/python benchmarks/planted_scores.py --shapes retail --sizes 3k,30k --seeds 1,2
    .venv/bin/python benchmarks/planted_scores.py --json scores.json --details --plain-names

Each world is generated into ``--data-dir`` (default ``/tmp/journeyscope-planted``), evaluated
with :func:`journeyscope.evaluation.evaluate` on its own map, and scored with
:func:`journeyscope.synth.planted.score` (``docs/insights.md``, "How we test the findings").
``--plain-names`` renames the events' columns named like Journeyscope's words (``step``,
``seq``, ``journey``, ``channel``, ``persona`` become ``source_*``), to tell a detector's misses
from the trouble those names cause.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from journeyscope.evaluation import EvaluationSettings, evaluate
from journeyscope.formats import load_map
from journeyscope.synth.planted import SHAPES, Score, score


def parse_size(text: str) -> int:
    """'3k' -> 3000, '300k' -> 300000, '1234' -> 1234."""
    text = text.strip().lower()
    factors = {"k": 1_000, "m": 1_000_000}
    return int(float(text[:-1]) * factors[text[-1]]) if text[-1] in factors else int(text)


def run(
    shape: str, n: int, seed: int, data_dir: Path, top: int, collide: bool
) -> tuple[Score, float, float]:
    started = time.perf_counter()
    folder = data_dir / f"{shape}-{n}-{seed}{'' if collide else '-plain'}"
    world = SHAPES[shape](n, seed, folder, collide=collide)
    generated = time.perf_counter()
    # insights only, as `journeyscope insights` computes them
    evaluation = evaluate(load_map(world.map), world.sources(), EvaluationSettings(analysis=None))
    evaluated = time.perf_counter()
    return score(world, evaluation, top), generated - started, evaluated - generated


def row(result: Score, seed: int, gen_s: float, eval_s: float) -> str:
    ranks = ", ".join(f"{p} {r if r is not None else '—'}" for p, r in result.ranks.items())
    improvements = sum(ok for ok, _ in result.improvements.values())
    drift = {None: "none planted", True: "found", False: "missed"}[result.drift]
    if result.drift is None and result.new_events:
        drift += f" (check names {', '.join(result.new_events)})"
    precision = f"{result.precision:.0%}" if result.labels else "no findings"
    return (
        f"| {result.shape} | {result.customers:,} | {seed} | {precision} | "
        f"{result.recall:.0%} | {result.not_planted} | {ranks} | "
        f"{improvements}/{len(result.improvements)} | {drift} | "
        f"{'yes' if result.meets_bar() else 'no'} | {gen_s:.1f} | {eval_s:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--sizes", default="3k,300k")
    parser.add_argument("--seeds", default="1")
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/journeyscope-planted"))
    parser.add_argument("--json", type=Path, help="also write every score as JSON here")
    parser.add_argument("--details", action="store_true", help="print the top pain points too")
    parser.add_argument(
        "--plain-names",
        action="store_true",
        help="rename the events' columns named like our words (step, seq, ...) to source_*",
    )
    args = parser.parse_args()
    print(
        f"| shape | customers | seed | precision@{args.top} | recall@{args.top} | not planted "
        "| rank of each planted problem | improvement verdicts right | drift | issue's bar "
        "| generate s | evaluate s |"
    )
    print("|" + " --- |" * 12)
    scores = []
    for shape in args.shapes.split(","):
        for size in args.sizes.split(","):
            for seed in (int(s) for s in args.seeds.split(",")):
                n = parse_size(size)
                result, gen_s, eval_s = run(
                    shape, n, seed, args.data_dir, args.top, not args.plain_names
                )
                print(row(result, seed, gen_s, eval_s), flush=True)
                if args.details:
                    for lb in result.labels:
                        print(f"|   | {lb.rank} | {lb.kind} | {lb.element} | {lb.segment} | "
                              f"{lb.verdict} {lb.problem or ''} |")  # fmt: skip
                scores.append(result.to_dict() | {"seed": seed, "generate_s": gen_s,
                                                  "evaluate_s": eval_s})  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(scores, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
