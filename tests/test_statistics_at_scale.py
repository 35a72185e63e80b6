"""Findings that hold on data nobody here has seen: an effect so strong that its p-value
underflows to 0.0 is the strongest finding, not thrown away; a CRM's own ``persona`` column is
a segment; at 3,000 and at 300,000 customers the real problem is found in the segment where it
happens, with its effect and intervals, a trivial difference is not a finding however
significant, and noise raises no alarm."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from journeyscope import Sources, evaluate
from journeyscope.evaluation import EvaluationSettings
from journeyscope.formats import parse_map
from journeyscope.insights._stats import two_proportions

SHOP = """
id: shop
title: Shop
stages:
  - id: buy
    name: Buy
    steps:
      - {id: visit, name: Visit, evidence: [{event: visit}]}
      - {id: cart, name: Cart, evidence: [{event: cart}]}
      - {id: pay, name: Pay, evidence: [{event: pay}]}
"""


def _checkout(customers: int, seed: int = 1) -> pd.DataFrame:
    """Half the customers on mobile, 90% of whom leave at the cart; 10% on desktop do."""
    rng = np.random.default_rng(seed)
    mobile = rng.random(customers) < 0.5
    leaves = np.where(mobile, rng.random(customers) < 0.9, rng.random(customers) < 0.1)
    rows = []
    start = pd.Timestamp("2024-03-04 09:00", tz="UTC")
    for number in range(customers):
        steps = ["visit", "cart"] if leaves[number] else ["visit", "cart", "pay"]
        for second, event in enumerate(steps):
            rows.append((f"c{number}", event, start + pd.Timedelta(minutes=number, seconds=second),
                         "mobile" if mobile[number] else "desktop"))  # fmt: skip
    return pd.DataFrame(rows, columns=["customer_id", "event", "ts", "device"])


def test_a_p_value_that_underflows_is_the_strongest_finding() -> None:
    frame = _checkout(20_000)
    points = evaluate(parse_map(SHOP), Sources(frame)).insights.pain_points  # type: ignore[union-attr]
    mobile = [p for p in points if p.segment == "device=mobile" and p.kind == "drop_off"]
    assert len(mobile) == 1, [p.key for p in points]
    evidence = mobile[0].evidence
    assert evidence["p_value"] == 0.0 and evidence["q_value"] == 0.0  # underflowed, and kept
    left = int(((frame.groupby("customer_id")["event"].apply(list).str.len() == 2)
                & (frame.groupby("customer_id")["device"].first() == "mobile")).sum())  # fmt: skip
    assert mobile[0].customers_affected == left  # plain pandas as the oracle
    assert [p for p in points if p.segment == "device=desktop"] == []


def test_a_customers_column_named_persona_is_the_persona_segment() -> None:
    """A CRM export's own ``persona`` column (the retailer's export of the issue) is a segment
    once, in its own words, whether or not the map has persona rules of its own."""
    rng = np.random.default_rng(2)
    rows, people = [], []
    start = pd.Timestamp("2024-03-04 09:00", tz="UTC")
    for number in range(600):
        persona = "hunter" if number % 2 else "planner"
        leaves = rng.random() < (0.8 if persona == "hunter" else 0.2)
        for second, event in enumerate(["visit", "cart"] + ([] if leaves else ["pay"])):
            rows.append((f"c{number}", event, start + pd.Timedelta(minutes=number, seconds=second)))
        people.append((f"c{number}", persona, "gold" if number % 3 == 0 else "std"))
    events = pd.DataFrame(rows, columns=["customer_id", "event", "ts"])
    customers = pd.DataFrame(people, columns=["customer_id", "persona", "tier"])
    rules = "personas:\n  - {id: vip, name: VIP, segment: ['tier == gold']}\n"
    for journey in (parse_map(SHOP), parse_map(rules + SHOP)):
        result = evaluate(journey, Sources(events, customers=customers)).insights
        assert result is not None and result.segments.count("persona") == 1
        keys = [p.key for p in result.pain_points]
        assert "drop_off:pay:persona=hunter" in keys, keys


NEWSLETTER = """
id: letters
title: Letters
stages:
  - id: buy
    name: Buy
    steps:
      - {id: sent, name: Newsletter sent, evidence: [{event: newsletter_sent}]INITIATED}
      - {id: visit, name: Visit, evidence: [{event: visit}]}
      - {id: pay, name: Pay, evidence: [{event: pay}]}
