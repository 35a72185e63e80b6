"""Analytics against hand-computed tiny logs and against pm4py (the oracle for variants/DFGs)."""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeyscope.analytics import (
    Exclusion,
    FlowOptions,
    FunnelOptions,
    JourneyOptions,
    analyze,
    compute_channel_switches,
    compute_flows,
    compute_funnel,
    compute_paths,
    compute_repeats,
    compute_time_between,
    compute_variants,
    journey_variant,
    prepare,
)
from journeyscope.analytics.kpis import kpi_sql
from journeyscope.engine import connect
from journeyscope.events import load_events
from journeyscope.formats import load_template
from journeyscope.model import JourneyMap

T0 = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)

# customer, minutes after T0, event, channel — hand-checked numbers below
TINY = [
    ("a", 0, "visit", "web"),
    ("a", 5, "search", "web"),
    ("a", 6, "search", "web"),
    ("a", 20, "buy", "web"),
    ("b", 0, "visit", "app"),
    ("b", 10, "search", "app"),
    ("b", 10, "call", "phone"),  # tie with search: file order decides
    ("c", 0, "visit", "web"),
    ("c", 1, "buy", "web"),  # no search: not in an ordered visit>search>buy funnel
    ("d", 0, "search", "web"),
    ("d", 3, "visit", "web"),
    ("d", 4, "search", "web"),
    ("d", 60 * 24 * 30, "buy", "web"),  # a month later: outside a 1-day window
]


def tiny_log(rows: list[tuple[str, int, str, str]] = TINY) -> Any:
    frame = pd.DataFrame(
        [
            {"customer_id": c, "ts": T0 + dt.timedelta(minutes=m), "event": e, "channel": ch}
            for c, m, e, ch in rows
        ]
    )
    return load_events(frame)


def prepared(options: JourneyOptions | None = None, journey: JourneyMap | None = None) -> Any:
    log = tiny_log()
    return prepare(connect(log), journey, options or JourneyOptions(), log.has_customers)


def test_variants_are_ordered_by_time_then_file_order() -> None:
    rows = compute_variants(prepared()).to_pylist()
    got = {tuple(r["variant"]): r["journeys"] for r in rows}
    assert got == {
        ("visit", "search", "search", "buy"): 1,
        ("visit", "search", "call"): 1,
        ("visit", "buy"): 1,
        ("search", "visit", "search", "buy"): 1,
    }
    assert journey_variant(prepared(), "b") == ["visit", "search", "call"]


def test_flows_count_edges_with_times() -> None:
    rows = compute_flows(prepared()).to_pylist()
    edges = {(r["source"], r["target"]): r for r in rows}
    assert edges[("visit", "search")]["count"] == 3  # a, b, d
    assert edges[("visit", "search")]["median_seconds"] == 300  # 5, 10, 1 minutes -> 5 min
    assert edges[("search", "search")]["count"] == 1
    assert edges[("[start]", "visit")]["count"] == 3 and edges[("[start]", "search")]["count"] == 1
    assert edges[("buy", "[end]")]["count"] == 3 and edges[("call", "[end]")]["count"] == 1
    assert sum(r["count"] for r in rows if r["source"] not in ("[start]",)) == 13


def test_paths_by_position() -> None:
    # a: visit search search buy; b: visit search call; c: visit buy; d: search visit search buy
    rows = compute_paths(prepared(), depth=3).to_pylist()
    moves = {(r["depth"], r["source"], r["target"]): r["count"] for r in rows}
    assert moves == {
        (1, "visit", "search"): 2, (1, "visit", "buy"): 1, (1, "search", "visit"): 1,
        (2, "search", "search"): 1, (2, "search", "call"): 1, (2, "visit", "search"): 1,
        (2, "buy", "[end]"): 1,  # c stops after two steps
    }  # fmt: skip
    with pytest.raises(ValueError, match="at least 2"):
        compute_paths(prepared(), depth=1)


def test_flow_options_start_min_count_grouping() -> None:
    p = prepared()
    rows = compute_flows(p, FlowOptions(start="search", min_count=2)).to_pylist()
    assert {(r["source"], r["target"]) for r in rows} == {
        ("[start]", "search"),
        ("search", "buy"),  # a and d, after their first search
        ("buy", "[end]"),
    }
    grouped = compute_flows(p, FlowOptions(groups={"browse": ["visit", "search"]})).to_pylist()
    edges = {(r["source"], r["target"]): r["count"] for r in grouped}
    assert edges[("browse", "browse")] == 5 and edges[("browse", "buy")] == 3
    top = compute_flows(p, FlowOptions(top_steps=2)).to_pylist()
    assert "other" in {r["target"] for r in top}


