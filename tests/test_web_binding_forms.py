"""The binding editor's forms (issue 15 item 2): event names bound to touchpoints, personas
from customer attributes and wait targets — each a map field, saved through the map file
format and read back the same."""

from __future__ import annotations

import pytest

from journeyscope.formats import dump_map, load_template, parse_map
from journeyscope.web.pages_binding import FieldError, apply_binding, bound_step


@pytest.fixture
def tour() -> object:
    return load_template("tour-de-farce", "en")


def test_an_event_bound_to_a_touchpoint_is_a_rule_on_the_touchpoint(tour: object) -> None:
    form = {"event:1": "CRM Support Call", "step:1": "contact-support/support-phone",
            "attr:1": "channel", "value:1": "phone", "event:2": "CRM Home Visit",
            "step:2": "visit-site"}  # fmt: skip
    edited = apply_binding(tour, form)  # type: ignore[arg-type]
    again = parse_map(dump_map(edited))
    assert again == edited
    phone = next(tp for s, tp in again.touchpoints() if tp.id == "support-phone")
    rule = next(r for r in phone.evidence if r.event == "CRM Support Call")
    assert (rule.where[0].attribute, rule.where[0].value) == ("channel", "phone")
    assert bound_step(again, "CRM Support Call") == (
        "contact-support/support-phone",
        {"attribute": "channel", "value": "phone"},
        False,
    )
    assert bound_step(again, "CRM Home Visit")[0] == "visit-site"
    # moved to a step: the touchpoint rule goes, the step gets it
    moved = apply_binding(again, {"event:1": "CRM Support Call", "step:1": "contact-support"})
    assert all(r.event != "CRM Support Call" for _, tp in moved.touchpoints() for r in tp.evidence)
    assert bound_step(moved, "CRM Support Call")[0] == "contact-support"


def test_a_touchpoint_of_another_step_is_refused_next_to_its_control(tour: object) -> None:
    with pytest.raises(FieldError) as caught:
        apply_binding(tour, {"event:3": "x", "step:3": "visit-site/support-phone"})  # type: ignore[arg-type]
    assert caught.value.field == "step:3"


def test_a_template_event_on_a_touchpoint_shows_there(tour: object) -> None:
    # newsletter_click is bound only by the newsletter touchpoint's rule
    assert bound_step(tour, "newsletter_click")[0] == "read-newsletter/newsletter"  # type: ignore[arg-type]
