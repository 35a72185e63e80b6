"""The Typer application object that every command module registers on."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from ..evaluation import Evaluation, EvaluationSettings, Sources
    from ..model import JourneyMap

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


#: What ``--events`` takes, for every command that reads events.
EVENTS_HELP = (
    "Events: .csv/.tsv (or a glob), .parquet (file, folder or glob), .jsonl, .xes, .xes.gz, "
    "a sources file (.yaml: several sources, one log), duckdb:FILE::TABLE, sqlite:FILE::TABLE, "
    "postgresql://USER@HOST/DB::SCHEMA.TABLE (a .sql file in place of the table: its query), "
    "a .sqlite/.duckdb file with one table, xes:FILE::lifecycle=intervals (XES options), "
    "ocel:FILE::TYPE (OCEL 2.0, one journey per object of TYPE), or an export by name: "
    "ga4:FILE, segment:FILE, mixpanel:FILE, amplitude:FILE, snowplow:FILE, zendesk:FILE, "
    "freshdesk:FILE, intercom:FILE."
)
#: What ``--map`` takes.
MAP_HELP = (
    "Column mapping, repeatable: "
    "format=ga4|segment|mixpanel|amplitude|snowplow|zendesk|freshdesk|intercom, "
    "customer_id=COL, anonymous_id=COL, ts=COL, event=COL, channel=COL|none, attributes=A,B, "
    "ts_format=FMT, timezone=ZONE, ts_unit=s|ms|us|ns (inferred when left out), "
    "event_order=E1,E2, "
    "file_order=true. A nested field is its path: properties.plan."
)
#: What ``--survey-map`` takes.
SURVEY_MAP_HELP = (
    "Survey column mapping, repeatable: "
    "format=qualtrics|surveymonkey|zendesk|freshdesk|intercom, "
    "questions=Q1:nps,Q2:csat, about=touchpoint:ID|step:ID|event:NAME, customer_id=COL, "
    "ts=COL, score=COL, kind=COL, default_kind=csat|nps|ces, comment=COL, timezone=ZONE."
)

#: The customers file's id column, for every command that reads ``--customers``.
CUSTOMERS_ID = typer.Option(
    None,
    "--customers-id",
    help="The customers file's id column [default: customer_id, or, when the file has no such "
    "column, the one --map customer_id=COLUMN names].",
    show_default=False,
)

#: The engine options of every command that evaluates (analyze, insights, check).
ENGINE = typer.Option(
    None,
    "--engine",
    help="Where the queries run: duckdb (embedded) or spark (which then reads Parquet, CSV, "
    "JSON Lines and spark:TABLE sources itself) [default: $JOURNEYSCOPE_ENGINE, else the "
    "file $JOURNEYSCOPE_ENGINE_CONFIG names, else duckdb].",
    show_default=False,
)
SPARK_MASTER = typer.Option(
    None,
    "--spark-master",
    help="With --engine spark: local[N], or a cluster (spark://HOST:7077, yarn, k8s://...) "
    "[default: the engine config file's, else local[2]].",
    show_default=False,
)
SPARK_CONF = typer.Option(
    [],
    "--spark-conf",
    help="With --engine spark, repeatable: KEY=VALUE (spark.executor.memory=8g).",
)
SPARK_STAGING = typer.Option(
    None,
    "--spark-staging",
    help="With --engine spark, for sources Spark does not read itself (XES, duckdb:, sqlite:): "
    "where the checked events are handed to Spark as Parquet [default: a temporary folder]; "
    "on a cluster, a folder every node reads (a shared mount).",
)


def engine_choice(
    engine: str | None, master: str | None, conf: list[str], staging: Path | None
) -> dict[str, Any]:
    """The engine settings of an evaluation (``engine``, ``engine_options``) from the command
    line over the environment's (``engine_setting``); exit 2 on a bad one."""
    from ..engine import ENGINES
    from ..evaluation import engine_setting

    try:
        engine, options = engine_setting(engine)
    except ValueError as error:
        err_console.print(str(error), highlight=False)
        raise typer.Exit(2) from None
    if engine not in ENGINES:
        err_console.print(f"--engine must be one of {', '.join(ENGINES)}.")
        raise typer.Exit(2)
    if engine != "spark":
        return {"engine": engine, "engine_options": options}
    bad = [pair for pair in conf if "=" not in pair or not pair.split("=", 1)[0]]
    if bad:
        err_console.print(f"--spark-conf takes KEY=VALUE, not {bad[0]!r}.", highlight=False)
        raise typer.Exit(2)
    config = {**options.get("config", {}), **dict(pair.split("=", 1) for pair in conf)}
    options = {"master": "local[2]", **options, "config": config}
    options.update({"master": master} if master else {})
    options.update({"staging": staging} if staging else {})
    return {"engine": engine, "engine_options": options}


def write_output(text: str, output: Path | None, message: str | None = None) -> None:
    """``text`` to stdout, or atomically to ``output`` with a line on stderr saying so."""
    if output is None:
        typer.echo(text, nl=False)
        return
    from ..formats import atomic_write_text

    atomic_write_text(output, text)
    err_console.print(message or f"Wrote {output}", highlight=False)


def run_evaluation(
    journey: JourneyMap | None, sources: Sources, settings: EvaluationSettings
) -> Evaluation:
    """``evaluate`` with a spinner; bad input exits 2 with its plain message, and what was
    loaded and quarantined is said on stderr."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from ..evaluation import evaluate

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True) as bar:  # fmt: skip
        task = bar.add_task("Loading", total=1.0)

        def tell(stage: str, fraction: float) -> None:
            bar.update(task, completed=fraction, description=stage.capitalize())

        try:
            result = evaluate(journey, sources, settings, progress=tell)
        except (ValueError, FileNotFoundError) as error:
            bar.stop()
            err_console.print(f"[red]{error}[/red]", highlight=False)
            raise typer.Exit(2) from None
    for report in [result.load, *([result.surveys] if result.surveys else [])]:
        print_load(report)
    return result


def print_load(report: Any) -> None:
    """One load report on stderr: rows loaded of read, where the bad ones went and why."""
    note = f"; {report.quarantined:,} quarantined to {report.quarantine_file}"
    err_console.print(
        f"Loaded {report.loaded:,} of {report.read:,} rows from "
        f"{report.source}{note if report.quarantined else ''}",
        highlight=False,
    )
    for reason, count in report.reasons.items():
        err_console.print(f"  {count:,} × {reason}", highlight=False)
    if getattr(report, "linked_ids", 0):
        err_console.print(
            f"  {report.linked_ids:,} anonymous ids joined to their customer", highlight=False
        )
    for note in getattr(report, "notes", []):
        err_console.print(f"  Note: {note}", highlight=False)
