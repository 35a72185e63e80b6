"""The journey-map domain: pydantic values with no knowledge of files, storage, web or engines."""

from .evidence import Condition, EvidenceRule
from .integrity import Problem, find_problems, format_path
from .journey import (
    BACKSTAGE_LISTS,
    KNOWN_CHANNELS,
    KPI,
    LIST_LANES,
    Backstage,
    ContactPreferences,
    EmotionScale,
    Feeling,
    FutureState,
    JourneyMap,
    JourneyPath,
    MapState,
    MediaShare,
    Opportunity,
    Persona,
    Stage,
    Step,
    Touchpoint,
)
from .research import InsightSettings, ResearchEvidence, WaitTarget

__all__ = [
    "BACKSTAGE_LISTS",
    "KNOWN_CHANNELS",
    "KPI",
    "LIST_LANES",
    "Backstage",
    "Condition",
    "ContactPreferences",
    "EmotionScale",
    "EvidenceRule",
    "Feeling",
    "FutureState",
    "InsightSettings",
    "JourneyMap",
    "JourneyPath",
    "MapState",
    "MediaShare",
    "Opportunity",
    "Persona",
    "Problem",
    "ResearchEvidence",
    "Stage",
    "Step",
    "Touchpoint",
    "WaitTarget",
    "find_problems",
    "format_path",
]
