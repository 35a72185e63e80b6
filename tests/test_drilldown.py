"""The drill-down behind the numbers: example journeys for reach, funnel, flows, validation,
KPIs and survey pain points — checked by hand on tiny logs and against plain pandas."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd
import pytest
from typer.testing import CliRunner

from journeyscope.cli.main import app
from journeyscope.events import load_events, load_surveys
from journeyscope.insights import (
    PainPointOptions,
    build_context,
    compute_emotion_curve,
    compute_kpi_status,
    compute_validation,
    detect_pain_points,
)
from journeyscope.insights.drilldown import (
    END,
    START,
    add_survey_examples,
    compute_drilldown,
    edge_examples,
    survey_examples,
)
from journeyscope.insights.evidence import attach_answers
from journeyscope.insights.kpi_status import numerator_elements
from journeyscope.insights.schema import insights_json_schema
from journeyscope.insights.segments import Segment
from journeyscope.model import JourneyMap

from .conftest import SPARK_CONFIG as CONFIG
from .conftest import SPARK_MASTER as MASTER
from .test_insights import SHOP, TINY, context_for, frame, segmented_log

# the shop map binds each of these events to the step of the same name ("visit" via the home
# page touchpoint); every other event is unmapped
MAPPED = {"visit", "search", "call", "cart", "pay"}
STAGES = {"visit": 0, "search": 0, "call": 0, "cart": 1, "pay": 1}
FUNNEL = ["visit", "search", "cart", "pay"]  # the map's required steps, in map order


def customers(examples: list[dict[str, Any]]) -> list[str]:
    return [e["customer"] for e in examples]


# --- by hand ------------------------------------------------------------------------------
# a: visit search cart pay            b: visit search cart (drops before paying)
# c: visit search visit search cart pay                  d: visit search call call
# e: visit (bounces)                  f: visit search cart [pay_failed] pay


def test_reach_of_a_step_by_hand(tiny) -> None:
    steps = {r["step"]: r for r in compute_drilldown(tiny).steps}
    cart = steps["cart"]
    assert (cart["customers"], cart["journeys"]) == (4, 4)
    assert cart["examples"] == [
        {"customer": "a", "steps": ["visit", "search", "cart", "pay"]},
        {"customer": "b", "steps": ["visit", "search", "cart"]},
        {"customer": "c", "steps": ["visit", "search", "visit", "search", "cart", "pay"]},
        {"customer": "f", "steps": ["visit", "search", "cart", "pay"]},
    ]
    assert customers(steps["visit"]["examples"]) == ["a", "b", "c", "d", "e"]  # 5 of 6
    assert customers(steps["call"]["examples"]) == ["d"]
    assert "unused" not in steps  # nobody takes it: no reach, no examples


def test_funnel_drop_off_by_hand(tiny) -> None:
    funnel = compute_drilldown(tiny).funnel
    assert [(f["step"], f["journeys"], f["dropped_after"]) for f in funnel] == [
        ("visit", 6, 1), ("search", 5, 1), ("cart", 4, 1), ("pay", 3, None)]  # fmt: skip
    dropped = {f["step"]: f["dropped_examples"] for f in funnel}
    assert dropped["visit"] == [{"customer": "e", "steps": ["visit"]}]
    assert dropped["search"] == [{"customer": "d", "steps": ["visit", "search", "call", "call"]}]
    assert dropped["cart"] == [{"customer": "b", "steps": ["visit", "search", "cart"]}]
    assert dropped["pay"] == []
    assert customers(funnel[3]["examples"]) == ["a", "c", "f"]


def test_edge_examples_by_hand(tiny) -> None:
    found = edge_examples(tiny, [("search", "visit"), ("cart", "pay"), ("visit", END),
                                 (START, "visit"), ("pay", "search")])  # fmt: skip
    assert found[("search", "visit")] == [
        {"customer": "c", "steps": ["visit", "search", "visit", "search", "cart", "pay"]}
    ]
    assert customers(found[("cart", "pay")]) == ["a", "c", "f"]
    assert customers(found[("visit", END)]) == ["e"]
    assert customers(found[(START, "visit")]) == ["a", "b", "c", "d", "e"]
    assert found[("pay", "search")] == []
    flows = {(f["source"], f["target"]): f for f in compute_drilldown(tiny).flows}
    assert flows[("search", "cart")]["count"] == 4  # c's second search
    assert customers(flows[("search", "cart")]["examples"]) == ["a", "b", "c", "f"]


def test_validation_examples_by_hand(tiny) -> None:
    v = compute_validation(tiny)
    (unmapped,) = v.unmapped_events
    assert unmapped["event"] == "pay_failed" and unmapped["examples"] == [
        {"customer": "f", "steps": ["visit", "search", "cart", "pay"],
         "events": ["visit", "search", "cart", "pay_failed", "pay"]}
    ]  # fmt: skip
    (back,) = v.deviations  # search -> visit
    assert customers(back.examples) == ["c"]
    find, buy = v.stages
    assert customers(find.examples) == ["a", "b", "c", "d", "e"]
    assert customers(find.dropped_examples) == ["d", "e"]  # never reach the cart
    assert customers(buy.examples) == ["a", "b", "c", "f"] and buy.dropped_examples == []


def test_kpi_examples_behind_the_last_numerator(shop: JourneyMap) -> None:
    data = shop.model_dump(mode="json", exclude_defaults=True)
    data["kpis"] += [
        {"id": "per-cart", "name": "Per cart", "formula": "count(pay) / count(cart) * 100"},
        {"id": "value", "name": "Order value", "formula": "avg(order_value)"},
    ]
    journey = JourneyMap.model_validate(data)
    rows = frame(TINY)
    rows["order_value"] = [10.0 if e == "pay" else None for e in rows["event"]]
    kpis = {k.kpi: k for k in compute_kpi_status(context_for(rows, journey))}
    pay = kpis["pay-rate"]  # count(pay) / count(cart) in the week of 2024-03-04: a, c, f paid
    assert (pay.last_period, pay.last, pay.examples_note) == ("2024-03-04", 0.75, None)
    assert customers(pay.examples) == ["a", "c", "f"]
    assert customers(kpis["calls"].examples) == ["d"]
    assert customers(kpis["per-cart"].examples) == ["a", "c", "f"]
    value = kpis["value"]
    assert value.examples == [] and "not per customer" in (value.examples_note or "")
    assert value.to_dict()["examples_note"] == value.examples_note


def test_numerators() -> None:
    assert numerator_elements("count_journeys(a) + 2 * count(b)") == ["a", "b"]
    assert numerator_elements("100 * count(a) / count(b)") == ["a"]
    for formula in ("count(a) - count(b)", "avg_days(a -> b)", "1 / count(a)", "count(a"):
        assert numerator_elements(formula) is None, formula


SURVEYS = """customer_id,ts,score,kind,step,comment
a,2024-03-04T10:00:00Z,4,csat,search,
b,2024-03-04T10:00:00Z,1,csat,search,Too slow
c,2024-03-04T10:00:00Z,1,csat,search,
d,2024-03-04T10:00:00Z,2,csat,search,Could not find it
d,2024-03-04T11:00:00Z,5,csat,search,
z,2024-03-04T10:00:00Z,1,csat,search,nothing fits
f,2024-03-04T10:00:00Z,1,csat,cart,
"""


def with_answers(context: Any, tmp_path: Path, text: str = SURVEYS) -> Any:
    path = tmp_path / "answers.csv"
    path.write_text(text, encoding="utf-8")
    attach_answers(context, load_surveys(path).answers())
    return context


def test_survey_low_score_examples(tiny, tmp_path: Path) -> None:
    context = with_answers(tiny, tmp_path)
    options = PainPointOptions(alpha=0.99, min_answers=3, negative_min=2, merge=False)
    points = detect_pain_points(context, compute_emotion_curve(context), options)
    points = {p.key: p for p in add_survey_examples(context, points)}
    low = points["low_score:search:all"]
    # low = below the middle of the scale: b, c, d (2 of 5) and z, who has no events at all
    assert low.examples == [
        {"customer": "b", "steps": ["visit", "search", "cart"],
         "answers": [{"kind": "csat", "score": 1.0, "comment": "Too slow",
                      "ts": "2024-03-04T10:00:00+00:00"}]},
        {"customer": "c", "steps": ["visit", "search", "visit", "search", "cart", "pay"],
         "answers": [{"kind": "csat", "score": 1.0, "comment": None,
                      "ts": "2024-03-04T10:00:00+00:00"}]},
        {"customer": "d", "steps": ["visit", "search", "call", "call"],
         "answers": [{"kind": "csat", "score": 2.0, "comment": "Could not find it",
                      "ts": "2024-03-04T10:00:00+00:00"}]},
        {"customer": "z", "steps": [],
         "answers": [{"kind": "csat", "score": 1.0, "comment": "nothing fits",
                      "ts": "2024-03-04T10:00:00+00:00"}]},
    ]  # fmt: skip
    negative = points["negative_comment:search:all"]
    assert customers(negative.examples) == ["b", "d", "z"]  # "slow", "not ", "nothing"


def test_survey_examples_in_a_segment(shop: JourneyMap, tmp_path: Path) -> None:
    data, channel = segmented_log()
    rows = "".join(f"{c},2024-03-04T10:00:00Z,1,csat,cart,\n" for c in ["c000", "c061", "c070"])
    context = with_answers(context_for(data, shop), tmp_path, SURVEYS.splitlines()[0] + "\n" + rows)
    app = survey_examples(context, "low_score", "cart", Segment("channel", "app", "event"))
    assert customers(app) == ["c061", "c070"] and {channel[c] for c in customers(app)} == {"app"}
    assert customers(survey_examples(context, "low_score", "cart")) == ["c000", "c061", "c070"]


# --- the independent check: every example really has its property --------------------------


def sequences(data: pd.DataFrame) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Per customer: mapped steps and raw events in time order (file order on ties)."""
    ordered = data.reset_index(drop=True).sort_values("ts", kind="stable")
    raw = ordered.groupby("customer_id", sort=True)["event"].agg(list).to_dict()
    mapped = {c: [e for e in events if e in MAPPED] for c, events in raw.items()}
    return mapped, raw


