"""The domain model: integrity rules, persona feelings, RTL, future-state references."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from journeyscope.model import Condition, EvidenceRule, JourneyMap, find_problems

from .conftest import tiny_map_data


def test_tiny_map_navigation(tiny_map: JourneyMap) -> None:
    assert [step.id for _, step in tiny_map.steps()] == ["search", "compare", "pay"]
    assert tiny_map.step("pay").name == "Pay"
    assert tiny_map.persona("ana").name == "Ana"
    assert not tiny_map.is_rtl
    assert JourneyMap.model_validate(tiny_map_data(language="he")).is_rtl


def test_feeling_for_persona_falls_back_to_general() -> None:
    data = tiny_map_data(personas=[{"id": "ana", "name": "Ana"}, {"id": "bo", "name": "Bo"}])
    data["stages"][0]["steps"][0]["feelings"] = [{"score": 0}, {"persona": "bo", "score": -3}]
    step = JourneyMap.model_validate(data).step("search")
    assert step.feeling_for("bo").score == -3  # type: ignore[union-attr]
    assert step.feeling_for("ana").score == 0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["stages"][1]["steps"][0].update(id="search"), "duplicate id 'search'"),
        (
            lambda d: d["stages"][0]["steps"][0]["feelings"][0].update(score=7),
            "outside the emotion scale",
        ),
        (
            lambda d: d.update(paths=[{"id": "p", "name": "P", "steps": ["nope"]}]),
            "unknown step 'nope'",
        ),
        (lambda d: d["stages"][0]["steps"][0].update(personas=["zed"]), "unknown persona 'zed'"),
        (
            lambda d: d["stages"][0]["steps"][0].update(current="pay"),
            "only used in the future state",
        ),
        (
            lambda d: d["stages"][0]["steps"][0].update(kind="alternative", alternative_to="x"),
            "unknown step 'x'",
        ),
        (
            lambda d: d.update(kpis=[{"id": "k", "name": "K", "touchpoints": ["t9"]}]),
            "unknown touchpoint or step 't9'",
        ),
        (
            lambda d: d.update(future={"stages": [{"id": "f", "name": "F", "current": "gone"}]}),
            "unknown current-state element 'gone'",
        ),
    ],
)
def test_integrity_problems(mutate, message: str) -> None:
    data = tiny_map_data()
    mutate(data)
    with pytest.raises(ValidationError, match=message):
        JourneyMap.model_validate(data)
    journey = JourneyMap.model_validate(data, context={"skip_integrity": True})
    assert any(message in p.message for p in find_problems(journey))


def test_future_state_references_current() -> None:
    data = tiny_map_data(
        future={
            "description": "After the fix",
            "stages": [
                {
                    "id": "f-find",
                    "name": "Find",
                    "current": "find",
                    "steps": [{"id": "f-search", "name": "Filter", "current": "search"}],
                }
            ],
        }
    )
    journey = JourneyMap.model_validate(data)
    assert journey.future is not None
    assert journey.future.stages[0].steps[0].current == "search"


def test_evidence_rule_needs_exactly_one_name_test() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        EvidenceRule()
    with pytest.raises(ValidationError, match="exactly one"):
        EvidenceRule(event="a", event_glob="a*")
    assert EvidenceRule(event_in=["a", "b"], where=["channel != web"]).where[0].op == "!="


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("channel == app", ("channel", "==", "app")),
        ("amount > 10.5", ("amount", ">", 10.5)),
        ("region not_in [north, 'south']", ("region", "not_in", ["north", "south"])),
        ("coupon exists", ("coupon", "exists", None)),
        ("page glob /tours/*", ("page", "glob", "/tours/*")),
        ("code regex 42", ("code", "regex", "42")),  # a number is read as its pattern
    ],
)
def test_condition_strings(text: str, expected: tuple) -> None:
    condition = Condition.model_validate(text)
    assert (condition.attribute, condition.op, condition.value) == expected


def test_regex_condition_needs_a_text_pattern() -> None:
    with pytest.raises(ValidationError, match="needs a text pattern"):
        Condition(attribute="code", op="regex", value=[[]])
    with pytest.raises(ValidationError, match="invalid regular expression"):
        Condition(attribute="code", op="regex", value="(")


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        JourneyMap.model_validate(tiny_map_data(colour="red"))
