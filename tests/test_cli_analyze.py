"""`journeyscope analyze` end to end on real files: table, JSON, HTML report, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from journeyscope.cli.main import app
from journeyscope.synth.tour_de_farce import generate_tour_de_farce

TDF = Path(__file__).parents[1] / "journeyscope" / "templates" / "tour-de-farce" / "en.yaml"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return generate_tour_de_farce(tmp_path_factory.mktemp("tdf"), customers=300)


def test_analyze_table(runner: CliRunner, sample: dict[str, Path], tmp_path: Path) -> None:
    quarantine = tmp_path / "bad.csv"
    result = runner.invoke(
        app,
        [
            "analyze",
            str(TDF),
            "-e",
            str(sample["events"]),
            "--customers",
            str(sample["customers"]),
            "--quarantine",
            str(quarantine),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Funnel" in result.stdout and "Search the tour packages" in result.stdout
    assert "newsletter_sent" in result.stdout  # not on the map: reported as unmapped
    assert "quarantined to" in result.stderr and quarantine.exists()


def test_analyze_json_follows_the_schema(
    runner: CliRunner, sample: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "a.json"
    result = runner.invoke(
        app,
        [
            "analyze",
            str(TDF),
            "-e",
            str(sample["events"]),
            "--customers",
            str(sample["customers"]),
            "--segment-by",
            "persona",
            "-f",
            "json",
            "-o",
            str(out),
            "--quarantine",
            str(tmp_path / "q.csv"),
            "--funnel",
            "search-tours,view-tour,book-tour",
            "--window-hours",
            "48",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["schema"] == "journeyscope.analysis/1"
    assert {"variants", "flows", "funnel", "reach", "unmapped", "kpis"} <= set(data)
    variant = data["variants"][0]
    assert isinstance(variant["variant"], list) and variant["journeys"] > 0
    flow = next(f for f in data["flows"] if f["source"] == "visit-site")
    assert {"source", "target", "count", "median_seconds"} <= set(flow)
    assert {r["step"] for r in data["funnel"]} == {"search-tours", "view-tour", "book-tour"}
    assert set(data["summary"]["segments"]) <= {"trey", "family", "(no persona)"}


def test_analyze_html_and_raw_events(
    runner: CliRunner, sample: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    result = runner.invoke(
        app,
        [
            "analyze",
            str(TDF),
            "-e",
            str(sample["events"]),
            "-f",
            "html",
            "-o",
            str(out),
            "--quarantine",
            str(tmp_path / "q.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "Plotly" in html and '"type":"sankey"' in html
    assert "https://" not in html.split("<body")[1].replace("https://plotly.com", "")
    raw = runner.invoke(
        app, ["analyze", "-e", str(sample["events"]), "--quarantine", str(tmp_path / "q2.csv")]
    )
    assert raw.exit_code == 0 and "search_tours" in raw.stdout  # event names stand as steps


def test_analyze_errors(runner: CliRunner, sample: dict[str, Path], tmp_path: Path) -> None:
    missing = runner.invoke(app, ["analyze", "-e", str(tmp_path / "none.csv")])
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    bad_map = runner.invoke(app, ["analyze", "-e", str(sample["events"]), "--map", "ts"])
    assert bad_map.exit_code == 2 and "name=column" in bad_map.stderr
    bad_column = runner.invoke(
        app,
        [
            "analyze",
            "-e",
            str(sample["events"]),
            "--map",
            "ts=when",
            "--quarantine",
            str(tmp_path / "q.csv"),
        ],
    )
    assert bad_column.exit_code == 2 and "no column 'when'" in bad_column.stderr
    bad_step = runner.invoke(
        app,
        [
            "analyze",
            str(TDF),
            "-e",
            str(sample["events"]),
            "--funnel",
            "a,b",
            "--quarantine",
            str(tmp_path / "q.csv"),
        ],
    )
    assert bad_step.exit_code == 2 and "no step 'a'" in bad_step.stderr
    assert runner.invoke(app, ["analyze", "-e", "x.csv", "-f", "pdf"]).exit_code == 2


def test_report_escapes_user_text(tmp_path: Path) -> None:
    import pandas as pd

    from journeyscope.analytics import analyze
    from journeyscope.events import load_events
    from journeyscope.render.report import render_report

    frame = pd.DataFrame(
        {
            "customer_id": ["a", "a"],
            "ts": ["2024-01-01", "2024-01-02"],
            "event": ["<script>alert(1)</script>", "buy"],
        }
    )
    html = render_report(analyze(load_events(frame)))
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)" in html


def test_json_output_validates_against_the_published_schema(
    runner: CliRunner, sample: dict[str, Path], tmp_path: Path
) -> None:
    import jsonschema

    schema = json.loads(runner.invoke(app, ["schema", "--analysis"]).stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    for args in ([str(TDF)], []):
        out = tmp_path / "a.json"
        result = runner.invoke(
            app,
            [
                "analyze",
                *args,
                "-e",
                str(sample["events"]),
                "-f",
                "json",
                "-o",
                str(out),
                "--quarantine",
                str(tmp_path / "q.csv"),
            ],
        )
        assert result.exit_code == 0, result.output
        jsonschema.validate(json.loads(out.read_text(encoding="utf-8")), schema)
