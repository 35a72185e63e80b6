"""Sample evidence for the Tour De Farce demo: events and customers with two planted pain points.

The data uses the shared Tour De Farce event vocabulary and reproduces what mapping found:

1. **No tour filters.** After ``home_visit`` customers loop through ``search_tours`` and
   ``browse_tour_list``; many give up before ``view_tour``, mobile users most of all.
2. **No itinerary email.** After ``booking_complete`` and ``payment`` customers ``login`` and
   ``view_itinerary``, or contact support (``support_call``/``support_chat``/``support_email``)
   to get the trip information; their ``survey_response`` ``score`` (CSAT 1-5) is low.

Given ``itinerary_email_from`` (the launch date of the fix), bookings from that day on get an
``itinerary_email_sent`` (and ``itinerary_email_open``/``itinerary_email_click``, which the map's
KPIs count) and far fewer logins and support contacts: the future state, for improvement
tracking. ``with_bad_rows`` adds a few malformed rows (see :data:`BAD_ROWS`) to show quarantine.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     paths = generate_tour_de_farce(tmp, customers=40)
...     sorted(paths), paths["events"].name
(['customers', 'events'], 'events.csv')
"""

from __future__ import annotations

import csv
import io
import math
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from ..formats import atomic_write_text
from ._tour_rows import BAD_ROWS, COMMENTS, insert_bad_rows
from ._tour_surveys import HEADER, survey_rows

__all__ = ["BAD_ROWS", "EVENTS", "generate_tour_de_farce"]

#: The shared vocabulary: event -> channel (``login`` and ``view_itinerary`` use web or app).
EVENTS: dict[str, str] = {
    "newsletter_sent": "email",
    "newsletter_open": "email",
    "newsletter_click": "email",
    "home_visit": "web",
    "search_tours": "web",
    "browse_tour_list": "web",
    "view_tour": "web",
    "booking_start": "web",
    "booking_complete": "web",
    "payment": "web",
    "itinerary_email_sent": "email",
    "login": "web",
    "view_itinerary": "web",
    "support_call": "phone",
    "support_chat": "chat",
    "support_email": "email",
    "trip_start": "bus",
    "trip_end": "bus",
    "review_submitted": "web",
    "survey_response": "web",
}

_SEGMENTS = {"solo": 0.5, "family": 0.3, "group": 0.2}
_REGIONS = {"north": 0.3, "south": 0.25, "east": 0.2, "west": 0.25}
_DEVICES = {"desktop": 0.45, "mobile": 0.35, "app": 0.2}
# device -> (chance to open a tour, chance to give up) after each search or list page
_SEARCH_ODDS = {"desktop": (0.12, 0.14), "mobile": (0.06, 0.21), "app": (0.11, 0.16)}
# segment -> weights of support_call, support_chat, support_email
_SUPPORT_MIX = {"solo": (2, 3, 3), "family": (6, 2, 1), "group": (4, 2, 3)}
# mood after the trip -> weights of CSAT scores 1..5
_CSAT = {
    "support": (25, 35, 25, 10, 5),
    "login": (5, 15, 35, 30, 15),
    "email": (2, 5, 15, 40, 38),
    "smooth": (4, 8, 28, 35, 25),
}
# evening-heavy hour-of-day profile for first contacts (UTC)
_HOURS = (1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 5, 6, 6, 5, 5, 6, 7, 9, 10, 10, 8, 5, 2)


@dataclass
class _Journey:
    """One customer's events, emitted in time order while the story is told."""

    customer_id: str
    segment: str
    device: str
    rng: random.Random
    clock: datetime
    rows: list[tuple[datetime, str, str, str, str, str]] = field(default_factory=list)

    def emit(
        self, event: str, after_s: float = 0.0, score: int | None = None, about: str = ""
    ) -> None:
        """Add ``event`` ``after_s`` seconds after the previous one; surveys carry a score and a
        comment picked from the ``about`` theme."""
        self.clock += timedelta(seconds=round(after_s))
        channel = EVENTS[event]
        if event in ("login", "view_itinerary") and self.device == "app":
            channel = "app"
        comment = self.rng.choice(COMMENTS[about]) if about else ""
        row = (self.clock, self.customer_id, event, channel, "" if score is None else str(score))
        self.rows.append((*row, comment))

    def click_gap(self) -> float:
        """Seconds between two clicks of one session (log-normal, median 40 s)."""
        return self.rng.lognormvariate(math.log(40), 0.9)

    def days(self, low: float, high: float) -> float:
        return self.rng.uniform(low, high) * 86400


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _newsletters(j: _Journey) -> bool:
    """Monthly newsletters for subscribers; True when the customer goes on to the website."""
    if j.rng.random() > 0.6:
        return True
    for issue in range(j.rng.randint(1, 3)):
        if issue:
            j.emit("newsletter_sent", j.days(27, 33))
        else:
            j.emit("newsletter_sent")
        if j.rng.random() < 0.38:
            j.emit("newsletter_open", j.rng.uniform(600, 2 * 86400))
            if j.rng.random() < 0.3:
                j.emit("newsletter_click", j.rng.uniform(10, 300))
                return True
    visits = j.rng.random() < 0.6
    j.clock += timedelta(seconds=j.days(1, 10))
    return visits


