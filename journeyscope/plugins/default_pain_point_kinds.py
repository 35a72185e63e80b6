"""The built-in kinds of pain points found in the events (``docs/insights.md`` defines each).

Survey kinds (``low_score``, ``negative_comment``) are not registered kinds: they are judged on
survey answers per customer, not on a check per journey.
"""

from __future__ import annotations

from ._types import PainPointKind
from .hookspecs import hookimpl


@hookimpl
def register_pain_point_kinds() -> list[PainPointKind]:
    # imported when asked: the insights layer itself asks the registry for its kinds
    from ..insights import _checks as c
    from ..insights._escalations import escalation_checks
    from ..insights._pain_point import GoalRateGap, RateAbove, ReportHits

    return [
        PainPointKind("drop_off", c.drop_off_checks, RateAbove(lambda o: o.drop_off_min)),
        # a slow transition is a pain point when most journeys wait too long
        PainPointKind("slow_transition", c.slow_checks, RateAbove(0.5)),
        PainPointKind("repeat_contact", c.repeat_checks, RateAbove(lambda o: o.repeat_min)),
        PainPointKind("loop", c.loop_checks, RateAbove(lambda o: o.loop_min)),
        PainPointKind("channel_switch", c.switch_checks, GoalRateGap()),
        PainPointKind("bounce", c.bounce_checks, RateAbove(lambda o: o.bounce_min)),
        PainPointKind("failed_step", c.failure_checks, ReportHits()),
        # chat or a web form, then the phone within a window: judged by its rate, whatever the
        # goal rate (everybody may get their answer in the end)
        PainPointKind("escalation", escalation_checks, RateAbove(lambda o: o.escalation_min)),
    ]
