"""End-to-end tests of the map commands on real files: schema, validate, templates, init."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from journeyscope.cli.main import app
from journeyscope.formats import load_map, load_template

from .conftest import DATA


def test_schema_prints_json_schema(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "JourneyMap"
    assert "stages" in schema["required"]
    assert runner.invoke(app, ["schema", "-o", str(tmp_path / "s.json")]).exit_code == 0
    assert json.loads((tmp_path / "s.json").read_text()) == schema


def test_validate_good_and_broken(runner: CliRunner, tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    assert runner.invoke(app, ["init", str(good), "--template", "tour-de-farce"]).exit_code == 0
    result = runner.invoke(app, ["validate", str(good)])
    assert result.exit_code == 0 and "ok" in result.stdout
    result = runner.invoke(app, ["validate", str(good), str(DATA / "broken" / "duplicate-id.yaml")])
    assert result.exit_code == 2
    assert "duplicate-id.yaml:10:13: stages[0].steps[1].id: duplicate id 'search'" in result.output


def test_templates_lists_every_template(runner: CliRunner) -> None:
    result = runner.invoke(app, ["templates"])
    assert result.exit_code == 0
    assert "tour-de-farce" in result.stdout
    assert load_template("tour-de-farce", "en").title[:20] in result.stdout


def test_init_writes_the_template_and_protects_files(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "en.yaml"
    result = runner.invoke(
        app, ["init", str(target), "--template", "tour-de-farce", "--lang", "en"]
    )
    assert result.exit_code == 0
    assert load_map(target) == load_template("tour-de-farce", "en")
    again = runner.invoke(app, ["init", str(target)])
    assert again.exit_code == 2 and "already exists" in again.output
    unknown = runner.invoke(app, ["init", str(tmp_path / "x.yaml"), "--template", "nope"])
    assert unknown.exit_code == 2 and "tour-de-farce" in unknown.output
    missing_lang = runner.invoke(app, ["init", str(tmp_path / "y.yaml"), "--lang", "xx"])
    assert missing_lang.exit_code == 2 and "no 'xx' version" in missing_lang.output


def test_demo_builds_a_workspace(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    demo = tmp_path / "demo"
    assert load_map(demo / "tour-de-farce.yaml") == load_template("tour-de-farce", "en")
    assert "Search the tour packages" in (demo / "tour-de-farce.html").read_text(encoding="utf-8")
    assert (demo / "tour-de-farce.svg").read_text(encoding="utf-8").startswith("<svg")
    assert (demo / "tour-de-farce.png").read_bytes()[:4] == b"\x89PNG"
    assert "tour-de-farce.html" in result.stdout
    # sample evidence: loaded with its bad rows quarantined, analysed, reported
    analysis = json.loads((demo / "analysis.json").read_text(encoding="utf-8"))
    assert analysis["schema"] == "journeyscope.analysis/1" and analysis["summary"]["customers"]
    assert analysis["load"]["quarantined"] > 0 and (demo / "data" / "quarantine.csv").exists()
    assert "Plotly" in (demo / "report.html").read_text(encoding="utf-8")
    assert "report.html" in result.stdout