def _search(j: _Journey) -> bool:
    """The tour list without filters: loop until a tour is opened (True) or the customer quits."""
    view, quit_ = _SEARCH_ODDS[j.device]
    for session in range(2):
        j.emit("home_visit", j.days(2, 9) if session else 0)
        j.emit("search_tours", j.click_gap())
        for _ in range(14):
            draw = j.rng.random()
            if draw < view:
                return True
            if draw < view + quit_:
                break
            if j.rng.random() < 0.015:
                j.emit("support_chat", j.click_gap())
            j.emit(
                j.rng.choice(("browse_tour_list", "browse_tour_list", "search_tours")),
                j.click_gap() + 15,
            )
        if j.rng.random() > 0.25:  # most who give up do not come back
            break
    if j.rng.random() < 0.12:  # an exit survey on the website
        j.emit("survey_response", 20, score=j.rng.choice((1, 1, 2, 2, 3)), about="no_filters")
    return False


def _book(j: _Journey) -> bool:
    """View one or more tours, maybe book and pay; True when paid."""
    j.emit("view_tour", j.click_gap())
    while j.rng.random() < 0.35:
        j.emit("browse_tour_list", j.click_gap())
        j.emit("view_tour", j.click_gap())
    if j.rng.random() > (0.55 if j.segment == "family" else 0.48):
        return False
    j.emit("booking_start", j.click_gap() * 2)
    if j.rng.random() > 0.85:
        return False
    j.emit("booking_complete", j.rng.uniform(120, 600))
    j.emit("payment", j.rng.uniform(30, 240))
    return True


def _after_booking(j: _Journey, launched: bool) -> str:
    """What happens between payment and the trip; returns the customer's mood."""
    start = j.clock
    if launched:
        _itinerary_email(j)
    logged_in = j.rng.random() < (0.15 if launched else 0.55)
    if logged_in:
        _login(j)
    contacted = j.rng.random() < (0.07 if launched else _contact_chance(j.segment))
    if contacted:
        _contact_support(j, start)
    if contacted:
        return "support"
    return "login" if logged_in else ("email" if launched else "smooth")


def _contact_chance(segment: str) -> float:
    return {"solo": 0.36, "family": 0.58, "group": 0.45}[segment]


def _itinerary_email(j: _Journey) -> None:
    j.emit("itinerary_email_sent", j.rng.uniform(60, 600))
    if j.rng.random() < 0.7:
        j.rows.append(_extra(j, "itinerary_email_open", j.rng.uniform(600, 86400)))
        if j.rng.random() < 0.35:
            j.rows.append(_extra(j, "itinerary_email_click", j.rng.uniform(5, 120)))


def _extra(j: _Journey, event: str, after_s: float) -> tuple[datetime, str, str, str, str, str]:
    """A future-state email event outside the shared vocabulary (the map's KPIs count it)."""
    j.clock += timedelta(seconds=round(after_s))
    return (j.clock, j.customer_id, event, "email", "", "")


def _login(j: _Journey) -> None:
    j.emit("login", j.days(1, 8))
    if j.rng.random() < 0.3:  # forgot the password: a second login
        j.emit("login", j.rng.uniform(120, 900))
    j.emit("view_itinerary", j.click_gap())


def _contact_support(j: _Journey, booked_at: datetime) -> None:
    j.clock = max(j.clock, booked_at + timedelta(days=j.rng.uniform(2, 12)))
    weights = _SUPPORT_MIX[j.segment]
    for contact in range(3):
        if contact and j.rng.random() > 0.35:
            break
        kind = j.rng.choices(("support_call", "support_chat", "support_email"), weights)[0]
        j.emit(kind, j.days(0.5, 4) if contact else 0)


