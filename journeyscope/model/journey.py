"""The journey map and its elements, as the product brief's glossary names them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Literal

from pydantic import Field, ValidationInfo, model_validator

from .base import Element, HexColour, Id, ImageRef, Label
from .evidence import Condition, EvidenceRule
from .research import InsightSettings, ResearchEvidence

Scope = Literal["experience", "lifecycle"]
PathKind = Literal["happy", "unhappy", "exception", "other"]
StepKind = Literal["required", "optional", "alternative"]
Cadence = Literal["daily", "weekly", "monthly", "quarterly", "yearly"]
OpportunityStatus = Literal["idea", "planned", "in_progress", "launched", "dropped"]
Level = Literal["low", "medium", "high"]
MapState = Literal["current", "future"]
LaneKind = Literal["text", "list", "image", "metric"]

#: The list lanes of a step, in the order a map shows them.
LIST_LANES = (
    "actions",
    "thoughts",
    "needs",
    "expectations",
    "experience",
    "pain_points",
    "delights",
)
#: The lists of a step's backstage.
BACKSTAGE_LISTS = ("teams", "systems", "processes", "policies", "stakeholders")

#: The lanes every map has, in the order a map draws them; a custom lane's ``after`` names one
#: of these (or another custom lane) to take its place among them.
BUILT_IN_LANES = (
    "actions",
    "touchpoints",
    "thoughts",
    "emotion",
    "feeling_words",
    "needs",
    "pain_points",
    "delights",
    "moment_of_truth",
    "opportunities",
    "teams",
    "systems",
    "processes",
    "evidence",
)

#: Channels the brief names; any other lowercase word is accepted too.
KNOWN_CHANNELS = (
    "web",
    "app",
    "email",
    "store",
    "phone",
    "chat",
    "social",
    "word_of_mouth",
    "sms",
    "mail",
    "event",
    "partner",
    "other",
)


class EmotionScale(Element):
    """The scale emotion scores are drawn on, e.g. -3 (awful) .. +3 (delighted)."""

    min: float = Field(default=-3, description="Lowest score (worst feeling).")
    max: float = Field(default=3, description="Highest score (best feeling).")
    min_label: str | None = Field(default=None, description="Word for the lowest score.")
    max_label: str | None = Field(default=None, description="Word for the highest score.")

    @model_validator(mode="after")
    def _ordered(self) -> EmotionScale:
        if self.min >= self.max:
            raise ValueError(f"emotion scale min ({self.min}) must be below max ({self.max})")
        return self


class Feeling(Element):
    """How a persona feels at a step: a score on the map's emotion scale plus words."""

    persona: Id | None = Field(default=None, description="Persona id; empty = every persona.")
    score: float | None = Field(default=None, description="Score on the map's emotion scale.")
    words: list[str] = Field(default_factory=list, description="e.g. curiosity, frustration.")


class MediaShare(Element):
    """One channel in a persona's media mix."""

    channel: str = Field(min_length=1)
    share: float | None = Field(default=None, ge=0, le=1, description="Share of contacts, 0..1.")


class ContactPreferences(Element):
    """How often, at what rhythm and when a persona wants to be contacted."""

    frequency: str | None = Field(default=None, description="e.g. 'twice a month'.")
    cadence: str | None = Field(default=None, description="e.g. 'after each trip'.")
    timing: str | None = Field(default=None, description="e.g. 'weekday evenings'.")


class Persona(Element):
    """A typical customer or segment the map is drawn for."""

    id: Id
    name: Label
    photo: ImageRef | None = Field(
        default=None,
        description="A photo or picture of the persona: an image file next to the map file "
        "(images/ana.jpg; in a workspace, an image uploaded to it) or an embedded data: URI. "
        "PNG, JPEG or WebP only.",
    )
    age: str | None = Field(default=None, max_length=80, description="Age or age range: 35-44.")
    occupation: str | None = Field(default=None, max_length=200, description="What they do.")
    location: str | None = Field(default=None, max_length=200, description="Where they live.")
    description: str | None = None
    quote: str | None = None
    goals: list[str] = Field(default_factory=list)
    behaviours: list[str] = Field(default_factory=list)
    needs: list[str] = Field(default_factory=list)
    frustrations: list[str] = Field(default_factory=list)
    media_mix: list[MediaShare] = Field(default_factory=list)
    contact: ContactPreferences | None = None
    attributes: dict[str, str] = Field(
        default_factory=dict,
        description="Custom fields, label -> value, shown on the persona card: income, family, "
        "devices...",
    )
    segment: list[Condition] = Field(
        default_factory=list,
        description="Customer-attribute conditions that place a customer in this persona.",
    )


