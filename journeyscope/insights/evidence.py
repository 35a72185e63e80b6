"""Evidence on the map: the emotion curve customers report in surveys, and each element's
backing (events, survey answers, research, and how recent the newest of them is).

Survey scores map linearly onto the map's emotion scale: a score ``s`` on a kind's scale
``lo..hi`` becomes ``min + (s - lo) / (hi - lo) * (max - min)``; for CES, where a low score
means little effort (good), ``(hi - s)`` replaces ``(s - lo)``. Per step: the mean, its 95%
t-interval and the answer count, next to the feeling score the team assumed.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow as pa
from scipy import stats

from ..events.surveys import SCALES
from ..model import EvidenceRule, JourneyMap, ResearchEvidence, Step
from ..sql import Table, literal
from ._context import Context
from ._stats import mean_interval

__all__ = [
    "ANSWERS",
    "ElementBacking",
    "EmotionPoint",
    "EvidenceOptions",
    "attach_answers",
    "bind_answers",
    "bind_survey_answers",
    "compute_backing",
    "compute_emotion_curve",
    "normalised_score",
]

#: the survey answers as the engine holds them (``events.load_surveys``, or Spark's reader)
LOADED = Table("answers")
#: every answer with ``bound_step``, ``norm`` (0..1), ``negative`` and its ``_order``
ANSWERS = Table("_ins_answers")

#: Words that make a comment negative (lower-case stems; English, Russian, Polish, Hebrew).
NEGATIVE_WORDS = (
    "not ",
    "never",
    "no ",
    "nobody",
    "nothing",
    "gave up",
    "had to",
    "why ",
    "too many",
    "nightmare",
    "hidden",
    "could not",
    "couldn't",
    "can't",
    "cannot",
    "slow",
    "wait",
    "bad",
    "terrible",
    "awful",
    "annoy",
    "frustrat",
    "confus",
    "broken",
    "error",
    "fail",
    "lost",
    "не ",
    "нет",
    "плох",
    "ужас",
    "nie ",
    "źle",
    "fatal",
    "לא ",
    "גרוע",
)


@dataclass(frozen=True)
class EvidenceOptions:
    """``persona``: compare with this persona's assumed feelings (None: the all-persona one, or
    the mean over personas); ``as_of``: the day evidence ages to (default today)."""

    persona: str | None = None
    as_of: dt.date | None = None
    min_answers: int = 5


def normalised_score(score: float, kind: str) -> float:
    """A score as 0 (worst) .. 1 (best) on its kind's scale.

    >>> normalised_score(4, "csat"), normalised_score(2, "ces"), normalised_score(10, "nps")
    (0.75, 0.8333333333333334, 1.0)
    """
    lo, hi, higher_is_better = SCALES[kind]
    share = (score - lo) / (hi - lo)
    return share if higher_is_better else 1 - share


def _rule_matches(rule: EvidenceRule, event: str) -> bool:
    if rule.event is not None:
        return event == rule.event
    if rule.event_in is not None:
        return event in rule.event_in
    if rule.event_glob is not None:
        return fnmatch.fnmatchcase(event, rule.event_glob)
    return re.fullmatch(str(rule.event_regex), event) is not None


def _event_steps(context: Context, events: list[str]) -> dict[str, str]:
    """Event name (of ``events``) -> the step its events are most often bound to in this log,
    else the first step whose rules name it."""
    if not events:
        return {}
    names = ", ".join(literal(e) for e in events)
    rows = context.query(
        f"SELECT event, step, count(*) AS n FROM {context.tables.bound} WHERE step IS NOT NULL "
        f"AND event IN ({names}) GROUP BY event, step ORDER BY event, n DESC, step"
    )
    found: dict[str, str] = {}
    for row in rows:
        found.setdefault(row["event"], row["step"])
    for event in events:
        step = found.get(event) or _step_by_rules(context.journey, event)
        if step is not None:
            found[event] = step
    return found


def _step_by_rules(journey: JourneyMap, event: str) -> str | None:
    """The first step whose rules (or its touchpoints' rules) name ``event``."""
    for _, step in journey.steps():
        rules = [*(r for tp in step.touchpoints for r in tp.evidence), *step.evidence]
        if any(_rule_matches(rule, event) for rule in rules):
            return step.id
    return None


def _case(column: str, mapping: dict[str, str]) -> str:
    if not mapping:
        return "CAST(NULL AS VARCHAR)"
    whens = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in mapping.items())
    return f"CASE {column} {whens} END"


