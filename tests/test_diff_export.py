"""`journeyscope diff` and `journeyscope export`: readable changes, Mermaid/CSV/JSON exports."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from journeyscope.cli.main import app
from journeyscope.formats import load_map, load_template, save_map
from journeyscope.formats.export import to_csv, to_json, to_mermaid
from journeyscope.model import JourneyMap
from journeyscope.model.diff import diff_maps, diff_states

from .conftest import tiny_map_data

TDF = Path(__file__).parents[1] / "journeyscope" / "templates" / "tour-de-farce" / "en.yaml"


def _sentences(old: JourneyMap, new: JourneyMap) -> list[str]:
    return [change.sentence() for change in diff_maps(old, new)]


def test_identical_maps_have_no_changes(tiny_map: JourneyMap) -> None:
    assert diff_maps(tiny_map, tiny_map.model_copy(deep=True)) == []


def test_each_kind_of_change_reads_as_a_sentence() -> None:
    old = JourneyMap.model_validate(tiny_map_data())
    data = tiny_map_data()
    find, buy = data["stages"]
    compare = find["steps"].pop(1)
    compare["name"] = "Compare prices"
    buy["steps"].insert(0, compare)  # moved to another stage, and renamed
    find["steps"][0]["feelings"] = [{"score": -3, "words": ["lost"]}]
    find["steps"][0]["pain_points"] = ["No filters"]
    buy["steps"][1]["touchpoints"] = [{"id": "card", "name": "Card form", "channel": "web"}]
    data["personas"].append({"id": "bo", "name": "Bo"})
    data["kpis"] = [{"id": "conv", "name": "Conversion", "target": 0.3}]
    data["title"] = "Tiny journey, revised"
    new = JourneyMap.model_validate(data)
    assert _sentences(old, new) == [
        'Map "Tiny journey, revised" (tiny): title changed from "Tiny journey" to '
        '"Tiny journey, revised".',
        'Added persona "Bo" (bo).',
        'Step "Search" (search): added pain point "No filters".',
        'Step "Search" (search): emotion score of everyone changed from -1 to -3.',
        'Step "Search" (search): added feeling word of everyone "lost".',
        'Step "Compare prices" (compare): moved from stage "Find" to stage "Buy".',
        'Step "Compare prices" (compare): name changed from "Compare" to "Compare prices".',
        'Added touchpoint "Card form" (card) to step "Pay".',
        'Added KPI "Conversion" (conv).',
    ]


def test_removals_and_order_changes() -> None:
    old = JourneyMap.model_validate(tiny_map_data())
    data = tiny_map_data()
    data["stages"].reverse()
    data["stages"][1]["steps"].pop()  # "compare" removed
    new = JourneyMap.model_validate(data)
    sentences = _sentences(old, new)
    assert 'Removed step "Compare" (compare) from stage "Find".' in sentences
    assert 'Stage "Buy" (buy): moved to position 1.' in sentences
    assert 'Stage "Find" (find): moved to position 2.' in sentences


def test_current_versus_future_of_tour_de_farce() -> None:
    sentences = [change.sentence() for change in diff_states(load_template("tour-de-farce"))]
    assert (
        'Removed step "Log in to find the itinerary" (login-itinerary) from stage '
        '"Before the trip".' in sentences
    )
    resolved = [s for s in sentences if "removed pain point" in s]
    assert len(resolved) == 2 and any("filters" in s for s in resolved)
    assert any("emotion score of Trey Weller changed from -2 to 2" in s for s in sentences)
    # lanes a future step does not restate are carried over, not reported as removed
    assert not any("(f-travel): removed need" in s for s in sentences)


def test_diff_states_needs_a_future(tiny_map: JourneyMap) -> None:
    with pytest.raises(ValueError, match="no future state"):
        diff_states(tiny_map)


def test_diff_cli_formats_and_exit_code(runner: CliRunner, tmp_path: Path) -> None:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    save_map(JourneyMap.model_validate(tiny_map_data()), old)
    changed = tiny_map_data()
    changed["stages"][0]["steps"][0]["name"] = "Search <b>tours</b>"
    save_map(JourneyMap.model_validate(changed), new)

    same = runner.invoke(app, ["diff", str(old), str(old), "--exit-code"])
    assert same.exit_code == 0 and "No differences." in same.stdout

    text = runner.invoke(app, ["diff", str(old), str(new)])
    assert text.exit_code == 0
    assert 'name changed from "Search" to "Search <b>tours</b>"' in text.stdout

    markdown = runner.invoke(app, ["diff", str(old), str(new), "--format", "markdown"])
    assert "#### Stage Find" in markdown.stdout and "- ~ Step" in markdown.stdout

    as_json = runner.invoke(app, ["diff", str(old), str(new), "--format", "json", "--exit-code"])
    assert as_json.exit_code == 1
    data = json.loads(as_json.stdout)
    assert data["summary"] == {"added": 0, "removed": 0, "changed": 1, "moved": 0}
    assert data["changes"][0]["field"] == "name" and data["changes"][0]["id"] == "search"


def test_diff_cli_future_and_usage_errors(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["diff", str(TDF), "--future"])
    assert result.exit_code == 0 and "Future state, stage Before the trip" in result.stdout
    both = runner.invoke(app, ["diff", str(TDF), str(TDF), "--future"])
    assert both.exit_code == 2
    plain = tmp_path / "plain.yaml"
    save_map(JourneyMap.model_validate(tiny_map_data()), plain)
    assert runner.invoke(app, ["diff", str(plain), "--future"]).exit_code == 2
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\ntitle: [\n", encoding="utf-8")
    result = runner.invoke(app, ["diff", str(broken), str(plain)])
    assert result.exit_code == 2 and "broken.yaml:" in result.stderr


def test_mermaid_journey_syntax() -> None:
    journey = load_template("tour-de-farce")
    text = to_mermaid(journey)
    lines = text.splitlines()
    assert lines[0] == "journey" and lines[1].startswith("    title ")
    sections = [line.strip()[len("section ") :] for line in lines if line.startswith("    section")]
    assert sections == [stage.name for stage in journey.stages]
    tasks = [line for line in lines if line.startswith("      ")]
    task_re = re.compile(r"^      [^:;\n]+: [1-5]: [^:;]+$")
    assert all(task_re.match(line) for line in tasks), tasks
    step_names = {step.name for _, step in journey.steps()}
    assert {line.split(":")[0].strip() for line in tasks} == step_names
    # the family feels worse than Trey while waiting for the itinerary: two task lines
    waiting = [line for line in tasks if "Wait for the itinerary" in line]
    assert waiting == [
        "      Wait for the itinerary: 2: Trey Weller",
        "      Wait for the itinerary: 1: The Novak family",
    ]
    only_trey = to_mermaid(journey, persona="trey")
    assert "Novak" not in only_trey
    future = to_mermaid(journey, state="future")
    assert "Receive the itinerary email: 4: Trey Weller, The Novak family" in future


def test_csv_one_row_per_step_and_no_formula_injection() -> None:
    data = tiny_map_data()
    data["stages"][0]["steps"][0]["actions"] = ['=HYPERLINK("http://x")', "Types, searches"]
    journey = JourneyMap.model_validate(data)
    rows = list(csv.DictReader(io.StringIO(to_csv(journey))))
    assert [row["step_id"] for row in rows] == ["search", "compare", "pay"]
    assert rows[0]["actions"] == '\'=HYPERLINK("http://x")\nTypes, searches'
    assert rows[0]["emotion"] == "-1"  # numbers are not touched

    tdf = load_template("tour-de-farce")
    rows = list(csv.DictReader(io.StringIO(to_csv(tdf))))
    assert len(rows) == len(list(tdf.steps()))
    waiting = next(row for row in rows if row["step_id"] == "wait-itinerary")
    assert (waiting["emotion:trey"], waiting["emotion:family"]) == ("-2", "-3")
    assert "No itinerary email" in waiting["pain_points"]


def test_json_export_loads_back(tmp_path: Path) -> None:
    journey = load_template("tour-de-farce")
    path = tmp_path / "map.json"
    path.write_text(to_json(journey), encoding="utf-8")
    assert load_map(path) == journey


@pytest.mark.parametrize("fmt", ["mermaid", "csv", "json"])
def test_export_cli(runner: CliRunner, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"map.{fmt}"
    result = runner.invoke(app, ["export", str(TDF), "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8-sig")
    assert "Tour De Farce" in text or fmt == "csv"
    if fmt == "csv":
        assert out.read_bytes().startswith(b"\xef\xbb\xbf")
        assert "search-tours" in text
    stdout = runner.invoke(app, ["export", str(TDF), "-f", fmt])
    assert stdout.exit_code == 0 and stdout.stdout.strip()
    bad = runner.invoke(app, ["export", str(TDF), "-f", "pptx"])
    assert bad.exit_code == 2
