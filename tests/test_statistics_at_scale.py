"""Findings that hold on data nobody here has seen: an effect so strong that its p-value
underflows to 0.0 is the strongest finding, not thrown away; a CRM's own ``persona`` column is
a segment."""

from __future__ import annotations

import numpy as np
import pandas as pd

from journeyscope import Sources, evaluate
from journeyscope.formats import parse_map

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
    assert ("loop", "sent") in kinds  # without the flag the sends look like a customer's loop
    sends = NEWSLETTER.replace("INITIATED", ", initiated_by: company")
    marked = evaluate(parse_map(sends), Sources(events)).insights
    assert marked is not None
    about_sends = [p.key for p in marked.pain_points if "sent" in p.steps]
    assert about_sends == [], about_sends
