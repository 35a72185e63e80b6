"""One finding per problem: the same customers' browse loop over search and view is one pain
point, a low score and a negative comment on the same answers are one, ranked once; two
problems of different customers stay two."""

from __future__ import annotations

import pandas as pd

from journeyscope import Sources, evaluate
from journeyscope.evaluation import EvaluationSettings
from journeyscope.formats import parse_map
from journeyscope.insights.schema import insights_json_schema

SHOP = """
id: shop
title: Shop
stages:
  - id: browse
    name: Browse
    steps:
      - {id: search, name: Search, evidence: [{event: search}]}
      - {id: view, name: View, evidence: [{event: view}]}
  - id: buy
    name: Buy
    steps:
      - {id: pay, name: Pay, evidence: [{event: pay}]}
"""
T0 = pd.Timestamp("2024-03-04 09:00", tz="UTC")


def shop_log(
    loopers: range, search_only: range = range(0), view_only: range = range(0)
) -> pd.DataFrame:
    """400 customers search, view and pay; ``loopers`` go search, view, search, view... four
    times; ``search_only`` search four times and view once, ``view_only`` the other way."""
    rows = []
    for number in range(400):
        who, t = f"c{number:03}", T0 + pd.Timedelta(hours=number)
        if number in loopers:
            steps = ["search", "view"] * 4
        elif number in search_only:
            steps = ["search"] * 4 + ["view"]
        elif number in view_only:
            steps = ["search"] + ["view"] * 4
        else:
            steps = ["search", "view"]
        for minute, event in enumerate([*steps, "pay"]):
            rows.append((who, event, t + pd.Timedelta(minutes=minute)))
    return pd.DataFrame(rows, columns=["customer_id", "event", "ts"])


def insights_of(events: pd.DataFrame, answers: pd.DataFrame | None = None) -> object:
    result = evaluate(
        parse_map(SHOP), Sources(events, surveys=answers), EvaluationSettings(analysis=None)
    ).insights
    assert result is not None
    return result


def test_a_browse_loop_over_two_steps_is_one_finding() -> None:
    insights = insights_of(shop_log(loopers=range(0, 160)))
    loops = [p for p in insights.pain_points if p.kind == "loop"]  # type: ignore[attr-defined]
    assert len(loops) == 1, [p.key for p in loops]
    (loop,) = loops
    assert set(loop.steps) == {"search", "view"} and loop.customers_affected == 160
    assert [m["kind"] for m in loop.merged] == ["loop"] and loop.kinds == ["loop"]
    assert {loop.element, loop.merged[0]["element"]} == {"search", "view"}
    document = insights.to_dict()  # type: ignore[attr-defined]
    import jsonschema

    jsonschema.validate(document, insights_json_schema())


def test_different_customers_stay_two_findings() -> None:
    """A quarter search again and again, another quarter view again and again: two groups,
    two problems."""
    events = shop_log(loopers=range(0), search_only=range(0, 100), view_only=range(200, 300))
    insights = insights_of(events)
    loops = {p.key: p for p in insights.pain_points if p.kind == "loop"}  # type: ignore[attr-defined]
    assert sorted(loops) == ["loop:search:all", "loop:view:all"]
    assert [p.merged for p in loops.values()] == [[], []]
    assert [p.customers_affected for p in loops.values()] == [100, 100]


def test_a_low_score_and_its_comment_are_one_finding() -> None:
    events = shop_log(loopers=range(0))
    answers = pd.DataFrame(
        [(f"c{n:03}", T0 + pd.Timedelta(hours=n, minutes=10), 1 if n < 200 else 5, "csat",
          "view", "awful, nothing works" if n < 200 else "fine") for n in range(300)],
        columns=["customer_id", "ts", "score", "kind", "step", "comment"],
    )  # fmt: skip
    insights = insights_of(events, answers)
    about_view = [p for p in insights.pain_points if p.element == "view"]  # type: ignore[attr-defined]
    assert len(about_view) == 1, [p.key for p in about_view]
    assert sorted(about_view[0].kinds) == ["low_score", "negative_comment"]
    (other,) = about_view[0].merged
    assert other["customers_affected"] == 200 and other["evidence"]
