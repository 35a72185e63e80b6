"""Survey answers for the Tour De Farce demo, derived from the generated events.

Drawn with their own random stream, so adding surveys leaves the events byte for byte the same:

* each ``survey_response`` event becomes a CSAT answer with its score and comment: an exit
  survey after searching is about the ``search_tours`` event; a survey after the trip is about
  what the customer went through before it (``contact-support`` when they contacted support,
  ``login-itinerary`` when they had to log in, else ``travel``);
* half of the customers who contacted support give a CES answer on their first support
  touchpoint (high effort);
* customers who view the itinerary in the account answer a CES about it; on the mobile app
  the effort is much higher — a problem concentrated in one segment;
* a third of the bookers give an NPS for the booking step;
* two malformed answers show the quarantine.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

Row = tuple[str, ...]
HEADER = ("customer_id", "ts", "kind", "score", "touchpoint", "event", "step", "comment")
_SUPPORT_TP = {
    "support_call": "support-phone",
    "support_chat": "support-chat",
    "support_email": "support-mail",
}
_NPS_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 5, 8, 9, 7)
_CES_COMMENTS = (
    "Took three calls to get my itinerary.",
    "Had to explain everything again.",
    "Long wait on the hotline.",
    "",
)


def _answer(
    c: str,
    ts: str,
    kind: str,
    score: int | str,
    *,
    touchpoint: str = "",
    event: str = "",
    step: str = "",
    comment: str = "",
) -> Row:
    return (c, ts, kind, str(score), touchpoint, event, step, comment)


def _post_trip_step(history: list[Row]) -> str:
    names = {row[2] for row in history}
    if names & set(_SUPPORT_TP):
        return "contact-support"
    return "login-itinerary" if "login" in names else "travel"


def _customer_answers(rng: random.Random, rows: list[Row], device: str) -> list[Row]:
    out: list[Row] = []
    for k, (c, ts, event, _channel, score, comment) in enumerate(rows):
        if event == "survey_response" and score:
            booked = any(r[2] == "booking_complete" for r in rows[:k])
            target = {"step": _post_trip_step(rows[:k])} if booked else {"event": "search_tours"}
            out.append(_answer(c, ts, "csat", score, comment=comment, **target))
        elif event == "booking_complete" and rng.random() < 0.33:
            nps = rng.choices(range(11), _NPS_WEIGHTS)[0]
            out.append(_answer(c, ts, "nps", nps, step="book-tour"))
        elif event == "view_itinerary" and rng.random() < 0.5:
            high = device == "app"
            effort = rng.choice((5, 6, 6, 7) if high else (1, 2, 2, 3))
            note = "The app logs me out before I find the itinerary." if high else ""
            out.append(_answer(c, ts, "ces", effort, touchpoint="account", comment=note))
    contacts = [r for r in rows if r[2] in _SUPPORT_TP]
    if contacts and rng.random() < 0.5:
        c, ts, event = contacts[-1][:3]
        effort, note = rng.choice((4, 5, 6, 7, 7)), rng.choice(_CES_COMMENTS)
        out.append(_answer(c, ts, "ces", effort, touchpoint=_SUPPORT_TP[event], comment=note))
    return out


def survey_rows(events: Sequence[Row], devices: dict[str, str], seed: int) -> list[Row]:
    """Answers for the customers of ``events`` (customer_id, ts, event, channel, score, comment)."""
    rng = random.Random(seed * 7919 + 1)
    by_customer: dict[str, list[Row]] = defaultdict(list)
    for row in events:
        if row[0] and row[1][:1].isdigit():
            by_customer[row[0]].append(row)
    out: list[Row] = []
    for customer in sorted(by_customer):
        out.extend(_customer_answers(rng, by_customer[customer], devices.get(customer, "")))
    out.sort(key=lambda r: r[1])
    if len(out) > 4:
        out.insert(len(out) // 3, _answer(out[0][0], out[0][1], "csat", "", step="pay"))
        out.insert(len(out) // 2, _answer(out[1][0], out[1][1], "stars", 4, step="pay"))
    return out
