"""Property: any valid map survives save -> load unchanged, in YAML and in JSON."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeyscope.formats import load_map, parse_map, save_map
from journeyscope.model import JourneyMap

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
LABEL = TEXT.filter(lambda s: 0 < len(s) <= 500)
LINES = st.lists(TEXT, max_size=3)
SCORE = st.one_of(st.none(), st.integers(-3, 3), st.floats(-3, 3, allow_nan=False))
CONDITION = st.fixed_dictionaries(
    {
        "attribute": st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True),
        "op": st.sampled_from(["==", "!=", ">", "<=", "glob"]),
        "value": st.one_of(TEXT, st.integers(-1000, 1000)),
    }
)
RULE = st.one_of(
    st.fixed_dictionaries({"event": LABEL, "where": st.lists(CONDITION, max_size=2)}),
    st.fixed_dictionaries({"event_in": st.lists(LABEL, min_size=1, max_size=3)}),
    st.fixed_dictionaries({"event_glob": LABEL}),
)


@st.composite
def journey_maps(draw: st.DrawFn) -> JourneyMap:
    prefix = draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,6}", fullmatch=True))
    ids = (f"{prefix}-{n}" for n in range(1000))
    personas = [
        {
            "id": next(ids),
            "name": draw(LABEL),
            "goals": draw(LINES),
            "attributes": {"age": draw(TEXT)},
            "photo": draw(
                st.sampled_from(
                    ["images/a.png", "p/b-1.jpeg", "data:image/png;base64,iVBORw0KGgo="]
                )
            ),
            "age": draw(st.one_of(st.none(), TEXT)),
            "occupation": draw(st.one_of(st.none(), TEXT)),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    persona_ids = [p["id"] for p in personas]
    stages = [_stage(draw, ids, persona_ids) for _ in range(draw(st.integers(1, 3)))]
    steps = [step for stage in stages for step in stage["steps"]]
    data: dict[str, Any] = {
        "id": next(ids),
        "title": draw(LABEL),
        "scope": draw(st.sampled_from(["experience", "lifecycle"])),
        "description": draw(st.one_of(st.none(), TEXT)),
        "language": draw(st.sampled_from(["en", "ru", "he", "pl", "pt-BR"])),
        "personas": personas,
        "stages": stages,
    }
    if steps:
        data["paths"] = [
            {
                "id": next(ids),
                "name": draw(LABEL),
                "kind": draw(st.sampled_from(["happy", "unhappy", "exception"])),
                "steps": draw(st.lists(st.sampled_from([s["id"] for s in steps]), min_size=1)),
            }
        ]
        data["kpis"] = [
            {
                "id": next(ids),
                "name": draw(LABEL),
                "target": draw(st.floats(0, 1)),
                "touchpoints": [steps[0]["id"]],
            }
        ]
        if draw(st.booleans()):
            data["future"] = {
                "description": draw(TEXT),
                "stages": [
                    {
                        "id": next(ids),
                        "name": draw(LABEL),
                        "current": stages[0]["id"],
                        "steps": [
                            {"id": next(ids), "name": draw(LABEL), "current": steps[0]["id"]}
                        ],
                    }
                ],
            }
    return JourneyMap.model_validate(data)


def _stage(draw: st.DrawFn, ids: Any, persona_ids: list[str]) -> dict[str, Any]:
    return {
        "id": next(ids),
        "name": draw(LABEL),
        "color": draw(st.one_of(st.none(), st.from_regex(r"#[0-9a-f]{6}", fullmatch=True))),
        "steps": [_step(draw, ids, persona_ids) for _ in range(draw(st.integers(0, 3)))],
    }


def _step(draw: st.DrawFn, ids: Any, persona_ids: list[str]) -> dict[str, Any]:
    persona = st.one_of(st.none(), st.sampled_from(persona_ids)) if persona_ids else st.none()
    return {
        "id": next(ids),
        "name": draw(LABEL),
        "kind": draw(st.sampled_from(["required", "optional"])),
        "actions": draw(LINES),
        "thoughts": draw(LINES),
        "pain_points": draw(LINES),
        "moment_of_truth": draw(st.booleans()),
        "feelings": [{"persona": draw(persona), "score": draw(SCORE), "words": draw(LINES)}],
        "touchpoints": [
            {
                "id": next(ids),
                "name": draw(LABEL),
                "channel": draw(st.sampled_from(["web", "email", "store", "kiosk"])),
                "cost_per_contact": draw(st.one_of(st.none(), st.floats(0, 100))),
                "evidence": draw(st.lists(RULE, max_size=2)),
            }
            for _ in range(draw(st.integers(0, 2)))
        ],
        "opportunities": [
            {
                "id": next(ids),
                "title": draw(LABEL),
                "launch_date": draw(st.one_of(st.none(), st.dates(dt.date(2000, 1, 1)))),
                "priority": draw(st.sampled_from(["low", "high"])),
            }
        ],
        "backstage": {"teams": draw(LINES), "owner": draw(st.one_of(st.none(), TEXT))},
    }


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(journey_maps(), st.sampled_from([".yaml", ".json"]))
def test_save_then_load_is_equal(journey: JourneyMap, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = save_map(journey, Path(directory) / f"map{suffix}")
        assert load_map(path) == journey


@settings(max_examples=30, deadline=None)
@given(journey_maps())
def test_text_of_a_saved_map_is_stable(journey: JourneyMap) -> None:
    from journeyscope.formats import dump_map

    text = dump_map(journey)
    assert dump_map(parse_map(text)) == text