def _trip(j: _Journey, booked_at: datetime, mood: str) -> None:
    """The trip some weeks after booking, then maybe a survey and a review."""
    if j.rng.random() > 0.96:
        return
    departure = booked_at + timedelta(days=j.rng.randint(14, 60))
    j.clock = max(j.clock, departure.replace(hour=8, minute=0, second=0))
    j.emit("trip_start")
    j.emit("trip_end", j.days(5, 14))
    if j.rng.random() < 0.55:
        score = j.rng.choices(range(1, 6), _CSAT[mood])[0]
        about = mood if score <= 3 or mood == "email" else "happy"
        j.emit("survey_response", j.days(1, 3), score=score, about=about)
    if j.rng.random() < 0.25:
        j.emit("review_submitted", j.days(0.5, 7))


def _journey(j: _Journey, launch: datetime | None) -> None:
    if not _newsletters(j) or not _search(j) or not _book(j):
        return
    booked_at = j.clock
    mood = _after_booking(j, launch is not None and booked_at >= launch)
    _trip(j, booked_at, mood)


def _first_contact(rng: random.Random, start: datetime, days: int) -> datetime:
    day = start + timedelta(days=rng.randrange(days))
    hour = rng.choices(range(24), _HOURS)[0]
    return day.replace(hour=hour) + timedelta(seconds=rng.randrange(3600))


def _customers(rng: random.Random, count: int) -> list[tuple[str, str, str, str]]:
    width = max(5, len(str(count)))
    return [
        (f"TDF-{n:0{width}d}", _pick(rng, _SEGMENTS), _pick(rng, _REGIONS), _pick(rng, _DEVICES))
        for n in range(1, count + 1)
    ]


def _csv_text(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _window(start: date, months: int, launch: date | None) -> tuple[datetime, int]:
    begin = datetime(start.year, start.month, start.day, tzinfo=UTC)
    end = begin + timedelta(days=round(months * 30.5))
    if launch is not None:
        end = max(end, datetime(launch.year, launch.month, launch.day, tzinfo=UTC))
        end += timedelta(days=30)
    return begin, (end - begin).days


def generate_tour_de_farce(
    directory: str | os.PathLike[str],
    seed: int = 7,
    customers: int = 3000,
    with_bad_rows: bool = True,
    *,
    start: date = date(2026, 6, 1),
    months: int = 3,
    itinerary_email_from: date | None = None,
    with_surveys: bool = False,
) -> dict[str, Path]:
    """Write ``events.csv`` and ``customers.csv`` for the Tour De Farce demo into ``directory``.

    First contacts spread over ``months`` months from ``start``; with ``itinerary_email_from``
    the window runs on to a month after that launch date, and bookings from then on are in the
    future state. Same arguments, same bytes. Returns ``{"events": path, "customers": path}``,
    plus ``"surveys"`` (``surveys.csv``, see ``_tour_surveys``) with ``with_surveys``.
    """
    rng = random.Random(seed)
    people = _customers(rng, customers)
    begin, days = _window(start, months, itinerary_email_from)
    launch = None
    if itinerary_email_from is not None:
        launch = datetime.combine(itinerary_email_from, datetime.min.time(), tzinfo=UTC)
    rows: list[tuple[datetime, str, str, str, str, str]] = []
    for customer_id, segment, _region, device in people:
        journey = _Journey(customer_id, segment, device, rng, _first_contact(rng, begin, days))
        _journey(journey, launch)
        rows.extend(journey.rows)
    rows.sort(key=lambda row: row[0])  # an export in time order; stable, so ties keep story order
    events: list[tuple[str, ...]] = [
        (r[1], r[0].strftime("%Y-%m-%dT%H:%M:%SZ"), *r[2:]) for r in rows
    ]
    if with_bad_rows:
        events = insert_bad_rows(events, rng)
    out = Path(directory)
    paths = {"events": out / "events.csv", "customers": out / "customers.csv"}
    header = ("customer_id", "ts", "event", "channel", "score", "comment")
    atomic_write_text(paths["events"], _csv_text(header, events))
    customer_header = ("customer_id", "segment", "region", "device")
    atomic_write_text(paths["customers"], _csv_text(customer_header, people))
    if with_surveys:
        devices = {person[0]: person[3] for person in people}
        paths["surveys"] = out / "surveys.csv"
        atomic_write_text(paths["surveys"], _csv_text(HEADER, survey_rows(events, devices, seed)))
    return paths