class Backstage(Element):
    """The company journey behind a step or touchpoint (a service blueprint row)."""

    teams: list[str] = Field(default_factory=list)
    systems: list[str] = Field(default_factory=list)
    processes: list[str] = Field(default_factory=list)
    policies: list[str] = Field(default_factory=list)
    stakeholders: list[str] = Field(default_factory=list)
    owner: str | None = None

    def is_empty(self) -> bool:
        return not any(
            (self.teams, self.systems, self.processes, self.policies, self.stakeholders, self.owner)
        )


class Touchpoint(Element):
    """Where the customer meets the business, on a channel."""

    id: Id
    name: Label
    channel: str = Field(min_length=1, description=f"One of {', '.join(KNOWN_CHANNELS)} or other.")
    description: str | None = None
    cost_per_contact: float | None = Field(
        default=None, ge=0, description="What one contact here costs the business."
    )
    backstage: Backstage | None = None
    evidence: list[EvidenceRule] = Field(default_factory=list)
    research: list[ResearchEvidence] = Field(
        default_factory=list, description="Qualitative evidence: interviews, observations..."
    )


class CellImage(Element):
    """A picture on a step: a screenshot, a photo from the field, a sketch."""

    image: ImageRef = Field(
        description="An image file next to the map file (images/pay.png; in a workspace, an "
        "image uploaded to it) or an embedded data: URI. PNG, JPEG or WebP only."
    )
    caption: str | None = Field(default=None, max_length=500, description="Words under it.")
    lane: Id | None = Field(
        default=None,
        description="The id of the image lane it is shown in; empty = under the step's name.",
    )


class CustomLane(Element):
    """A lane a map adds to the built-in ones: text, a list, images, or a KPI's figures."""

    id: Id
    name: Label
    kind: LaneKind = Field(
        default="list",
        description="text: a paragraph per step; list: items per step; image: pictures per "
        "step; metric: the value of a KPI on the steps it measures, from the newest evaluation.",
    )
    kpi: Id | None = Field(default=None, description="Metric lanes: the id of the KPI shown.")
    after: str | None = Field(
        default=None,
        description=f"The lane this one follows: one of {', '.join(BUILT_IN_LANES)} or another "
        "custom lane's id; empty = after all the others.",
    )


class Opportunity(Element):
    """A planned improvement to a step."""

    id: Id
    title: Label
    description: str | None = None
    owner: str | None = None
    status: OpportunityStatus = "idea"
    priority: Level | None = None
    effort: Level | None = None
    expected_effect: str | None = None
    launch_date: dt.date | None = None
    kpis: list[Id] = Field(default_factory=list, description="KPI ids that measure it.")


class Step(Element):
    """What the customer does to get from A to B, with every lane of the map."""

    id: Id
    name: Label
    description: str | None = None
    kind: StepKind = Field(default="required", description="required, optional or alternative.")
    initiated_by: Literal["customer", "company"] = Field(
        default="customer",
        description="company: a send the company makes (a newsletter, a confirmation, a "
        "reminder), not something the customer does; such a step is never a loop, a drop-off, "
        "a bounce or a slow wait; it is a trigger instead: insights report the share of its "
        "sends a customer answered (the insights' sends).",
    )
    alternative_to: Id | None = Field(
        default=None, description="For an alternative step: the step it replaces."
    )
    personas: list[Id] = Field(
        default_factory=list, description="Personas who take this step; empty = all."
    )
    actions: list[str] = Field(default_factory=list)
    touchpoints: list[Touchpoint] = Field(default_factory=list)
    thoughts: list[str] = Field(default_factory=list)
    feelings: list[Feeling] = Field(default_factory=list)
    needs: list[str] = Field(default_factory=list)
    expectations: list[str] = Field(default_factory=list)
    experience: list[str] = Field(default_factory=list)
    pain_points: list[str] = Field(default_factory=list)
    delights: list[str] = Field(default_factory=list)
    moment_of_truth: bool = False
    opportunities: list[Opportunity] = Field(default_factory=list)
    lanes: dict[Id, list[str]] = Field(
        default_factory=dict,
        description="What the step shows in the map's text and list lanes: lane id -> items "
        "(a text lane shows one paragraph per item).",
    )
    images: list[CellImage] = Field(
        default_factory=list,
        description="Pictures on the step, under its name or in an image lane.",
    )
    backstage: Backstage | None = None
    evidence: list[EvidenceRule] = Field(default_factory=list)
    research: list[ResearchEvidence] = Field(
        default_factory=list, description="Qualitative evidence: interviews, observations..."
    )
    current: Id | None = Field(
        default=None, description="Future state only: the current-state step this one evolves."
    )
    detail_map: Id | None = Field(
        default=None,
        description="The id of a more detailed map of this step (a sub-map); in a workspace, "
        "the map with this id in the same workspace opens from the step.",
    )

    def feeling_for(self, persona: str | None) -> Feeling | None:
        """The feeling drawn for ``persona``, falling back to the all-persona feeling."""
        general = None
        for feeling in self.feelings:
            if feeling.persona == persona:
                return feeling
            if feeling.persona is None:
                general = feeling
        return general


