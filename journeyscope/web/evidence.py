"""Evidence for a map: run the one evaluation in a worker thread; read stored results back.

The stored result is ``Analysis.to_dict()``; it is turned back into an :class:`Analysis` (Arrow
tables from the rows) so the same renderer functions draw the evidence lane and the charts.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ..analytics import Analysis
from ..analytics.report import TABLES
from ..evaluation import EvaluationSettings, Sources, evaluate
from ..model import JourneyMap
from ..render.lane import LaneFigures, evidence_lane
from ..render.report import funnel_html, plotly_js, sankey_html
from ..store import Store
from .painpoints import DbDecisionStore
from .sources import column_mapping, survey_mapping
from .uploads import SavedFile

__all__ = [
    "AnalysisRunner",
    "Job",
    "analysis_from_dict",
    "charts",
    "metrics_for",
    "plotly_js",
    "user_message",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One evaluation to run: the analysis row, the map version, the uploaded files."""

    analysis_id: int
    map_id: int
    version: int
    events: SavedFile
    customers: SavedFile | None = None
    surveys: SavedFile | None = None
    #: the confirmed column mappings by role (a data source's); none: the default names
    mappings: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the files are a data source's kept files: not deleted after the analysis
    keep: bool = False

    def files(self) -> dict[str, SavedFile]:
        """The uploaded files by role (``events``, ``customers``, ``surveys``)."""
        roles = {"events": self.events, "customers": self.customers, "surveys": self.surveys}
        return {role: saved for role, saved in roles.items() if saved is not None}


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


class AnalysisRunner:
    """A small thread pool; each job updates its row (status, progress, result) as it goes."""

    def __init__(self, store: Store, data_dir: Path, workers: int = 1):
        self.store = store
        self.data_dir = data_dir
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="analysis")
        #: told the map id when an evaluation is stored (the app re-reads the map's status)
        self.on_done: Callable[[int], None] | None = None

    def submit(self, job: Job) -> Future[None]:
        """Queue the evaluation of a job's uploaded files."""
        return self.pool.submit(self.run, job)

    def run(self, job: Job) -> None:
        analysis_id, update, given = job.analysis_id, self.store.update_analysis, job.files()
        try:
            update(analysis_id, "running", 0.05)
            journey, _ = self.store.load_journey(job.map_id, job.version)
            folder = self.data_dir / "quarantine"
            maps = job.mappings
            sources = Sources(
                job.events.path,
                mapping=column_mapping(maps["events"]) if "events" in maps else None,
                customers=job.customers.path if job.customers else None,
                customer_id=maps.get("customers", {}).get("customer_id", "customer_id"),
                surveys=job.surveys.path if job.surveys else None,
                survey_mapping=survey_mapping(maps["surveys"]) if "surveys" in maps else None,
                quarantine=folder / f"analysis-{analysis_id}.csv",
                survey_quarantine=folder / f"analysis-{analysis_id}.surveys.csv",
                labels={role: saved.filename for role, saved in given.items()},
            )
            settings = EvaluationSettings(decisions=DbDecisionStore(self.store, job.map_id))

            def progress(stage: str, fraction: float) -> None:
                if fraction < 1.0:
                    update(analysis_id, "running", round(fraction * 0.95, 2))

            result = evaluate(journey, sources, settings, progress=progress)
            assert result.analysis is not None and result.insights is not None
            update(
                analysis_id,
                "done",
                1.0,
                result=_jsonable(result.analysis.to_dict()),
                quarantine=_jsonable({"report": result.load.as_dict(), "rows": result.quarantine}),
                insights=_jsonable(result.insights.to_dict()),
            )
            if self.on_done is not None:
                self.on_done(job.map_id)
        except Exception as error:  # the user sees why their file failed, in plain words
            log.warning("analysis %s failed", analysis_id, exc_info=True)
            paths = {str(saved.path): saved.filename for saved in given.values()}
            update(analysis_id, "failed", 1.0, error=user_message(error, paths)[:2000])
        finally:
            for saved in given.values() if not job.keep else ():
                saved.path.unlink(missing_ok=True)

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


_MISSING = re.compile(
    r"no column '(?P<column>[^']*)' for the (?P<role>[a-z_ ]+?); columns are: .*?"
    r"(?:Map it with --map [a-z_]+=COLUMN\.|Name it with --customers-id COLUMN .*?\)\.)",
    re.S,
)


def user_message(error: BaseException, names: dict[str, str]) -> str:
    """What a user may read of a failed analysis: our own sentences (a missing column, a bad
    map, a query the data could not run) with server paths replaced by ``names``; anything
    else — an engine's own message can carry SQL, paths and data — becomes one plain sentence
    (the details are in the server log)."""
    if isinstance(error, ValueError | FileNotFoundError):  # QueryError is one
        text = str(error) or type(error).__name__
        for path, name in names.items():
            text = text.replace(path, name)
        missing = _MISSING.search(text)
        if missing:  # the command line's advice (--map) means nothing in a browser
            return (
                f"{text[: missing.start()].rstrip(': ')}: no column {missing['column']!r} for "
                f"the {missing['role']}. Add the file on the Data page instead: there you pick "
                "which of its columns is which."
            )
        return text
    if isinstance(error, duckdb.Error):
        return "the file could not be read as this kind of data (the server log has the details)"
    return "the analysis failed unexpectedly (the server log has the details)"


def analysis_from_dict(data: dict[str, Any]) -> Analysis:
    """An :class:`Analysis` rebuilt from its stored JSON form."""
    tables = {name: pa.Table.from_pylist(data[name]) for name in TABLES if data.get(name)}
    for name in ("reach", "flows"):
        tables.setdefault(name, pa.table({"segment": pa.array([], pa.string())}))
    return Analysis(
        map_id=data.get("map"),
        engine=data.get("engine", ""),
        summary=data.get("summary", {}),
        steps=data.get("steps", []),
        tables=tables,
        problems=data.get("problems", []),
        load=data.get("load"),
    )


def _segment(data: dict[str, Any]) -> str:
    segments = (data.get("summary") or {}).get("segments") or ["all"]
    return str(segments[0])


def metrics_for(
    data: dict[str, Any] | None,
    insights: dict[str, Any] | None = None,
    journey: JourneyMap | None = None,
) -> LaneFigures | None:
    """The map's evidence lane of a stored evaluation (None without one): the same function
    the report and the story draw it with, in the map's language with ``journey``."""
    if not data:
        return None
    return evidence_lane(journey, analysis_from_dict(data), insights, _segment(data))


def charts(data: dict[str, Any]) -> dict[str, str]:
    """Plotly HTML snippets: the Sankey of flows and the funnels (plotly.js loaded apart)."""
    analysis = analysis_from_dict(data)
    segment = _segment(data)
    result = {"sankey": sankey_html(analysis, segment)} if data.get("flows") else {}
    for table in ("funnel", "stage_funnel"):
        if table in analysis.tables:
            result[table] = funnel_html(analysis, table, segment)
    return result
