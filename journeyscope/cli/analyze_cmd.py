"""Command: analyze customer events against a map (or on their own)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from ._app import (
    CUSTOMERS_ID,
    ENGINE,
    EVENTS_HELP,
    MAP_HELP,
    SPARK_CONF,
    SPARK_MASTER,
    SPARK_STAGING,
    app,
    console,
    engine_choice,
    err_console,
    run_evaluation,
    write_output,
)
from .maps_cmd import read_map

if TYPE_CHECKING:  # the engine and its data libraries load when a command runs, not at --help
    from ..analytics import Analysis, FunnelOptions, JourneyOptions
    from ..events import ColumnMapping


def _when(text: str | None, option: str) -> dt.datetime | None:
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        err_console.print(f"{option}: cannot read {text!r} as a date/time (use 2024-05-01).")
        raise typer.Exit(2) from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@app.command(name="analyze")
def analyze_command(
    map_file: Path | None = typer.Argument(
        None, help="Map file; leave out to explore raw event names as steps."
    ),
    events: str = typer.Option(
        ...,
        "--events",
        "-e",
        help=EVENTS_HELP,
    ),
    customers: str | None = typer.Option(
        None, "--customers", help="Customer attributes (segment, region, ...), same formats."
    ),
    customers_id: str | None = CUSTOMERS_ID,
    mapping: list[str] = typer.Option(
        [],
        "--map",
        help=MAP_HELP,
    ),
    quarantine: Path | None = typer.Option(
        None, "--quarantine", help="Where bad rows go [default: EVENTS-NAME.quarantine.csv here]."
    ),
    fmt: str = typer.Option("table", "--format", "-f", help="table, json or html."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write here, not stdout."),
    engine: str = ENGINE,
    spark_master: str = SPARK_MASTER,
    spark_conf: list[str] = SPARK_CONF,
    spark_staging: Path | None = SPARK_STAGING,
    segment_by: str | None = typer.Option(
        None, "--segment-by", help="An event/customer attribute, or 'persona'."
    ),
    journey_gap_days: float | None = typer.Option(
        None, "--journey-gap-days", help="Start a new journey after this many idle days."
    ),
    since: str | None = typer.Option(None, "--since", help="Only events from this time (ISO)."),
    until: str | None = typer.Option(None, "--until", help="Only events before this time."),
    state: str = typer.Option("current", "--state", help="Bind to the current or future state."),
    funnel: str | None = typer.Option(
        None, "--funnel", help="Funnel steps, comma-separated [default: required steps in order]."
    ),
    funnel_mode: str = typer.Option("ordered", "--funnel-mode", help="ordered, strict or any."),
    window_hours: float | None = typer.Option(
        None, "--window-hours", help="Funnel conversion window, from the first step."
    ),
    top: int = typer.Option(20, "--top", help="Variants to keep per segment."),
    collapse_repeats: bool = typer.Option(
        False, "--collapse-repeats", help="Count A, A, B as A, B in variants and flows."
    ),
    level: str = typer.Option(
        "step", "--level", help="step, or stage: each stage counts as one step (needs a map)."
    ),
) -> None:
    """Bind events to the map and compute reach, variants, flows, funnels, channel switches,
    repeated contacts and KPIs. Bad rows are quarantined with their reason, never dropped."""
    from ..analytics import FunnelOptions, JourneyOptions
    from ..evaluation import quarantine_path
    from ..events import ColumnMapping

    if fmt not in ("table", "json", "html"):
        err_console.print("--format must be table, json or html.")
        raise typer.Exit(2)
    if funnel_mode not in ("ordered", "strict", "any"):
        err_console.print("--funnel-mode must be ordered, strict or any.")
        raise typer.Exit(2)
    if level not in ("step", "stage") or (level == "stage" and map_file is None):
        err_console.print("--level must be step or stage; stage needs a MAP.")
        raise typer.Exit(2)
    journey = read_map(map_file) if map_file else None
    try:
        columns = ColumnMapping.parse_pairs(mapping)
    except ValueError as error:
        err_console.print(f"--map: {error}")
        raise typer.Exit(2) from None
    chosen = engine_choice(engine, spark_master, spark_conf, spark_staging)
    options = JourneyOptions(
        journey_gap_days=journey_gap_days, start=_when(since, "--since"),
        end=_when(until, "--until"), segment_by=segment_by, state=state,  # type: ignore[arg-type]
        collapse_repeats=collapse_repeats, level=level,  # type: ignore[arg-type]
    )  # fmt: skip
    funnel_options = None
    if funnel:
        window = window_hours * 3600 if window_hours is not None else None
        steps = [s.strip() for s in funnel.split(",") if s.strip()]
        funnel_options = FunnelOptions(steps, mode=funnel_mode, window_seconds=window)  # type: ignore[arg-type]
    quarantine = quarantine or quarantine_path(events)
    result = _run(events, (customers, customers_id), columns, quarantine, journey, chosen,
                  options, funnel_options, top)  # fmt: skip
    _emit(result, journey, fmt, output)


def _run(events: str, customers: tuple[str | None, str | None], columns: ColumnMapping,
         quarantine: Path | None,
         journey: Any, engine: dict[str, Any], options: JourneyOptions,
         funnel: FunnelOptions | None, top: int) -> Analysis:  # fmt: skip
    from ..evaluation import AnalysisOptions, EvaluationSettings, Sources

    sources = Sources(events, columns, customers=customers[0],
                      customer_id=customers[1] or "customer_id", quarantine=quarantine)  # fmt: skip
    settings = EvaluationSettings(
        **engine, insights=None,
        analysis=AnalysisOptions(journeys=options, funnel=funnel, top_variants=top),
    )  # fmt: skip
    result = run_evaluation(journey, sources, settings).analysis
    assert result is not None
    return result


def _emit(result: Analysis, journey: Any, fmt: str, output: Path | None) -> None:
    if fmt == "table":
        _print_tables(result)
        return
    if fmt == "json":
        text = result.to_json() + "\n"
    else:
        from ..render.report import render_report

        text = render_report(result, journey)
    write_output(text, output)


def _print_tables(result: Analysis) -> None:
    data = result.to_dict()
    names = {s["id"]: s["name"] for s in data["steps"]}
    summary = data["summary"]
    console.print(
        f"[bold]{summary['customers']:,}[/bold] customers, {summary['journeys']:,} journeys, "
        f"{summary['events']:,} events ({summary['mapped_share']:.0%} mapped)"
    )
    for problem in data["problems"]:
        console.print(f"[yellow]{problem}[/yellow]", highlight=False)
    if "funnel" in data:
        table = Table("Segment", "Step", "Journeys", "From first", "From previous", "Dropped",
                      title="Funnel")  # fmt: skip
        for row in data["funnel"]:
            step = names.get(row["step"], row["step"])
            table.add_row(row["segment"], step, f"{row['journeys']:,}",
                          f"{row['conversion']:.1%}", f"{row['step_conversion']:.1%}",
                          f"{row['dropped']:,}")  # fmt: skip
        console.print(table)
    variants = Table("Segment", "#", "Variant", "Journeys", "Coverage", title="Top variants")
    for row in [r for r in data["variants"] if r["rank"] <= 5]:
        steps = " → ".join(names.get(s, s) for s in row["variant"])
        variants.add_row(row["segment"], str(row["rank"]), steps, f"{row['journeys']:,}",
                         f"{row['coverage']:.1%}")  # fmt: skip
    console.print(variants)
    if data["unmapped"]:
        unmapped = Table("Event", "Customers", "Share", title="Events the map does not cover")
        for row in data["unmapped"][:15]:
            unmapped.add_row(row["event"], f"{row['customers']:,}", f"{row['share']:.1%}")
        console.print(unmapped)
