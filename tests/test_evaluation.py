"""One evaluation behind every surface: the command line and Python give the same documents,
one engine is opened and closed, the journeys are prepared once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import journeyscope
from journeyscope import evaluation as evaluation_module
from journeyscope.analytics import JourneyOptions
from journeyscope.cli.main import app
from journeyscope.demo import DEMO_SETTINGS
from journeyscope.evaluation import (
    AnalysisOptions,
    EvaluationSettings,
    Sources,
    evaluate,
    quarantine_path,
)
from journeyscope.formats import load_template, save_map
from journeyscope.insights import (
    InsightOptions,
    JsonDecisionStore,
    StalenessOptions,
    decisions_path,
)
from journeyscope.model import InsightSettings

from .conftest import BACKENDS


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from journeyscope.synth.tour_de_farce import generate_tour_de_farce

    folder = tmp_path_factory.mktemp("tour")
    data = generate_tour_de_farce(folder / "data", customers=500, with_surveys=True)
    # with the demo's money settings, so pain points carry value at risk
    journey = load_template("tour-de-farce", "en")
    journey = journey.model_copy(update={"insights": InsightSettings.model_validate(DEMO_SETTINGS)})
    data["map"] = save_map(journey, folder / "tdf.yaml")
    return data


def _sources(tour: dict[str, Path]) -> Sources:
    events, surveys = str(tour["events"]), str(tour["surveys"])
    return Sources(events, customers=str(tour["customers"]), surveys=surveys,
                   quarantine=quarantine_path(events),
                   survey_quarantine=quarantine_path(surveys))  # fmt: skip


def _cli_json(runner: CliRunner, *args: str) -> dict[str, Any]:
    result = runner.invoke(app, list(args))
    assert result.exit_code in (0, 1), result.output
    return dict(json.loads(result.stdout))


def test_the_command_line_and_python_give_the_same_documents(
    tour: dict[str, Path], runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # the CLI's quarantine files go to the working folder
    journey = journeyscope.load_map(tour["map"])
    files = ["-e", str(tour["events"]), "--customers", str(tour["customers"])]
    surveys = ["--surveys", str(tour["surveys"])]
    settings = EvaluationSettings(decisions=JsonDecisionStore(decisions_path(tour["map"])))
    result = evaluate(journey, _sources(tour), settings)
    assert result.analysis is not None and result.insights is not None

    insights = _cli_json(runner, "insights", str(tour["map"]), *files, *surveys, "-f", "json")
    assert insights == json.loads(result.insights.to_json())
    assert insights["pain_points"], "the Tour De Farce data has pain points to find"

    analysis = _cli_json(runner, "analyze", str(tour["map"]), *files, "-f", "json")
    assert analysis == json.loads(result.analysis.to_json())

    check = _cli_json(runner, "check", str(tour["map"]), *files, *surveys, "-f", "json")
    staleness = evaluate(journey, _sources(tour), EvaluationSettings(scope="staleness"))
    assert check == json.loads(json.dumps(staleness.check_report()))
    # the staleness check alone says what the whole evaluation says
    assert check["staleness"] == insights["staleness"]


class _Spy:
    """Counts what evaluate does with the real engine and the real prepare."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.opened: list[Any] = []
        self.closed = 0
        self.prepared = 0
        real_connect, real_prepare = evaluation_module.connect, evaluation_module.prepare

        def connect(log: Any, *args: Any, **kwargs: Any) -> Any:
            engine = real_connect(log, *args, **kwargs)
            real_close = engine.close

            def close() -> None:
                self.closed += 1
                real_close()

            engine.close = close  # type: ignore[method-assign]
            self.opened.append(engine)
            return engine

        def prepare(*args: Any, **kwargs: Any) -> Any:
            self.prepared += 1
            return real_prepare(*args, **kwargs)

        monkeypatch.setattr(evaluation_module, "connect", connect)
        monkeypatch.setattr(evaluation_module, "prepare", prepare)