"""


def test_what_the_company_sends_is_not_what_the_customer_does() -> None:
    """Weekly newsletters are no customer loop, and customers who did not answer one did not
    drop off: a step marked ``initiated_by: company`` is never a loop, drop-off or bounce."""
    rows = []
    start = pd.Timestamp("2024-03-04 09:00", tz="UTC")
    for number in range(400):
        for week in range(5):  # the company writes every week
            rows.append((f"c{number}", "newsletter_sent", start + pd.Timedelta(weeks=week)))
        if number % 3:  # two thirds come to the site after the first letter, most buy
            rows.append((f"c{number}", "visit", start + pd.Timedelta(days=1, minutes=number)))
            if number % 5:
                rows.append((f"c{number}", "pay", start + pd.Timedelta(days=1, minutes=number + 3)))
    events = pd.DataFrame(rows, columns=["customer_id", "event", "ts"])
    plain = evaluate(parse_map(NEWSLETTER.replace("INITIATED", "")), Sources(events))
    kinds = {(p.kind, p.element) for p in plain.insights.pain_points}  # type: ignore[union-attr]
    # a week apart, the letters are no loop even unflagged (a loop comes back within a day)
    assert ("loop", "sent") not in kinds
    sends = NEWSLETTER.replace("INITIATED", ", initiated_by: company")
    marked = evaluate(parse_map(sends), Sources(events)).insights
    assert marked is not None
    about_sends = [p.key for p in marked.pain_points if "sent" in p.steps]
    assert about_sends == [], about_sends


# --- multiple testing, effect sizes and the minimum effect, at 3,000 and at 300,000 ----------


def _retail(customers: int, seed: int, app_leaves: float = 0.55) -> tuple[pd.DataFrame, ...]:
    """Customers visit, reach the cart, and most pay. Who leaves at the cart depends on the
    device *of the cart event* (``app``: ``app_leaves``; web and tablet: 10%) and, trivially, on
    the region (north: one point more). The device of the visit is drawn anew (an ad seen on a
    phone, bought on the web), and ``colour`` (events) and ``tier`` (customers) are noise."""
    rng = np.random.default_rng(seed)
    devices, regions = np.array(["app", "web", "tablet"]), np.array(["north", "south", "east"])
    device, region = rng.integers(0, 3, customers), rng.integers(0, 3, customers)
    chance = np.where(device == 0, app_leaves, 0.10) + np.where(region == 0, 0.01, 0.0)
    steps = np.where(rng.random(customers) < chance, 2, 3)
    cust = np.repeat(np.arange(customers), steps)
    pos = np.arange(len(cust)) - np.repeat(np.cumsum(steps) - steps, steps)
    event_device = np.where(pos == 0, rng.integers(0, 3, len(cust)), device[cust])
    ids = np.char.add("c", np.arange(customers).astype(str))
    events = pd.DataFrame({
        "customer_id": ids[cust], "event": np.array(["visit", "cart", "pay"])[pos],
        "ts": pd.Timestamp("2024-03-04", tz="UTC") + pd.to_timedelta(cust * 60 + pos * 5, "s"),
        "device": devices[event_device],
        "colour": np.array(["red", "green", "blue", "grey"])[rng.integers(0, 4, len(cust))],
    })  # fmt: skip
    people = pd.DataFrame({
        "customer_id": ids, "region": regions[region],
        "tier": np.array(["gold", "silver", "bronze"])[rng.integers(0, 3, customers)],
    })  # fmt: skip
    return events, people


def _findings(events: pd.DataFrame, people: pd.DataFrame) -> list[Any]:
    settings = EvaluationSettings(analysis=None)
    result = evaluate(parse_map(SHOP), Sources(events, customers=people), settings).insights
    assert result is not None
    return [p for p in result.pain_points if p.segment != "all"]


def _check_scale(customers: int) -> None:
    """The app's checkout is found in the segment of the cart events, with a difference and a
    lift whose intervals hold the truth; the region's one point is significant at 300,000 yet
    below the minimum effect; the noise attributes raise nothing (Benjamini-Hochberg)."""
    events, people = _retail(customers, seed=3)
    points = _findings(events, people)
    assert [p.key for p in points] == ["drop_off:pay:device=app"], [p.key for p in points]
    app = points[0]
    assert app.segment_detail == {"dimension": "device", "value": "app", "level": "event"}
    evidence = app.evidence
    # truth: 55% + a third of a point (north) against 10% + a third of a point
    assert evidence["ci_low"] < 0.45 < evidence["ci_high"]
    assert evidence["lift_low"] < 0.5533 / 0.1033 < evidence["lift_high"]
    assert evidence["difference"] == pytest.approx(evidence["rate"] - evidence["rest_rate"])
    north = people["customer_id"][people["region"] == "north"]
    left = events.groupby("customer_id")["event"].size() == 2
    inside, rest = left[left.index.isin(north)], left[~left.index.isin(north)]
    test = two_proportions(int(inside.sum()), len(inside), int(rest.sum()), len(rest))
    if customers >= 300_000:  # significant, and still no finding: a trivial difference
        assert test.p_value is not None and test.p_value < 1e-3 and test.difference < 0.02


def test_statistics_at_3000_customers() -> None:
    _check_scale(3_000)


@pytest.mark.slow
def test_statistics_at_300000_customers() -> None:
    _check_scale(300_000)


def test_false_alarms_stay_rare_over_many_logs() -> None:
    """Nothing planted (the app leaves as often as the web): over 10 logs of 3,000 customers,
    each testing every check in 13 segments at two levels, at most one raises a segment
    finding — Benjamini-Hochberg keeps the false discoveries near the 5% level."""
    alarms = [bool(_findings(*_retail(3_000, seed, app_leaves=0.10))) for seed in range(10)]
    assert sum(alarms) <= 1, alarms
