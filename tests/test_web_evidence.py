"""The evidence loop through the workspace's pages: data sources with a column-mapping step,
the binding editor, and the answers — the same document `journeyscope insights` prints."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from journeyscope.cli.main import app as cli
from journeyscope.formats import load_template, parse_map
from journeyscope.web.pages_binding import apply_binding, bound_step
from journeyscope.web.sources import FileProblem, guess_mapping, mapping_from_form, preview
from journeyscope.web.xlsx import WorkbookError, xlsx_to_csv

from .conftest import BACKENDS
from .evidence_data import crm_exports, team_event
from .test_web_support import WebClient, running_world, wait_for_analysis

CRM_COLUMNS = {
    "customer_id": "Client No",
    "ts": "Activity Date",
    "event": "Interaction",
    "channel": "Channel Used",
    "ts_format": "%d.%m.%Y %H:%M",
    "timezone": "UTC",
}
SURVEY_COLUMNS = {c: c for c in ("customer_id", "ts", "score", "kind", "comment", "touchpoint",
                                 "step", "event")}  # fmt: skip


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return crm_exports(tmp_path_factory.mktemp("crm"))


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    yield from running_world(tmp_path, request.param)


def upload(page: WebClient, map_id: int, path: Path, **fields: str) -> str:
    """Upload a file as a new source (or a period of ``source``): the mapping page's URL."""
    token = page.csrf("/account")
    data = {"csrf_token": token, "source": "new", **fields}
    files = {"file": (path.name, path.read_bytes())}
    sent = page.post(f"/maps/{map_id}/sources", data=data, files=files, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    return str(sent.headers["location"])


def confirm(page: WebClient, url: str, columns: dict[str, str]) -> Any:
    return page.post(url, data={"csrf_token": page.csrf("/account"), **columns},
                     follow_redirects=False)  # fmt: skip


def analyse(page: WebClient, map_id: int) -> int:
    """Press "Analyse the data": the queued analysis's id."""
    token = page.csrf("/account")
    sent = page.post(f"/maps/{map_id}/sources/analyse", data={"csrf_token": token},
                     follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303, sent.text
    return int(sent.headers["location"].rsplit("/", 1)[1])


def binding_form(journey: Any, names: list[str]) -> dict[str, str]:
    """Bind each of the team's event names to the step the template binds its original to."""
    form: dict[str, str] = {}
    originals = {team_event(o): o for o in _original_names(journey)}
    for n, name in enumerate(names, 1):
        step, cond, _ = bound_step(journey, originals.get(name, ""))
        form[f"event:{n}"] = name
        form[f"step:{n}"] = step or ""
        form[f"attr:{n}"], form[f"value:{n}"] = cond.get("attribute", ""), cond.get("value", "")
    return form


def _original_names(journey: Any) -> list[str]:
    names = []
    for _, step in journey.steps():
        for rule in step.evidence:
            names += [rule.event] if rule.event else list(rule.event_in or [])
    return names


def test_the_columns_of_a_crm_export_are_guessed(exports: dict[str, Path]) -> None:
    sample = preview(exports["events"])
    assert sample.columns == ["Client No", "Activity Date", "Interaction", "Channel Used"]
    guessed = guess_mapping("events", sample)
    expected = {k: v for k, v in CRM_COLUMNS.items()}
    assert {k: guessed[k] for k in expected} == expected
    surveys = guess_mapping("surveys", preview(exports["surveys"]))
    assert {k: surveys[k] for k in SURVEY_COLUMNS} == SURVEY_COLUMNS
    assert surveys["ts_format"] is None  # ISO times read as they are


def test_a_correction_is_checked_next_to_its_control(exports: dict[str, Path]) -> None:
    columns = preview(exports["events"]).columns
    twice = {**CRM_COLUMNS, "event": "Client No"}
    with pytest.raises(FileProblem) as caught:
        mapping_from_form("events", twice, columns)
    assert (caught.value.field, caught.value.key) == ("event", "sources.error.twice")
    with pytest.raises(FileProblem) as caught:
        mapping_from_form("events", {**CRM_COLUMNS, "timezone": "Mars/Olympus"}, columns)
    assert caught.value.field == "timezone"
    with pytest.raises(FileProblem) as caught:
        mapping_from_form("events", {**CRM_COLUMNS, "ts": ""}, columns)
    assert (caught.value.field, caught.value.key) == ("ts", "sources.error.required")


def _bomb(path: Path) -> Path:
    """A zip with the parts of a workbook, one of them 300 MB of zeros packed to ~300 KB."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            block = b"\0" * (1 << 20)
            for _ in range(300):
                part.write(block)
    return path


def test_an_excel_workbook_is_read_and_a_zip_bomb_refused(
    exports: dict[str, Path], tmp_path: Path
) -> None:
    rows = xlsx_to_csv(exports["customers"], tmp_path / "customers.csv")
    assert rows == 241  # the header and 240 customers
    assert (tmp_path / "customers.csv").read_text().splitlines()[0] == (
        "customer_id,segment,region,device"
    )
    with pytest.raises(WorkbookError, match="zip bomb"):
        xlsx_to_csv(_bomb(tmp_path / "bomb.xlsx"), tmp_path / "bomb.csv")
    (tmp_path / "text.xlsx").write_text("customer_id\nA\n")
    with pytest.raises(WorkbookError, match="not an Excel workbook"):
        xlsx_to_csv(tmp_path / "text.xlsx", tmp_path / "text.csv")


def test_the_evaluation_route_is_the_command_line_s_document(
    world: Any, exports: dict[str, Path], runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CRM export with its own column names, date format and event names, an Excel
    customers file and a survey file, through the pages: upload, confirm the columns, bind
    the team's event names to steps, analyse. /api/maps/{id}/evaluation is the document
    `journeyscope insights --format json` prints for the saved map and the same files."""
    store = world.app.state.store
    journey = load_template("tour-de-farce", "en")
    map_id = store.create_map(world.workspace, journey, world.users["owner"]).id
    page = world.client("editor")
    url = upload(page, map_id, exports["events"], role="events", name="CRM")
    mapping_page = page.get(url).text
    assert 'value="%d.%m.%Y %H:%M"' in mapping_page  # the date format was guessed
    assert confirm(page, url, CRM_COLUMNS).status_code == 303
    url = upload(page, map_id, exports["customers"], role="customers", name="Customers")
    assert confirm(page, url, {"customer_id": "customer_id"}).status_code == 303
    url = upload(page, map_id, exports["surveys"], role="surveys", name="Survey")
    assert confirm(page, url, SURVEY_COLUMNS).status_code == 303
    sources = page.get(f"/maps/{map_id}/sources").text
    assert "6 rows were set aside" in sources  # counts per file, in words
    assert "2 × no customer" in sources and "1 × no event name" in sources
    assert "--map" not in sources and str(world.data_dir) not in sources

    binding = page.get(f"/maps/{map_id}/binding").text
    names = re.findall(r'name="event:\d+" value="([^"]+)"', binding)
    assert "CRM Newsletter Sent" in names and len(names) >= 15
    form = {"csrf_token": page.csrf("/account"), "base_version": "1",
            **binding_form(journey, names)}  # fmt: skip
    saved = page.post(f"/maps/{map_id}/binding", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    bound, version = store.load_journey(map_id)
    assert version == 2 and bound_step(bound, "CRM Booking Complete")[0] == "book-tour/booking-form"
    money = {"csrf_token": page.csrf("/account"), "base_version": "2",
             "value_per_customer": "1150", "cost:phone": "6.5", "cost:chat": "2"}  # fmt: skip
    assert page.post(f"/maps/{map_id}/binding/money", data=money,
                     follow_redirects=False).status_code == 303  # fmt: skip
    priced, _ = store.load_journey(map_id)
    assert priced.insights is not None and priced.insights.channel_costs["phone"] == 6.5

    analysis_id = analyse(page, map_id)
    api = world.api("viewer")
    assert wait_for_analysis(api, map_id, analysis_id)["status"] == "done"
    route = api.get(f"/api/maps/{map_id}/evaluation")
    assert route.status_code == 200
    document = route.json()
    assert document["summary"]["mapped_events"] > 0.8 * document["summary"]["events"]

    folder = exports["events"].parent
    (folder / "customers.csv").write_text(_csv_of(exports["customers"], folder))
    shutil.copy(exports["surveys"], folder / "surveys.csv")  # the CLI reads the same names
    (folder / "bound.yaml").write_text(store.map_text(map_id)[0], encoding="utf-8")
    monkeypatch.chdir(folder)
    maps = [f"--map={k}={v}" for k, v in CRM_COLUMNS.items()]
    result = runner.invoke(cli, ["insights", "bound.yaml", "-e", exports["events"].name,
                                 *maps, "--customers", "customers.csv", "--surveys",
                                 "surveys.csv", "-f", "json"])  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    printed = json.loads(result.stdout)
    printed["load"].pop("quarantine_file"), document["load"].pop("quarantine_file")
    printed["surveys"].pop("quarantine_file"), document["surveys"].pop("quarantine_file")
    assert document == printed
    assert any(p["value_at_risk"] for p in document["pain_points"])
    assert "/api/maps/{map_id}/evaluation" in api.get("/openapi.json").json()["paths"]


def _csv_of(workbook: Path, folder: Path) -> str:
    target = folder / "customers-from-xlsx.csv"
    xlsx_to_csv(workbook, target)
    return target.read_text(encoding="utf-8")


def test_a_later_file_is_a_new_period_and_old_files_expire(
    tmp_path: Path, exports: dict[str, Path]
) -> None:
    from .test_web_support import build_world

    built = build_world(tmp_path, source_retention_days=30)
    from starlette.testclient import TestClient

    with TestClient(built.app):
        store = built.app.state.store
        map_id = built.map_id
        page = built.client("editor")
        first = upload(page, map_id, exports["events"], role="events", name="CRM")
        assert confirm(page, first, CRM_COLUMNS).status_code == 303
        source = store.sources(map_id)[0]
        url = upload(page, map_id, exports["events"], source=str(source.id))
        again = page.get(url).text  # the later period keeps the source's columns
        assert re.search(r'<option value="Activity Date" selected', again)
        assert confirm(page, url, CRM_COLUMNS).status_code == 303
        source = store.sources(map_id)[0]
        assert [f.period for f in source.files] == [1, 2]
        kept = [built.data_dir / f.stored for f in source.files]
        assert all(path.is_file() for path in kept)
        # an analysis reads both periods and keeps the files
        analysis_id = analyse(page, map_id)
        status = wait_for_analysis(built.api("viewer"), map_id, analysis_id)
        assert status["status"] == "done", status
        full = store.get_analysis(map_id, analysis_id, full=True)
        one = source.files[0].report or {}
        assert full.result["load"]["read"] == 2 * one["read"]  # type: ignore[index]
        assert all(path.is_file() for path in kept)
        # past the retention the files and their periods go
        built.app.state.settings.source_retention_days = 0
        page.get(f"/maps/{map_id}/sources")
        assert store.sources(map_id)[0].files == []
        assert not any(path.exists() for path in kept)


def test_a_zip_bomb_upload_is_refused_in_words(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from .test_web_support import build_world

    built = build_world(tmp_path)
    with TestClient(built.app):
        page = built.client("editor")
        bomb = _bomb(tmp_path / "customers.xlsx")
        token = page.csrf("/account")
        sent = page.post(f"/maps/{built.map_id}/sources",
                         data={"csrf_token": token, "source": "new", "role": "customers"},
                         files={"file": ("customers.xlsx", bomb.read_bytes())})  # fmt: skip
        assert sent.status_code == 400
        assert "zip bomb" in sent.text
        folder = built.data_dir / "sources"
        assert not any(p.is_file() for p in folder.rglob("*")) if folder.exists() else True
        assert built.app.state.store.sources(built.map_id)[0].files == []


def test_binding_forms_save_through_the_map_format(shop: Any) -> None:
    form = {"event:1": "app_checkout", "step:1": shop.stages[-1].steps[-1].id,
            "attr:1": "channel", "value:1": "app", "event:2": "view", "step:2": ""}  # fmt: skip
    edited = apply_binding(shop, form)
    step = edited.stages[-1].steps[-1]
    rule = next(r for r in step.evidence if r.event == "app_checkout")
    assert rule.where[0].attribute == "channel" and rule.where[0].value == "app"
    from journeyscope.formats import dump_map

    again = parse_map(dump_map(edited))
    assert again == edited
    assert all(r.event != "view" for _, s in again.steps() for r in s.evidence)


@pytest.fixture
def sqlite_world(tmp_path: Path) -> Iterator[Any]:
    yield from running_world(tmp_path, "sqlite")


def test_a_crm_export_on_the_evidence_page_is_sent_to_the_data_page(
    sqlite_world: Any, exports: dict[str, Path]
) -> None:
    """The old one-step upload reads the standard column names only: a CRM export fails with
    words about the page's own controls, never the command line's --map or a server path."""
    world = sqlite_world
    page = world.client("editor")
    files = {"file": (exports["events"].name, exports["events"].read_bytes())}
    sent = page.form(f"/maps/{world.map_id}/evidence", files=files, follow_redirects=False)
    assert sent.status_code == 303
    analysis_id = int(sent.headers["location"].rsplit("/", 1)[1])
    status = wait_for_analysis(world.api("viewer"), world.map_id, analysis_id)
    assert status["status"] == "failed" and "--map" not in status["error"]
    for lang, words in (("en", "Add it on the Data sources page"), ("pl", "Źródła danych")):
        html = page.get(f"/maps/{world.map_id}/analyses/{analysis_id}?lang={lang}").text
        assert words in html
        error = html.split('id="analysis-error">')[1].split("</p>")[0]
        assert "--map" not in error and str(world.data_dir) not in error and "/tmp" not in error
        assert "customer_id" in error


def test_a_rule_the_form_cannot_show_is_left_alone(shop: Any) -> None:
    """An exact rule with two conditions: the editor shows the event as bound by the map file
    and posts nothing for it, so a save keeps both conditions."""
    from journeyscope.model import Condition, EvidenceRule

    step = shop.stages[0].steps[0]
    rule = EvidenceRule(event="promo_view", where=[
        Condition(attribute="channel", op="==", value="app"),
        Condition(attribute="region", op="in", value=["north", "south"]),
    ])  # fmt: skip
    data = shop.model_dump(mode="json", exclude_none=True)
    data["stages"][0]["steps"][0]["evidence"] = [rule.model_dump(mode="json", exclude_none=True)]
    journey = type(shop).model_validate(data)
    assert bound_step(journey, "promo_view") == (step.id, {}, True)
    edited = apply_binding(journey, {"event:1": "other", "step:1": step.id})
    kept = next(r for r in edited.stages[0].steps[0].evidence if r.event == "promo_view")
    assert len(kept.where) == 2


def test_kpi_and_launch_forms_make_map_fields() -> None:
    from journeyscope.formats import dump_map
    from journeyscope.web.pages_binding import FieldError, apply_opportunity, kpi_from_form

    journey = load_template("tour-de-farce", "en")
    kpi = kpi_from_form(journey, {"kpi_name": "Booking rate", "numerator": "CRM Booking Complete",
                                  "denominator": "view-tour", "per": "customers", "unit": "%",
                                  "target": "30", "direction": "higher"})  # fmt: skip
    assert kpi.formula == "count_customers(CRM Booking Complete) / count_customers(view-tour)"
    assert (kpi.id, kpi.target, kpi.unit) == ("booking-rate", 0.3, "%")
    with pytest.raises(FieldError) as caught:
        kpi_from_form(journey, {"kpi_name": "x", "numerator": "a(b)"})
    assert caught.value.field == "numerator"
    opportunity = next(o for _, s in journey.steps() for o in s.opportunities)
    form = {"opportunity": opportunity.id, "launch_date": "2026-09-01", "status": "launched",
            "effort": "low", "expected_effect": "fewer calls", f"kpi:{kpi.id}": "1",
            f"kpi:{journey.kpis[0].id}": "1"}  # fmt: skip
    launched = apply_opportunity(journey, form)
    again = parse_map(dump_map(launched))
    saved = next(o for _, s in again.steps() for o in s.opportunities if o.id == opportunity.id)
    assert (str(saved.launch_date), saved.status, saved.effort) == ("2026-09-01", "launched", "low")
    assert saved.kpis == [journey.kpis[0].id]  # the new KPI is not on this map: not kept
    with pytest.raises(FieldError) as caught:
        apply_opportunity(journey, {**form, "launch_date": "1 Sept"})
    assert caught.value.field == "launch_date"
