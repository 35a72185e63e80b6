"""The declared result shapes: every published JSON Schema is generated from them and real
output of `analyze`, `insights` and `check` follows it; every analysis table conforms to its
declared Arrow schema."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import jsonschema
import pyarrow as pa
import pytest
from typer.testing import CliRunner

import journeyscope
from journeyscope.analytics import JourneyOptions, analyze
from journeyscope.analytics.schema import analysis_json_schema, arrow_schema, conform
from journeyscope.cli.main import app
from journeyscope.events import load_events
from journeyscope.formats import load_map
from journeyscope.insights.schema import check_json_schema, insights_json_schema
from journeyscope.shapes import TABLES
from journeyscope.synth.tour_de_farce import generate_tour_de_farce

from .test_cli_insights import workspace

TDF = Path(journeyscope.__file__).parent / "templates" / "tour-de-farce" / "en.yaml"
SCHEMAS = {
    "analysis": analysis_json_schema,
    "insights": insights_json_schema,
    "check": check_json_schema,
}


@pytest.fixture(scope="module")
def tdf(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return generate_tour_de_farce(tmp_path_factory.mktemp("tdf"), customers=300, with_surveys=True)


def follows(document: dict[str, Any], kind: str) -> None:
    """``document`` validates against the published schema, and against the strict one: no
    key the declaration does not name."""
    for strict in (False, True):
        jsonschema.validate(document, SCHEMAS[kind](strict=strict))


def run_json(runner: CliRunner, args: list[str], out: Path | None = None) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--format", "json", *(["-o", str(out)] if out else [])])
    assert result.exit_code in (0, 1), result.output  # check: 1 = stale
    return json.loads(out.read_text(encoding="utf-8") if out else result.stdout)


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
@pytest.mark.parametrize("strict", [False, True])
def test_generated_schemas_are_valid_json_schemas(kind: str, strict: bool) -> None:
    schema = SCHEMAS[kind](strict=strict)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://journeyscope.dev/schemas/{kind}-1.json"
    assert schema["title"].startswith("Journeyscope") and "$defs" not in schema


@pytest.mark.parametrize(
    "extra", [[str(TDF)], [], [str(TDF), "--segment-by", "persona"]], ids=["map", "raw", "seg"]
)
def test_analyze_json_follows_the_schema(
    runner: CliRunner, tdf: dict[str, Path], tmp_path: Path, extra: list[str]
) -> None:
    args = ["analyze", *extra, "-e", str(tdf["events"]), "--customers", str(tdf["customers"])]
    out = tmp_path / "a.json"
    data = run_json(runner, [*args, "--quarantine", str(tmp_path / "q.csv")], out)
    follows(data, "analysis")
    assert ("funnel" in data) == bool(extra)  # raw events have no map order to funnel by


def test_insights_json_follows_the_schema(
    runner: CliRunner, tdf: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    sources = ["-e", str(tdf["events"]), "--customers", str(tdf["customers"])]
    data = run_json(
        runner, ["insights", str(TDF), *sources, "--surveys", str(tdf["surveys"])], tmp_path / "i"
    )
    follows(data, "insights")
    assert data["summary"]["answers"] > 0 and data["surveys"] is not None
    assert data["drilldown"]["steps"] and any(p["examples"] for p in data["pain_points"])
    shop = workspace(tmp_path)
    small = ["insights", str(shop["map"]), "-e", str(shop["events"])]
    for args in (small, [*small, "--customers", str(shop["customers"]), "--surveys",
                         str(shop["surveys"])]):  # fmt: skip
        follows(run_json(runner, args), "insights")


def test_check_json_follows_the_schema(
    runner: CliRunner, tdf: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["check", str(TDF), "-e", str(tdf["events"]), "--surveys", str(tdf["surveys"])]
    data = run_json(runner, args)
    follows(data, "check")
    assert data["staleness"]["status"] in ("fresh", "stale", "unknown")


def test_every_analysis_table_conforms_to_its_arrow_schema(tdf: dict[str, Path]) -> None:
    log = load_events(tdf["events"], customers=tdf["customers"])
    journey = load_map(TDF)
    seen = set()
    for options in (JourneyOptions(), JourneyOptions(segment_by="persona")):
        result = analyze(log, journey, options=options)
        tables = [*result.tables.items(), *(("kpi", t) for t in result.kpis.values())]
        for name, table in tables:
            conformed = conform(name, table)
            # the declared types; step ids may stay dictionary-encoded (an encoding, not a type)
            assert conformed.cast(arrow_schema(name)).schema.equals(arrow_schema(name)), name
            assert conformed.to_pylist() == table.to_pylist(), name
            seen.add(name)
    raw = analyze(log)
    for name, table in raw.tables.items():
        conformed = conform(name, table)
        assert conformed.cast(arrow_schema(name)).schema.equals(arrow_schema(name)), name
    assert seen == set(TABLES)  # a real run produces every declared table


def test_conform_names_the_table_and_the_column() -> None:
    good = {"event": ["x"], "customers": [1], "events": [2], "share": [0.5]}
    table = conform("unmapped", pa.table(good | {"customers": pa.array([1], pa.int32())}))
    assert table.schema.field("customers").type == pa.int64()  # widened to the declared type
    with pytest.raises(ValueError, match="'unmapped': column 'share' is missing"):
        conform("unmapped", pa.table({k: v for k, v in good.items() if k != "share"}))
    with pytest.raises(ValueError, match="'unmapped': column 'customers' is string"):
        conform("unmapped", pa.table(good | {"customers": ["many"]}))
    with pytest.raises(ValueError, match="'unmapped': column 'event' has nulls"):
        conform("unmapped", pa.table(good | {"event": pa.array([None], pa.string())}))
    with pytest.raises(ValueError, match="'unmapped': column 'extra' is not declared"):
        conform("unmapped", pa.table(good | {"extra": [1]}))
    empty = conform("funnel", pa.table({"step": pa.array([], pa.string())}))
    assert empty.schema.equals(arrow_schema("funnel")) and empty.num_rows == 0
    with pytest.raises(KeyError, match="no analysis table 'nope'"):
        arrow_schema("nope")


def test_a_wrong_document_fails_validation(tdf: dict[str, Path]) -> None:
    document = analyze(load_events(tdf["events"]), load_map(TDF)).to_dict()
    follows(document, "analysis")
    schema = analysis_json_schema()
    missing = {k: v for k, v in document.items() if k != "flows"}
    with pytest.raises(jsonschema.ValidationError, match="'flows' is a required property"):
        jsonschema.validate(missing, schema)
    wrong = document | {"summary": document["summary"] | {"customers": "many"}}
    with pytest.raises(jsonschema.ValidationError, match="'many' is not of type 'integer'"):
        jsonschema.validate(wrong, schema)
    row = document["flows"][0] | {"count": -1}
    with pytest.raises(jsonschema.ValidationError, match="-1 is less than the minimum"):
        jsonschema.validate(document | {"flows": [row]}, schema)
    undeclared = document | {"reach": [document["reach"][0] | {"surprise": 1}]}
    jsonschema.validate(undeclared, schema)  # a minor version may add keys
    with pytest.raises(jsonschema.ValidationError, match="'surprise' was unexpected"):
        jsonschema.validate(undeclared, analysis_json_schema(strict=True))
    check = {"schema": "journeyscope.insights/1", "map": "m", "staleness": {"status": "old"}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(check, check_json_schema())


def test_schema_command_prints_every_schema(runner: CliRunner, tmp_path: Path) -> None:
    for flag, kind in (
        ("--analysis", "analysis"),
        ("--insights", "insights"),
        ("--check", "check"),
    ):
        result = runner.invoke(app, ["schema", flag])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == SCHEMAS[kind]()
    out = tmp_path / "insights.json"
    assert runner.invoke(app, ["schema", "--insights", "-o", str(out)]).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["$id"].endswith("insights-1.json")
    both = runner.invoke(app, ["schema", "--insights", "--check"])
    assert both.exit_code == 2 and "at most one" in both.stderr


SCHEMA_KEYS = {"$schema", "properties", "required", "items", "additionalProperties"}


def _schema_literals(path: Path) -> list[int]:
    """Lines of dict literals that look like a JSON Schema written by hand."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Dict)
        and any(isinstance(k, ast.Constant) and k.value in SCHEMA_KEYS for k in node.keys)
    ]


def test_no_hand_written_json_schema_remains() -> None:
    package = Path(journeyscope.__file__).parent
    for name in ("analytics/schema.py", "insights/schema.py"):
        tree = ast.parse((package / name).read_text(encoding="utf-8"))
        sources = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert "shapes" in sources, f"{name} is generated from journeyscope.shapes"
    files = [
        *(package / "analytics").rglob("*.py"),
        *(package / "insights").rglob("*.py"),
        *(package / "cli").rglob("*.py"),
        *(p for p in (package / "shapes").rglob("*.py") if p.name != "_base.py"),
        package / "evaluation.py",
    ]
    found = {str(p.relative_to(package)): lines for p in files if (lines := _schema_literals(p))}
    assert found == {}
