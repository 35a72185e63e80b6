"""Commands: insights (validation, pain points, KPIs, improvements, staleness), decide, stale."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Column, Table

from ._app import (
    CUSTOMERS_ID,
    ENGINE,
    EVENTS_HELP,
    MAP_HELP,
    SPARK_CONF,
    SPARK_MASTER,
    SPARK_STAGING,
    SURVEY_MAP_HELP,
    app,
    console,
    engine_choice,
    err_console,
    run_evaluation,
    write_output,
)
from .analyze_cmd import _when
from .maps_cmd import read_map

if TYPE_CHECKING:  # the engine and its data libraries load when a command runs, not at --help
    from ..evaluation import Sources
    from ..insights import InsightOptions, Insights

_EVENTS_HELP = EVENTS_HELP


def _sources(
    events: str,
    customers: str | None,
    mapping: list[str],
    surveys: str | None,
    survey_mapping: list[str],
    customers_id: str | None = None,
) -> Sources:
    """The command line's sources: bad rows to ``NAME.quarantine.csv`` in the working folder."""
    from ..evaluation import Sources, quarantine_path
    from ..events import ColumnMapping, SurveyMapping

    try:
        return Sources(
            events,
            ColumnMapping.parse_pairs(mapping),
            customers=customers,
            customer_id=customers_id or "customer_id",
            surveys=surveys,
            survey_mapping=SurveyMapping.parse_pairs(survey_mapping),
            quarantine=quarantine_path(events),
            survey_quarantine=quarantine_path(surveys),
        )
    except ValueError as error:
        err_console.print(f"[red]{error}[/red]", highlight=False)
        raise typer.Exit(2) from None


def _options(
    since: str | None,
    until: str | None,
    segment_by: list[str],
    split: str | None,
    as_of: str | None,
) -> InsightOptions:
    from ..analytics import JourneyOptions
    from ..insights import EvidenceOptions, InsightOptions, SegmentOptions, StalenessOptions

    day = _when(as_of, "--as-of")
    return InsightOptions(
        journeys=JourneyOptions(start=_when(since, "--since"), end=_when(until, "--until")),
        segments=SegmentOptions(only=tuple(segment_by) if segment_by else None),
        evidence=EvidenceOptions(as_of=day.date() if day else None),
        staleness=StalenessOptions(split=_when(split, "--split")),
    )


