"""A planted world: the files a generator wrote and the truth it planted in them.

The truth is written from the problem's side — what happens to which customers, at which step
of the map, in which segment — never from what a detector happens to report. ``truth.json``
beside the files holds the same (schema ``journeyscope.planted/1``, see ``docs/insights.md``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ...evaluation import Sources
from ...events import ColumnMapping, SurveyMapping

__all__ = [
    "TRUTH_SCHEMA",
    "Decoy",
    "PlantedDrift",
    "PlantedImprovement",
    "PlantedKpi",
    "PlantedProblem",
    "PlantedSegment",
    "PlantedWorld",
]

TRUTH_SCHEMA = "journeyscope.planted/1"


@dataclass(frozen=True)
class PlantedSegment:
    """Where a problem is concentrated: ``attribute`` (its column name in the data) has
    ``value``; ``level`` says whether it is an attribute of the events at the step (the device of
    the checkout event) or of the customer (a CRM column). ``role`` is the event role the column
    is mapped to (``channel``), when it is one: a finding may name it by either name.
    ``personas`` are the map's personas whose rule is exactly this segment (the same
    customers): ``persona=<id>`` names it too."""

    attribute: str
    value: str
    level: Literal["event", "customer"]
    role: str | None = None
    personas: tuple[str, ...] = ()

    def names(self) -> set[str]:
        """The ways a finding may name this segment: ``attribute=value``, ``persona=id``."""
        names = {f"{a}={self.value}" for a in (self.attribute, self.role) if a}
        return names | {f"persona={p}" for p in self.personas}


@dataclass(frozen=True)
class PlantedProblem:
    """One planted pain point: its ``kind`` (a registered pain-point kind or a survey kind),
    the map ``step`` it is about, the ``segment`` it is concentrated in (None: everybody), the
    rate there and elsewhere, and how many customers have it. ``also`` lists the other kinds of
    evidence of the same problem (a low score *and* a complaint on the same answers), and
    ``also_steps`` the other steps where that evidence shows (the scores after an escalation):
    a finding of any of them is this problem, and two findings of it are one too many.
    ``symptoms`` are (kind, step) pairs where the problem also shows without being named (the
    complaints after an escalation, found as complaints): such a finding is no false alarm,
    but it is not the problem found either."""

    id: str
    kind: str
    step: str
    segment: PlantedSegment | None
    rate: float
    rest_rate: float
    customers: int
    description: str
    also: tuple[str, ...] = ()
    also_steps: tuple[str, ...] = ()
    symptoms: tuple[tuple[str, str], ...] = ()

    @property
    def steps(self) -> set[str]:
        return {self.step, *self.also_steps}

    @property
    def kinds(self) -> set[str]:
        return {self.kind, *self.also}

    @property
    def segment_names(self) -> set[str]:
        return self.segment.names() if self.segment else {"all"}


@dataclass(frozen=True)
class Decoy:
    """A normal pattern that looks like a problem to a naive detector (weekly newsletters as a
    loop, a repurchase 30 days after a newsletter as a slow wait): a finding of ``kind`` at
    ``step`` is a false one."""

    kind: str
    step: str
    description: str


@dataclass(frozen=True)
class PlantedImprovement:
    """An opportunity with a launch date: ``real`` ones moved their KPI from ``before`` to
    ``after`` at the launch; a placebo (``real=False``) changed nothing."""

    opportunity: str
    kpi: str
    real: bool
    before: float
    after: float


@dataclass(frozen=True)
class PlantedKpi:
    """A KPI whose target the data misses (or meets), by construction."""

    kpi: str
    target: float
    value: float
    status: Literal["met", "missed"]


@dataclass(frozen=True)
class PlantedDrift:
    """A new, unmapped event that appears from ``since`` in about ``share_after`` of the
    journeys that start after it: ``check`` should say the map is stale."""

    event: str
    since: dt.date
    share_after: float


@dataclass
class PlantedWorld:
    """The files of one generated world and its truth."""

    shape: str
    n_customers: int
    seed: int
    folder: Path
    events: Path
    customers: Path
    surveys: Path
    map: Path
    mapping: ColumnMapping
    customer_id: str
    survey_mapping: SurveyMapping
    problems: list[PlantedProblem]
    decoys: list[Decoy] = field(default_factory=list)
    improvements: list[PlantedImprovement] = field(default_factory=list)
    kpis: list[PlantedKpi] = field(default_factory=list)
    drift: PlantedDrift | None = None
    #: False: the events' columns named like our words (step, seq, ...) were renamed source_*
    colliding_names: bool = True

    @property
    def truth_file(self) -> Path:
        return self.folder / "truth.json"

    def sources(self) -> Sources:
        """What :func:`journeyscope.evaluation.evaluate` reads: events, customers, surveys."""
        return Sources(
            events=str(self.events),
            mapping=self.mapping,
            customers=str(self.customers),
            customer_id=self.customer_id,
            surveys=str(self.surveys),
            survey_mapping=self.survey_mapping,
        )

    def map_options(self) -> list[str]:
        """The command line's ``--map NAME=COLUMN`` values for the events' column names."""
        return [f"{k}={v}" for k, v in self.mapping.model_dump(exclude_defaults=True).items()]

    def truth(self) -> dict[str, Any]:
        """The truth as the ``journeyscope.planted/1`` JSON document."""
        files = {k: getattr(self, k).name for k in ("events", "customers", "surveys", "map")}
        return {
            "schema": TRUTH_SCHEMA,
            "shape": self.shape,
            "customers": self.n_customers,
            "seed": self.seed,
            "colliding_names": self.colliding_names,
            "files": files,
            "mapping": self.mapping.model_dump(exclude_defaults=True),
            "customer_id": self.customer_id,
            "survey_mapping": self.survey_mapping.model_dump(exclude_defaults=True),
            "problems": [_plain(p) for p in self.problems],
            "decoys": [_plain(d) for d in self.decoys],
            "improvements": [_plain(i) for i in self.improvements],
            "kpis": [_plain(k) for k in self.kpis],
            "drift": _plain(self.drift) if self.drift else None,
        }

    def write_truth(self) -> Path:
        text = json.dumps(self.truth(), ensure_ascii=False, indent=2)
        tmp = self.truth_file.with_suffix(".tmp")
        tmp.write_text(text + "\n", encoding="utf-8")
        tmp.replace(self.truth_file)
        return self.truth_file


def _plain(value: Any) -> dict[str, Any]:
    data = dataclasses.asdict(value)
    return json.loads(json.dumps(data, default=str))