class Stage(Element):
    """A phase of the journey; its steps run left to right (right to left in RTL maps)."""

    id: Id
    name: Label
    description: str | None = None
    color: HexColour | None = Field(
        default=None,
        description="The stage's colour on the map, #rrggbb; its name is drawn in black or white, "
        "whichever reads better on it.",
    )
    goals: list[str] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    current: Id | None = Field(
        default=None, description="Future state only: the current-state stage this one evolves."
    )
    narration: str | None = Field(
        default=None, description="What to say over this stage's slide in the story (a caption)."
    )


class JourneyPath(Element):
    """A named route through the steps: the happy path, an unhappy path, an exception."""

    id: Id
    name: Label
    kind: PathKind = "happy"
    description: str | None = None
    steps: list[Id] = Field(min_length=1)


class KPI(Element):
    """A measure of success with a target and review cadence."""

    id: Id
    name: Label
    description: str | None = None
    formula: str | None = Field(
        default=None, description="e.g. count(email_open) / count(email_sent)."
    )
    unit: str | None = None
    target: float | None = None
    direction: Literal["higher_is_better", "lower_is_better"] = "higher_is_better"
    cadence: Cadence = "weekly"
    owner: str | None = None
    touchpoints: list[Id] = Field(default_factory=list, description="Touchpoint or step ids.")


class FutureState(Element):
    """The journey as it should be once the gaps are closed; elements point back via ``current``."""

    description: str | None = None
    stages: list[Stage] = Field(default_factory=list)


class JourneyMap(Element):
    """A customer journey map: the current state, optionally a future state."""

    journeyscope: Literal[1] = Field(default=1, description="File format version.")
    id: Id
    title: Label
    scope: Scope = "experience"
    description: str | None = None
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    emotion_scale: EmotionScale = Field(default_factory=EmotionScale)
    personas: list[Persona] = Field(default_factory=list)
    stages: list[Stage] = Field(min_length=1)
    paths: list[JourneyPath] = Field(default_factory=list)
    kpis: list[KPI] = Field(default_factory=list)
    lanes: list[CustomLane] = Field(
        default_factory=list,
        description="Lanes this map adds to the built-in ones, each placed after a lane it names.",
    )
    future: FutureState | None = None
    narration: str | None = Field(
        default=None, description="What to say over the story's title slide (a caption)."
    )
    insights: InsightSettings | None = Field(
        default=None, description="Settings for insights: goal step, money, thresholds."
    )

    @model_validator(mode="after")
    def _integrity(self, info: ValidationInfo) -> JourneyMap:
        # Loaders ask to skip this and call find_problems() themselves, to locate each problem.
        if info.context and info.context.get("skip_integrity"):
            return self
        from .integrity import find_problems

        problems = find_problems(self)
        if problems:
            raise ValueError("; ".join(f"{p.where}: {p.message}" for p in problems))
        return self

    @property
    def is_rtl(self) -> bool:
        """True for right-to-left languages (Hebrew, Arabic, Persian, Urdu, Yiddish)."""
        return self.language.split("-")[0] in {"he", "ar", "fa", "ur", "yi", "iw"}

    def stages_of(self, state: MapState = "current") -> list[Stage]:
        """The stages of the current or the future state (ValueError: no future state)."""
        if state == "future":
            if self.future is None:
                raise ValueError(f"map {self.id!r} has no future state")
            return self.future.stages
        return self.stages

    def steps(self) -> Iterator[tuple[Stage, Step]]:
        """Every current-state step in map order, with its stage."""
        for stage in self.stages:
            for step in stage.steps:
                yield stage, step

    def step(self, step_id: str) -> Step:
        for _, step in self.steps():
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def touchpoints(self) -> Iterator[tuple[Step, Touchpoint]]:
        for _, step in self.steps():
            for touchpoint in step.touchpoints:
                yield step, touchpoint

    def persona(self, persona_id: str) -> Persona:
        for persona in self.personas:
            if persona.id == persona_id:
                return persona
        raise KeyError(persona_id)
