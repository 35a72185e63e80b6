"""Validation that means something: normal browsing (search, view, search again) and an
optional step left out fit the map; going back to an earlier stage and skipping a required
step are the real deviations, each journey with its fitness; moments that matter compare
journeys that reached the same stage and leave out the steps on the only path to the goal."""

from __future__ import annotations

import pandas as pd

from journeyscope import Sources, evaluate
from journeyscope.evaluation import EvaluationSettings
from journeyscope.formats import parse_map

SHOP = """
id: shop
title: Shop
stages:
  - id: browse
    name: Browse
    steps:
      - {id: search, name: Search, evidence: [{event: search}]}
      - {id: wish, name: Wish list, kind: optional, evidence: [{event: wish}]}
      - {id: view, name: View, evidence: [{event: view}]}
  - id: buy
    name: Buy
    steps:
      - {id: cart, name: Cart, evidence: [{event: cart}]}
      - {id: coupon, name: Coupon, kind: optional, evidence: [{event: coupon}]}
      - {id: pay, name: Pay, evidence: [{event: pay}]}
"""
T0 = pd.Timestamp("2024-03-04 09:00", tz="UTC")
#: journey shape -> how many customers; fitness = 1 - deviating moves / moves
SHAPES = {
    ("search", "view", "search", "view", "cart", "pay"): 120,  # browsing: fits (1.0)
    ("search", "wish", "view", "cart", "coupon", "pay"): 60,  # optional steps: fits
    ("search", "view", "cart"): 80,  # left at the cart: fits
    ("search", "cart", "pay"): 30,  # view skipped: 1 of 2 moves deviates (0.5)
    ("search", "view", "cart", "search", "view", "cart", "pay"): 10,  # back a stage: 1 of 6
}


def events() -> pd.DataFrame:
    rows, number = [], 0
    for shape, count in SHAPES.items():
        for _ in range(count):
            for minute, event in enumerate(shape):
                rows.append(
                    (f"c{number:04}", event, T0 + pd.Timedelta(hours=number, minutes=minute))
                )
            number += 1
    return pd.DataFrame(rows, columns=["customer_id", "event", "ts"])


def validation() -> object:
    result = evaluate(parse_map(SHOP), Sources(events()), EvaluationSettings(analysis=None))
    assert result.insights is not None
    return result.insights.validation


def test_conformance_allows_optional_steps_repeats_and_loops_within_a_stage() -> None:
    found = validation()
    conformance = found.conformance  # type: ignore[attr-defined]
    assert conformance.journeys == 300 and conformance.conforming == 260
    mean = (260 * 1.0 + 30 * 0.5 + 10 * (5 / 6)) / 300
    assert abs(conformance.mean_fitness - mean) < 1e-9
    assert conformance.fitness_quartiles == [1.0, 1.0, 1.0]
    kinds = {(d.kind, d.source, d.target, d.step): d.journeys for d in conformance.deviations}
    assert kinds == {("skip", "search", "cart", "view"): 30, ("back", "cart", "search", None): 10}
    # the strict order counts the browsing as deviations: that was the 29% of the issue
    assert found.in_order == 140 + 30  # type: ignore[attr-defined]


def test_moments_compare_journeys_that_reached_the_same_stage() -> None:
    moments = {m.step: m for m in validation().moments}  # type: ignore[attr-defined]
    # the cart is on the only path to paying: no moment, it is true by construction
    assert "cart" not in moments and "pay" not in moments
    coupon = moments["coupon"]
    assert coupon.stage == "buy"
    # of the 300 who reached the cart, 60 used a coupon (all paid) against 160 of 240 others
    assert (coupon.with_journeys, coupon.without_journeys) == (60, 240)
    assert coupon.with_rate == 1.0 and coupon.without_rate == 160 / 240
    assert coupon.q_value is not None and coupon.q_value < 0.05
