"""Map files: broken files are reported with file, line, column and field; saves are atomic."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from journeyscope.formats import MapFileError, dump_map, load_map, parse_map, save_map
from journeyscope.model import JourneyMap

from .conftest import DATA, tiny_map_data

BROKEN = DATA / "broken"

# file -> (line, field path, words the reason must contain), one entry per expected problem
EXPECTED: dict[str, list[tuple[int, str, str]]] = {
    "syntax-error.yaml": [(7, "(syntax)", "started at line 3")],
    "bad-syntax.json": [(6, "(syntax)", "invalid JSON")],
    "wrong-type.yaml": [
        (10, "stages[0].steps[0].moment_of_truth", "valid boolean"),
        (12, "stages[0].steps[0].feelings[0].score", "valid number"),
    ],
    "dangling-persona.yaml": [
        (16, "stages[0].steps[0].feelings[1].persona", "unknown persona 'tery'"),
    ],
    "duplicate-id.yaml": [(10, "stages[0].steps[1].id", "duplicate id 'search'")],
    "unknown-field.yaml": [
        (10, "stages[0].steps[0].painpoints", "did you mean 'pain_points'"),
    ],
    "missing-field.yaml": [(5, "stages[0].name", "required field 'name' is missing")],
    "bad-evidence.yaml": [
        (11, "stages[0].steps[0].evidence[0]", "exactly one of event"),
        (13, "stages[0].steps[0].evidence[1].event_regex", "invalid regular expression"),
    ],
    "duplicate-key.yaml": [(4, "title", "appears twice")],
    "not-utf8.yaml": [(3, "(file)", "not UTF-8")],
}


def test_every_broken_file_has_expectations() -> None:
    assert sorted(p.name for p in BROKEN.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_file_names_file_line_and_field(name: str) -> None:
    with pytest.raises(MapFileError) as caught:
        load_map(BROKEN / name)
    found = [(p.line, p.field) for p in caught.value.problems]
    assert found == [(line, field) for line, field, _ in EXPECTED[name]]
    for problem, (_, _, words) in zip(caught.value.problems, EXPECTED[name], strict=True):
        assert problem.file == str(BROKEN / name)
        assert words in problem.message
        assert problem.column >= 1
        assert str(problem).startswith(f"{BROKEN / name}:{problem.line}:{problem.column}: ")


def test_cli_validate_reports_without_traceback(runner) -> None:
    from journeyscope.cli.main import app

    result = runner.invoke(app, ["validate", str(BROKEN / "dangling-persona.yaml")])
    assert result.exit_code == 2
    assert f"{BROKEN / 'dangling-persona.yaml'}:16:" in result.output
    assert "Traceback" not in result.output


def test_missing_file_is_a_located_problem(tmp_path: Path) -> None:
    with pytest.raises(MapFileError) as caught:
        load_map(tmp_path / "nope.yaml")
    assert caught.value.problems[0].field == "(file)"


def test_top_level_must_be_a_mapping() -> None:
    with pytest.raises(MapFileError, match="mapping of fields"):
        parse_map("- just\n- a list\n", "list.yaml")


def test_condition_string_form_and_bad_condition() -> None:
    data = tiny_map_data()
    data["stages"][0]["steps"][0]["evidence"] = [
        {"event": "search_tours", "where": ["channel == app", "amount >= 10"]}
    ]
    journey = JourneyMap.model_validate(data)
    where = journey.stages[0].steps[0].evidence[0].where
    assert [(c.attribute, c.op, c.value) for c in where] == [
        ("channel", "==", "app"),
        ("amount", ">=", 10),
    ]
    data["stages"][0]["steps"][0]["evidence"][0]["where"] = ["channel is app"]
    with pytest.raises(MapFileError, match="attribute op value"):
        parse_map(yaml.safe_dump(data), "cond.yaml")


def test_yaml_and_json_round_trip(tmp_path: Path, tiny_map: JourneyMap) -> None:
    for suffix in (".yaml", ".json"):
        path = save_map(tiny_map, tmp_path / f"map{suffix}")
        assert load_map(path) == tiny_map
    assert json.loads((tmp_path / "map.json").read_text())["journeyscope"] == 1
    assert dump_map(tiny_map).startswith("journeyscope: 1\n")


def test_hebrew_and_cyrillic_are_written_as_text(tmp_path: Path) -> None:
    journey = JourneyMap.model_validate(
        tiny_map_data(title="מסע הלקוח — путь клиента", language="he")
    )
    path = save_map(journey, tmp_path / "he.yaml")
    text = path.read_text(encoding="utf-8")
    assert "מסע הלקוח — путь клиента" in text
    assert load_map(path) == journey


def test_save_is_atomic_when_writing_fails(
    tmp_path: Path, tiny_map: JourneyMap, monkeypatch
) -> None:
    path = save_map(tiny_map, tmp_path / "map.yaml")
    before = path.read_bytes()

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    changed = tiny_map.model_copy(update={"title": "Changed"})
    with pytest.raises(OSError, match="disk full"):
        save_map(changed, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["map.yaml"]