@app.command(name="insights")
def insights_command(
    map_file: Path = typer.Argument(..., help="Map file (YAML or JSON)."),
    events: str = typer.Option(..., "--events", "-e", help=_EVENTS_HELP),
    customers: str | None = typer.Option(None, "--customers", help="Customer attributes file."),
    customers_id: str | None = CUSTOMERS_ID,
    surveys: str | None = typer.Option(
        None,
        "--surveys",
        help="Survey answers (CSAT/NPS/CES): customer_id, ts, score, kind, "
        "touchpoint/event/step, comment.",
    ),
    mapping: list[str] = typer.Option([], "--map", help=MAP_HELP),
    survey_mapping: list[str] = typer.Option([], "--survey-map", help=SURVEY_MAP_HELP),
    fmt: str = typer.Option("table", "--format", "-f", help="table, json or html."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write here, not stdout."),
    segment_by: list[str] = typer.Option(
        [], "--segment-by", help="Look for pain points only across these attributes (repeatable)."
    ),
    since: str | None = typer.Option(None, "--since", help="Only events from this time (ISO)."),
    until: str | None = typer.Option(None, "--until", help="Only events before this time."),
    split: str | None = typer.Option(
        None, "--split", help="Staleness: compare journeys starting before / after this date."
    ),
    as_of: str | None = typer.Option(None, "--as-of", help="Evidence ages to this day [today]."),
    decisions: Path | None = typer.Option(
        None, "--decisions", help="Decisions file [default: MAP-NAME.decisions.json beside it]."
    ),
    top: int = typer.Option(15, "--top", help="Pain points to print in the table."),
    engine: str = ENGINE,
    spark_master: str = SPARK_MASTER,
    spark_conf: list[str] = SPARK_CONF,
    spark_staging: Path | None = SPARK_STAGING,
) -> None:
    """Validate the map against events and surveys, find and rank pain points, check KPIs,
    track improvements and say whether the map is stale."""
    from ..evaluation import EvaluationSettings
    from ..insights import JsonDecisionStore, decisions_path

    if fmt not in ("table", "json", "html"):
        err_console.print("--format must be table, json or html.")
        raise typer.Exit(2)
    journey = read_map(map_file)
    settings = EvaluationSettings(
        **engine_choice(engine, spark_master, spark_conf, spark_staging),
        analysis=None,
        insights=_options(since, until, segment_by, split, as_of),
        decisions=JsonDecisionStore(decisions or decisions_path(map_file)),
    )
    sources = _sources(events, customers, mapping, surveys, survey_mapping, customers_id)
    result = run_evaluation(journey, sources, settings).insights
    assert result is not None
    if fmt == "table":
        _print(result, top)
        return
    if fmt == "json":
        text = result.to_json() + "\n"
    else:
        from ..render.insights import render_insights

        text = render_insights(result, journey)
    write_output(text, output)


def _pct(value: Any) -> str:
    return "–" if value is None else f"{value:.1%}"


def _money(value: Any) -> str:
    return "–" if value is None else f"{value:,.0f}"


def _print(result: Insights, top: int) -> None:
    data = result.to_dict()
    v = data["validation"]
    console.print(
        f"[bold]{data['map']}[/bold]: {data['summary']['journeys']:,} journeys, "
        f"{data['summary']['answers']:,} survey answers; goal step {data['goal']}; "
        f"{_pct(v['in_order_share'])} follow the map's order"
    )
    if (fit := v.get("conformance")) is not None:
        console.print(
            f"{_pct(fit['conforming_share'])} fit the map with its optional steps, repeats and "
            f"loops within a stage (mean fitness {fit['mean_fitness']:.2f})"
        )
    _print_validation(v)
    shown = data["pain_points"][:top]
    table = Table(
        "#",
        Column("Key", overflow="fold", min_width=16),  # keys are long; fold, don't starve
        Column("Customers", no_wrap=True),
        "Severity",
        "p",
        "Value at risk",
        "Cost",
        "Owners",
        Column("Priority", no_wrap=True),
        "Status",
        title="Pain points, by priority",
    )
    for n, p in enumerate(shown, start=1):
        pv = p["evidence"].get("p_value")
        table.add_row(
            str(n),
            p["key"],
            f"{p['customers_affected']:,}",
            _pct(p["severity"]),
            "–" if pv is None else f"{pv:.2g}",
            _money(p["value_at_risk"]),
            _money(p["handling_cost"]),
            ", ".join(p["owners"]),
            f"{p['priority']:,.0f}",
            p["status"],
        )
    console.print(table)
    _print_kpis(data)
    _print_staleness(data["staleness"])


def _print_validation(v: dict[str, Any]) -> None:
    stages = Table("Stage", "Journeys", "To next stage", "To goal", title="Success per stage")
    for s in v["stages"]:
        stages.add_row(s["name"], f"{s['journeys']:,}", _pct(s["next_rate"]), _pct(s["goal_rate"]))
    console.print(stages)
    moments = Table(
        "Step",
        "With",
        "Without",
        "Difference (95% CI)",
        "p",
        title="Moments that matter (goal rate with / without the step)",
    )
    for m in v["moments"][:8]:
        ci = f"{m['difference']:+.1%} ({_pct(m['ci_low'])}..{_pct(m['ci_high'])})"
        p = "–" if m["p_value"] is None else f"{m['p_value']:.2g}"
        moments.add_row(m["name"], _pct(m["with_rate"]), _pct(m["without_rate"]), ci, p)
    console.print(moments)
    if v["unobserved_steps"]:
        console.print(f"Steps nobody takes: {', '.join(v['unobserved_steps'])}", highlight=False)
    if v["unmapped_events"]:
        gaps = ", ".join(f"{u['event']} ({_pct(u['share'])})" for u in v["unmapped_events"][:6])
        console.print(f"Events the map does not cover: {gaps}", highlight=False)


def _print_kpis(data: dict[str, Any]) -> None:
    kpis = Table("KPI", "Last", "Target", "Status", "Trend", title="KPIs")
    for k in data["kpis"]:
        last = "–" if k["last"] is None else f"{k['last']:.3g}"
        target = "–" if k["target"] is None else f"{k['target']:.3g}"
        kpis.add_row(k["name"], last, target, k["status"], k["trend"])
    console.print(kpis)
    for improvement in data["improvements"]:
        for e in improvement["effects"]:
            console.print(
                f"{improvement['opportunity']} (launched {improvement['launch_date']}) "
                f"→ {e['name']}: {e['verdict']} [{e['method']}]",
                highlight=False,
            )


def _print_staleness(s: dict[str, Any]) -> None:
    colour = {"fresh": "green", "stale": "red"}.get(s["status"], "yellow")
    console.print(
        f"Map status: [{colour}]{s['status']}[/{colour}] (split {s['split']}, "
        f"{s['journeys_before']:,} / {s['journeys_after']:,} journeys)"
    )
    for reason in s["reasons"]:
        console.print(f"  • {reason}", highlight=False)


@app.command(name="decide")
def decide_command(
    map_file: Path = typer.Argument(..., help="Map file the pain point belongs to."),
    key: str = typer.Argument(..., help="Pain point key, as `journeyscope insights` prints it."),
    status: str = typer.Option(..., "--status", help="accepted, dismissed or open."),
    opportunity: str | None = typer.Option(None, "--opportunity", help="Opportunity id to link."),
    owner: str | None = typer.Option(None, "--owner", help="Who takes it on."),
    note: str | None = typer.Option(None, "--note", help="Why (shown with the decision)."),
    decisions: Path | None = typer.Option(
        None, "--decisions", help="Decisions file [default: MAP-NAME.decisions.json beside it]."
    ),
) -> None:
    """Record a decision on a pain point: accept it, dismiss it or reopen it, and link it to
    the opportunity that fixes it. Later runs of `journeyscope insights` show it."""
    from ..insights import Decision, JsonDecisionStore, decisions_path

    journey = read_map(map_file)
    ids = {o.id for _, s in journey.steps() for o in s.opportunities}
    if opportunity and opportunity not in ids:
        err_console.print(f"no opportunity {opportunity!r} in the map; ids: {', '.join(ids)}")
        raise typer.Exit(2)
    try:
        decision = Decision(key, status, opportunity, owner, note)  # type: ignore[arg-type]
    except ValueError as error:
        err_console.print(f"--status: {error}")
        raise typer.Exit(2) from None
    store = JsonDecisionStore(decisions or decisions_path(map_file))
    store.put(decision)
    console.print(f"{key}: {status} (saved to {store.path})", highlight=False)


@app.command(name="check")
def stale_command(
    map_file: Path = typer.Argument(..., help="Map file (YAML or JSON)."),
    events: str = typer.Option(..., "--events", "-e", help=_EVENTS_HELP),
    customers: str | None = typer.Option(None, "--customers", help="Customer attributes file."),
    customers_id: str | None = CUSTOMERS_ID,
    surveys: str | None = typer.Option(
        None, "--surveys", help="Survey answers: also check feelings against the drawn ones."
    ),
    mapping: list[str] = typer.Option([], "--map", help=MAP_HELP),
    split: str | None = typer.Option(
        None, "--split", help="Compare journeys starting before / after this date [middle]."
    ),
    as_of: str | None = typer.Option(None, "--as-of", help="Evidence ages to this day [today]."),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json."),
    same_customers: bool = typer.Option(
        False,
        "--same-customers",
        help="Cut every journey at --split and compare the same customers before and after "
        "(for lifecycle maps, where a journey spans the whole period).",
    ),
    engine: str = ENGINE,
    spark_master: str = SPARK_MASTER,
    spark_conf: list[str] = SPARK_CONF,
    spark_staging: Path | None = SPARK_STAGING,
) -> None:
    """The staleness sentinel (also as `stale`), built for cron and CI: does the map still
    match behaviour? New unmapped events and channels, steps whose reach or conversion moved,
    drift of the variant mix, KPIs missing their targets, feelings away from the drawn ones,
    aged evidence. Exit code 1 with the reasons when the map needs an update, 0 otherwise."""
    from ..evaluation import EvaluationSettings
    from ..evaluation import same_customers as with_same_customers

    journey = read_map(map_file)
    if same_customers and split is None:
        err_console.print("--same-customers needs --split.")
        raise typer.Exit(2)
    options = _options(None, None, [], split, as_of)
    if same_customers:
        options = with_same_customers(options)
    settings = EvaluationSettings(
        **engine_choice(engine, spark_master, spark_conf, spark_staging),
        analysis=None,
        insights=options,
        scope="staleness",
    )
    sources = _sources(events, customers, mapping, surveys, [], customers_id)
    evaluation = run_evaluation(journey, sources, settings)
    report = evaluation.check_report()
    if fmt == "json":
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        _print_staleness(report["staleness"])
    if report["staleness"]["status"] == "stale":
        raise typer.Exit(1)


app.command(name="stale", help="The same as `check` (the staleness sentinel).")(stale_command)
