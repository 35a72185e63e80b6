"""Commands that convert between Journeyscope and other tools: ``import`` (a map from a
Mermaid journey diagram or a CSV sheet) and ``export-log`` (the bound events as XES or OCEL)."""

from __future__ import annotations

from pathlib import Path

import typer

from ._app import CUSTOMERS_ID, ENGINE, app, engine_choice, err_console, print_load, write_output
from .maps_cmd import fail_on_map_error, read_map

_IMPORT_SUFFIXES = {".mmd": "mermaid", ".mermaid": "mermaid", ".csv": "csv", ".tsv": "csv"}


@app.command(name="import")
def import_command(
    source: Path = typer.Argument(..., help="A Mermaid journey diagram (.mmd) or a CSV sheet."),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="Map file to write (.yaml, .yml, .json) [default: stdout]."
    ),
    fmt: str | None = typer.Option(
        None, "--format", "-f", help="mermaid or csv [default: from the file name]."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing output file."),
) -> None:
    """Make a map file from a Mermaid `journey` diagram (sections are stages, tasks steps,
    actors personas) or a CSV sheet with one row per step (the columns `export -f csv` writes;
    at least stage and step)."""
    from ..formats import MapFileError, dump_map
    from ..formats.csv_map import parse_csv_map
    from ..formats.mermaid import parse_mermaid

    kind = fmt or _IMPORT_SUFFIXES.get(source.suffix.lower())
    if kind not in ("mermaid", "csv"):
        err_console.print("--format must be mermaid or csv (or name the file .mmd or .csv).")
        raise typer.Exit(2)
    if output is not None and output.exists() and not force:
        err_console.print(f"{output} exists; use --force to overwrite it.", highlight=False)
        raise typer.Exit(2)
    try:
        text = source.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        err_console.print(f"{source}: cannot read it as UTF-8 text: {error}", highlight=False)
        raise typer.Exit(2) from None
    try:
        journey = parse_mermaid(text, str(source)) if kind == "mermaid" else (
            parse_csv_map(text, str(source))
        )  # fmt: skip
    except MapFileError as error:
        fail_on_map_error(error)
    suffix = output.suffix.lower() if output is not None else ".yaml"
    data = dump_map(journey, "json" if suffix == ".json" else "yaml")
    steps = sum(len(stage.steps) for stage in journey.stages)
    message = f"Imported {steps} steps in {len(journey.stages)} stages -> {output}"
    write_output(data, output, message)


@app.command(name="export-log")
def export_log_command(
    map_file: Path | None = typer.Argument(
        None, help="Map file; leave out to export the events with each event name as its step."
    ),
    events: str = typer.Option(
        ..., "--events", "-e", help="Events, in any form analyze reads (see analyze --help)."
    ),
    output: Path = typer.Option(
        ..., "-o", "--output", help="The log to write: .xes, or .jsonocel (OCEL 2.0 JSON)."
    ),
    customers: str | None = typer.Option(None, "--customers", help="Customer attributes."),
    customers_id: str | None = CUSTOMERS_ID,
    mapping: list[str] = typer.Option(
        [], "--map", help="Column mapping, repeatable, as for analyze (customer_id=COL, ...)."
    ),
    activity: str = typer.Option(
        "event", "--activity", help="XES: the activity is the event name or the map's step."
    ),
    object_type: str = typer.Option(
        "customer", "--object-type", help="OCEL: the object type of the customers."
    ),
    journey_gap_days: float | None = typer.Option(
        None, "--journey-gap-days", help="Start a new journey (XES trace) after idle days."
    ),
    state: str = typer.Option("current", "--state", help="Bind to the current or future state."),
    quarantine: Path | None = typer.Option(
        None, "--quarantine", help="Where bad rows go [default: EVENTS-NAME.quarantine.csv here]."
    ),
    engine: str = ENGINE,
) -> None:
    """Write the events bound to the map — each with its step, stage and touchpoint — as an
    XES log (one trace per journey) or an OCEL 2.0 JSON log (one object per customer), for
    process-mining tools such as pm4py, ProM or Celonis."""
    from ..analytics import JourneyOptions
    from ..analytics.bound_log import export_bound_log, log_format
    from ..evaluation import quarantine_path
    from ..events import ColumnMapping, load_events

    if activity not in ("event", "step") or state not in ("current", "future"):
        err_console.print("--activity must be event or step; --state current or future.")
        raise typer.Exit(2)
    try:
        log_format(output)
        columns = ColumnMapping.parse_pairs(mapping)
    except ValueError as error:
        err_console.print(str(error), highlight=False)
        raise typer.Exit(2) from None
    journey = read_map(map_file) if map_file else None
    chosen = engine_choice(engine, "local[2]", [], None)
    options = JourneyOptions(journey_gap_days=journey_gap_days, state=state)  # type: ignore[arg-type]
    try:
        bad_rows = quarantine or quarantine_path(events)
        log = load_events(
            events,
            columns,
            customers=customers,
            customer_id=customers_id or "customer_id",
            quarantine=bad_rows,
        )
        print_load(log.report)
        written = export_bound_log(
            log, journey, output, options=options, activity=activity,  # type: ignore[arg-type]
            object_type=object_type, engine=chosen["engine"],
            engine_options=chosen["engine_options"],
        )  # fmt: skip
    except (ValueError, FileNotFoundError) as error:
        err_console.print(f"[red]{error}[/red]", highlight=False)
        raise typer.Exit(2) from None
    err_console.print(f"Wrote {written:,} events to {output}", highlight=False)