def test_ordered_strict_and_any_order_funnels() -> None:
    p = prepared()
    steps = ["visit", "search", "buy"]

    def counts(options: FunnelOptions) -> list[int]:
        return [r["journeys"] for r in compute_funnel(p, options).to_pylist()]

    assert counts(FunnelOptions(steps)) == [4, 3, 2]  # a, d buy after search
    assert counts(FunnelOptions(steps, window_seconds=86400)) == [4, 3, 1]  # d too late
    # strict: a has search, search, buy; only d goes visit, search, buy back to back
    assert counts(FunnelOptions(steps, mode="strict")) == [4, 3, 1]
    assert counts(FunnelOptions(["visit", "buy"], mode="strict")) == [4, 1]  # only c
    assert counts(FunnelOptions(steps, mode="any")) == [4, 4, 2]  # c: visit + buy = 2 steps
    # exclusions: drop attempts with a call between visit and search... b had it after search
    excl = FunnelOptions(steps, exclusions=[Exclusion("call", after=1)])
    assert counts(excl) == [3, 2, 2]
    optional = FunnelOptions(steps, optional=["search"])
    rows = compute_funnel(p, optional).to_pylist()
    assert [r["journeys"] for r in rows] == [4, 3, 3] and rows[1]["optional"]
    funnel = compute_funnel(p, FunnelOptions(steps)).to_pylist()
    assert funnel[1]["dropped"] == 1 and funnel[2]["step_conversion"] == pytest.approx(2 / 3)
    # a: 20 min from visit to buy; d: from its visit (minute 3) to a month later
    assert funnel[2]["median_seconds_from_start"] == pytest.approx((20 * 60 + (43200 - 3) * 60) / 2)


def test_time_between_channels_repeats() -> None:
    p = prepared()
    between = compute_time_between(p, "visit", "buy").to_pylist()[0]
    assert between["journeys"] == 3  # a: 20 min, c: 1 min, d: ~30 days
    assert between["median_seconds"] == 20 * 60
    matrix, rates = compute_channel_switches(p)
    pairs = {(r["from_channel"], r["to_channel"]): r["count"] for r in matrix.to_pylist()}
    assert pairs[("app", "phone")] == 1 and pairs[("web", "web")] == 7
    rate = rates.to_pylist()[0]
    assert rate["switch_rate"] == pytest.approx(1 / 9) and rate["journeys"] == 4
    repeats = {r["element"]: r for r in compute_repeats(p, 2, 3600, by="step").to_pylist()}
    assert repeats["search"]["repeat_customers"] == 2 and repeats["search"]["customers"] == 3


def test_journey_windows_and_time_range() -> None:
    p = prepared(JourneyOptions(journey_gap_days=7))
    assert p.journeys == 5 and p.customers == 4  # d's late purchase is its own journey
    assert journey_variant(p, "d#2") == ["buy"]
    late = T0 + dt.timedelta(minutes=5)
    p = prepared(JourneyOptions(start=late, end=T0 + dt.timedelta(days=1)))
    assert p.events == 5 and p.customers == 2  # a and b
    # a calendar split at T0 + 5 min ends every journey there: a (0, 5, 6, 20 min) becomes
    # visit | search, search, buy; b (0, 10, 10) visit | search; c (0, 1) stays whole;
    # d (0, 3, 4 min, a month) search, visit, search | buy
    p = prepared(JourneyOptions(split_at=late))
    assert p.journeys == 7 and p.customers == 4
    assert journey_variant(p, "a#1") == ["visit"]
    assert journey_variant(p, "a#2") == ["search", "search", "buy"]
    assert journey_variant(p, "d#2") == ["buy"]
    # d's month-long gap and the split mark the same boundary: counted once
    both = prepared(JourneyOptions(split_at=late, journey_gap_days=7))
    assert both.journeys == 7 and journey_variant(both, "d#2") == ["buy"]


