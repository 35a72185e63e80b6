"""The Typer application object that every command module registers on."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(
    name="journeyscope",
    help="Customer journey maps as code, bound to real evidence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

#: Normal output.
console = Console(soft_wrap=True)
#: Problems and progress, kept off stdout so JSON output stays clean.
err_console = Console(stderr=True, soft_wrap=True)


def write_output(text: str, output: Path | None, message: str | None = None) -> None:
    """``text`` to stdout, or atomically to ``output`` with a line on stderr saying so."""
    if output is None:
        typer.echo(text, nl=False)
        return
    from ..formats import atomic_write_text

    atomic_write_text(output, text)
    err_console.print(message or f"Wrote {output}", highlight=False)