def first(matching: set[str], n: int = 5) -> list[str]:
    return sorted(matching)[:n]


def reached(steps: list[str]) -> int:
    """How deep an ordered funnel gets: each step the first one after the previous."""
    at, depth = -1, 0
    for step in FUNNEL:
        later = [i for i, s in enumerate(steps) if s == step and i > at]
        if not later:
            break
        at, depth = later[0], depth + 1
    return depth


def edges(steps: list[str]) -> set[tuple[str, str]]:
    path = [START, *steps, END] if steps else []
    return set(itertools.pairwise(path))


def enters(steps: list[str], stage: int) -> bool:
    return any(STAGES[s] == stage for s in steps)


def stage_reaches_next(steps: list[str], stage: int) -> bool:
    first_in = min(i for i, s in enumerate(steps) if STAGES[s] == stage)
    return any(STAGES[s] == stage + 1 for s in steps[first_in + 1 :])


def check_examples(examples: list[dict[str, Any]], has: Any, mapped: dict[str, list[str]]) -> None:
    assert customers(examples) == first({c for c in mapped if has(c)})
    for example in examples:
        assert example["steps"] == mapped[example["customer"]]


@pytest.mark.parametrize("log", ["tiny", "segmented"])
def test_every_example_has_its_property(log: str, shop: JourneyMap) -> None:
    data = frame(TINY) if log == "tiny" else segmented_log()[0]
    context = context_for(data, shop)
    mapped, raw = sequences(data)
    drill = compute_drilldown(context)
    for row in drill.steps:
        check_examples(row["examples"], lambda c, s=row["step"]: s in mapped[c], mapped)
        assert row["customers"] == sum(row["step"] in steps for steps in mapped.values())
    for k, row in enumerate(drill.funnel, start=1):
        assert row["journeys"] == sum(reached(steps) >= k for steps in mapped.values())
        check_examples(row["examples"], lambda c, k=k: reached(mapped[c]) >= k, mapped)
        if k < len(FUNNEL):
            check_examples(row["dropped_examples"], lambda c, k=k: reached(mapped[c]) == k, mapped)
    for row in drill.flows:
        edge = (row["source"], row["target"])
        check_examples(row["examples"], lambda c, e=edge: e in edges(mapped[c]), mapped)
    v = compute_validation(context)
    find, buy = v.stages
    check_examples(find.examples, lambda c: enters(mapped[c], 0), mapped)
    check_examples(buy.examples, lambda c: enters(mapped[c], 1), mapped)
    check_examples(
        find.dropped_examples,
        lambda c: enters(mapped[c], 0) and not stage_reaches_next(mapped[c], 0),
        mapped,
    )
    for row in v.unmapped_events:
        check_examples(row["examples"], lambda c, e=row["event"]: e in raw[c], mapped)
        assert all(x["events"] == raw[x["customer"]] for x in row["examples"])