def test_segments_by_attribute() -> None:
    rows = [(c, m, e, ch) for c, m, e, ch in TINY]
    frame = pd.DataFrame(
        [
            {"customer_id": c, "ts": T0 + dt.timedelta(minutes=m), "event": e, "channel": ch,
             "device": "mobile" if c in "bd" else "desktop"}
            for c, m, e, ch in rows
        ]
    )  # fmt: skip
    log = load_events(frame)
    p = prepare(connect(log), None, JourneyOptions(segment_by="device"))
    assert p.segments == ["desktop", "mobile"]
    funnel = compute_funnel(p, FunnelOptions(["visit", "search", "buy"])).to_pylist()
    by = {(r["segment"], r["step"]): r["journeys"] for r in funnel}
    assert by[("desktop", "buy")] == 1 and by[("mobile", "buy")] == 1
    assert by[("desktop", "search")] == 1 and by[("mobile", "search")] == 2


def test_binding_map_rules_unmapped_and_kpis(tmp_path: Path) -> None:
    journey = JourneyMap.model_validate(
        {
            "id": "m",
            "title": "M",
            "stages": [
                {"id": "find", "name": "Find", "steps": [
                    {"id": "land", "name": "Land", "evidence": [{"event": "visit"}]},
                    {"id": "look", "name": "Look", "touchpoints": [
                        {"id": "app-search", "name": "App search", "channel": "app",
                         "evidence": [{"event_glob": "sea*", "where": ["channel == app"]}]},
                        {"id": "web-search", "name": "Web search", "channel": "web",
                         "evidence": [{"event_regex": "se.rch"}]},
                    ]},
                ]},
                {"id": "buy", "name": "Buy", "steps": [
                    {"id": "pay", "name": "Pay", "evidence": [{"event": "buy",
                                                             "where": ["device == x"]}]},
                ]},
            ],
            "kpis": [{"id": "k", "name": "Buys per visit", "formula": "count(buy) / count(land)",
                      "cadence": "monthly"}],
        }
    )  # fmt: skip
    result = analyze(tiny_log(), journey)
    data = result.to_dict()
    assert data["schema"] == "journeyscope.analysis/1"
    assert "step pay: no attribute 'device' in the events or customers" in result.problems
    touch = {(r["touchpoint"]): r["customers"] for r in data["touchpoint_reach"]}
    assert touch == {"app-search": 1, "web-search": 2}  # b searched in the app
    unmapped = {r["event"]: r["customers"] for r in data["unmapped"]}
    assert unmapped == {"buy": 3, "call": 1}
    assert data["kpis"]["k"] == [{"segment": "all", "period": "2024-03-01", "value": 0.75}]
    assert data["summary"]["mapped_events"] == 9


def test_stage_level_reads_journeys_stage_by_stage() -> None:
    journey = JourneyMap.model_validate(
        {
            "id": "m",
            "title": "M",
            "stages": [
                {"id": "find", "name": "Find", "steps": [
                    {"id": "land", "name": "Land", "evidence": [{"event": "visit"}]},
                    {"id": "look", "name": "Look", "evidence": [{"event": "search"}]},
                ]},
                {"id": "buy", "name": "Buy", "steps": [
                    {"id": "pay", "name": "Pay", "evidence": [{"event": "buy"}]},
                ]},
            ],
        }
    )  # fmt: skip
    options = JourneyOptions(level="stage", collapse_repeats=True)
    stage = prepared(options, journey)
    # a: find find find buy; b: find find (call unmapped); c: find buy; d: find find find buy
    variants = {tuple(r["variant"]): r["journeys"] for r in compute_variants(stage).to_pylist()}
    assert variants == {("find", "buy"): 3, ("find",): 1}
    edges = {(r["source"], r["target"]): r["count"] for r in compute_flows(stage).to_pylist()}
    assert edges[("find", "buy")] == 3 and ("find", "find") not in edges
    assert stage.mapped_events == 12  # real events bound, not the collapsed path
    funnel = compute_funnel(stage, FunnelOptions(["find", "buy"])).to_pylist()
    assert [r["journeys"] for r in funnel] == [4, 3]
    with pytest.raises(ValueError, match="needs a map"):
        prepared(JourneyOptions(level="stage"))


