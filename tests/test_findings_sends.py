"""What the company does: its sends are triggers (the share of sends a customer answered, with
its interval); waits are judged against targets measured from a named earlier step ("delivered
within 72 hours of the order"); a long natural gap (a repurchase a month later) is no wait
unless a target says so."""

from __future__ import annotations

import numpy as np
import pandas as pd

from journeyscope import Sources, evaluate
from journeyscope.evaluation import EvaluationSettings
from journeyscope.formats import map_json_schema, parse_map

T0 = pd.Timestamp("2024-03-04 09:00", tz="UTC")
ONLY_INSIGHTS = EvaluationSettings(analysis=None)

LETTERS = """
id: letters
title: Letters
stages:
  - id: buy
    name: Buy
    steps:
      - {id: sent, name: Newsletter sent, initiated_by: company, evidence: [{event: newsletter}]}
      - {id: visit, name: Visit, evidence: [{event: visit}]}
      - {id: pay, name: Pay, kind: optional, evidence: [{event: pay}]}
"""


def test_sends_are_triggers_with_their_response_rate() -> None:
    """Five weekly letters to 300 customers; a third of the letters get a visit within two
    days, some a visit ten days later (outside the week: not an answer)."""
    rng = np.random.default_rng(7)
    rows, answered = [], 0
    for number in range(300):
        for week in range(5):
            sent = T0 + pd.Timedelta(weeks=week, minutes=number)
            rows.append((f"c{number}", "newsletter", sent))
            if rng.random() < 1 / 3:
                rows.append((f"c{number}", "visit", sent + pd.Timedelta(hours=30)))
                answered += 1
    rows += [(f"c{n}", "visit", T0 + pd.Timedelta(weeks=5, days=10)) for n in range(0, 300, 7)]
    events = pd.DataFrame(rows, columns=["customer_id", "event", "ts"])
    insights = evaluate(parse_map(LETTERS), Sources(events), ONLY_INSIGHTS).insights
    assert insights is not None
    (send,) = insights.sends
    assert (send.step, send.sends, send.customers) == ("sent", 1500, 300)
    assert send.responded == answered and send.response_rate == answered / 1500
    assert send.rate_low is not None and send.rate_high is not None
    assert send.rate_low < 1 / 3 < send.rate_high
    assert send.median_hours == 30
    assert [p.key for p in insights.pain_points if "sent" in p.steps] == []  # never a loop
    assert insights.to_dict()["sends"][0]["responded"] == answered


DELIVERY = """
id: delivery
title: Delivery
insights:
  wait_targets:
    - {step: delivered, hours: 72, measured_from: order}
stages:
  - id: buy
    name: Buy
    steps:
      - {id: order, name: Order, evidence: [{event: order}]}
      - {id: dispatched, name: Dispatched, evidence: [{event: dispatched}]}
      - {id: delivered, name: Delivered, evidence: [{event: delivered}]}
  - id: love
    name: Loyalty
    steps:
      - {id: review, name: Review, evidence: [{event: review}]}
      - {id: again, name: Buys again, kind: optional, evidence: [{event: again}]}
      - {id: tell, name: Tells a friend, evidence: [{event: tell}]}
"""


def delivery_log(customers: int = 400) -> tuple[pd.DataFrame, int]:
    """Dispatch takes 1 to 5 days, delivery one more day: each leg looks like the others,
    yet from the order more than half wait past 72 hours. After the review, customers buy again
    a month later (natural) and tell a friend within the hour."""
    rng = np.random.default_rng(11)
    rows, late = [], 0
    for number in range(customers):
        who, start = f"c{number}", T0 + pd.Timedelta(hours=number)
        dispatch = pd.Timedelta(hours=float(rng.uniform(24, 120)))
        delivered = dispatch + pd.Timedelta(hours=24)
        late += delivered > pd.Timedelta(hours=72)
        review = delivered + pd.Timedelta(hours=2)
        rows += [(who, "order", start), (who, "dispatched", start + dispatch),
                 (who, "delivered", start + delivered), (who, "review", start + review),
                 (who, "again", start + review + pd.Timedelta(days=30)),
                 (who, "tell", start + review + pd.Timedelta(days=30, minutes=20))]  # fmt: skip
    return pd.DataFrame(rows, columns=["customer_id", "event", "ts"]), late


def test_a_wait_is_measured_from_the_named_step() -> None:
    events, late = delivery_log()
    insights = evaluate(parse_map(DELIVERY), Sources(events), ONLY_INSIGHTS).insights
    assert insights is not None
    slow = {p.element: p for p in insights.pain_points if p.kind == "slow_transition"}
    point = slow["order->delivered"]
    assert point.customers_affected == late and point.evidence["rate"] == late / 400
    assert point.evidence["measured_from"] == "order"
    assert point.evidence["limit_seconds"] == 72 * 3600
    # the repurchase a month after the review is the customer's rhythm, not a wait
    assert not [e for e in slow if e.endswith("->again")], sorted(slow)


def test_a_natural_gap_is_a_wait_when_a_target_says_so() -> None:
    events, _ = delivery_log()
    text = DELIVERY.replace("wait_targets:", "wait_targets_hours: {again: 240}\n  wait_targets:")
    insights = evaluate(parse_map(text), Sources(events), ONLY_INSIGHTS).insights
    assert insights is not None
    keys = [p.key for p in insights.pain_points if p.kind == "slow_transition"]
    assert "slow_transition:review->again:all" in keys, keys


def test_the_map_schema_knows_measured_from() -> None:
    target = map_json_schema()["$defs"]["WaitTarget"]
    assert set(target["properties"]) == {"step", "hours", "measured_from"}
    assert target["required"] == ["step", "hours"]