# --- end to end ----------------------------------------------------------------------------


def test_cli_json_and_html_carry_the_drilldown(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`journeyscope insights` on real files: the drill-down is in the JSON (valid against the
    schema) and behind <details> in the HTML, with user text escaped."""
    monkeypatch.chdir(tmp_path)
    evil = "<b>x</b>"  # a customer id that must not become markup
    rows = frame(TINY | {evil: [(0, "visit"), (1, "newsletter")]})
    rows.to_csv(tmp_path / "events.csv", index=False)
    (tmp_path / "shop.yaml").write_text(SHOP.read_text(encoding="utf-8"), encoding="utf-8")
    args = ["insights", str(tmp_path / "shop.yaml"), "-e", str(tmp_path / "events.csv")]
    result = runner.invoke(app, [*args, "-f", "json", "-o", str(tmp_path / "i.json")])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "i.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, insights_json_schema())
    reach = {r["step"]: r for r in data["drilldown"]["steps"]}
    assert customers(reach["visit"]["examples"]) == [evil, "a", "b", "c", "d"]
    (news,) = [u for u in data["validation"]["unmapped_events"] if u["event"] == "newsletter"]
    assert news["examples"] == [{"customer": evil, "steps": ["visit"],
                                 "events": ["visit", "newsletter"]}]  # fmt: skip
    assert customers(data["drilldown"]["funnel"][2]["dropped_examples"]) == ["b"]
    assert customers(data["kpis"][0]["examples"]) == ["a", "c", "f"]
    page = runner.invoke(app, [*args, "-f", "html", "-o", str(tmp_path / "i.html")])
    assert page.exit_code == 0, page.output
    html = (tmp_path / "i.html").read_text(encoding="utf-8")
    assert "Reach, funnel and flows, with example journeys" in html
    assert html.count('<details class="examples">') >= 20
    assert "dropping off after it</summary>" in html and "taking the step</summary>" in html
    assert "<b>&lt;b&gt;x&lt;/b&gt;</b>: Visit" in html and evil not in html
    assert "<code>visit → newsletter</code>" in html  # the raw events of an unmapped one


# --- the same examples on Spark --------------------------------------------------------------


def every_example(context: Any) -> list[Any]:
    """Every example list the drill-down gives, in a fixed order."""
    drill = compute_drilldown(context)
    v = compute_validation(context)
    rows = [*drill.steps, *drill.funnel, *drill.flows, *v.unmapped_events]
    return [
        *([r["examples"], r.get("dropped_examples")] for r in rows),
        *([s.examples, s.dropped_examples] for s in v.stages),
        *(d.examples for d in v.deviations),
        *(k.examples for k in compute_kpi_status(context)),
    ]


@pytest.mark.spark
@pytest.mark.usefixtures("spark")
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
def test_spark_gives_the_same_examples(shop: JourneyMap) -> None:
    from journeyscope.analytics import JourneyOptions, prepare
    from journeyscope.engine import connect

    log = load_events(frame(TINY))
    found = []
    for engine in (connect(log), connect(log, "spark", master=MASTER, config=CONFIG)):
        prepared = prepare(engine, shop, JourneyOptions(), log.has_customers)
        found.append(every_example(build_context(prepared, shop)))
        engine.close()
    assert found[0] == found[1] and len(found[0]) > 20
