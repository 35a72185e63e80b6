"""The REST API and the pages it twins: maps, versions, edits, comments, evidence, i18n."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from journeyscope.formats import dump_map, load_map, parse_map
from journeyscope.web.i18n import LANGUAGES, catalogue

from .conftest import BACKENDS
from .test_web_support import DATA, World, running_world, wait_for_analysis


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """Every API test runs on SQLite and on PostgreSQL."""
    yield from running_world(tmp_path, request.param)


def _curve(html: str) -> list[str]:
    return re.findall(r'<path d="([^"]+)"[^>]*class="emotion-curve"', html)


def test_me_templates_and_map_list(world: World) -> None:
    api = world.api("editor")
    me = api.get("/api/me").json()
    assert me["user"]["email"] == "editor@example.com"
    assert me["workspaces"] == [{"id": world.workspace, "name": "Team A", "role": "editor"}]
    names = {t["name"] for t in api.get("/api/templates?lang=he").json()}
    assert len(names) == 8 and "store-visit" in names
    maps = api.get("/api/maps").json()
    assert [m["id"] for m in maps] == [world.map_id]


@pytest.mark.parametrize("lang", ["en", "ru", "he", "pl"])
def test_create_from_every_template_language(world: World, lang: str) -> None:
    api = world.api("editor")
    for name in ("support-agent", "retail-lifecycle"):
        created = api.post("/api/maps", json={"template": name, "language": lang})
        assert created.status_code == 201, created.text
        assert created.json()["map"]["language"] == lang
        assert created.json()["current_version"] == 1


def test_put_saves_versions_and_stale_edits_get_409_with_the_diff(world: World) -> None:
    api = world.api("editor")
    current = api.get(f"/api/maps/{world.map_id}").json()
    assert current["current_version"] == 1 and current["role"] == "editor"
    edited = dict(current["map"], title="Shop, revised")
    saved = api.put(f"/api/maps/{world.map_id}", json={"base_version": 1, "map": edited})
    assert saved.status_code == 200 and saved.json()["current_version"] == 2
    stale = dict(current["map"], description="A competing edit")
    conflict = api.put(f"/api/maps/{world.map_id}", json={"base_version": 1, "map": stale})
    assert conflict.status_code == 409
    body = conflict.json()
    assert (body["base_version"], body["current_version"]) == (1, 2)
    assert [c["sentence"] for c in body["changes"]] == [
        'Map "Shop, revised" (shop): title changed from "Online shop" to "Shop, revised".'
    ]
    assert api.get(f"/api/maps/{world.map_id}").json()["map"]["description"] != "A competing edit"


def test_yaml_export_and_import_round_trip(world: World) -> None:
    api = world.api("editor")
    text = api.get(f"/api/maps/{world.map_id}/yaml").text
    assert text == dump_map(load_map(DATA / "shop.yaml"))
    changed = text.replace("title: Online shop", "title: Imported shop")
    response = api.put(
        f"/api/maps/{world.map_id}/yaml?base_version=1",
        content=changed.encode(),
        headers={"Content-Type": "application/yaml"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["title"] == "Imported shop"
    assert api.get(f"/api/maps/{world.map_id}/yaml?version=2").text == changed
    bad = api.put(
        f"/api/maps/{world.map_id}/yaml?base_version=2",
        content=b"id: x\ntitle: [",
        headers={"Content-Type": "application/yaml"},
    )
    assert bad.status_code == 400 and "syntax" in bad.json()["detail"]


def test_edit_operations_change_the_map_and_the_curve(world: World) -> None:
    api = world.api("editor")
    page = world.client("editor")
    before = _curve(page.get(f"/maps/{world.map_id}").text)
    response = api.post(
        f"/api/maps/{world.map_id}/edit",
        json={"base_version": 1, "op": "step", "fields": {"step": "pay", "name": "Pay now",
              "score__ana": "3", "words__ana": "relief, joy", "pain_points": "Slow\nNo PayPal"}},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    step = response.json()["map"]["stages"][1]["steps"][1]
    assert step["name"] == "Pay now"
    assert step["feelings"] == [{"persona": "ana", "score": 3.0, "words": ["relief", "joy"]}]
    assert step["pain_points"] == ["Slow", "No PayPal"]
    after = _curve(page.get(f"/maps/{world.map_id}").text)
    assert before and after and before != after
    moved = api.post(
        f"/api/maps/{world.map_id}/edit",
        json={
            "base_version": 2,
            "op": "move_step",
            "fields": {"step": "search", "direction": "up"},
        },
    ).json()
    assert [s["id"] for s in moved["map"]["stages"][0]["steps"]] == ["search", "visit"]
    moved = api.post(
        f"/api/maps/{world.map_id}/edit",
        json={"base_version": 3, "op": "move_stage", "fields": {"stage": "buy", "direction": "up"}},
    ).json()
    assert [s["id"] for s in moved["map"]["stages"]] == ["buy", "find"]
    invalid = api.post(
        f"/api/maps/{world.map_id}/edit",
        json={"base_version": 4, "op": "add_step", "fields": {"stage": "buy", "id": "pay"}},
    )
    assert invalid.status_code == 400 and "the edit was not saved" in invalid.json()["detail"]
    stale = api.post(
        f"/api/maps/{world.map_id}/edit",
        json={"base_version": 1, "op": "map", "fields": {"title": "Late"}},
    )  # a stale edit of another field is merged into the newer version (issue 16)
    assert stale.status_code == 200 and stale.json()["current_version"] == 5
    assert [s["id"] for s in stale.json()["map"]["stages"]] == ["buy", "find"]
    clash = api.post(
        f"/api/maps/{world.map_id}/edit",
        json={"base_version": 1, "op": "map", "fields": {"title": "Later"}},
    )
    assert clash.status_code == 409 and clash.json()["current_version"] == 5
    assert clash.json()["conflicts"][0]["theirs"] == "Late"


def test_versions_diff_and_restore(world: World) -> None:
    api = world.api("editor")
    api.post(
        f"/api/maps/{world.map_id}/edit",
        json={"base_version": 1, "op": "add_persona", "fields": {"id": "cy", "name": "Cy"}},
    )
    versions = api.get(f"/api/maps/{world.map_id}/versions").json()
    assert [v["number"] for v in versions] == [2, 1]
    assert versions[0]["author"] == "Editor" and versions[0]["message"] == "add persona"
    diff = api.get(f"/api/maps/{world.map_id}/versions/2/diff").json()
    assert [c["sentence"] for c in diff] == ['Added persona "Cy" (cy).']
    restored = api.post(f"/api/maps/{world.map_id}/versions/1/restore", json={"base_version": 2})
    assert restored.status_code == 200 and restored.json()["current_version"] == 3
    assert [p["id"] for p in restored.json()["map"]["personas"]] == ["ana", "bo"]
    assert api.get(f"/api/maps/{world.map_id}/versions/9/diff").status_code == 404


def test_comments_on_elements(world: World) -> None:
    viewer = world.api("viewer")
    created = viewer.post(
        f"/api/maps/{world.map_id}/comments", json={"element_id": "pay", "body": "Why -2?"}
    )
    assert created.status_code == 201
    comment = created.json()
    assert comment["author"] == "Viewer"
    assert viewer.get(f"/api/maps/{world.map_id}/comments?element_id=pay").json() == [comment]
    assert viewer.get(f"/api/maps/{world.map_id}/comments?element_id=visit").json() == []
    editor = world.api("editor")
    assert editor.delete(f"/api/maps/{world.map_id}/comments/{comment['id']}").status_code == 403
    owner = world.api("owner")
    assert owner.delete(f"/api/maps/{world.map_id}/comments/{comment['id']}").status_code == 204
    page = world.client("viewer")
    response = page.form(f"/maps/{world.map_id}/comments", {"element_id": "search", "body": "Hi"})
    assert response.status_code == 200 and "Hi" in response.text


def test_evidence_upload_runs_in_the_background_and_feeds_the_map(world: World) -> None:
    api = world.api("editor")
    with open(DATA / "events.csv", "rb") as handle:
        response = api.post(
            f"/api/maps/{world.map_id}/analyses", files={"file": ("events.csv", handle)}
        )
    assert response.status_code == 202, response.text
    queued = response.json()
    assert queued["status"] in ("queued", "running", "done") and queued["map_version"] == 1
    status = wait_for_analysis(api, world.map_id, queued["id"])
    assert status["status"] == "done", status
    full = api.get(f"/api/maps/{world.map_id}/analyses/{queued['id']}?include_result=true").json()
    assert full["result"]["schema"] == "journeyscope.analysis/1"
    assert full["result"]["summary"]["customers"] == 40
    assert full["quarantine"]["report"]["reasons"] == {
        "missing customer id": 1,
        "unparseable timestamp": 1,
    }
    assert len(full["quarantine"]["rows"]) == 2
    assert full["step_metrics"]["search"]["reach"] == "80%"
    page = world.client("viewer")
    html = page.get(f"/maps/{world.map_id}").text
    assert "80%" in html and "events.csv" in html
    for sub in ("", "/flows", "/funnel", "/quarantine"):
        response = page.get(f"/maps/{world.map_id}/analyses/{queued['id']}{sub}")
        assert response.status_code == 200, sub
    flows = page.get(f"/maps/{world.map_id}/analyses/{queued['id']}/flows").text
    assert "Sankey" in flows or "sankey" in flows
    assert (
        "unparseable timestamp"
        in page.get(f"/maps/{world.map_id}/analyses/{queued['id']}/quarantine").text
    )
    assert page.get("/assets/plotly.min.js").headers["content-type"].startswith("text/javascript")
    assert [a["id"] for a in api.get(f"/api/maps/{world.map_id}/analyses").json()] == [queued["id"]]


def test_a_broken_event_file_fails_with_a_reason(world: World) -> None:
    api = world.api("editor")
    response = api.post(
        f"/api/maps/{world.map_id}/analyses",
        files={"file": ("events.csv", b"who,when\n1,2\n")},
    )
    status = wait_for_analysis(api, world.map_id, response.json()["id"])
    assert status["status"] == "failed" and "customer" in status["error"]
    wrong = api.post(f"/api/maps/{world.map_id}/analyses", files={"file": ("events.exe", b"MZ")})
    assert wrong.status_code == 400
    assert list((world.data_dir / "uploads").iterdir()) == []


def test_pain_point_board_and_decisions(world: World) -> None:
    api = world.api("editor")
    rows = api.get(f"/api/maps/{world.map_id}/pain-points").json()
    assert rows[0]["text"] == "Card declined without a reason"  # score -2 first
    assert {r["status"] for r in rows} == {"open"}
    key = rows[0]["key"]
    decided = api.put(
        f"/api/maps/{world.map_id}/pain-points",
        json={"pain_point": key, "status": "accepted", "owner": "Payments",
              "opportunity_id": "one-click", "note": "Q3"},
    ).json()  # fmt: skip
    assert decided[0]["status"] == "accepted" and decided[0]["owner"] == "Payments"
    missing = api.put(
        f"/api/maps/{world.map_id}/pain-points", json={"pain_point": "x:y", "status": "open"}
    )
    assert missing.status_code == 404
    page = world.client("editor")
    assert "Payments" in page.get(f"/maps/{world.map_id}/pain-points").text


def test_api_tokens_can_be_made_listed_and_revoked(world: World) -> None:
    api = world.api("editor")
    made = api.post("/api/tokens", json={"name": "script"}).json()
    assert made["token"].startswith("jst_")
    other = world.api()
    other.headers["Authorization"] = f"Bearer {made['token']}"
    assert other.get("/api/me").status_code == 200
    assert api.delete(f"/api/tokens/{made['id']}").status_code == 204
    assert other.get("/api/me").status_code == 401


# --- pages -----------------------------------------------------------------------------------


def test_editor_page_saves_a_step_and_redraws_the_curve(world: World) -> None:
    client = world.client("editor")
    editor = client.get(f"/maps/{world.map_id}/edit")
    assert editor.status_code == 200
    before = _curve(client.get(f"/maps/{world.map_id}").text)  # the editor has no preview now
    form = {
        "op": "step", "base_version": "1", "step": "search", "name": "Search the shop",
        "score__ana": "2.5", "words__ana": "hope", "actions": "Types a query",
        "touchpoints": "search-box | Search box | web", "moment_of_truth_shown": "1",
        "backstage_owner": "Search team", "backstage_systems": "Elastic",
        "opportunities": "fuzzy | Fuzzy search | Search team | planned | high",
    }  # fmt: skip
    saved = client.form(f"/maps/{world.map_id}/edit", form, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].endswith("#el-search")
    assert client.get(saved.headers["location"]).status_code == 200
    assert _curve(client.get(f"/maps/{world.map_id}").text) != before
    journey = world.app.state.store.load_journey(world.map_id)[0]
    step = journey.step("search")
    assert (step.name, step.feeling_for("ana").score) == ("Search the shop", 2.5)
    assert step.touchpoints[0].channel == "web" and step.backstage.owner == "Search team"
    assert step.opportunities[0].status == "planned"


def test_stale_editor_save_merges_or_shows_the_clash_with_409(world: World) -> None:
    client = world.client("editor")
    client.form(
        f"/maps/{world.map_id}/edit", {"op": "map", "base_version": "1", "title": "Newer title"}
    )
    stale = client.form(
        f"/maps/{world.map_id}/edit",
        {"op": "step", "base_version": "1", "step": "pay", "name": "Checkout"},
    )
    # another field: merged into version 2 (issue 16), so both edits are in version 3
    assert stale.status_code == 200
    journey = world.app.state.store.load_journey(world.map_id)[0]
    assert (journey.title, journey.step("pay").name) == ("Newer title", "Checkout")
    clash = client.form(
        f"/maps/{world.map_id}/edit", {"op": "map", "base_version": "1", "title": "Mine"}
    )
    assert clash.status_code == 409
    assert "Newer title" in clash.text and "version 3" in clash.text and "Mine" in clash.text


def test_history_page_lists_diffs_and_restores(world: World) -> None:
    client = world.client("editor")
    client.form(f"/maps/{world.map_id}/edit", {"op": "map", "base_version": "1", "title": "T2"})
    history = client.get(f"/maps/{world.map_id}/history").text
    assert "title changed from" in history
    restored = client.form(f"/maps/{world.map_id}/versions/1/restore", {"base_version": "2"})
    assert restored.status_code == 200
    assert world.app.state.store.load_journey(world.map_id)[0].title == "Online shop"
    assert "title: Online shop" in client.get(f"/maps/{world.map_id}/versions/1").text


def test_new_map_from_template_and_import_pages(world: World) -> None:
    client = world.client("editor")
    assert "store-visit" in client.get("/maps/new").text
    made = client.form("/maps/new", {"template": "product-use", "language": "pl"})
    assert made.status_code == 200 and "/maps/" in str(made.url)
    text = dump_map(load_map(DATA / "shop.yaml"))
    token = client.csrf()
    imported = client.post(
        "/maps/import",
        data={"csrf_token": token},
        files={"file": ("shop.yaml", text.encode())},
    )
    assert imported.status_code == 200 and "Online shop" in imported.text
    exported = client.get(str(imported.url).replace("http://testserver", "") + "/export.yaml")
    assert parse_map(exported.text) == load_map(DATA / "shop.yaml")
    assert "attachment" in exported.headers["content-disposition"]


def test_invite_flow(world: World) -> None:
    owner = world.client("owner")
    page = owner.form("/workspace/invites", {"email": "new@example.com", "role": "viewer"}).text
    link = re.search(r"http://testserver(/invite/[^<\s]+)", page)
    assert link, page
    newcomer = world.client()
    assert "Team A" in newcomer.get(link.group(1)).text
    token = newcomer.csrf(link.group(1))
    short = newcomer.post(
        link.group(1),
        data={"csrf_token": token, "name": "Nia", "password": "short", "password2": "short"},
    )
    assert short.status_code == 400
    joined = newcomer.post(
        link.group(1),
        data={"csrf_token": token, "name": "Nia", "password": PASSWORD2, "password2": PASSWORD2},
    )
    assert joined.status_code == 200 and "Online shop" in joined.text
    assert newcomer.get(link.group(1)).status_code == 404  # used
    assert world.client().sign_in("new@example.com", PASSWORD2).status_code == 303


PASSWORD2 = "another long password"


def test_hebrew_switch_sets_rtl_and_is_remembered(world: World) -> None:
    client = world.client("viewer")
    page = client.get(f"/maps/{world.map_id}?lang=he").text
    assert '<html lang="he" dir="rtl">' in page and "מפה" in page
    assert 'dir="rtl"' in client.get("/maps").text  # the session remembers the choice
    client.form("/account", {"language": "pl"})
    assert '<html lang="pl" dir="ltr">' in client.get("/maps").text
    assert world.app.state.store.get_user(world.users["viewer"]).language == "pl"
    fresh = world.client("viewer")  # a new session starts in the profile's language
    assert '<html lang="pl"' in fresh.get("/maps").text


def test_catalogues_cover_every_key_used() -> None:
    english = catalogue("en")
    templates = resources.files("journeyscope.web") / "templates"
    used = set()
    for path in Path(str(templates)).glob("*.html"):
        used |= set(re.findall(r"_\('([a-z_]+\.[a-z_0-9]+)'", path.read_text(encoding="utf-8")))
    assert used - set(english) == set()
    for lang in LANGUAGES:
        assert set(catalogue(lang)) == set(english), lang
        assert all(value.strip() for value in catalogue(lang).values())
    json.dumps(english)


def test_openapi_describes_the_api(world: World) -> None:
    schema = world.api().get("/openapi.json").json()
    paths = schema["paths"]
    for path in ("/api/maps", "/api/maps/{map_id}", "/api/maps/{map_id}/versions",
                 "/api/maps/{map_id}/analyses", "/api/maps/{map_id}/comments"):  # fmt: skip
        assert path in paths
    assert "409" in paths["/api/maps/{map_id}"]["put"]["responses"]
    assert all(not p.startswith("/maps") for p in paths)  # pages stay out of the API schema
    docs = world.api().get("/docs")
    assert docs.status_code == 200
    assert "http://" not in docs.text and "https://" not in docs.text  # nothing from a CDN
    for asset in re.findall(r'(?:src|href)="(/static/swagger/[^"]+)"', docs.text):
        assert world.api().get(asset).status_code == 200, asset
    assert "/static/swagger/swagger-ui-bundle.js" in docs.text


def test_pain_points_detected_in_the_evidence_are_ranked_and_decided(world: World) -> None:
    api = world.api("editor")
    made = api.post("/api/maps", json={"template": "product-use", "language": "en"}).json()
    url = f"/api/maps/{made['id']}"

    def analyse() -> dict:
        with open(DATA / "product-use-events.csv", "rb") as handle:
            queued = api.post(f"{url}/analyses", files={"file": ("e.csv", handle)}).json()
        assert wait_for_analysis(api, made["id"], queued["id"])["status"] == "done"
        return dict(api.get(f"{url}/analyses/{queued['id']}?include_result=true").json())

    first = analyse()
    detected = first["insights"]["pain_points"]
    assert [p["key"] for p in detected] == ["drop_off:first-clean:all"]
    rows = api.get(f"{url}/pain-points").json()
    assert rows[0]["source"] == "evidence" and rows[0]["customers_affected"] == 12
    assert rows[0]["priority"] > 0 and rows[0]["opportunity_id"] == "opp-first-run-checklist"
    assert {r["source"] for r in rows[1:]} == {"map"}
    api.put(
        f"{url}/pain-points",
        json={"pain_point": "drop_off:first-clean:all", "status": "accepted", "owner": "App"},
    )
    second = analyse()  # the insights engine reads the decision through the database store
    assert second["insights"]["pain_points"][0]["status"] == "accepted"
    page = world.client("editor").get(f"/maps/{made['id']}/pain-points").text
    # the board says it in a sentence, not in the engine's words
    assert "never went on to “Run the first clean”" in page and "12 customers affected" in page
    assert "drop off:" not in page and not re.search(r"priority \d", page)


def test_init_admin_command_creates_the_owner(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from journeyscope.cli.main import app
    from journeyscope.store import open_store, sqlite_url

    runner = CliRunner()
    args = ["init-admin", "--email", "Boss@Example.com", "--password", "long-enough-1",
            "--workspace", "CX", "--language", "ru", "--data-dir", str(tmp_path)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "boss@example.com" in result.output
    again = runner.invoke(app, args)
    assert again.exit_code == 1 and "already exists" in again.output
    short = runner.invoke(app, [*args[:3], "--password", "short", "--data-dir", str(tmp_path)])
    assert short.exit_code == 2
    store = open_store(sqlite_url(tmp_path / "journeyscope.db"))
    user = store.authenticate("boss@example.com", "long-enough-1")
    assert user is not None and user.language == "ru"
    assert [(w.name, w.role) for w in store.workspaces_of(user.id)] == [("CX", "owner")]
    store.close()
    assert runner.invoke(app, ["serve", "--help"]).exit_code == 0


def test_future_state_can_be_started_and_edited(world: World) -> None:
    client = world.client("editor")
    started = client.form(
        f"/maps/{world.map_id}/edit",
        {"op": "add_future", "base_version": "1"},
        follow_redirects=False,
    )
    assert started.headers["location"] == f"/maps/{world.map_id}/edit?state=future&saved=1"
    page = client.get(started.headers["location"]).text
    assert 'name="state" value="future"' in page and "f-pay" in page
    journey = world.app.state.store.load_journey(world.map_id)[0]
    assert journey.future is not None
    assert [(s.id, s.current) for s in journey.future.stages] == [
        ("f-find", "find"),
        ("f-buy", "buy"),
    ]
    saved = client.form(
        f"/maps/{world.map_id}/edit",
        {"op": "step", "state": "future", "base_version": "2", "step": "f-pay",
         "name": "Pay with one click", "score__ana": "2", "pain_points": ""},
        follow_redirects=False,
    )  # fmt: skip
    assert saved.headers["location"].startswith(
        f"/maps/{world.map_id}/edit?state=future&saved=1&open=f-pay"
    )
    journey = world.app.state.store.load_journey(world.map_id)[0]
    assert journey.step("pay").name == "Pay"  # the current state is untouched
    future_pay = journey.future.stages[1].steps[1]
    assert (future_pay.name, future_pay.pain_points) == ("Pay with one click", [])
    both = client.get(f"/maps/{world.map_id}?state=both").text
    assert "Pay with one click" in both and "Future state" in both
