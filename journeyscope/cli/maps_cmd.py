"""Commands for map files: schema, validate, templates, init, demo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from ..formats import TEMPLATE_LANGUAGES
from ._app import app, console, err_console, write_output

if TYPE_CHECKING:  # the model (pydantic) and the YAML parser load when a command runs
    from ..formats import MapFileError
    from ..model import JourneyMap


def fail_on_map_error(error: MapFileError) -> NoReturn:
    """Print every located problem of a broken map file and exit with code 2."""
    for problem in error.problems:
        err_console.print(str(problem), markup=False, highlight=False)
    count = len(error.problems)
    err_console.print(f"[red]{count} problem{'s' if count != 1 else ''} found.[/red]")
    raise typer.Exit(2)


def read_map(path: Path) -> JourneyMap:
    """Load a map for a command; a broken file ends the command with exit code 2."""
    from ..formats import MapFileError, load_map

    try:
        return load_map(path)
    except MapFileError as error:
        fail_on_map_error(error)


@app.command()
def schema(
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to this file."),
    analysis: bool = typer.Option(
        False, "--analysis", help="The schema of `analyze --format json` output instead."
    ),
    insights: bool = typer.Option(
        False, "--insights", help="The schema of `insights --format json` output instead."
    ),
    check: bool = typer.Option(
        False, "--check", help="The schema of `check --format json` output instead."
    ),
) -> None:
    """Print the JSON Schema of journey map files (format version 1), or with --analysis,
    --insights or --check the JSON Schema of that command's `--format json` output."""
    from .. import shapes
    from ..formats import map_json_schema

    picked = [
        make
        for wanted, make in (
            (analysis, shapes.analysis_json_schema),
            (insights, shapes.insights_json_schema),
            (check, shapes.check_json_schema),
        )
        if wanted
    ]
    if len(picked) > 1:
        err_console.print("Give at most one of --analysis, --insights and --check.")
        raise typer.Exit(2)
    data = picked[0]() if picked else map_json_schema()
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    write_output(text, output, f"Schema written to {output}")


@app.command()
def validate(
    maps: list[Path] = typer.Argument(..., help="Map files (.yaml, .yml, .json)."),
) -> None:
    """Check map files; every problem is printed as file:line:column: field: reason."""
    from ..formats import MapFileError, load_map

    failed = False
    for path in maps:
        try:
            journey = load_map(path)
        except MapFileError as error:
            failed = True
            for problem in error.problems:
                err_console.print(str(problem), markup=False, highlight=False)
            continue
        steps = sum(1 for _ in journey.steps())
        console.print(
            f"[green]ok[/green] {path}: {len(journey.stages)} stages, {steps} steps, "
            f"{len(journey.personas)} personas",
            highlight=False,
        )
    if failed:
        raise typer.Exit(2)


@app.command()
def templates(
    lang: str = typer.Option("en", "--lang", help=f"Language: {', '.join(TEMPLATE_LANGUAGES)}."),
) -> None:
    """List the bundled starting maps."""
    from rich.table import Table

    from ..formats import list_templates

    table = Table(title="Journeyscope templates")
    for column in ("name", "title", "scope", "languages"):
        table.add_column(column)
    for info in list_templates(lang):
        table.add_row(info.name, info.title, info.scope, " ".join(info.languages))
    console.print(table)
    console.print("Start one with: journeyscope init --template NAME [--lang xx] FILE")


@app.command()
def init(
    output: Path = typer.Argument(Path("journey.yaml"), help="Map file to create."),
    template: str = typer.Option("tour-de-farce", "--template", "-t", help="Template name."),
    lang: str = typer.Option("en", "--lang", help=f"Language: {', '.join(TEMPLATE_LANGUAGES)}."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Create a new map file from a template."""
    from ..formats import load_template, save_map

    if output.exists() and not force:
        err_console.print(f"{output} already exists; use --force to overwrite it.")
        raise typer.Exit(2)
    try:
        journey = load_template(template, lang)
    except KeyError as error:
        err_console.print(str(error.args[0]))
        raise typer.Exit(2) from None
    save_map(journey, output)
    console.print(f"Created {output} from template {template!r} ({lang}).", highlight=False)
    console.print(f"Render it with: journeyscope render {output} -o map.html", highlight=False)


@app.command()
def demo(
    directory: Path = typer.Argument(Path("journeyscope-demo"), help="Workspace folder to create."),
    lang: str = typer.Option("en", "--lang", help="Language of the demo map."),
) -> None:
    """Create a demo workspace with the Tour De Farce map and sample data, and render it."""
    from ..demo import build_demo

    result = build_demo(directory, lang=lang, log=lambda line: err_console.print(line))
    console.print()
    console.print("[bold]Journeyscope demo workspace ready[/bold]")
    for label, path in result.items():
        console.print(f"  {label:<18} {path}", highlight=False)
    if "map (HTML)" in result:
        console.print(f"\nOpen {result['map (HTML)'].resolve().as_uri()} in a browser.")
    if "report (HTML)" in result:
        console.print(f"Evidence: {result['report (HTML)'].resolve().as_uri()}")
