"""The published map JSON Schema accepts every valid map: a real JSON Schema validator runs over
every bundled template and example (editors and CI validate map files against it)."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from journeyscope.formats import list_templates, load_map, map_json_schema

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "journeyscope" / "templates").glob("*/*.yaml"))
EXAMPLES = sorted((ROOT / "examples").glob("*/*.yaml"))


class _TextDates(yaml.SafeLoader):
    """YAML as JSON Schema tools for YAML see it: ``2026-11-01`` is text, not a date."""


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = map_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_every_template_and_example_is_found() -> None:
    assert len(TEMPLATES) == 4 * len(list_templates()) == 32
    assert EXAMPLES, "no example map"


@pytest.mark.parametrize("path", TEMPLATES + EXAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_schema_accepts_every_bundled_map(
    path: Path, validator: jsonschema.Draft202012Validator
) -> None:
    load_map(path)  # a valid map by the model's own reading
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TextDates)
    problems = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)
    ]
    assert problems == []


@pytest.mark.parametrize(
    ("condition", "valid"),
    [
        ("channel == web", True),
        ("event_params.page_location glob */checkout*", True),
        ("region in [north, south]", True),
        ("plan exists", True),
        ({"attribute": "amount", "op": ">=", "value": 100}, True),
        ("just words", False),
        ("== web", False),
        (42, False),
    ],
)
def test_one_line_conditions_are_accepted_and_checked(
    condition: object, valid: bool, validator: jsonschema.Draft202012Validator
) -> None:
    text = (ROOT / "journeyscope/templates/blog-website/en.yaml").read_text(encoding="utf-8")
    journey = yaml.load(text, Loader=_TextDates)
    journey["personas"][0]["segment"] = [condition]
    assert validator.is_valid(journey) is valid
