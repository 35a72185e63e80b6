"""Channel escalations, a pain-point kind of their own: customers pushed from chat to the phone
are found with their rate, the scores and comments they gave after the switch against those of
the others, and the handling cost of the extra calls — although every one of them reaches the
goal (the issue's retailer: the dissatisfaction was only in the comments and the scores)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from journeyscope import Sources, evaluate
from journeyscope.evaluation import EvaluationSettings
from journeyscope.formats import parse_map
from journeyscope.plugins import pain_point_kinds

SUPPORT = """
id: support
title: Support
insights:
  channel_costs: {phone: 6.5}
stages:
  - id: help
    name: Help
    steps:
      - id: ask
        name: Ask
        touchpoints:
          - {id: chat, name: Chat, channel: chat, evidence: [{event: chat_started}]}
      - id: call
        name: Call
        kind: optional
        touchpoints:
          - {id: hotline, name: Hotline, channel: phone, evidence: [{event: call}]}
      - {id: solved, name: Solved, evidence: [{event: solved}]}
"""
T0 = pd.Timestamp("2024-03-04 09:00", tz="UTC")


def support_log(customers: int = 600, seed: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every customer chats and is helped in the end; three in ten call within a day (some call
    twice), one in twenty calls a week later (outside the window: no escalation). Those pushed
    to the phone answer 1-2 of 5 and complain; the others answer 4-5."""
    rng = np.random.default_rng(seed)
    events, answers = [], []
    for number in range(customers):
        who, start = f"c{number:04}", T0 + pd.Timedelta(hours=number)
        events.append((who, "chat_started", start, "chat"))
        draw = rng.random()
        calls = 2 if draw < 0.1 else 1 if draw < 0.3 else 0
        for k in range(calls):
            events.append((who, "call", start + pd.Timedelta(hours=2 + k), "phone"))
        if 0.3 <= draw < 0.35:  # a call a week later is a new matter, not an escalation
            events.append((who, "call", start + pd.Timedelta(days=7), "phone"))
        events.append((who, "solved", start + pd.Timedelta(hours=5), "chat"))
        if rng.random() < 0.6:
            score = int(rng.integers(1, 3)) if calls else int(rng.integers(4, 6))
            comment = "had to call, waited ages" if calls else "quick and kind"
            answers.append((who, start + pd.Timedelta(hours=6), score, "csat", "solved", comment))
    frame = pd.DataFrame(events, columns=["customer_id", "event", "ts", "channel"])
    columns = ["customer_id", "ts", "score", "kind", "step", "comment"]
    return frame, pd.DataFrame(answers, columns=columns)


def test_escalation_is_a_registered_kind() -> None:
    assert "escalation" in pain_point_kinds()


def test_chat_to_phone_is_found_though_everybody_reaches_the_goal() -> None:
    events, answers = support_log()
    settings = EvaluationSettings(analysis=None)
    result = evaluate(parse_map(SUPPORT), Sources(events, surveys=answers), settings).insights
    assert result is not None
    points = {p.key: p for p in result.pain_points}
    assert "channel_switch:call:all" not in points  # the goal rates are the same: 100%
    point = points["escalation:ask:all"]
    # the oracle, in plain pandas: a call within 72 hours of the first chat
    chats = events[events["event"] == "chat_started"].groupby("customer_id")["ts"].min()
    calls = events[events["event"] == "call"].join(chats.rename("chat"), on="customer_id")
    soon = calls[(calls["ts"] > calls["chat"]) & (calls["ts"] <= calls["chat"] + dt.timedelta(3))]
    assert point.customers_affected == soon["customer_id"].nunique()
    assert point.evidence["rate"] == soon["customer_id"].nunique() / len(chats)
    assert point.evidence["rate_low"] < point.evidence["rate"] < point.evidence["rate_high"]
    assert point.handling_cost == len(soon) * 6.5  # every extra call, the late ones not
    assert point.evidence["goal_rate_affected"] == point.evidence["goal_rate_unaffected"] == 1.0
    evidence = point.evidence
    assert evidence["score_escalated"] < 0.3 < 0.7 < evidence["score_not_escalated"]
    assert evidence["score_p_value"] < 1e-6
    assert evidence["negative_share_escalated"] == 1.0
    assert evidence["negative_share_not_escalated"] == 0.0


def test_no_escalation_without_the_phone() -> None:
    events, _ = support_log(200)
    events = events[events["event"] != "call"]
    result = evaluate(parse_map(SUPPORT), Sources(events), EvaluationSettings(analysis=None))
    assert result.insights is not None
    assert [p.key for p in result.insights.pain_points if p.kind == "escalation"] == []
