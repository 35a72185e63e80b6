"""Journeyscope's side of the comparison, through its public API only.

``load_events`` checks the Parquet file's rows (quarantine) and leaves them in the file (the
``events`` view reads only the columns a query names); ``prepare`` (no journey
map, so the raw event names are the steps; one journey per customer) builds the ordered ``path``
table once; then ``compute_variants``, ``compute_flows`` (the DFG with counts *and* the median
seconds per edge: the DFG and the performance DFG in one query) and ``compute_funnel`` (the
5-step ordered funnel of ``_worker.FUNNEL``) read it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: Pseudo-steps compute_flows adds to open and close each journey (Sankey edges); pm4py's DFG
#: has no such edges (its start/end activities come separately), so they are left out.
_PSEUDO = ("[start]", "[end]")


def run(path: Path, timer: Any, engine: str) -> dict[str, Any]:
    """Load, prepare once, then variants, flows and the funnel; answers in _worker's shape."""
    from _worker import FUNNEL, TOP_VARIANTS, answers

    with timer.phase("import"):
        # pyarrow imports pandas on its first NumPy conversion (~0.3 s): an import, counted here
        # as pm4py's side counts its own pandas import, not as work (wall time includes both)
        import pandas  # noqa: F401
        import pyarrow.compute as pc

        from journeyscope.analytics.funnels import FunnelOptions, compute_funnel
        from journeyscope.analytics.journeys import JourneyOptions, prepare
        from journeyscope.analytics.paths import compute_flows, compute_variants
        from journeyscope.engine import connect
        from journeyscope.events.load import load_events

    with timer.phase("load"):
        log = load_events(str(path))
        db = connect(log, engine)
    with timer.phase("ordered_pass"):
        prepared = prepare(db, None, JourneyOptions())
    with timer.phase("variants"):
        table = compute_variants(prepared)
        # one segment ('all'); rows come most frequent first. Keep every variant tied with the
        # TOP_VARIANTS-th so the top list does not depend on how ties are broken.
        journeys = table.column("journeys")
        variant_count, cases = table.num_rows, pc.sum(journeys).as_py() or 0
        # rows come most frequent first; only the top ones go to Python objects
        cutoff = journeys[min(TOP_VARIANTS, variant_count) - 1].as_py() if variant_count else 0
        top = table.filter(pc.greater_equal(journeys, cutoff))
        variants = {
            tuple(v): n
            for v, n in zip(
                top.column("variant").to_pylist(), top.column("journeys").to_pylist(), strict=True
            )
        }
    with timer.phase("dfg"):
        flows = compute_flows(prepared).to_pylist()
    timer.phases["performance_dfg"] = 0.0  # the medians come from the same compute_flows query
    edges = [r for r in flows if r["source"] not in _PSEUDO and r["target"] not in _PSEUDO]
    dfg = {(r["source"], r["target"]): r["count"] for r in edges}
    medians = {(r["source"], r["target"]): r["median_seconds"] for r in edges}
    with timer.phase("funnel"):
        funnel_table = compute_funnel(prepared, FunnelOptions(list(FUNNEL)))
    funnel = funnel_table.column("journeys").to_pylist()
    db.close()
    return answers(variants, dfg, medians, funnel, variant_count=variant_count, cases=cases)
