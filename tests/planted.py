"""Seeded logs for ``tests/data/insights/planted.yaml`` with ONE planted problem in ONE segment.

``plant(kind, segment, n_customers, seed)`` builds events (``customer_id``, ``ts``, ``event``,
``channel``, ``device``), a customers table (``region``, ``age``; an age under 30 makes the
persona ``bargain-hunter``, else ``planner``) and CSAT answers. Every customer walks
visit → search (once or twice) → sometimes a hotline call → cart → pay → receipt, with noise:
each kind's problem also happens to everybody at its ``BASE`` rate (6% bounce, 15% leave before
the cart, 12% leave the cart, 5% of the receipts never come, ...). Inside the planted segment
the planted kind hits ``PLANTED[kind]`` of its population first; the rest of the segment gets
the base rate like everyone else. A healthy payment system has no failed payments, so
``failed_step`` has no noise; a channel switch (paying in the app after a web cart) is noise
everywhere and the *problem* planted is that switchers in the segment lose their basket (a
quarter of them get a receipt, against 95%).

The generator records its own truth, independent of Journeyscope: per kind, the population at
the kind's element (``WHERE``), the customers with the problem (``hits``) and those of them the
plant gave it (``planted``). ``plant(None, None, ...)`` is the control: nothing planted.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

MAP = Path(__file__).parent / "data" / "insights" / "planted.yaml"
START = dt.datetime(2024, 3, 4, 9, 0, tzinfo=dt.UTC)

#: kind -> (element of its pain point, the steps it involves)
WHERE: dict[str, tuple[str, list[str]]] = {
    "drop_off": ("cart", ["search", "cart"]),  # searched, never put anything in the cart
    "slow_transition": ("cart->pay", ["cart", "pay"]),  # over the map's 30-minute target
    "repeat_contact": ("call", ["call"]),  # calls the hotline again within 7 days
    "loop": ("search", ["search"]),  # 3+ searches
    "channel_switch": ("pay", ["pay"]),  # web cart, pays in the app
    "bounce": ("visit", ["visit"]),  # visits and leaves
    "failed_step": ("pay", ["pay"]),  # pay_failed
    "low_score": ("pay", ["pay"]),  # CSAT 1 or 2 about paying
    "negative_comment": ("pay", ["pay"]),  # a complaint about paying
}
KINDS = tuple(WHERE)

#: share of a kind's population with the problem anyway (the noise)
BASE = {"drop_off": 0.15, "slow_transition": 0.02, "repeat_contact": 0.08, "loop": 0.04,
        "channel_switch": 0.12, "bounce": 0.06, "failed_step": 0.0, "low_score": 0.06,
        "negative_comment": 0.03}  # fmt: skip
#: share of the population inside the planted segment given the problem by the plant; each is
#: small enough that the all-customers rate stays below that kind's all-customers threshold
PLANTED = {"drop_off": 0.5, "slow_transition": 0.6, "repeat_contact": 0.5, "loop": 0.5,
           "channel_switch": 1.0, "bounce": 0.45, "failed_step": 0.35, "low_score": 0.5,
           "negative_comment": 0.4}  # fmt: skip

DEVICES = {"mobile": 0.5, "desktop": 0.35, "tablet": 0.15}
REGIONS = {"north": 0.2, "south": 0.3, "east": 0.25, "west": 0.25}
# every complaint uses a word of journeyscope.insights.evidence.NEGATIVE_WORDS; no praise does
COMPLAINTS = (
    "Payment keeps failing",
    "Why does it ask for my card twice?",
    "Could not apply my voucher",
    "Too slow to load",
    "Confusing checkout page",
)
PRAISE = ("Quick and easy", "Great prices", "Smooth checkout", "Love the new design", "All fine")


@dataclass
class PlantedLog:
    """A generated log and its ground truth."""

    kind: str | None
    segment: tuple[str, str] | None
    events: pd.DataFrame
    customers: pd.DataFrame
    answers: pd.DataFrame
    attributes: dict[str, dict[str, str]]  # customer -> device, region, persona
    population: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    hits: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    planted: set[str] = field(default_factory=set)

    def members(self, dim: str, value: str) -> set[str]:
        """Customers whose ``dim`` is ``value``."""
        return {c for c, attrs in self.attributes.items() if attrs[dim] == value}


class _Clock:
    """One customer's events: each ``emit`` comes ``after`` minutes after the previous one."""

    def __init__(self, customer: str, device: str, start: dt.datetime, rows: list) -> None:
        self.customer, self.device, self.now, self.rows = customer, device, start, rows

    def emit(self, after: float, event: str, channel: str = "web") -> None:
        self.now += dt.timedelta(minutes=after)
        self.rows.append((self.customer, self.now, event, channel, self.device))


