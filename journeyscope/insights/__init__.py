"""Insights on a bound map: validation, evidence, pain points, priority, KPIs, improvements and
staleness. Built on analytics results; pure of web and storage."""

from ._context import Context, build_context
from .decisions import Decision, DecisionStore, JsonDecisionStore, decisions_path
from .evidence import (
    ElementBacking,
    EmotionPoint,
    EvidenceOptions,
    compute_backing,
    compute_emotion_curve,
)
from .improvements import Improvement, ImprovementOptions, KpiEffect, compute_improvements
from .kpi_status import KpiOptions, KpiStatus, compute_kpi_status
from .pain_points import PainPoint, PainPointOptions, detect_pain_points
from .priority import priority_score
from .report import (
    INSIGHTS_SCHEMA,
    InsightOptions,
    Insights,
    compute_insights,
    insight_context,
)
from .segments import Segment, SegmentOptions, build_segments
from .sends import SendOptions, SendResponse, compute_sends
from .staleness import Staleness, StalenessOptions, compute_staleness
from .validation import Validation, ValidationOptions, compute_validation

__all__ = [
    "INSIGHTS_SCHEMA",
    "Context",
    "Decision",
    "DecisionStore",
    "ElementBacking",
    "EmotionPoint",
    "EvidenceOptions",
    "Improvement",
    "ImprovementOptions",
    "InsightOptions",
    "Insights",
    "JsonDecisionStore",
    "KpiEffect",
    "KpiOptions",
    "KpiStatus",
    "PainPoint",
    "PainPointOptions",
    "Segment",
    "SegmentOptions",
    "SendOptions",
    "SendResponse",
    "Staleness",
    "StalenessOptions",
    "Validation",
    "ValidationOptions",
    "build_context",
    "build_segments",
    "compute_backing",
    "compute_emotion_curve",
    "compute_improvements",
    "compute_insights",
    "compute_kpi_status",
    "compute_sends",
    "compute_staleness",
    "compute_validation",
    "decisions_path",
    "detect_pain_points",
    "insight_context",
    "priority_score",
]
