"""Generate the reference pages in docs/reference/ from the code (the CLI and the map schema).

Run `python scripts/gen_docs.py`; tests/test_docs.py fails when the committed pages are stale.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from journeyscope.cli.main import app  # noqa: E402
from journeyscope.formats import atomic_write_text, map_json_schema  # noqa: E402

CLI_PAGE = ROOT / "docs" / "reference" / "cli.md"
FORMAT_PAGE = ROOT / "docs" / "reference" / "map-format.md"


def cli_reference() -> str:
    group = typer.main.get_command(app)
    lines = [
        "# CLI reference",
        "",
        "Generated from the code by `scripts/gen_docs.py`;"
        " `journeyscope COMMAND --help` says the same.",
        "",
    ]
    for name in sorted(group.commands):  # type: ignore[attr-defined]
        lines += _command(name, group.commands[name])  # type: ignore[attr-defined]
    return "\n".join(lines).rstrip() + "\n"


def _command(name: str, command: Any) -> list[str]:
    usage = " ".join(
        p.name.upper() if p.param_type_name == "argument" else "" for p in command.params
    ).split()
    lines = [f"## `journeyscope {name}`", "", (command.help or "").strip(), ""]
    lines += [f"Usage: `journeyscope {name} [OPTIONS] {' '.join(usage)}`".rstrip(), ""]
    rows = [_param(p) for p in command.params if p.name != "help"]
    if rows:
        lines += ["| argument / option | meaning | default |", "| --- | --- | --- |", *rows, ""]
    return lines


def _param(param: Any) -> str:
    if param.param_type_name == "argument":
        names = f"`{(param.name or '').upper()}`"
    else:
        names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
    help_text = getattr(param, "help", None) or ""
    default = param.default
    shown = "" if default is None or callable(default) or default == () else f"`{default}`"
    return f"| {names} | {help_text} | {shown} |".replace("\n", " ")


def format_reference() -> str:
    schema = map_json_schema()
    defs: dict[str, Any] = schema.get("$defs", {})
    lines = [
        "# Map file format (version 1)",
        "",
        "Generated from the model by `scripts/gen_docs.py`. A map file is YAML or JSON in UTF-8; "
        "`journeyscope schema` prints the same definition as JSON Schema.",
        "",
    ]
    lines += _object("JourneyMap (the file)", schema)
    for name in sorted(defs):
        lines += _object(name, defs[name])
    return "\n".join(lines).rstrip() + "\n"


def _object(title: str, spec: dict[str, Any]) -> list[str]:
    lines = [f"## {title}", "", (spec.get("description") or "").strip(), ""]
    required = set(spec.get("required", []))
    props = spec.get("properties", {})
    if props:
        lines += [
            "| field | type | required | default | meaning |",
            "| --- | --- | --- | --- | --- |",
        ]
        for field, prop in props.items():
            default = prop.get("default", "")
            default = f"`{default}`" if default not in ("", None, [], {}) else ""
            lines.append(
                f"| `{field}` | {_type(prop)} | {'yes' if field in required else ''} | {default} "
                f"| {(prop.get('description') or '').replace('|', '/')} |"
            )
        lines.append("")
    return lines


def _type(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return prop["$ref"].split("/")[-1]
    if "anyOf" in prop:
        return " or ".join(_type(p) for p in prop["anyOf"])
    if "enum" in prop:
        return " / ".join(f"`{v}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    if prop.get("type") == "array":
        return f"list of {_type(prop.get('items', {}))}"
    return str(prop.get("type", "any"))


def main() -> None:
    for path, text in ((CLI_PAGE, cli_reference()), (FORMAT_PAGE, format_reference())):
        atomic_write_text(path, text)
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