def test_one_engine_opened_and_closed_and_the_journeys_prepared_once(
    tour: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    journey = journeyscope.load_map(tour["map"])
    spy = _Spy(monkeypatch)
    evaluate(journey, _sources(tour))
    assert (len(spy.opened), spy.closed, spy.prepared) == (1, 1, 1)
    # a segmented analysis needs its own journeys: prepared twice, still one engine
    segmented = AnalysisOptions(journeys=JourneyOptions(segment_by="persona"))
    evaluate(journey, _sources(tour), EvaluationSettings(analysis=segmented))
    assert (len(spy.opened), spy.closed, spy.prepared) == (2, 2, 3)
    # a failure still closes the engine
    broken = EvaluationSettings(insights=InsightOptions(staleness=StalenessOptions()))
    monkeypatch.setattr(evaluation_module, "compute_insights", _boom)
    with pytest.raises(RuntimeError, match="boom"):
        evaluate(journey, _sources(tour), broken)
    assert (len(spy.opened), spy.closed) == (3, 3)


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("boom")


def test_an_evaluation_shows_in_a_notebook(tour: dict[str, Path], tmp_path: Path) -> None:
    from journeyscope.evaluation import Evaluation
    from journeyscope.render.notebook import install_notebook_display

    install_notebook_display(Evaluation)
    sources = Sources(str(tour["events"]), customers=str(tour["customers"]),
                      surveys=str(tour["surveys"]))  # fmt: skip
    result = evaluate(journeyscope.load_map(tour["map"]), sources)
    html = result._repr_html_()  # type: ignore[attr-defined]
    assert "Evaluation of tour-de-farce" in html and "rows loaded" in html
    assert "⚠ " in html and "customers" in html and "Map status:" in html


def test_evaluate_is_the_package_s_one_call() -> None:
    assert journeyscope.evaluate is evaluate
    assert {"evaluate", "Sources", "EvaluationSettings", "Evaluation"} <= set(dir(journeyscope))


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    from .test_web_support import running_world

    yield from running_world(tmp_path, request.param)


def _without_file_names(document: dict[str, Any]) -> dict[str, Any]:
    """The document with where each surface keeps its quarantine file left out (the command
    line writes beside the data, the workspace into its own folder)."""
    for report in (document.get("load"), document.get("surveys")):
        if report:
            report.pop("quarantine_file")
    return document


def test_the_workspace_and_the_command_line_give_the_same_insights(
    world: Any, tour: dict[str, Path], runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same map, events, customers and surveys: `insights --format json` and the
    evaluation the workspace stores after an upload through the API are one document — pain
    points with their keys, customers, value at risk and handling cost; KPIs; improvements;
    validation; staleness — on SQLite and PostgreSQL."""
    from .test_web_support import wait_for_analysis

    journey = journeyscope.load_map(tour["map"])
    store = world.app.state.store
    map_id = store.create_map(world.workspace, journey, world.users["owner"]).id
    api = world.api("editor")
    names = {"file": "events", "customers": "customers", "surveys": "surveys"}
    files = {field: (tour[role].name, tour[role].read_bytes()) for field, role in names.items()}
    queued = api.post(f"/api/maps/{map_id}/analyses", files=files)
    assert queued.status_code == 202, queued.text
    assert queued.json()["filename"] == "events.csv + customers.csv + surveys.csv"
    status = wait_for_analysis(api, map_id, queued.json()["id"])
    assert status["status"] == "done", status
    stored = api.get(f"/api/maps/{map_id}/analyses/{queued.json()['id']}?include_result=true")
    workspace = stored.json()["insights"]
    # the documented route gives the same document (tests/test_web_evidence.py goes through
    # the data-source pages with a CRM export to the same end)
    assert api.get(f"/api/maps/{map_id}/evaluation").json() == workspace

    monkeypatch.chdir(tour["events"].parent)  # the CLI reads the same files by the same names
    cli = _cli_json(runner, "insights", str(tour["map"]), "-e", "events.csv", "--customers",
                    "customers.csv", "--surveys", "surveys.csv", "-f", "json")  # fmt: skip
    assert cli["pain_points"] and any(p["value_at_risk"] for p in cli["pain_points"])
    assert _without_file_names(workspace) == _without_file_names(cli)
    # and the workspace's map shows that evaluation's lane, pain points with their money
    lane = stored.json()["step_metrics"]
    assert any("at risk" in figure for step in lane.values() for figure in step.values())


def test_the_evidence_page_takes_customers_and_surveys_too(
    world: Any, tour: dict[str, Path]
) -> None:
    """The browser's upload form: the event file with the optional customers and survey
    files, evaluated together (the survey answers reach the insights)."""
    from .test_web_support import wait_for_analysis

    store = world.app.state.store
    map_id = store.create_map(world.workspace, journeyscope.load_map(tour["map"]),
                              world.users["owner"]).id  # fmt: skip
    page = world.client("editor")
    form = page.get(f"/maps/{map_id}/evidence").text
    assert 'name="customers"' in form and 'name="surveys"' in form
    files = {field: (tour[role].name, tour[role].read_bytes())
             for field, role in (("file", "events"), ("customers", "customers"),
                                 ("surveys", "surveys"))}  # fmt: skip
    sent = page.form(f"/maps/{map_id}/evidence", files=files, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    api = world.api("viewer")
    latest = api.get(f"/api/maps/{map_id}/analyses").json()[0]
    assert wait_for_analysis(api, map_id, latest["id"])["status"] == "done"
    full = api.get(f"/api/maps/{map_id}/analyses/{latest['id']}?include_result=true").json()
    assert full["insights"]["summary"]["answers"] > 0
    assert full["insights"]["surveys"]["source"] == "surveys.csv"