def _norm_sql() -> str:
    """``normalised_score`` in SQL, with the same arithmetic (so the same doubles)."""
    whens = []
    for kind, (lo, hi, higher_is_better) in SCALES.items():
        share = f"(score - {lo}) / {hi - lo}"
        whens.append(f"WHEN {literal(kind)} THEN {share if higher_is_better else f'1 - {share}'}")
    return f"CASE kind {' '.join(whens)} END"


def _negative_sql() -> str:
    """``is_negative`` in SQL."""
    text = "lower(' ' || comment || ' ')"
    words = " OR ".join(f"{text} LIKE {literal(f'%{word}%')}" for word in NEGATIVE_WORDS)
    return f"(comment IS NOT NULL AND comment <> '' AND (norm <= 0.25 OR {words}))"


def bind_survey_answers(context: Context) -> int:
    """Table ``_ins_answers``: the engine's ``answers``, each with ``bound_step`` (NULL when no
    step can be found: its step, else its touchpoint's, else the step its event is most often
    bound to, else the step whose rules name the event), ``norm`` (0..1) and ``negative`` (a
    negative comment); the number of answers."""
    events = [
        str(r["event"])
        for r in context.query(f"SELECT DISTINCT event FROM {LOADED} WHERE event IS NOT NULL")
    ]
    steps = {s: s for s in context.steps}
    touchpoints = {tp: step.id for tp, (step, _) in context.touchpoints.items()} | steps
    bound = (
        f"coalesce({_case('step', steps)}, {_case('touchpoint', touchpoints)}, "
        f"{_case('event', _event_steps(context, events))})"
    )
    order = "seq" if "seq" in context.prepared.engine.columns(LOADED.name) else "0"
    context.prepared.engine.materialize(
        ANSWERS.name,
        f"SELECT *, {_negative_sql()} AS negative FROM (SELECT *, {bound} AS bound_step, "
        f"{_norm_sql()} AS norm, {order} AS _order FROM {LOADED}) a",
    )
    return int(context.query(f"SELECT count(*) AS n FROM {ANSWERS}")[0]["n"])


def attach_answers(context: Context, answers: pa.Table) -> None:
    """Survey answers made on this machine (Arrow) handed to the context's engine as table
    ``answers`` and bound there (:func:`bind_survey_answers`)."""
    context.prepared.engine.add_table(LOADED.name, answers)
    context.answers = bind_survey_answers(context)


def bind_answers(context: Context) -> list[dict[str, Any]]:
    """Every answer with ``bound_step`` (None when no step can be found), ``norm`` (0..1) and
    ``negative``, in time order, as bound by :func:`bind_survey_answers`."""
    if context.answers is None:
        return []
    rows = context.query(f"SELECT * FROM {ANSWERS} ORDER BY ts, _order")
    for row in rows:
        del row["_order"]
    return rows


def assumed_score(journey: JourneyMap, step: Step, persona: str | None) -> float | None:
    """The feeling score the map assumes at ``step``."""
    feeling = step.feeling_for(persona)
    if feeling is not None and feeling.score is not None:
        return feeling.score
    scores = [f.score for f in step.feelings if f.score is not None]
    return sum(scores) / len(scores) if scores and persona is None else None


@dataclass
class EmotionPoint:
    """The evidence emotion at one step, on the map's emotion scale."""

    step: str
    name: str
    answers: int
    customers: int
    mean: float | None
    low: float | None
    high: float | None
    assumed: float | None
    kinds: dict[str, int] = field(default_factory=dict)
    mean_score_share: float | None = None  # 0 = worst .. 1 = best
    p_below_middle: float | None = None  # one-sample t-test: below the scale's middle?
    low_score_customers: int = 0
    negative_comments: list[str] = field(default_factory=list)  # most frequent first
    negative: int = 0  # answers with a negative comment
    comments: int = 0

    @property
    def gap(self) -> float | None:
        """Evidence minus assumption (negative: customers feel worse than the map says)."""
        return None if self.mean is None or self.assumed is None else self.mean - self.assumed

    @property
    def contradicts(self) -> bool:
        """True when the assumed score lies outside the evidence's 95% interval."""
        if self.assumed is None or self.low is None or self.high is None or self.answers < 2:
            return False
        return not self.low <= self.assumed <= self.high

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["negative_comments"] = self.negative_comments[:5]
        return data | {"gap": self.gap, "contradicts": self.contradicts}


def is_negative(comment: str | None, norm: float) -> bool:
    """A comment is negative when its score is in the bottom quarter of the scale or it uses a
    word of :data:`NEGATIVE_WORDS`."""
    if not comment:
        return False
    text = f" {comment.lower()} "
    return norm <= 0.25 or any(word in text for word in NEGATIVE_WORDS)


