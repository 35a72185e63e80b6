"""`journeyscope insights`, `decide` and `stale` end to end on real files."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pandas as pd
from typer.testing import CliRunner

from journeyscope.cli.main import app
from journeyscope.insights.schema import insights_json_schema

from .test_insights import SHOP, frame, segmented_log

SURVEYS = """customer_id,ts,score,kind,step,comment
c000,2024-03-04T10:00:00Z,4,csat,pay,
c070,2024-03-04T10:00:00Z,1,csat,cart,Payment page froze
c071,2024-03-04T10:00:00Z,x,csat,cart,
"""


def workspace(tmp_path: Path) -> dict[str, Path]:
    data, channel = segmented_log()
    events = tmp_path / "events.csv"
    data.drop(columns=["channel"]).to_csv(events, index=False)
    customers = tmp_path / "customers.csv"
    pd.DataFrame({"customer_id": list(channel), "platform": list(channel.values())}).to_csv(
        customers, index=False
    )
    surveys = tmp_path / "surveys.csv"
    surveys.write_text(SURVEYS, encoding="utf-8")
    journey = tmp_path / "shop.yaml"
    journey.write_text(SHOP.read_text(encoding="utf-8"), encoding="utf-8")
    return {"events": events, "customers": customers, "surveys": surveys, "map": journey}


def test_insights_json_is_versioned_and_valid(
    runner: CliRunner, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    files = workspace(tmp_path)
    out = tmp_path / "insights.json"
    result = runner.invoke(app, ["insights", str(files["map"]), "-e", str(files["events"]),
                                 "--customers", str(files["customers"]), "--surveys",
                                 str(files["surveys"]), "--format", "json", "-o", str(out),
                                 "--as-of", "2024-04-01"])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.validate(data, insights_json_schema())
    assert data["schema"] == "journeyscope.insights/1" and data["summary"]["answers"] == 2
    assert data["surveys"]["reasons"] == {"unparseable score": 1}
    keys = [p["key"] for p in data["pain_points"]]
    assert keys == ["drop_off:pay:platform=app"]  # a customer attribute
    assert "1 quarantined" in result.output


def test_table_output_decide_and_html(runner: CliRunner, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    files = workspace(tmp_path)
    args = [str(files["map"]), "-e", str(files["events"]), "--customers", str(files["customers"])]
    table = runner.invoke(
        app, ["insights", *args, "--segment-by", "platform"], env={"COLUMNS": "250"}
    )
    assert table.exit_code == 0, table.output
    assert "drop_off:pay:platform=app" in table.output and "Success per stage" in table.output
    decided = runner.invoke(app, ["decide", str(files["map"]), "drop_off:pay:platform=app",
                                  "--status", "accepted", "--opportunity", "opp-pay",
                                  "--owner", "Ana"])  # fmt: skip
    assert decided.exit_code == 0, decided.output
    stored = json.loads((tmp_path / "shop.decisions.json").read_text(encoding="utf-8"))
    assert stored["decisions"]["drop_off:pay:platform=app"]["status"] == "accepted"
    again = runner.invoke(app, ["insights", *args, "--format", "json"])
    point = json.loads(again.stdout)["pain_points"][0]
    assert (point["status"], point["opportunity"]) == ("accepted", "opp-pay")
    bad = runner.invoke(app, ["decide", str(files["map"]), "k", "--status", "maybe"])
    assert bad.exit_code == 2
    unknown = runner.invoke(app, ["decide", str(files["map"]), "k", "--status", "open",
                                  "--opportunity", "nope"])  # fmt: skip
    assert unknown.exit_code == 2
    html = runner.invoke(app, ["insights", *args, "--format", "html", "-o", "i.html"])
    assert html.exit_code == 0, html.output
    page = (tmp_path / "i.html").read_text(encoding="utf-8")
    assert "Pain points, by priority" in page and "Plotly" in page and "platform=app" in page


def test_stale_exit_code(runner: CliRunner, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    early = {f"e{n}": [(0, "visit"), (1, "search")] for n in range(30)}
    late = {f"l{n}": [(40 * 1440, "visit"), (40 * 1440 + 2, "chatbot")] for n in range(30)}
    events = tmp_path / "events.csv"
    frame(early | late).to_csv(events, index=False)
    result = runner.invoke(app, ["stale", str(SHOP), "-e", str(events), "--split", "2024-03-20",
                                 "--format", "json"])  # fmt: skip
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["staleness"]["status"] == "stale"
    assert data["staleness"]["new_unmapped"][0]["event"] == "chatbot"
    fresh = runner.invoke(app, ["stale", str(SHOP), "-e", str(events), "--split", "2024-03-01"])
    assert fresh.exit_code == 0 and "unknown" in fresh.output


def test_stale_same_customers_cuts_journeys(runner: CliRunner, tmp_path: Path, monkeypatch) -> None:
    """A lifecycle log: the same 30 customers before and after the split. Compared by journey
    start there is no second window; cut at the split, the new chatbot shows."""
    monkeypatch.chdir(tmp_path)
    year = {f"c{n}": [(0, "visit"), (1, "search"), (40 * 1440, "visit"), (40 * 1440 + 2, "chatbot")]
            for n in range(30)}  # fmt: skip
    events = tmp_path / "events.csv"
    frame(year).to_csv(events, index=False)
    base = ["stale", str(SHOP), "-e", str(events), "--split", "2024-03-20", "--format", "json"]
    by_start = json.loads(runner.invoke(app, base).stdout)["staleness"]
    assert (by_start["journeys_before"], by_start["journeys_after"]) == (30, 0)
    assert by_start["status"] == "unknown"
    cut = runner.invoke(app, [*base, "--same-customers"])
    assert cut.exit_code == 1, cut.output
    data = json.loads(cut.stdout)["staleness"]
    assert (data["journeys_before"], data["journeys_after"]) == (30, 30)
    assert data["new_unmapped"][0]["event"] == "chatbot"
    bad = runner.invoke(app, ["stale", str(SHOP), "-e", str(events), "--same-customers"])
    assert bad.exit_code == 2 and "needs --split" in bad.output
