"""One evaluation behind every surface: :func:`evaluate` loads the sources once, binds and orders
the journeys once, computes the analysis and the insights on one engine, and closes it.

The command line (``analyze``, ``insights``, ``check``, ``story --events``), the workspace's
background runner, the demo and notebooks all call it; nothing else computes evidence, so the
same map and data give the same numbers everywhere.

>>> import pandas as pd
>>> from journeyscope.formats import parse_map
>>> journey = parse_map('''
... id: shop
... title: Shop
... stages:
...   - id: buy
...     name: Buy
...     steps:
...       - {id: visit, name: Visit, evidence: [{event: visit}]}
...       - {id: pay, name: Pay, evidence: [{event: pay}]}
... ''')
>>> events = pd.DataFrame({"customer_id": ["a", "a", "b"], "event": ["visit", "pay", "visit"],
...     "ts": ["2024-05-01 10:00", "2024-05-01 10:05", "2024-05-01 11:00"]})
>>> result = evaluate(journey, Sources(events))
>>> result.analysis.summary["customers"], result.insights.validation.goal
(2, 'pay')
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .analytics import Analysis, FlowOptions, FunnelOptions, JourneyOptions, Prepared, prepare
from .analytics.report import analyze_prepared
from .engine import Engine, connect, read_events, read_surveys
from .events import (
    ColumnMapping,
    EventLog,
    LoadReport,
    SurveyLog,
    SurveyMapping,
    load_events,
    load_surveys,
)
from .insights import (
    DecisionStore,
    InsightOptions,
    Insights,
    Staleness,
    compute_backing,
    compute_emotion_curve,
    compute_insights,
    compute_kpi_status,
    compute_staleness,
    insight_context,
)
from .insights.report import INSIGHTS_SCHEMA, insight_journeys
from .model import InsightSettings, JourneyMap

__all__ = [
    "AnalysisOptions",
    "Evaluation",
    "EvaluationSettings",
    "Sources",
    "engine_setting",
    "evaluate",
    "load_sources",
]

#: the engine every evaluation uses unless told otherwise (duckdb, spark)
ENGINE_ENV = "JOURNEYSCOPE_ENGINE"
#: a TOML file: ``engine = "spark"`` and a ``[spark]`` table of its options (see docs/spark.md)
ENGINE_CONFIG_ENV = "JOURNEYSCOPE_ENGINE_CONFIG"

#: quarantined rows kept on the result for a user to look at (all of them go to the file)
QUARANTINE_ROWS = 200


@dataclass(frozen=True)
class Sources:
    """What the evidence is read from: events (a file, ``duckdb:``/``sqlite:`` table or a
    DataFrame) with their column mapping, optionally customers and survey answers, and where
    bad rows go."""

    events: Any
    mapping: ColumnMapping | None = None
    customers: Any = None
    customer_id: str = "customer_id"
    surveys: Any = None
    survey_mapping: SurveyMapping | None = None
    #: quarantine CSV of the events and customers (None: kept in memory only)
    quarantine: str | os.PathLike[str] | None = None
    survey_quarantine: str | os.PathLike[str] | None = None
    #: what the load reports call the events (``events``) and the survey answers (``surveys``)
    #: instead of their paths — a workspace names the uploaded file, never the server's copy
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AnalysisOptions:
    """The analytics half: how events become journeys and what to compute beyond the defaults."""

    journeys: JourneyOptions = field(default_factory=JourneyOptions)
    funnel: FunnelOptions | None = None
    flows: FlowOptions | None = None
    top_variants: int | None = 20
    repeat_times: int = 2
    repeat_window_days: float = 7


@dataclass(frozen=True)
class EvaluationSettings:
    """What to compute and where. ``analysis``/``insights`` None leave that half out;
    ``scope="staleness"`` computes only what the staleness check needs (for ``check``)."""

    #: default: ``JOURNEYSCOPE_ENGINE``, else the engine config file's, else duckdb
    engine: str = field(default_factory=lambda: engine_setting()[0])
    #: empty: the engine config file's options for this engine
    engine_options: Mapping[str, Any] = field(default_factory=dict)
    analysis: AnalysisOptions | None = field(default_factory=AnalysisOptions)
    insights: InsightOptions | None = field(default_factory=InsightOptions)
    scope: Literal["all", "staleness"] = "all"
    #: replaces the map's own ``insights`` settings (value per customer, costs, targets...)
    insight_settings: InsightSettings | None = None
    decisions: DecisionStore | None = None


@dataclass
class Evaluation:
    """Everything one evaluation found: the load reports, the analysis, the insights."""

    map_id: str | None
    load: LoadReport
    surveys: LoadReport | None = None
    #: the first quarantined rows (source, n, location, reason, record)
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    analysis: Analysis | None = None
    insights: Insights | None = None
    #: with ``scope="staleness"``: the staleness check alone
    staleness: Staleness | None = None

    def check_report(self) -> dict[str, Any]:
        """The ``check --format json`` document."""
        staleness = self.staleness or (self.insights.staleness if self.insights else None)
        if staleness is None:
            raise ValueError("this evaluation has no staleness check")
        return {"schema": INSIGHTS_SCHEMA, "map": self.map_id, "staleness": staleness.to_dict()}

    def write_tables(self, folder: str | os.PathLike[str]) -> list[Path]:
        """The result as files in ``folder`` (made if missing), each written aside and moved
        into place: ``analysis.json``, ``insights.json``, and each analysis table as Parquet
        (``reach.parquet``, ``kpi-NAME.parquet``...) for a lake or warehouse to load."""
        import pyarrow.parquet as pq

        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []

        def put(name: str, content: Any) -> None:
            aside = out / f".{name}.writing"
            if isinstance(content, str):
                aside.write_text(content, encoding="utf-8")
            else:
                pq.write_table(content, aside)
            os.replace(aside, out / name)
            written.append(out / name)

        for name, part in (("analysis", self.analysis), ("insights", self.insights)):
            if part is not None:
                put(f"{name}.json", part.to_json() + "\n")
        tables = dict(self.analysis.tables) if self.analysis is not None else {}
        kpis = self.analysis.kpis if self.analysis is not None else {}
        tables.update({f"kpi-{name}": table for name, table in kpis.items()})
        for name, table in tables.items():
            put(f"{name}.parquet", table)
        return written


def engine_setting(
    engine: str | None = None, environ: Mapping[str, str] | None = None
) -> tuple[str, dict[str, Any]]:
    """The engine (``engine``, else ``JOURNEYSCOPE_ENGINE``, else the config file's, else
    duckdb) and its options from the file ``JOURNEYSCOPE_ENGINE_CONFIG`` names (TOML: a
    table per engine, e.g. ``[spark]`` with ``master``, ``staging`` and ``[spark.config]``)."""
    import tomllib

    environ = os.environ if environ is None else environ
    config: dict[str, Any] = {}
    if environ.get(ENGINE_CONFIG_ENV):
        path = Path(environ[ENGINE_CONFIG_ENV])
        try:
            config = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise ValueError(f"{path}: cannot read the engine settings: {error}") from None
    name = engine or environ.get(ENGINE_ENV) or str(config.get("engine", "duckdb"))
    options = config.get(name, {})
    if not isinstance(options, dict):
        raise ValueError(f"{ENGINE_CONFIG_ENV}: [{name}] must be a table of options")
    return name, dict(options)


def load_sources(
    sources: Sources, settings: EvaluationSettings | None = None
) -> tuple[EventLog, SurveyLog | None]:
    """Events (and customers) into one log, survey answers next to them. With ``settings``
    whose engine reads sources itself (Spark: Parquet, CSV, JSON Lines, catalog tables), the
    events and the survey answers are read and checked there and never pass through this
    machine."""
    log = None
    if settings is not None:
        options = _engine_options(settings)
        log = read_events(settings.engine, sources.events, sources.mapping,
                          customers=sources.customers, customer_id=sources.customer_id,
                          quarantine=sources.quarantine, **options)  # fmt: skip
    if log is None:
        log = load_events(
            sources.events,
            sources.mapping,
            customers=sources.customers,
            customer_id=sources.customer_id,
            quarantine=sources.quarantine,
        )
    answers = None
    if sources.surveys is not None and settings is not None:
        answers = read_surveys(settings.engine, sources.surveys, sources.survey_mapping,
                               into=log, quarantine=sources.survey_quarantine)  # fmt: skip
    if sources.surveys is not None and answers is None:
        answers = load_surveys(
            sources.surveys,
            sources.survey_mapping,
            into=log,
            quarantine=sources.survey_quarantine,
        )
    for role, report in (("events", log.report), ("surveys", answers.report if answers else None)):
        if report is not None and role in sources.labels:
            report.source = sources.labels[role]
            if report.quarantine_file is not None:  # its name, not where the server keeps it
                report.quarantine_file = Path(report.quarantine_file.name)
    return log, answers


def _engine_options(settings: EvaluationSettings) -> dict[str, Any]:
    return dict(settings.engine_options) or engine_setting(settings.engine)[1]


def evaluate(
    journey: JourneyMap | None,
    sources: Sources | EventLog,
    settings: EvaluationSettings | None = None,
    *,
    surveys: SurveyLog | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> Evaluation:
    """Load ``sources`` (or take an already loaded log and its ``surveys``), then compute the
    analysis and the insights of ``journey`` on one engine, closed before returning.
    ``progress(stage, fraction)`` hears how far it got. Without a map there are no insights."""
    settings = settings or EvaluationSettings()
    tell = progress or (lambda stage, fraction: None)
    if isinstance(sources, EventLog):
        log, answers = sources, surveys
    else:
        tell("loading", 0.1)
        log, answers = load_sources(sources, settings)
    result = Evaluation(
        map_id=journey.id if journey else None,
        load=log.report,
        surveys=answers.report if answers is not None else None,
        quarantine=log.quarantined().slice(0, QUARANTINE_ROWS).to_pylist(),
    )
    runner = connect(log, settings.engine, **_engine_options(settings))
    try:
        _compute(result, journey, log, answers, settings, runner, tell)
    finally:
        runner.close()
        if log is not sources and hasattr(log, "close"):  # a log Spark read: its views go
            log.close()
    tell("done", 1.0)
    return result


def _compute(
    result: Evaluation,
    journey: JourneyMap | None,
    log: EventLog,
    answers: SurveyLog | None,
    settings: EvaluationSettings,
    runner: Engine,
    tell: Callable[[str, float], None],
) -> None:
    insight_options = settings.insights if journey is not None else None
    prepared, prepared_as = None, None  # the bound journeys, and the options they were made with
    if settings.analysis is not None and settings.scope == "all":
        tell("binding the events to the map", 0.3)
        prepared_as = settings.analysis.journeys
        prepared = prepare(runner, journey, prepared_as, log.has_customers)
        tell("computing the analysis", 0.5)
        a = settings.analysis
        result.analysis = analyze_prepared(
            prepared, journey, funnel=a.funnel, flows=a.flows, top_variants=a.top_variants,
            repeat_times=a.repeat_times, repeat_window_days=a.repeat_window_days,
            load=log.report.as_dict(),
        )  # fmt: skip
    if insight_options is None or journey is None:
        return
    # the insights read the same bound journeys when they were made the way they need them
    wanted = insight_journeys(insight_options)
    if prepared is None or prepared_as != wanted:
        tell("binding the events to the map", 0.6)
        prepared = prepare(runner, journey, wanted, log.has_customers)
    tell("finding pain points", 0.75)
    if settings.scope == "staleness":
        result.staleness = _staleness(log, journey, answers, insight_options, prepared)
        return
    result.insights = compute_insights(
        log, journey, surveys=answers, options=insight_options,
        settings=settings.insight_settings, decisions=settings.decisions, prepared=prepared,
    )  # fmt: skip


def _staleness(
    log: EventLog,
    journey: JourneyMap,
    answers: SurveyLog | None,
    options: InsightOptions,
    prepared: Prepared,
) -> Staleness:
    """What ``check`` needs: the evidence behind each element, the KPIs, the feelings measured
    in surveys (when there are any) and the staleness verdict built from them."""
    context = insight_context(log, journey, surveys=answers, options=options, prepared=prepared)
    backing = compute_backing(context, options.evidence)
    kpis = compute_kpi_status(context, options.kpis)
    curve = compute_emotion_curve(context, options.evidence) if answers is not None else None
    return compute_staleness(context, backing, options.staleness, kpis, curve)


def same_customers(options: InsightOptions) -> InsightOptions:
    """Options that cut every journey at the staleness split, so the same customers are
    compared before and after (lifecycle maps, where one journey spans the whole period)."""
    if options.staleness.split is None:
        raise ValueError("comparing the same customers needs a split date")
    cut = dataclasses.replace(options.journeys, split_at=options.staleness.split)
    return dataclasses.replace(options, journeys=cut)


def quarantine_path(source: Any) -> Path | None:
    """Where the CLI puts the bad rows of a file: ``NAME.quarantine.csv`` in the working
    folder; None for in-memory sources."""
    if not isinstance(source, str | os.PathLike):
        return None
    text = os.fspath(source).split("::")[0]
    kind, sep, rest = text.partition(":")  # ga4:FILE, duckdb:FILE (not a URL's scheme)
    if sep and kind.isalnum() and len(kind) > 1 and not rest.startswith("//"):
        text = rest
    name = Path(text).name
    for wildcard in "*?[]":  # a glob's files: no wildcard in the file's name
        name = name.replace(wildcard, "_")
    return Path(f"{name}.quarantine.csv")
