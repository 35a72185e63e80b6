"""The binding editor's forms (issue 15 item 2): event names bound to touchpoints, personas
from customer attributes and wait targets — each a map field, saved through the map file
format and read back the same."""

from __future__ import annotations

from pathlib import Path

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


def test_a_persona_is_placed_by_customer_attributes_and_round_trips(tour: object) -> None:
    from journeyscope.web.binding_forms import apply_persona

    form = {"persona": "family", "pattr:1": "segment", "pop:1": "==", "pvalue:1": "family",
            "pattr:2": "region", "pop:2": "in", "pvalue:2": "north, south",
            "pattr:3": "", "pop:3": "==", "pvalue:3": ""}  # fmt: skip
    edited = apply_persona(tour, form)  # type: ignore[arg-type]
    again = parse_map(dump_map(edited))
    assert again == edited
    family = next(p for p in again.personas if p.id == "family")
    assert [(c.attribute, c.op, c.value) for c in family.segment] == [
        ("segment", "==", "family"), ("region", "in", ["north", "south"])
    ]  # fmt: skip
    added = apply_persona(again, {"persona": "", "persona_name": "Big spenders",
                                  "pattr:1": "age", "pop:1": ">=", "pvalue:1": "40"})  # fmt: skip
    assert added.personas[-1].id == "big-spenders" and added.personas[-1].segment[0].value == 40


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"persona": "family", "pattr:1": "age", "pop:1": ">", "pvalue:1": "forty"}, "pvalue:1"),
        ({"persona": "family", "pattr:2": "segment", "pop:2": "==", "pvalue:2": ""}, "pvalue:2"),
        ({"persona": "", "persona_name": " ", "pattr:1": ""}, "persona_name"),
        ({"persona": "nobody", "pattr:1": ""}, "persona"),
    ],
)
def test_a_persona_form_error_names_its_field(
    tour: object, form: dict[str, str], field: str
) -> None:
    from journeyscope.web.binding_forms import apply_persona

    with pytest.raises(FieldError) as caught:
        apply_persona(tour, form)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_wait_targets_from_the_step_before_or_an_earlier_step(tour: object) -> None:
    from journeyscope.web.binding_forms import apply_waits, wait_rows

    form = {"wstep:1": "wait-itinerary", "whours:1": "48", "wfrom:1": "pay",
            "wstep:2": "pay", "whours:2": "0,5", "wfrom:2": "",
            "wstep:3": "", "whours:3": ""}  # fmt: skip
    edited = apply_waits(tour, form)  # type: ignore[arg-type]
    again = parse_map(dump_map(edited))
    assert again == edited and again.insights is not None
    assert again.insights.wait_targets_hours == {"pay": 0.5}
    (target,) = again.insights.wait_targets
    assert (target.step, target.hours, target.measured_from) == ("wait-itinerary", 48, "pay")
    assert wait_rows(again) == [{"step": "pay", "hours": 0.5, "from": ""},
                                {"step": "wait-itinerary", "hours": 48, "from": "pay"}]  # fmt: skip
    for bad, field in (({"whours:1": "0"}, "whours:1"), ({"wfrom:1": "travel"}, "wfrom:1")):
        with pytest.raises(FieldError) as caught:
            apply_waits(tour, {**form, **bad})  # type: ignore[arg-type]
        assert caught.value.field == field


def test_the_persona_and_wait_forms_save_new_map_versions(tmp_path: Path) -> None:
    """Through the pages: the persona form offers the customers file's columns and values, a
    wrong value is refused next to its box in words, a good save is a new map version whose
    file says the segment, and a save on an old version is refused, not merged."""
    from .evidence_data import crm_exports
    from .test_web_evidence import confirm, upload
    from .test_web_support import running_world

    exports = crm_exports(tmp_path / "crm", customers=40)
    for world in running_world(tmp_path / "w"):
        store = world.app.state.store
        map_id = store.create_map(world.workspace, load_template("tour-de-farce", "en"),
                                  world.users["owner"]).id  # fmt: skip
        page = world.client("editor")
        url = upload(page, map_id, exports["customers"], role="customers", name="Customers")
        assert confirm(page, url, {"customer_id": "customer_id"}).status_code == 303
        html = page.get(f"/maps/{map_id}/binding").text
        assert '<option value="segment" data-list=' in html and 'value="family">' in html
        token = page.csrf("/account")
        post = {"csrf_token": token, "base_version": "1", "persona": "family",
                "pattr:1": "segment", "pop:1": "==", "pvalue:1": "family",
                "pattr:2": "segment", "pop:2": ">", "pvalue:2": "lots"}  # fmt: skip
        refused = page.post(f"/maps/{map_id}/binding/persona", data=post)
        assert refused.status_code == 400
        family_form = refused.text.split('id="persona-family"')[1].split("</form>")[0]
        assert "Write a number here" in family_form.split('name="pvalue:2"')[1]
        saved = page.post(f"/maps/{map_id}/binding/persona", data={**post, "pattr:2": ""},
                          follow_redirects=False)  # fmt: skip
        assert saved.status_code == 303
        journey, version = store.load_journey(map_id)
        assert version == 2
        assert "segment == family" in dump_map(journey) or "value: family" in dump_map(journey)
        waits = {"csrf_token": token, "base_version": "2", "wstep:1": "wait-itinerary",
                 "whours:1": "72", "wfrom:1": "pay"}  # fmt: skip
        assert page.post(f"/maps/{map_id}/binding/waits", data=waits,
                         follow_redirects=False).status_code == 303  # fmt: skip
        journey, version = store.load_journey(map_id)
        assert version == 3 and journey.insights is not None
        assert journey.insights.wait_targets[0].measured_from == "pay"
        stale = page.post(f"/maps/{map_id}/binding/waits", data={**waits, "whours:1": "24"})
        assert stale.status_code == 400 and "Someone saved the map meanwhile" in stale.text
        assert store.load_journey(map_id)[1] == 3


def test_a_kpi_that_counts_nothing_in_the_data_is_named(tour: object) -> None:
    from journeyscope.web.binding_forms import kpis_on_nothing

    crm = ["CRM Newsletter Open", "CRM Booking Complete"]
    found = kpis_on_nothing(tour, crm)  # type: ignore[arg-type]
    # the template's KPIs count its own event names, which a CRM export does not have ...
    assert found["newsletter-open-rate"] == ["newsletter_open", "newsletter_sent"]
    assert kpis_on_nothing(tour, ["newsletter_open"]).get("newsletter-open-rate") is None
    assert kpis_on_nothing(tour, []) == {}  # no data: nothing to say yet
