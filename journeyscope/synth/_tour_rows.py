"""Survey comments and deliberately malformed rows for the Tour De Farce sample data."""

from __future__ import annotations

import random

Row = tuple[str, ...]

#: Survey comment themes: why the customer gave the score.
COMMENTS: dict[str, tuple[str, ...]] = {
    "no_filters": (
        "I could not filter the tours by country or price.",
        "Too many tours in one long list, gave up.",
        "Where is the filter for the number of days?",
        "Scrolled for ages and never found a tour that fits.",
        "",
    ),
    "support": (
        "I had to call support just to get my itinerary.",
        "No itinerary email after booking, had to ask twice.",
        "Nobody told me where to meet the bus until I phoned.",
        "Great trip, but getting the trip details was a nightmare.",
        "",
    ),
    "login": (
        "Had to reset my password to find the itinerary.",
        "Why is the itinerary hidden in my account?",
        "Expected an email with the trip details, found them online.",
        "",
    ),
    "email": (
        "The itinerary email had everything I needed.",
        "Loved getting the meeting point right after booking.",
        "Clear itinerary, great guide.",
        "",
    ),
    "smooth": (
        "Fine trip, preparation could be clearer.",
        "Good value for money.",
        "",
    ),
    "happy": (
        "Wonderful guide and a comfortable bus.",
        "Would book again.",
        "The route was beautiful.",
        "",
    ),
}

#: Malformed rows added by ``with_bad_rows=True``, by what is wrong with them.
BAD_ROWS: dict[str, int] = {
    "missing customer id": 2,
    "unparseable timestamp": 2,
    "missing timestamp": 1,
    "missing event": 1,
}


def _bad_rows(good: list[Row]) -> list[Row]:
    """One malformed row per BAD_ROWS count, borrowing real ids and times from ``good`` rows."""
    first, second, third = good[0], good[len(good) // 2], good[-1]
    return [
        ("", first[1], "home_visit", "web", "", ""),
        ("", second[1], "search_tours", "web", "", ""),
        (first[0], "not a date", "search_tours", "web", "", ""),
        (second[0], "2026-02-30T25:61:00Z", "view_tour", "web", "", ""),
        (third[0], "", "login", "web", "", ""),
        (third[0], third[1], "", "web", "", ""),
    ]


def insert_bad_rows(rows: list[Row], rng: random.Random) -> list[Row]:
    """``rows`` with the malformed rows spread among them at seeded positions."""
    result = list(rows)
    for bad in _bad_rows(rows):
        result.insert(rng.randrange(1, len(result)), bad)
    return result
