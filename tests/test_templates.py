"""Every bundled template: loads in every language, is filled in, and the languages line up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from journeyscope.formats import TEMPLATE_LANGUAGES, list_templates, load_template
from journeyscope.formats.templates import template_names
from journeyscope.model import JourneyMap

ROOT = Path(__file__).parents[1] / "journeyscope" / "templates"
CASES = [
    (name, lang)
    for name in template_names()
    for lang in TEMPLATE_LANGUAGES
    if (ROOT / name / f"{lang}.yaml").exists()
]


def _shape(journey: JourneyMap) -> Any:
    """Everything but human text: ids, kinds, references, scores, rules."""
    data = journey.model_dump(mode="json")
    text_fields = {
        "title",
        "name",
        "description",
        "quote",
        "goals",
        "behaviours",
        "needs",
        "frustrations",
        "actions",
        "thoughts",
        "words",
        "expectations",
        "experience",
        "pain_points",
        "delights",
        "teams",
        "systems",
        "processes",
        "policies",
        "stakeholders",
        "owner",
        "expected_effect",
        "language",
        "attributes",
        "frequency",
        "cadence",
        "timing",
        "unit",
        "min_label",
        "max_label",
    }

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            # text is translated, but a list keeps its length (a comma must not split an item)
            return {
                k: (len(v) if isinstance(v, list | dict) else None)
                if k in text_fields
                else strip(v)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(data)


@pytest.mark.parametrize(("name", "lang"), CASES)
def test_template_is_a_filled_in_map(name: str, lang: str) -> None:
    journey = load_template(name, lang)
    assert journey.language == lang
    steps = [step for _, step in journey.steps()]
    assert len(journey.stages) >= 3 and len(steps) >= 6
    assert journey.personas and journey.kpis and journey.future and journey.paths
    for step in steps:
        assert step.actions, f"{name}/{lang}: step {step.id} has no actions"
        assert step.touchpoints or step.kind != "required" or step.evidence, step.id
        assert any(f.score is not None for f in step.feelings), f"{step.id} has no emotion score"
        assert step.thoughts, f"{name}/{lang}: step {step.id} has no thoughts"
    assert any(step.pain_points for step in steps)
    assert any(step.opportunities for step in steps)
    assert any(step.backstage and not step.backstage.is_empty() for step in steps)
    assert any(step.evidence or any(tp.evidence for tp in step.touchpoints) for step in steps)


@pytest.mark.parametrize("name", template_names())
def test_languages_share_ids_and_translate_text(name: str) -> None:
    english = load_template(name, "en")
    for lang in TEMPLATE_LANGUAGES[1:]:
        if not (ROOT / name / f"{lang}.yaml").exists():
            continue
        other = load_template(name, lang)
        assert _shape(other) == _shape(english), f"{name}/{lang} differs from en beyond text"
        assert other.title != english.title, f"{name}/{lang} title is not translated"


def test_tour_de_farce_carries_the_brief() -> None:
    journey = load_template("tour-de-farce", "en")
    text = journey.model_dump_json().lower()
    for words in ("filter", "itinerary", "webmaster", "newsletter", "open rate", "click"):
        assert words in text, words
    assert len(journey.personas) >= 2
    future_rules = [
        rule.event
        for stage in journey.future.stages  # type: ignore[union-attr]
        for step in stage.steps
        for rule in [*step.evidence, *(r for tp in step.touchpoints for r in tp.evidence)]
    ]
    assert "itinerary_email_sent" in future_rules
    assert any(kpi.cadence == "weekly" for kpi in journey.kpis)


def test_all_scenarios_in_all_languages() -> None:
    """The seven scenarios of brief R1 plus Tour De Farce, each in en, ru, he and pl."""
    expected = {
        "blog-website",
        "support-agent",
        "store-visit",
        "product-use",
        "sales-process",
        "retail-lifecycle",
        "lifecycle-disposal",
        "tour-de-farce",
    }
    assert set(template_names()) == expected
    for name in expected:
        for lang in TEMPLATE_LANGUAGES:
            assert (ROOT / name / f"{lang}.yaml").exists(), f"{name}/{lang}"


@pytest.mark.parametrize("name", template_names())
def test_kpi_formulas_can_be_computed(name: str) -> None:
    from journeyscope.analytics.kpis import kpi_sql

    for kpi in load_template(name).kpis:
        if kpi.formula:
            kpi_sql(kpi.formula)


def test_list_templates() -> None:
    infos = {info.name: info for info in list_templates("en")}
    assert set(infos) == set(template_names())
    assert infos["tour-de-farce"].scope == "lifecycle"
    assert "en" in infos["tour-de-farce"].languages