def test_kpi_time_between_and_attribute_averages() -> None:
    from journeyscope.analytics import compute_kpi
    from journeyscope.model import KPI

    rows = [(c, m, e, ch) for c, m, e, ch in TINY]
    frame = pd.DataFrame(
        [
            {"customer_id": c, "ts": T0 + dt.timedelta(minutes=m), "event": e, "channel": ch,
             "amount": 10 * (i + 1) if e == "buy" else None}
            for i, (c, m, e, ch) in enumerate(rows)
        ]
    )  # fmt: skip
    p = prepare(connect(load_events(frame)), None, JourneyOptions())

    def value(formula: str) -> Any:
        kpi = KPI(id="k", name="K", formula=formula, cadence="yearly")
        return compute_kpi(p, kpi).to_pylist()[0]["value"]

    # a: 20 min, c: 1 min, d: a month minus 3 minutes from its first visit
    assert value("avg_minutes(visit -> buy)") == pytest.approx((20 + 1 + 43197) / 3)
    assert value("median_minutes(visit → buy)") == pytest.approx(20)
    assert value("avg(amount)") == pytest.approx((40 + 90 + 130) / 3)
    assert value("sum(buy.amount) / count_customers(buy)") == pytest.approx(260 / 3)
    # custom groups (a treated and a comparison group): a, b vs c, d; journeys left out vanish
    groups = (
        "SELECT jid, CASE WHEN customer_id IN ('a', 'b') THEN 'ab' ELSE 'cd' END AS segment "
        "FROM _cust c JOIN (SELECT DISTINCT jid, cid FROM path) j ON j.cid = c.cid "
        "WHERE customer_id <> 'd'"
    )
    kpi = KPI(id="k", name="K", formula="count(search)", cadence="yearly")
    split = {r["segment"]: r["value"] for r in compute_kpi(p, kpi, groups).to_pylist()}
    assert split == {"ab": 3, "cd": 0}  # a: 2 searches, b: 1; c none; d left out


def test_kpi_formula_errors() -> None:
    with pytest.raises(ValueError, match="unknown function 'ratio'"):
        kpi_sql("ratio(x)")
    with pytest.raises(ValueError, match="no attribute 'price'"):
        kpi_sql("avg(price)", {"event", "amount"})
    with pytest.raises(ValueError, match="cannot read KPI formula"):
        kpi_sql("count(x) /")
    with pytest.raises(ValueError, match="only numbers"):
        kpi_sql("count(x) ** 2")


def test_tour_de_farce_end_to_end(tmp_path: Path) -> None:
    from journeyscope.synth.tour_de_farce import generate_tour_de_farce

    paths = generate_tour_de_farce(tmp_path, customers=400)
    log = load_events(paths["events"], customers=paths["customers"], quarantine=tmp_path / "q.csv")
    result = analyze(
        log, load_template("tour-de-farce"), options=JourneyOptions(segment_by="persona")
    )
    data = result.to_dict()
    assert log.report.quarantined > 0 and (tmp_path / "q.csv").exists()
    assert set(data["summary"]["segments"]) <= {"trey", "family", "(no persona)"}
    assert {"newsletter_sent"} <= {r["event"] for r in data["unmapped"]}
    assert data["funnel"] and data["stage_funnel"] and data["kpis"]["newsletter-open-rate"]


# --- pm4py as the oracle -------------------------------------------------------------------