def _point(
    context: Context, step: Step, answers: list[dict[str, Any]], persona: str | None
) -> EmotionPoint:
    scale = context.journey.emotion_scale
    point = EmotionPoint(
        step.id,
        step.name,
        len(answers),
        len({a["customer_id"] for a in answers}),
        None,
        None,
        None,
        assumed_score(context.journey, step, persona),
    )
    if not answers:
        return point
    norms = [a["norm"] for a in answers]
    share, low, high = mean_interval(norms)
    width = scale.max - scale.min
    point.mean, point.low, point.high = (scale.min + v * width for v in (share, low, high))
    point.mean_score_share = share
    point.kinds = dict(Counter(a["kind"] for a in answers))
    if len(norms) >= 2 and len(set(norms)) > 1:
        point.p_below_middle = float(stats.ttest_1samp(norms, 0.5, alternative="less").pvalue)
    point.low_score_customers = len({a["customer_id"] for a in answers if a["norm"] < 0.5})
    texts = [a for a in answers if a["comment"]]
    point.comments = len(texts)
    negative = Counter(a["comment"] for a in texts if is_negative(a["comment"], a["norm"]))
    point.negative_comments = [text for text, _ in negative.most_common()]
    point.negative = sum(negative.values())
    return point


def compute_emotion_curve(
    context: Context, options: EvidenceOptions | None = None
) -> list[EmotionPoint]:
    """Per step in map order: the evidence emotion (mean, 95% interval, answers) and the
    assumed feeling score."""
    options = options or EvidenceOptions()
    answers = bind_answers(context)
    return [
        _point(context, step, [a for a in answers if a["bound_step"] == step.id], options.persona)
        for step in context.steps.values()
    ]


@dataclass
class ElementBacking:
    """What backs one step or touchpoint, and how recent the newest piece is."""

    element: str
    kind: str  # step or touchpoint
    name: str
    events: int
    customers: int
    answers: int
    research: int
    newest: dt.date | None
    age_days: int | None
    stale_research: int
    status: str  # evidenced, stale or assumption

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _event_facts(context: Context, column: str) -> dict[str, dict[str, Any]]:
    rows = context.query(
        f"SELECT {column} AS element, count(*) AS events, count(DISTINCT cid) AS customers, "
        f"max(ts) AS last FROM {context.tables.bound} WHERE {column} IS NOT NULL GROUP BY {column}"
    )
    return {row["element"]: row for row in rows}


def _backing(
    element: str,
    kind: str,
    name: str,
    facts: dict[str, Any] | None,
    answers: list[dict[str, Any]],
    research: list[ResearchEvidence],
    as_of: dt.date,
    stale_after: int,
) -> ElementBacking:
    dates = [
        d
        for d in (
            facts["last"].date() if facts else None,
            max((a["ts"].date() for a in answers), default=None),
            max((r.date for r in research if r.date), default=None),
        )
        if d is not None
    ]
    newest = max(dates) if dates else None
    age = (as_of - newest).days if newest else None
    old = sum(1 for r in research if r.date and (as_of - r.date).days > stale_after)
    status = (
        "assumption"
        if not (facts or answers or research)
        else ("stale" if age is None or age > stale_after else "evidenced")
    )
    return ElementBacking(
        element,
        kind,
        name,
        facts["events"] if facts else 0,
        facts["customers"] if facts else 0,
        len(answers),
        len(research),
        newest,
        age,
        old,
        status,
    )


def compute_backing(
    context: Context, options: EvidenceOptions | None = None
) -> list[ElementBacking]:
    """Every step and touchpoint with its backing; none at all = an assumption; newest
    evidence older than ``stale_after_days`` = stale."""
    options = options or EvidenceOptions()
    as_of = options.as_of or dt.date.today()
    stale_after = context.settings.stale_after_days
    answers = bind_answers(context)
    steps, touchpoints = _event_facts(context, "step"), _event_facts(context, "touchpoint")
    out = []
    for step in context.steps.values():
        mine = [a for a in answers if a["bound_step"] == step.id]
        out.append(
            _backing(
                step.id,
                "step",
                step.name,
                steps.get(step.id),
                mine,
                step.research,
                as_of,
                stale_after,
            )
        )
        for tp in step.touchpoints:
            theirs = [a for a in answers if a["touchpoint"] == tp.id]
            out.append(
                _backing(
                    tp.id,
                    "touchpoint",
                    tp.name,
                    touchpoints.get(tp.id),
                    theirs,
                    tp.research,
                    as_of,
                    stale_after,
                )
            )
    return out
