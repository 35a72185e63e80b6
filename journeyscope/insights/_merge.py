"""One finding per problem: pain points that are the same customers' one problem merge into one,
with each kind of evidence kept, and are ranked once.

Two findings are one problem when they are in the same segment, are of one family — the two
survey kinds at the same step (a low score and a negative comment are mostly the same
answers), a survey kind at a step of an event finding (the late parcel and its low score),
or one event kind in the same stage (a browse loop over search and view) — and most of the
customers of the smaller one are customers of the larger one too (overlap coefficient
|A ∩ B| / min(|A|, |B|) of at least ``MIN_OVERLAP``). The finding with the higher priority
stands for both; it lists the kinds (``kinds``), keeps the other's evidence (``merged``),
takes the union of the steps and customers, and is ranked by that union. A finding at a step
the customer takes stands before one at a company send (a welcome e-mail, a reminder): the
customers leave at their own step, and the send's "nobody did anything after it" is the same
leaving seen from the company's side.

One check's findings in two segments of mostly the same customers (Jaccard index of at least
``MIN_OVERLAP``: a persona defined by the plan, and the plan) are one problem as well.

One check's finding for all customers and its finding in a segment holding most of its
customers are one problem too: the segment finding stands for it (that is where it happens),
with the all-customers evidence in ``merged``, its own customers unchanged.
"""

from __future__ import annotations

from ._context import Context
from ._pain_point import PainPoint
from .drilldown import SURVEY_KINDS
from .priority import priority_score

__all__ = ["MIN_OVERLAP", "merge_findings"]

#: most of the smaller finding's customers are in the larger one
MIN_OVERLAP = 0.5


def _stage(context: Context, point: PainPoint) -> str | None:
    step = point.steps[-1] if point.steps else None
    if step is None or step not in context.steps:
        return None
    return context.prepared.binding.step(step).stage


def _one_family(context: Context, a: PainPoint, b: PainPoint) -> bool:
    if a.segment != b.segment or a.status == "dismissed" or b.status == "dismissed":
        return False
    if a.kind in SURVEY_KINDS and b.kind in SURVEY_KINDS:
        return a.element == b.element
    if a.kind in SURVEY_KINDS or b.kind in SURVEY_KINDS:  # what they said where it happened
        survey, event = (a, b) if a.kind in SURVEY_KINDS else (b, a)
        return survey.element in event.steps
    if a.kind != b.kind:
        return False
    stage = _stage(context, a)
    return stage is not None and stage == _stage(context, b)


def _same_customers(a: PainPoint, b: PainPoint, members: dict[str, set[str]]) -> bool:
    """One check's findings in two segments of the same customers (a persona defined by the
    plan, and the plan): Jaccard |A ∩ B| / |A ∪ B| of at least ``MIN_OVERLAP``."""
    if a.kind != b.kind or a.element != b.element or "all" in (a.segment, b.segment):
        return False
    left, right = members.get(a.key, set()), members.get(b.key, set())
    return bool(left | right) and len(left & right) / len(left | right) >= MIN_OVERLAP


def _within(a: PainPoint, b: PainPoint, members: dict[str, set[str]]) -> PainPoint | None:
    """The segment finding when ``a`` and ``b`` are one check's finding for all customers and
    in a segment that holds most of its customers (then the segment is where it happens)."""
    if a.kind != b.kind or a.element != b.element or (a.segment == "all") == (b.segment == "all"):
        return None
    whole, part = (a, b) if a.segment == "all" else (b, a)
    inside = members.get(part.key, set()) & members.get(whole.key, set())
    return part if len(inside) >= MIN_OVERLAP * max(len(members.get(whole.key, ())), 1) else None


def _at_send(context: Context, point: PainPoint) -> bool:
    """True when ``point`` sits at a company send (a step initiated by the company)."""
    step = context.step_of(str(point.element))
    return step is not None and context.steps[step].initiated_by != "customer"


def overlap(a: set[str], b: set[str]) -> float:
    """|a ∩ b| / min(|a|, |b|): 1 when the smaller set lies inside the larger.

    >>> overlap({"x", "y"}, {"y", "z", "w"})
    0.5
    """
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def _absorb(
    host: PainPoint, other: PainPoint, members: dict[str, set[str]], grow: bool = True
) -> None:
    """``other``'s evidence into ``host``; ``grow``: the host's customers become the union
    (not when the other is the same check for all customers: the segment stays itself)."""
    if other.kind not in host.kinds:
        host.kinds.append(other.kind)
    host.merged.append(
        {"key": other.key, "kind": other.kind, "element": other.element,
         "steps": other.steps, "customers_affected": other.customers_affected,
         "severity": other.severity, "evidence": other.evidence}
    )  # fmt: skip
    host.steps = list(dict.fromkeys([*host.steps, *other.steps]))
    host.touchpoints = list(dict.fromkeys([*host.touchpoints, *other.touchpoints]))
    if not grow:
        return
    members[host.key] = members.get(host.key, set()) | members.get(other.key, set())
    host.customers_affected = max(len(members[host.key]), host.customers_affected)
    money = (host.value_at_risk or 0.0) + (host.handling_cost or 0.0)
    host.priority = priority_score(host.customers_affected, host.severity, money, host.effort)


def merge_findings(
    context: Context, points: list[PainPoint], members: dict[str, set[str]]
) -> list[PainPoint]:
    """``points`` with each problem once (see the module); ``members``: per key, the customer
    ids behind the finding."""
    kept: list[PainPoint] = []
    for point in sorted(points, key=lambda p: (-p.priority, p.key)):
        point.kinds = point.kinds or [point.kind]
        segment = next((k for k in kept if _within(k, point, members) is not None), None)
        if segment is not None:
            part = _within(segment, point, members)
            whole = point if part is segment else segment
            assert part is not None
            _absorb(part, whole, members, grow=False)
            if part is point:  # the segment finding stands in the whole's place
                kept[kept.index(segment)] = point
            continue
        host = next(
            (
                k
                for k in kept
                if (
                    _one_family(context, k, point)
                    and overlap(members.get(k.key, set()), members.get(point.key, set()))
                    >= MIN_OVERLAP
                )
                or _same_customers(k, point, members)
            ),
            None,
        )
        if host is None:
            kept.append(point)
        elif _at_send(context, host) and not _at_send(context, point):
            kept[kept.index(host)] = point  # the customer's own step is where it happens
            _absorb(point, host, members)
        else:
            _absorb(host, point, members)
    return kept