class _Generator:
    def __init__(self, kind: str | None, segment: tuple[str, str] | None, seed: int) -> None:
        if kind is not None and kind not in WHERE:
            raise ValueError(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
        self.kind, self.segment = kind, segment
        self.rng = random.Random(seed)
        self.rows: list[tuple[Any, ...]] = []
        self.customer_rows: list[tuple[str, str, int]] = []
        self.answers: list[dict[str, Any]] = []
        self.truth = PlantedLog(kind, segment, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), {})

    def pick(self, shares: dict[str, float]) -> str:
        return self.rng.choices(list(shares), list(shares.values()))[0]

    def draw(self, kind: str, customer: str, inside: bool) -> bool:
        """Does ``customer``, in ``kind``'s population, have the problem? Planted first, then
        the noise."""
        self.truth.population[kind].add(customer)
        if inside and kind == self.kind and self.rng.random() < PLANTED[kind]:
            self.truth.planted.add(customer)
        elif self.rng.random() >= BASE[kind]:
            return False
        self.truth.hits[kind].add(customer)
        return True

    def minutes(self, median: float, cap: float) -> float:
        """A noisy gap (log-normal around ``median``), never above ``cap``."""
        return min(self.rng.lognormvariate(0, 0.7) * median, cap)

    def customer(self, n: int) -> None:
        c, rng = f"c{n:05d}", self.rng
        age = rng.randint(18, 79)
        attrs = {"device": self.pick(DEVICES), "region": self.pick(REGIONS),
                 "persona": "bargain-hunter" if age < 30 else "planner"}  # fmt: skip
        self.truth.attributes[c] = attrs
        self.customer_rows.append((c, attrs["region"], age))
        inside = self.segment is not None and attrs[self.segment[0]] == self.segment[1]
        start = START + dt.timedelta(minutes=rng.uniform(0, 56 * 1440))
        clock = _Clock(c, attrs["device"], start, self.rows)
        clock.emit(0, "visit")
        if self.draw("bounce", c, inside):
            return
        looping = self.draw("loop", c, inside)
        for _ in range(rng.randint(3, 6) if looping else rng.choice((1, 1, 1, 1, 2))):
            clock.emit(self.minutes(2, 20), "search")
        if rng.random() < 0.2:
            clock.emit(self.minutes(5, 30), "call", "phone")
            if self.draw("repeat_contact", c, inside):
                clock.emit(rng.uniform(1, 5) * 1440, "call", "phone")
        if self.draw("drop_off", c, inside):
            return
        clock.emit(self.minutes(10, 60), "cart")
        if rng.random() < 0.12:  # leaves the cart
            return
        self.pay(clock, inside)

    def pay(self, clock: _Clock, inside: bool) -> None:
        c, rng = clock.customer, self.rng
        slow = self.draw("slow_transition", c, inside)
        failed = self.draw("failed_step", c, inside)
        switched = self.draw("channel_switch", c, False)  # switching alone is no problem
        broken = switched and inside and self.kind == "channel_switch"
        if broken:  # ... but here the app loses the basket
            self.truth.planted.add(c)
        channel = "app" if switched else "web"
        wait = rng.uniform(45, 360) if slow else self.minutes(3, 25)  # the target is 30
        clock.emit(wait, "pay_failed" if failed else "pay", channel)
        self.answer(c, inside, clock.now)
        if failed:
            if rng.random() < 0.5:
                return
            clock.emit(2, "pay", channel)
        if rng.random() < (0.25 if broken else 0.95):
            clock.emit(1, "receipt", channel)

    def answer(self, c: str, inside: bool, paid: dt.datetime) -> None:
        """A third of the payers answer a CSAT about paying; low scores come with complaints."""
        rng = self.rng
        if rng.random() >= 0.35:
            return
        low = self.draw("low_score", c, inside)
        score = rng.choice((1, 2)) if low else rng.choice((3, 4, 4, 5, 5))
        comment: str | None = None
        if self.draw("negative_comment", c, inside):
            comment, score = rng.choice(COMPLAINTS), score if low else rng.choice((3, 3, 4))
        elif low and rng.random() < 0.6:
            comment = rng.choice(COMPLAINTS)
            self.truth.hits["negative_comment"].add(c)
        elif not low and rng.random() < 0.55:
            comment = rng.choice(PRAISE)
        ts = paid + dt.timedelta(minutes=30)
        self.answers.append({"customer_id": c, "ts": ts, "score": score, "kind": "csat",
                             "step": "pay", "event": None, "comment": comment})  # fmt: skip

    def search_answers(self, share: float) -> None:
        """Background CSAT answers about the ``search`` event (no truth: nothing planted)."""
        searched = {row[0]: row[1] for row in self.rows if row[2] == "search"}
        for c, ts in searched.items():
            if self.rng.random() < share:
                score = self.rng.choice((2, 3, 4, 4, 5, 5))
                comment = self.rng.choice((*PRAISE, None, None)) if score > 2 else None
                answer = {"customer_id": c, "ts": ts, "score": score, "kind": "csat",
                          "step": None, "event": "search", "comment": comment}  # fmt: skip
                self.answers.append(answer)

    def run(self, n_customers: int) -> PlantedLog:
        for n in range(n_customers):
            self.customer(n)
        self.search_answers(0.15)
        truth = self.truth
        truth.events = pd.DataFrame(
            self.rows, columns=["customer_id", "ts", "event", "channel", "device"]
        )
        truth.customers = pd.DataFrame(self.customer_rows, columns=["customer_id", "region", "age"])
        truth.answers = pd.DataFrame(self.answers)
        return truth


def plant(
    kind: str | None,
    segment: tuple[str, str] | None,
    n_customers: int = 3000,
    seed: int = 1,
) -> PlantedLog:
    """A log where ``kind`` is planted in ``segment`` (``(dim, value)``, dim one of ``device``,
    ``region``, ``persona``); ``kind=None`` plants nothing."""
    return _Generator(kind, segment, seed).run(n_customers)