def _pm4py_answers(
    frame: pd.DataFrame,
) -> tuple[Counter[tuple[str, ...]], dict[Any, int], dict[Any, float]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py

        log = pm4py.format_dataframe(
            frame.copy(), case_id="customer_id", activity_key="event", timestamp_key="ts"
        )
        variants = pm4py.get_variants(log)
        dfg, _, _ = pm4py.discover_dfg(log)
        perf, _, _ = pm4py.discover_performance_dfg(log)
    counts = Counter(
        {tuple(k): int(v if isinstance(v, int) else len(v)) for k, v in variants.items()}
    )
    medians = {edge: stats["median"] for edge, stats in perf.items()}
    return counts, dict(dfg), medians


@pytest.mark.parametrize("truncate", [None, "h"])
def test_same_variants_and_dfg_as_pm4py(truncate: str | None) -> None:
    from journeyscope.synth import generate_chunks

    table = next(generate_chunks(customers=400, seed=7))
    frame = table.to_pandas()
    if truncate:  # ties everywhere: file order must decide, as in pm4py
        frame["ts"] = frame["ts"].dt.floor(truncate)
    expected_variants, expected_dfg, expected_medians = _pm4py_answers(frame)
    log = load_events(frame)
    p = prepare(connect(log), None, JourneyOptions())
    got_variants = Counter(
        {tuple(r["variant"]): r["journeys"] for r in compute_variants(p).to_pylist()}
    )
    assert got_variants == expected_variants
    flows = [
        r
        for r in compute_flows(p).to_pylist()
        if r["source"] != "[start]" and r["target"] != "[end]"
    ]
    assert {(r["source"], r["target"]): r["count"] for r in flows} == expected_dfg
    for r in flows:
        assert r["median_seconds"] == pytest.approx(expected_medians[(r["source"], r["target"])])


def _oracle_funnel(journeys: dict[str, list[tuple[int, str]]], steps: list[str]) -> list[Any]:
    """The documented semantics, by brute force: every occurrence of the first step starts an
    attempt that takes each next step's first occurrence after the previous one; a journey
    counts with its deepest attempt (ties: the earliest). Per step: journeys reaching it and
    the median minutes from the first step."""
    reached: list[list[float]] = [[] for _ in steps]
    for events in journeys.values():
        best: list[int] = []
        for start, (_, name) in enumerate(events):
            if name != steps[0]:
                continue
            taken = [start]
            for step in steps[1:]:
                nxt = next((i for i in range(taken[-1] + 1, len(events))
                            if events[i][1] == step), None)  # fmt: skip
                if nxt is None:
                    break
                taken.append(nxt)
            if len(taken) > len(best):
                best = taken
        for k, i in enumerate(best):
            reached[k].append(events[i][0] - events[best[0]][0])
    return [(len(r), statistics.median(r) if r else None) for r in reached]


#: small logs: customer -> [(minute, event)], events a-d, ties likely
SMALL_LOGS = st.dictionaries(
    st.sampled_from("pqrstuvw"),
    st.lists(st.tuples(st.integers(0, 50), st.sampled_from("abcd")), min_size=1, max_size=9),
    min_size=1,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SMALL_LOGS)
def test_ordered_funnel_matches_brute_force(raw: dict[str, list[tuple[int, str]]]) -> None:
    """The earliest-attempt shortcut (ordered, no window) and the general query (a window too
    wide to bind) both agree with a brute-force reading of the funnel's definition."""
    journeys = {c: sorted(events, key=lambda e: e[0]) for c, events in raw.items()}
    rows = [(c, m, e, "web") for c, events in journeys.items() for m, e in events]
    log = tiny_log(rows)
    p = prepare(connect(log), None, JourneyOptions())
    steps = [s for s in ("a", "b", "c") if any(e == s for ev in journeys.values() for _, e in ev)]
    if len(steps) < 2 or steps[0] != "a":
        return
    want = _oracle_funnel(journeys, steps)
    for window in (None, 10.0**12):
        got = compute_funnel(p, FunnelOptions(steps, window_seconds=window)).to_pylist()
        assert [r["journeys"] for r in got] == [n for n, _ in want], window
        for row, (n, median) in zip(got[1:], want[1:], strict=True):
            if n:
                assert row["median_seconds_from_start"] == pytest.approx(median * 60), window


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SMALL_LOGS)
def test_flows_and_paths_match_brute_force(raw: dict[str, list[tuple[int, str]]]) -> None:
    """Where journeys start and end is derived (a step's occurrences minus its moves out): it
    agrees with counting every journey's first and last step, edge by edge and by position."""
    ordered = {c: sorted(events) for c, events in raw.items()}  # ties: in the order written
    journeys = {c: [e for _, e in events] for c, events in ordered.items()}
    rows = [(c, m, e, "web") for c, events in ordered.items() for m, e in events]
    p = prepare(connect(tiny_log(rows)), None, JourneyOptions())
    edges: Counter[tuple[str, str]] = Counter()
    by_position: Counter[tuple[int, str, str]] = Counter()
    depth = 4
    for steps in journeys.values():
        full = ["[start]", *steps, "[end]"]
        edges.update(itertools.pairwise(full))
        for k, (a, b) in enumerate(itertools.pairwise([*steps, "[end]"]), start=1):
            if k < depth:
                by_position[(k, a, b)] += 1
    flows = compute_flows(p).to_pylist()
    assert {(r["source"], r["target"]): r["count"] for r in flows} == dict(edges)
    paths = compute_paths(p, depth=depth).to_pylist()
    assert {(r["depth"], r["source"], r["target"]): r["count"] for r in paths} == dict(by_position)
