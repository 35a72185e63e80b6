"""Commands: diff two maps (or current vs future of one), export a map for other tools."""

from __future__ import annotations

import json
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from ._app import app, console, err_console, write_output
from .maps_cmd import read_map

if TYPE_CHECKING:  # the model loads when a command runs
    from ..model.diff import Change

_MARKS = {"added": ("+", "green"), "removed": ("-", "red"), "changed": ("~", "yellow"),
          "moved": (">", "cyan")}  # fmt: skip


@app.command()
def diff(
    old: Path = typer.Argument(..., help="The map before (or the only map, with --future)."),
    new: Path | None = typer.Argument(None, help="The map after. Leave out with --future."),
    future: bool = typer.Option(
        False, "--future", help="Compare the current state of OLD with its future state."
    ),
    fmt: str = typer.Option("text", "--format", help="text, markdown (for pull requests), json."),
    exit_code: bool = typer.Option(
        False, "--exit-code", help="Exit with 1 when there are differences (like git diff)."
    ),
) -> None:
    """List what was added, removed, moved and changed, element by element, in plain sentences."""
    from ..model.diff import diff_maps, diff_states

    if fmt not in ("text", "markdown", "json"):
        err_console.print("--format must be text, markdown or json.")
        raise typer.Exit(2)
    if future == (new is not None):
        err_console.print("Give two map files, or one map file with --future.")
        raise typer.Exit(2)
    before = read_map(old)
    if new is None:
        if before.future is None:
            err_console.print(f"{old} has no future state to compare with.")
            raise typer.Exit(2)
        changes, title = diff_states(before), f"{old}: current → future state"
    else:
        changes, title = diff_maps(before, read_map(new)), f"{old} → {new}"
    _print_changes(changes, title, fmt)
    if exit_code and changes:
        raise typer.Exit(1)


def _print_changes(changes: list[Change], title: str, fmt: str) -> None:
    from ..model.diff import summarize

    counts = summarize(changes)
    if fmt == "json":
        data = {"from_to": title, "summary": counts, "changes": [c.as_dict() for c in changes]}
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    total = ", ".join(f"{count} {action}" for action, count in counts.items() if count)
    if fmt == "markdown":
        lines = [f"### {title}", "", f"**{total or 'No differences.'}**"]
        for section, group in groupby(changes, key=lambda c: c.section):
            lines += ["", f"#### {section}", ""]
            lines += [f"- {_MARKS[c.action][0]} {c.sentence()}" for c in group]
        typer.echo("\n".join(lines))
        return
    console.print(f"[bold]{escape(title)}[/bold]")
    for section, group in groupby(changes, key=lambda c: c.section):
        console.print(f"\n[bold]{escape(section)}[/bold]")
        for change in group:
            mark, colour = _MARKS[change.action]
            console.print(f"  [{colour}]{mark}[/{colour}] {escape(change.sentence())}")
    console.print(f"\n{total or 'No differences.'}", highlight=False)


@app.command()
def export(
    map_file: Path = typer.Argument(..., help="Map file (.yaml, .yml, .json)."),
    fmt: str = typer.Option(
        ..., "--format", "-f", help="mermaid (journey diagram), csv (one row per step), json."
    ),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write here, not stdout."),
    state: str = typer.Option("current", "--state", help="current or future (mermaid and csv)."),
    persona: str | None = typer.Option(None, "--persona", help="Mermaid: only this persona."),
) -> None:
    """Export a map for other tools: Mermaid `journey` syntax, CSV for spreadsheets, JSON."""
    from ..formats.export import EXPORT_FORMATS, export_map

    journey = read_map(map_file)
    if fmt not in EXPORT_FORMATS:
        err_console.print(f"--format must be one of {', '.join(EXPORT_FORMATS)}.")
        raise typer.Exit(2)
    if state not in ("current", "future"):
        err_console.print("--state must be current or future.")
        raise typer.Exit(2)
    if persona and persona not in {p.id for p in journey.personas}:
        err_console.print(f"No persona {persona!r} in {map_file}.")
        raise typer.Exit(2)
    try:
        text = export_map(journey, fmt, state=state, persona=persona)  # type: ignore[arg-type]
    except ValueError as error:
        err_console.print(str(error))
        raise typer.Exit(2) from None
    # a byte-order mark lets spreadsheet programs read non-Latin text in CSV files correctly
    bom = "\ufeff" if fmt == "csv" and output is not None else ""
    write_output(bom + text, output, f"Exported {map_file} -> {output}")
