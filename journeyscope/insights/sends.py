"""What the company's sends set off: for each step marked ``initiated_by: company`` (a
newsletter, a reminder, a confirmation), how many sends a customer answered — a step of their
own within ``window_days`` and before the next send of the same step — with its Wilson
interval and the median time to the answer.

A send is a trigger, never a customer's loop, drop-off or wait (see ``_checks``): this is
where it is judged instead.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ._context import Context
from ._stats import rate_interval

__all__ = ["SendOptions", "SendResponse", "compute_sends"]


@dataclass(frozen=True)
class SendOptions:
    """A customer's step within ``window_days`` of a send answers it."""

    window_days: float = 7


@dataclass
class SendResponse:
    """The answers to one company step's sends."""

    step: str
    name: str
    sends: int
    customers: int
    responded: int
    response_rate: float
    rate_low: float | None
    rate_high: float | None
    median_hours: float | None
    window_days: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _sql(context: Context, step: str, customer_sids: str, window: float) -> str:
    """One row per send: its journey, and the seconds to the customer's first step after it
    (NULL when none came within the window and before the next send)."""
    sid = context.prepared.sid(step)
    sends = (
        "SELECT jid, cid, pos, t, lead(t) OVER (PARTITION BY jid ORDER BY t, pos) AS next_t "
        f"FROM {context.tables.path} WHERE sid = {sid}"
    )
    return (
        "SELECT s.jid, s.cid, s.pos, min(c.t) - s.t AS wait FROM "
        f"({sends}) s LEFT JOIN {context.tables.path} c ON c.jid = s.jid "
        f"AND c.sid IN ({customer_sids}) AND c.t > s.t AND c.t <= s.t + {window} "
        "AND (s.next_t IS NULL OR c.t < s.next_t) "
        "GROUP BY s.jid, s.cid, s.pos, s.t"
    )


def compute_sends(context: Context, options: SendOptions | None = None) -> list[SendResponse]:
    """Every company step the log reaches, with the answers to its sends."""
    options = options or SendOptions()
    company = [s for s in context.steps.values() if s.initiated_by == "company"]
    customer = [
        str(context.prepared.sid(s.id))
        for s in context.steps.values()
        if s.initiated_by == "customer"
    ]
    if not company or not customer:
        return []
    engine, window = context.prepared.engine, float(options.window_days) * 86400
    found = []
    for step in company:
        per_send = _sql(context, step.id, ", ".join(customer), window)
        row = context.query(
            "SELECT count(*) AS sends, count(DISTINCT cid) AS customers, count(wait) AS answered, "
            f"{engine.median('wait')} AS median FROM ({per_send}) r"
        )[0]
        if not row["sends"]:
            continue
        sends, answered = int(row["sends"]), int(row["answered"])
        low, high = rate_interval(answered, sends)
        median = float(row["median"]) / 3600 if row["median"] is not None else None
        found.append(
            SendResponse(
                step.id,
                step.name,
                sends,
                int(row["customers"]),
                answered,
                answered / sends,
                low,
                high,
                median,
                options.window_days,
            )
        )
    return found
