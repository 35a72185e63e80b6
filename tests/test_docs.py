"""Docs stay true to the code: generated references are current; nothing is undocumented."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import typer

from journeyscope.cli.main import app
from journeyscope.formats import map_json_schema

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _gen_docs():
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _commands() -> dict:
    return typer.main.get_command(app).commands  # type: ignore[attr-defined]


def test_generated_references_are_current() -> None:
    gen = _gen_docs()
    assert gen.CLI_PAGE.read_text(encoding="utf-8") == gen.cli_reference(), (
        "docs/reference/cli.md is stale: run python scripts/gen_docs.py"
    )
    assert gen.FORMAT_PAGE.read_text(encoding="utf-8") == gen.format_reference(), (
        "docs/reference/map-format.md is stale: run python scripts/gen_docs.py"
    )


@pytest.mark.parametrize("name", sorted(_commands()))
def test_every_command_and_option_has_help(name: str) -> None:
    command = _commands()[name]
    assert (command.help or "").strip(), f"command {name} has no help"
    for param in command.params:
        if param.param_type_name == "option" and param.name != "help":
            assert getattr(param, "help", None), f"{name} {param.opts} has no help"


def test_every_command_is_in_the_user_guide() -> None:
    guide = "\n".join(p.read_text(encoding="utf-8") for p in DOCS.glob("*.md"))
    missing = [name for name in _commands() if f"journeyscope {name}" not in guide]
    assert missing == [], f"commands not described in docs/*.md: {missing}"


def test_every_map_field_has_a_description() -> None:
    schema = map_json_schema()
    objects = {"JourneyMap": schema, **schema["$defs"]}
    missing = [
        f"{name}.{field}"
        for name, spec in objects.items()
        for field, prop in spec.get("properties", {}).items()
        if not prop.get("description")
    ]
    assert missing == []


def test_readme_gives_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for link in re.findall(r"\]\((docs/[^)#]+)", readme):
        assert (ROOT / link).exists(), link
