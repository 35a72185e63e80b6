"""Planted problems: each kind of pain point, planted in one segment of a generated log
(``tests/planted.py``), is found in that segment and nowhere else, with the customers the
generator gave it; a clean log reports nothing. Survey pain points are priced by hand."""

from __future__ import annotations

import math

import jsonschema
import pandas as pd
import pytest
from scipy import stats

from journeyscope.analytics import JourneyOptions, prepare
from journeyscope.engine import connect
from journeyscope.events import load_events, load_surveys
from journeyscope.formats import load_map
from journeyscope.insights import (
    PainPoint,
    PainPointOptions,
    build_context,
    build_segments,
    compute_emotion_curve,
    compute_insights,
    detect_pain_points,
)
from journeyscope.insights._context import clean
from journeyscope.insights.schema import insights_json_schema

from .planted import KINDS, MAP, WHERE, PlantedLog, plant
from .test_insights import SHOP, frame

UNMERGED = PainPointOptions(merge=False)

N, SEED = 3000, 1
SEGMENTS = [("device", "tablet"), ("region", "north"), ("persona", "bargain-hunter")]
# an event attribute, a customer attribute (customers table), a persona (age < 30)
# Failures (5+ customers) and a significant switching penalty have no rate threshold for all
# customers, so a segment's problem shows there too; every other kind stays below its
# all-customers threshold when planted in a segment of 15-20% of the customers.
ALSO_FOR_ALL = {"failed_step", "channel_switch"}


def detect(log: PlantedLog) -> list[PainPoint]:
    events = load_events(log.events, customers=log.customers)
    surveys = load_surveys(log.answers, into=events)
    journey = load_map(MAP)
    prepared = prepare(connect(events), journey, JourneyOptions(), events.has_customers)
    context = build_context(prepared, journey, answers=surveys.answers())
    context.segments = build_segments(prepared)
    # each kind's own finding and numbers (merging them is tests/test_findings_merge.py's)
    return detect_pain_points(context, compute_emotion_curve(context), UNMERGED)


@pytest.mark.parametrize("segment", SEGMENTS, ids=lambda s: f"{s[0]}={s[1]}")
@pytest.mark.parametrize("kind", KINDS)
def test_a_planted_problem_is_found_in_its_segment(kind: str, segment: tuple[str, str]) -> None:
    log = plant(kind, segment, N, SEED)
    name = f"{segment[0]}={segment[1]}"
    found = {p.segment: p for p in detect(log) if p.kind == kind}
    # not in another value of the dimension, nor in another dimension's segment
    assert set(found) == {name} | ({"all"} if kind in ALSO_FOR_ALL else set())
    point = found[name]
    element, steps = WHERE[kind]
    assert (point.element, point.steps) == (element, steps)
    # every kind is a valid pain point of the documented JSON
    item = insights_json_schema()["properties"]["pain_points"]["items"]
    jsonschema.validate(clean(point.to_dict()), item)

    members = log.members(*segment)
    population, hits = log.population[kind] & members, log.hits[kind] & members
    assert log.planted <= hits  # the generator's own bookkeeping
    journeys = point.evidence.get("journeys", point.evidence.get("answers"))
    assert journeys == len(population)
    assert point.customers_affected == len(hits)  # planted + the segment's own noise
    # against the planted customers alone: the rest of the segment has the problem at the
    # rate the customers outside it have (the noise), so the count lies between the planted
    # customers and them plus that rate's binomial mean + 4 sd (missed with p < 1e-4)
    outside = log.population[kind] - members
    rate = len(log.hits[kind] & outside) / len(outside)
    noise = rate * (len(population) - len(log.planted))
    slack = noise + 4 * math.sqrt(noise * (1 - rate))
    assert len(log.planted) <= point.customers_affected <= len(log.planted) + slack
    if "all" in found:  # the problem is concentrated in the segment
        assert point.severity > found["all"].severity


def test_a_clean_log_reports_no_pain_point() -> None:
    log = plant(None, None, N, SEED)
    events = load_events(log.events, customers=log.customers)
    insights = compute_insights(
        events, load_map(MAP), surveys=load_surveys(log.answers, into=events)
    )
    # channel: the channels of the events at a step (the support step is on phone and chat)
    assert insights.segments == ["channel", "device", "persona", "region"]
    assert insights.summary["customers"] == N and insights.summary["answers"] == len(log.answers)
    assert [p.key for p in insights.pain_points] == []
    assert not log.planted and len(log.hits["drop_off"]) > 0  # noise, nothing planted


def test_survey_pain_points_are_priced_by_hand() -> None:
    """12 customers answer about the cart and about search. At the cart, 8 answer CSAT 1 with a
    complaint and 2 of them pay; the 4 others answer 4 and all pay. At search the 8 low
    answers come from customers who pay more often than the others: nothing is lost there."""
    customers = [f"c{n:02d}" for n in range(12)]
    paying = {"c00", "c01", *customers[8:]}
    journeys: dict[str, list[tuple[float, str]]] = {
        c: [(0, "visit"), (1, "search"), (2, "cart"), *([(3, "pay")] if c in paying else [])]
        for c in customers
    }
    low_at_search = {"c00", "c01", "c02", "c03", *customers[8:]}
    answers = pd.DataFrame(
        [{"customer_id": c, "ts": "2024-03-04T10:00:00Z", "score": 1 if n < 8 else 4,
          "kind": "csat", "step": "cart", "comment": "Too slow" if n < 8 else None}
         for n, c in enumerate(customers)]
        + [{"customer_id": c, "ts": "2024-03-04T10:00:00Z", "score": 1 if c in low_at_search
            else 4, "kind": "csat", "step": "search", "comment": None} for c in customers]
    )  # fmt: skip
    log = load_events(frame(journeys))
    surveys = load_surveys(answers, into=log)
    journey = load_map(SHOP)  # goal: pay; 100 per converting customer
    prepared = prepare(connect(log), journey, JourneyOptions(), False)
    context = build_context(prepared, journey, answers=surveys.answers())
    curve = compute_emotion_curve(context)
    points = {p.key: p for p in detect_pain_points(context, curve, UNMERGED)}

    low = points["low_score:cart:all"]
    # goal rates: low answerers 2/8, the others 4/4; pooled two-proportion z-test
    pooled = 6 / 12
    z = (4 / 4 - 2 / 8) / math.sqrt(pooled * (1 - pooled) * (1 / 8 + 1 / 4))
    assert low.evidence["goal_p_value"] == pytest.approx(2 * stats.norm.sf(z))  # 0.014
    assert (low.evidence["goal_rate_affected"], low.evidence["goal_rate_unaffected"]) == (
        0.25, 1.0)  # fmt: skip
    assert low.lost_customers == pytest.approx(8 * (1.0 - 0.25))  # 6 customers
    assert low.value_at_risk == pytest.approx(600.0) and low.handling_cost is None
    # priority = customers x severity x (1 + money per customer): 8 x 0.75 x (1 + 600 / 8)
    assert low.severity == pytest.approx(1 - 3 / 12)  # shares: 8 x 0, 4 x 0.75
    assert low.priority == pytest.approx(8 * 0.75 * 76)
    complaints = points["negative_comment:cart:all"]  # the same 8 customers
    assert (complaints.lost_customers, complaints.value_at_risk) == (pytest.approx(6.0), 600.0)

    search = points["low_score:search:all"]  # low answerers pay 6/8, the others 0/4
    assert search.evidence["goal_rate_affected"] == 0.75
    assert (search.lost_customers, search.value_at_risk) == (0.0, 0.0)
