"""Insights against hand-computed tiny logs; scipy and plain formulas are the oracles."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from journeyscope.analytics import JourneyOptions, prepare
from journeyscope.engine import connect
from journeyscope.events import load_events
from journeyscope.formats import MapFileError, load_map, parse_map, save_map
from journeyscope.insights import (
    Decision,
    ImprovementOptions,
    JsonDecisionStore,
    PainPointOptions,
    StalenessOptions,
    build_context,
    build_segments,
    compute_backing,
    compute_improvements,
    compute_insights,
    compute_kpi_status,
    compute_staleness,
    compute_validation,
    detect_pain_points,
    priority_score,
)
from journeyscope.model import InsightSettings, JourneyMap

SHOP = Path(__file__).parent / "data" / "insights" / "shop.yaml"
T0 = dt.datetime(2024, 3, 4, 9, 0, tzinfo=dt.UTC)  # a Monday

# customer -> (minute, event); every event on the web except calls (phone)
TINY = {
    "a": [(0, "visit"), (1, "search"), (2, "cart"), (3, "pay")],
    "b": [(0, "visit"), (1, "search"), (2, "cart")],  # drops before paying
    "c": [(0, "visit"), (1, "search"), (2, "visit"), (3, "search"), (4, "cart"), (5, "pay")],
    "d": [(0, "visit"), (1, "search"), (2, "call"), (60, "call")],  # calls twice, no cart
    "e": [(0, "visit")],  # bounces
    "f": [(0, "visit"), (1, "search"), (2, "cart"), (3, "pay_failed"), (4, "pay")],
}


def frame(journeys: dict[str, list[tuple[float, str]]], **columns: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for customer, events in journeys.items():
        for minute, event in events:
            row = {"customer_id": customer, "ts": T0 + dt.timedelta(minutes=minute),
                   "event": event, "channel": "phone" if event == "call" else "web"}  # fmt: skip
            for name, values in columns.items():
                row[name] = values.get(customer)
            rows.append(row)
    return pd.DataFrame(rows)


def context_for(data: pd.DataFrame, journey: JourneyMap, settings: InsightSettings | None = None):
    log = load_events(data)
    prepared = prepare(connect(log), journey, JourneyOptions(), log.has_customers)
    context = build_context(prepared, journey, settings)
    context.segments = build_segments(prepared)
    return context


def test_validation_by_hand(tiny) -> None:
    v = compute_validation(tiny)
    assert v.goal == "pay"  # the map's last required step
    assert (v.journeys, v.in_order) == (6, 5)  # only c goes back (search -> visit)
    assert [(d.source, d.target, d.transitions, d.journeys) for d in v.deviations] == [
        ("search", "visit", 1, 1)
    ]
    assert v.unobserved_steps == ["unused"]
    stages = {s.stage: s for s in v.stages}
    assert (stages["find"].journeys, stages["find"].reached_next, stages["find"].reached_goal) == (
        6, 4, 3)  # fmt: skip
    assert stages["buy"].next_rate is None and stages["buy"].goal_rate == 0.75
    # like with like: nobody pays without the cart (it is on the only path: true by
    # construction) and every journey visits and searches, so none of them is a moment; of the
    # six journeys that entered "find", d called (0 of 1 paid) against 3 of the 5 others
    assert [m.step for m in v.moments] == ["call"]
    call = v.moments[0]
    assert (call.stage, call.with_rate, call.without_rate, call.difference) == (
        "find", 0.0, 0.6, -0.6)  # fmt: skip
    pooled = 3 / 6  # plain two-proportion z-test: 0/1 with the call, 3/5 without
    z = 0.6 / math.sqrt(pooled * (1 - pooled) * (1 / 1 + 1 / 5))
    assert call.p_value == pytest.approx(2 * stats.norm.sf(z))
    assert call.q_value == call.p_value  # one moment: nothing to adjust
    # conformance: c's way back from search to visit stays inside "find": it fits the map
    assert (v.conformance.journeys, v.conformance.conforming) == (6, 6)


PERMISSIVE = PainPointOptions(
    alpha=0.99, min_customers=1, drop_off_min=0.2, bounce_min=0.1, repeat_min=0.5
)


def test_pain_points_by_hand(tiny) -> None:
    points = {p.key: p for p in detect_pain_points(tiny, options=PERMISSIVE)}
    assert set(points) == {"drop_off:cart:all", "drop_off:pay:all", "repeat_contact:call:all",
                           "bounce:visit:all", "failed_step:pay_failed:all"}  # fmt: skip
    pay = points["drop_off:pay:all"]  # of a, b, c, f (reached cart) only b never pays
    assert (pay.customers_affected, pay.severity, pay.evidence["journeys"]) == (1, 0.25, 4)
    assert pay.evidence["p_value"] == pytest.approx(stats.binomtest(1, 4, 0.2, "greater").pvalue)
    # b would have paid at the rate of the others (3/3): 1 lost customer x 100 per customer
    assert (pay.lost_customers, pay.value_at_risk, pay.handling_cost) == (1.0, 100.0, None)
    assert pay.owners == ["Head of web", "CFO"] and pay.systems == ["Payment provider"]
    assert (pay.opportunity, pay.effort) == ("opp-pay", "medium")
    assert pay.priority == pytest.approx(1 * 0.25 * (1 + 100 / 1) / 2)
    calls = points["repeat_contact:call:all"]  # d calls twice within 7 days, 5.0 per call
    assert (calls.customers_affected, calls.severity, calls.handling_cost) == (1, 1.0, 10.0)
    assert calls.owners == ["Head of service"] and calls.priority == pytest.approx(11.0)
    assert points["bounce:visit:all"].severity == pytest.approx(1 / 6)
    failed = points["failed_step:pay_failed:all"]
    assert failed.events == ["pay_failed"] and failed.customers_affected == 1
    ranked = [p.key for p in detect_pain_points(tiny, options=PERMISSIVE)]
    assert ranked[:2] == ["drop_off:cart:all", "drop_off:pay:all"]  # 15.2, 12.6


def test_default_thresholds_keep_a_tiny_log_quiet(tiny) -> None:
    assert detect_pain_points(tiny) == []  # nothing is significant with six customers


def test_priority_score_formula() -> None:
    assert priority_score(200, 0.5, 0.0, None) == 100.0
    assert priority_score(200, 0.5, 2000.0, "high") == pytest.approx(200 * 0.5 * 11 / 3)


def segmented_log() -> tuple[pd.DataFrame, dict[str, str]]:
    """60 web customers (6 stop at the cart) and 40 app customers (20 stop at the cart)."""
    journeys, channel = {}, {}
    for n in range(100):
        app = n >= 60
        stops = (n - 60 < 20) if app else n < 6
        steps = ["visit", "search", "cart"] + ([] if stops else ["pay"])
        journeys[f"c{n:03d}"] = [(k, e) for k, e in enumerate(steps)]
        channel[f"c{n:03d}"] = "app" if app else "web"
    data = frame(journeys)
    data["channel"] = data["customer_id"].map(channel)
    data["order_value"] = [50.0 if e == "pay" else None for e in data["event"]]
    return data, channel


def test_a_problem_concentrated_in_one_segment_is_found_there(shop: JourneyMap) -> None:
    data, _ = segmented_log()
    settings = InsightSettings(value_attribute="order_value")
    context = context_for(data, shop, settings)
    points = {p.key: p for p in detect_pain_points(context)}
    assert "drop_off:pay:all" not in points  # 26% overall: below the 30% threshold
    assert "drop_off:pay:channel=web" not in points
    app = points["drop_off:pay:channel=app"]
    assert (app.segment, app.customers_affected, app.severity) == ("channel=app", 20, 0.5)
    x1, n1, x2, n2 = 20, 40, 6, 60  # the segment against the rest
    pooled = (x1 + x2) / (n1 + n2)
    z = (x1 / n1 - x2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    assert app.evidence["p_value"] == pytest.approx(2 * stats.norm.sf(z))
    assert app.evidence["rest_rate"] == 0.1 and app.evidence["lift"] == pytest.approx(5.0)
    # 20 app customers lost (the other 20 app customers all paid) x 50 order value
    assert app.value_at_risk == pytest.approx(1000.0)


def test_search_loops_are_found_with_example_journeys(shop: JourneyMap) -> None:
    """Planted: 12 of 30 customers search 4 times before paying; the rest search once."""
    journeys = {}
    for n in range(30):
        searches = 4 if n < 12 else 1
        steps = [(0, "visit"), *((1 + k, "search") for k in range(searches))]
        journeys[f"c{n:02d}"] = [*steps, (10, "cart"), (11, "pay")]
    points = {p.key: p for p in detect_pain_points(context_for(frame(journeys), shop))}
    loop = points["loop:search:all"]
    assert (loop.customers_affected, loop.severity) == (12, pytest.approx(0.4))
    assert loop.evidence["p_value"] == pytest.approx(
        stats.binomtest(12, 30, 0.2, alternative="greater").pvalue
    )
    # the drill-down: the first five looping customers and their mapped steps
    assert [e["customer"] for e in loop.examples] == ["c00", "c01", "c02", "c03", "c04"]
    assert loop.examples[0]["steps"] == ["visit", *["search"] * 4, "cart", "pay"]
    assert "loop:visit:all" not in points and "loop:cart:all" not in points


def test_decisions_persist_and_change_the_list(tiny, tmp_path: Path) -> None:
    store = JsonDecisionStore(tmp_path / "shop.decisions.json")
    store.put(Decision("drop_off:cart:all", "dismissed", note="seasonal"))
    store.put(Decision("repeat_contact:call:all", "accepted", opportunity="opp-pay", owner="Ana"))
    again = JsonDecisionStore(tmp_path / "shop.decisions.json").all()
    assert again["repeat_contact:call:all"].owner == "Ana"
    points = detect_pain_points(tiny, options=PERMISSIVE, decisions=store)
    assert points[-1].key == "drop_off:cart:all" and points[-1].status == "dismissed"
    calls = next(p for p in points if p.key == "repeat_contact:call:all")
    assert (calls.status, calls.opportunity, calls.effort) == ("accepted", "opp-pay", "medium")
    assert calls.priority == pytest.approx(11.0 / 2)
    with pytest.raises(ValueError, match="status"):
        Decision("x", "maybe")  # type: ignore[arg-type]


def test_evidence_backing_and_age(tiny) -> None:
    from journeyscope.insights import EvidenceOptions

    backing = {
        b.element: b for b in compute_backing(tiny, EvidenceOptions(as_of=dt.date(2024, 6, 1)))
    }
    assert (backing["search"].events, backing["search"].customers) == (6, 5)
    assert backing["search"].status == "evidenced" and backing["search"].age_days == 89
    assert backing["unused"].status == "assumption"
    # the interview on the visit step is older than 180 days; events are newer
    assert backing["visit"].research == 1 and backing["visit"].stale_research == 1
    later = compute_backing(tiny, EvidenceOptions(as_of=dt.date(2025, 1, 1)))
    assert {b.element: b.status for b in later}["search"] == "stale"


def weekly_log(weeks: int, rate: Any, calls: Any, start: int = 0) -> dict[str, list]:
    """Each week 10 customers reach the cart; ``rate(w)`` of them pay, ``calls(w)`` call."""
    journeys = {}
    for w in range(weeks):
        for k in range(10):
            steps = [(w * 7 * 1440 + k, "cart")]
            if k < round(rate(w) * 10):
                steps.append((w * 7 * 1440 + k + 1, "pay"))
            if k < calls(w):
                steps.append((w * 7 * 1440 + k + 2, "call"))
            journeys[f"w{start + w}-{k}"] = steps
    return journeys


def test_kpi_status_target_and_trend(shop: JourneyMap) -> None:
    rates = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
    context = context_for(frame(weekly_log(6, lambda w: rates[w], lambda w: 3)), shop)
    kpis = {k.kpi: k for k in compute_kpi_status(context)}
    pay = kpis["pay-rate"]
    assert [p["value"] for p in pay.periods] == pytest.approx(rates)
    # the log ends on the first day of week 6: that week is partial and left out
    assert [p["complete"] for p in pay.periods] == [True] * 5 + [False]
    assert (pay.last, pay.status, pay.trend) == (0.6, "met", "improving")
    assert pay.slope == pytest.approx(stats.linregress(range(5), rates[:5]).slope)
    assert (kpis["calls"].status, kpis["calls"].trend) == ("missed", "flat")  # 3 > 1 each week


def test_thin_periods_do_not_count(shop: JourneyMap) -> None:
    """Week 3 has a single customer (pay rate 1/1): listed, but left out of last and trend."""
    log = weekly_log(6, lambda w: 0.3, lambda w: 0)
    log = {c: steps for c, steps in log.items() if not c.startswith("w3-") or c == "w3-0"}
    log["w3-0"] = [(3 * 7 * 1440, "cart"), (3 * 7 * 1440 + 1, "pay")]
    pay = {k.kpi: k for k in compute_kpi_status(context_for(frame(log), shop))}["pay-rate"]
    week3 = pay.periods[3]
    assert (week3["value"], week3["events"], week3["complete"]) == (1.0, 2, True)
    assert pay.last == pytest.approx(0.3) and pay.trend == "flat"


def test_improvement_before_after(shop: JourneyMap) -> None:
    # launch 2024-03-18 = week 2: weeks 0-1 pay 20%, weeks 2-3 pay 60%; calls 4, 5 then 1, 2
    calls = [4, 5, 1, 2]
    data = frame(weekly_log(4, lambda w: 0.2 if w < 2 else 0.6, lambda w: calls[w]))
    (improvement,) = compute_improvements(context_for(data, shop))
    rate, count = improvement.effects
    assert rate.test == "two-proportion z-test" and (rate.before, rate.after) == (0.2, 0.6)
    pooled = (12 + 4) / 40
    z = 0.4 / math.sqrt(pooled * (1 - pooled) * (1 / 20 + 1 / 20))
    assert rate.p_value == pytest.approx(2 * stats.norm.sf(z)) and rate.significant
    assert rate.better and rate.verdict.startswith("improved by +0.4")
    welch = stats.ttest_ind([1, 2], [4, 5], equal_var=False)
    assert count.test == "Welch t-test" and count.effect == pytest.approx(-3.0)
    assert count.p_value == pytest.approx(welch.pvalue)
    assert count.ci_low == pytest.approx(welch.confidence_interval().low)
    assert count.better is True  # fewer calls, lower is better
    short = compute_improvements(context_for(data, shop), ImprovementOptions(window_periods=1))
    assert short[0].effects[1].verdict == "too few periods to test"


def test_difference_in_differences_cancels_a_shared_swing(shop: JourneyMap) -> None:
    # both regions call 2 more times a week after the launch; only north got the fix (-3)
    north = [5, 7, 5, 4, 3, 5]
    west = [2, 3, 2, 5, 4, 5]
    journeys = {**weekly_log(6, lambda w: 0.5, lambda w: north[w]),
                **weekly_log(6, lambda w: 0.5, lambda w: west[w], start=100)}  # fmt: skip
    region = {c: ("west" if int(c[1:].split("-")[0]) >= 100 else "north") for c in journeys}
    data = frame(journeys, region=region)
    settings = InsightSettings.model_validate({"comparison_segment": "region == west"})
    data_map = shop.model_copy(deep=True)
    data_map.step("pay").opportunities[0].launch_date = dt.date(2024, 3, 25)  # week 3
    (improvement,) = compute_improvements(context_for(data, data_map, settings))
    calls = improvement.effects[1]
    assert calls.method == "difference-in-differences"
    diffs = [n - w for n, w in zip(north, west, strict=True)]
    oracle = stats.ttest_ind(diffs[3:], diffs[:3], equal_var=False)
    assert calls.effect == pytest.approx(sum(diffs[3:]) / 3 - sum(diffs[:3]) / 3)
    assert calls.p_value == pytest.approx(oracle.pvalue)
    plain = compute_improvements(context_for(data, data_map))[0].effects[1]
    assert plain.method == "before/after" and plain.effect != calls.effect


def test_staleness_new_event_and_variant_drift(shop: JourneyMap) -> None:
    early = {f"e{n}": [(0, "visit"), (1, "search")] for n in range(30)}
    late = {f"l{n}": [(40 * 1440, "visit"), (40 * 1440 + 1, "cart"), (40 * 1440 + 2, "chatbot")]
            for n in range(30)}  # fmt: skip
    context = context_for(frame(early | late), shop)
    split = T0 + dt.timedelta(days=20)
    result = compute_staleness(context, options=StalenessOptions(split=split))
    assert (result.journeys_before, result.journeys_after, result.status) == (30, 30, "stale")
    assert [e["event"] for e in result.new_unmapped] == ["chatbot"]
    assert result.variant_distance == pytest.approx(jensenshannon([1, 0], [0, 1], 2))
    changed = {(c.step, c.measure) for c in result.step_changes}
    assert ("search", "reach") in changed and ("cart", "reach") in changed
    assert any("chatbot" in reason for reason in result.reasons)


def test_sentinel_new_channel_kpi_breach_and_feelings(shop: JourneyMap) -> None:
    """Late journeys call (phone, a channel nobody used before); a KPI status that missed its
    target and a feeling measured away from the drawn one add their reasons; a stable log with
    none of these is fresh."""
    from journeyscope.insights import EmotionPoint, KpiStatus

    early = {f"e{n}": [(0, "visit"), (1, "search")] for n in range(30)}
    late = {f"l{n}": [(40 * 1440, "visit"), (40 * 1440 + 1, "search"), (40 * 1440 + 2, "call")]
            for n in range(30)}  # fmt: skip
    split = T0 + dt.timedelta(days=20)
    missed = KpiStatus("pay-rate", "Cart to payment", None, 0.5, "higher_is_better", "weekly",
                       None, last=0.2, status="missed")  # fmt: skip
    met = KpiStatus("calls", "Calls", None, 1, "lower_is_better", "weekly", None, last=0.0,
                    status="met")  # fmt: skip
    feeling = EmotionPoint("search", "Search", 40, 40, -1.5, -1.9, -1.1, 1.0)
    inside = EmotionPoint("visit", "Visit", 40, 40, 0.8, 0.5, 1.1, 1.0)
    result = compute_staleness(context_for(frame(early | late), shop),
                               options=StalenessOptions(split=split), kpis=[missed, met],
                               curve=[feeling, inside])  # fmt: skip
    assert [c["channel"] for c in result.new_channels] == ["phone"]
    assert result.kpi_breaches == [
        "KPI 'Cart to payment' missed its target in its last complete period (0.2 vs 0.5)"
    ]
    assert [g["step"] for g in result.emotion_gaps] == ["search"]
    assert result.stale and result.to_dict()["stale"] is True
    stable = {f"s{n}": [(d * 1440, "visit"), (d * 1440 + 1, "search")]
              for n in range(60) for d in [0 if n < 30 else 40]}  # fmt: skip
    options = StalenessOptions(split=split)
    fresh = compute_staleness(context_for(frame(stable), shop), None, options, [met], [inside])
    assert (fresh.status, fresh.reasons) == ("fresh", [])


def test_staleness_without_two_windows_is_unknown(tiny) -> None:
    assert compute_staleness(tiny).status == "unknown"


def test_compute_insights_in_one_call(shop: JourneyMap) -> None:
    data, _ = segmented_log()
    insights = compute_insights(load_events(data), shop)
    out = insights.to_dict()
    assert out["schema"] == "journeyscope.insights/1" and out["goal"] == "pay"
    assert out["segments"] == ["channel"]
    assert [p["key"] for p in out["pain_points"]] == ["drop_off:pay:channel=app"]


def test_new_model_fields_round_trip(tmp_path: Path, shop: JourneyMap) -> None:
    data = shop.model_dump(mode="json", exclude_defaults=True)
    data["insights"] |= {"goal_step": "cart", "channel_costs": {"phone": 6.5},
                         "comparison_segment": "region == west"}  # fmt: skip
    data["stages"][0]["steps"][0]["touchpoints"][0]["research"] = [
        {"kind": "observation", "summary": "Users miss the search box", "persona": "mobile-first"}
    ]
    journey = JourneyMap.model_validate(data)
    for name in ("m.yaml", "m.json"):
        assert load_map(save_map(journey, tmp_path / name)) == journey
    with pytest.raises(MapFileError, match=r"unknown step 'nope'"):
        parse_map("id: x\ntitle: X\nstages: [{id: s, name: S, steps: [{id: a, name: A}]}]\n"
                  "insights: {goal_step: nope}\n", "x.yaml")  # fmt: skip
