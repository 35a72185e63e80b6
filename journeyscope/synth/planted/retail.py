"""A retailer selling through an app and a website, with problems planted where they happen.

Every shopper visits (app 40%, web 60%), browses — search then view a product, one to several
times: normal browsing, not a loop to fix — puts something in the basket and checks out in the
app (35%) or on the web, whichever platform they came in on: a journey's first platform says
nothing about its checkout's. Planted:

* **checkout abandonment in the app**: 55% of the checkouts made *in the app* are abandoned
  (never paid), against 10% on the web — an attribute of the checkout event, not of the shopper;
* **slow delivery in Novosibirsk** (``город`` of the customers file): the order waits for the
  warehouse and the courier, each leg under 72 hours, together 80-130 hours from the payment
  against the map's 72-hour target (elsewhere 18-66 hours, 3% of parcels late by a carrier's
  delay); late parcels get low delivery scores and complaints on the same answers;
* **company sends that are no problem**: weekly newsletters to subscribers (never a loop), a
  repurchase about 30 days after a newsletter (never a slow wait), order confirmations and
  review requests;
* **improvements**: personalised newsletter subjects (launched in week 13) raise the open rate
  from 22% to 32% — real; a new product-page footer (same day) changes nothing — a placebo.

Column names collide with Journeyscope's words on purpose: ``channel`` (the acquisition
channel), ``step`` (the page area), ``seq`` (the export's event counter), ``journey`` (the
session), ``persona`` and ``segment`` (CRM columns), ``shopper id`` (a space) and ``город``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...events import ColumnMapping, SurveyMapping
from ._draw import END, LAUNCH, START, Draw, out_folder, renames, write_map
from ._table import DAY, HOUR, MINUTE, Table, groups, write_columns
from ._world import Decoy, PlantedImprovement, PlantedProblem, PlantedSegment, PlantedWorld

__all__ = ["retail"]

CITIES = {"Москва": 0.35, "Санкт-Петербург": 0.25, "Новосибирск": 0.15, "Казань": 0.13,
          "Екатеринбург": 0.12}  # fmt: skip
SLOW_CITY = "Новосибирск"
APP_ABANDON, WEB_ABANDON = 0.55, 0.10
CHECKOUT_IN_APP = 0.35
OPEN_BEFORE, OPEN_AFTER = 0.22, 0.32
TO_CART = 0.72
COMPLAINTS = ("Parcel came days late", "Why does delivery take a week?",
              "Nobody told me it was delayed", "Had to chase the courier",
              "Not delivered when promised")  # fmt: skip
PRAISE = ("Fast delivery", "Well packed", "Arrived as promised", "Great courier")


def retail(
    n_customers: int = 3000,
    seed: int = 1,
    folder: str | Path | None = None,
    *,
    collide: bool = True,
) -> PlantedWorld:
    """Write a retail world of ``n_customers`` into ``folder`` (a new temporary folder when
    None) and return its files and truth.
    ``collide=False`` renames the events' columns named like Journeyscope's own words
    (``step`` becomes ``source_step``...), to measure the findings apart from those names."""
    out = out_folder(folder, "retail")
    d = Draw(n_customers, seed)
    city = d.pick(CITIES)
    events = Table(d.ids("R"), "shopper id", "time", START, renames(collide))
    answers = Table(d.ids("R"), "shopper id", "answered at", START)
    facts = _shop(d, events, answers, city)
    write_columns(out / "customers.csv", {
        "shopper id": d.ids("R"), "город": city.tolist(),
        "persona": d.pick({"deal-seeker": 0.4, "loyalist": 0.3, "newcomer": 0.3}).tolist(),
        "segment": d.pick({"gold": 0.15, "silver": 0.35, "bronze": 0.5}).tolist(),
        "age": d.rng.integers(18, 80, n_customers),
    })  # fmt: skip
    events.write(out / "events.parquet", sequence="seq")
    answers.write(out / "surveys.csv")
    world = PlantedWorld(
        shape="retail",
        n_customers=n_customers,
        seed=seed,
        folder=out,
        events=out / "events.parquet",
        customers=out / "customers.csv",
        surveys=out / "surveys.csv",
        map=write_map(out / "map.yaml", "retail"),
        mapping=ColumnMapping(
            customer_id="shopper id", ts="time", event="action", channel="platform"
        ),
        customer_id="shopper id",
        survey_mapping=SurveyMapping(
            customer_id="shopper id",
            ts="answered at",
            score="rating",
            kind="survey",
            step="about",
            comment="remark",
        ),
        problems=_problems(facts),
        decoys=DECOYS,
        improvements=[
            PlantedImprovement(
                "opp-personal-subjects", "newsletter-open-rate", True, OPEN_BEFORE, OPEN_AFTER
            ),
            PlantedImprovement("opp-new-footer", "add-to-cart-rate", False, TO_CART, TO_CART),
        ],
    )
    world.colliding_names = collide
    world.write_truth()
    return world


def _shop(d: Draw, ev: Table, ans: Table, city: np.ndarray) -> dict[str, np.ndarray]:
    """Every shopper's events; returns what the truth counts (who checked out where, late)."""
    n = d.n
    everyone = np.arange(n)
    t0 = d.starts()
    first = np.where(d.chance(0.4), "app", "web")
    ev.add(everyone, t0, action="visit", platform=first, step="home", journey="s1",
           channel=d.pick({"ads": 0.35, "organic": 0.4, "social": 0.15, "email": 0.1}))  # fmt: skip
    browsers = everyone[~d.chance(0.08)]
    t_end = _browse(d, ev, browsers, t0, first)
    cmp = browsers[d.chance(0.2, len(browsers))]
    ev.add(cmp, t_end[cmp] + 2 * MINUTE, action="compare", platform=first[cmp], step="catalog",
           journey="s1")  # fmt: skip
    carts = browsers[d.chance(TO_CART, len(browsers))]
    t_cart = t_end[carts] + d.uniform(2, 10, len(carts)) * MINUTE
    ev.add(carts, t_cart, action="add_to_cart", platform=first[carts], step="basket",
           journey="s1")  # fmt: skip
    coupon = d.chance(0.25, len(carts))
    ev.add(carts[coupon], t_cart[coupon] + 2 * MINUTE, action="apply_coupon",
           platform=first[carts[coupon]], step="basket", journey="s1")  # fmt: skip
    go = d.chance(0.88, len(carts))
    who, t_checkout = carts[go], t_cart[go] + d.uniform(5, 60, int(go.sum())) * MINUTE
    # where a shopper checks out has nothing to do with where they came in: only the
    # checkout event says whether it happened in the app
    platform = np.where(d.chance(CHECKOUT_IN_APP, len(who)), "app", "web")
    session = np.where(platform != first[who], "s2", "s1")
    ev.add(who, t_checkout, action="checkout", platform=platform, step="basket", journey=session)
    abandoned = d.chance(np.where(platform == "app", APP_ABANDON, WEB_ABANDON))
    payers, t_pay = (
        who[~abandoned],
        t_checkout[~abandoned] + d.uniform(1, 8, int((~abandoned).sum())) * MINUTE,
    )
    ev.add(payers, t_pay, action="pay", platform=platform[~abandoned], step="basket",
           journey=session[~abandoned])  # fmt: skip
    ev.add(payers, t_pay + MINUTE, action="order_confirmation", platform="email", step="account")
    late, t_delivered = _deliver(d, ev, payers, t_pay, city)
    _survey(d, ans, payers, t_delivered, late)
    _after(d, ev, payers, t_pay, t_delivered)
    _service(d, ev, t0)
    _newsletters(d, ev, t0, payers, t_pay)
    return {"checkout": who, "checkout_platform": platform, "abandoned": abandoned,
            "payers": payers, "late": late}  # fmt: skip


def _browse(d: Draw, ev: Table, who: np.ndarray, t0: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Search, then view a product, 1 to 6 times (everybody compares before buying)."""
    rounds = np.minimum(1 + d.rng.poisson(1.2, len(who)), 6)
    owner, k = groups(rounds)
    gap = d.uniform(2, 6, len(who)) * MINUTE
    at = t0[who][owner] + (2 * k + 1) * gap[owner]
    ev.add(who[owner], at, action="search", platform=first[who][owner], step="catalog",
           journey="s1")  # fmt: skip
    ev.add(who[owner], at + gap[owner] / 2, action="view_product", platform=first[who][owner],
           step="catalog", journey="s1")  # fmt: skip
    t_end = np.zeros(d.n)
    t_end[who] = t0[who] + (2 * rounds + 1) * gap
    return t_end


def _deliver(
    d: Draw, ev: Table, payers: np.ndarray, t_pay: np.ndarray, city: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Warehouse then courier; in the slow city each leg takes 40-65 hours."""
    m = len(payers)
    slow = city[payers] == SLOW_CITY
    warehouse = np.where(slow, d.uniform(40, 65, m), d.uniform(6, 30, m)) * HOUR
    courier = np.where(slow, d.uniform(40, 65, m), d.uniform(12, 36, m)) * HOUR
    courier += np.where(~slow & d.chance(0.03, m), d.uniform(48, 70, m) * HOUR, 0)
    t_dispatch = t_pay + warehouse
    t_delivered = t_dispatch + courier
    ev.add(payers, t_dispatch, action="dispatch", platform="email", step="account")
    track = d.chance(0.3, m)
    ev.add(payers[track], t_dispatch[track] + courier[track] / 2, action="track_order",
           platform="web", step="account")  # fmt: skip
    ev.add(payers, t_delivered, action="delivered", platform="web", step="account")
    return t_delivered - t_pay > 72 * HOUR, t_delivered


def _survey(d: Draw, ans: Table, payers: np.ndarray, t: np.ndarray, late: np.ndarray) -> None:
    """40% rate the delivery; a late parcel mostly gets 1-2 with a complaint on the same answer."""
    asked = d.chance(0.4, len(payers))
    who, late, t = payers[asked], late[asked], t[asked] + d.uniform(1, 24, int(asked.sum())) * HOUR
    m = len(who)
    low = d.chance(np.where(late, 0.75, 0.05))
    score = np.where(low, d.rng.integers(1, 3, m), d.rng.choice([3, 4, 5], m, p=[0.1, 0.4, 0.5]))
    complaint = d.chance(np.where(low, 0.7, 0.02))
    praise = ~complaint & d.chance(0.35, m)
    remark = np.where(complaint, d.rng.choice(COMPLAINTS, m),
                      np.where(praise, d.rng.choice(PRAISE, m), ""))  # fmt: skip
    ans.add(who, t, rating=score.astype(float), survey="csat", about="delivered", remark=remark)


def _after(d: Draw, ev: Table, payers: np.ndarray, t_pay: np.ndarray, t_del: np.ndarray) -> None:
    m = len(payers)
    ev.add(payers, t_del + 2 * DAY, action="review_request", platform="email", step="account")
    review = d.chance(0.15, m)
    ev.add(payers[review], t_del[review] + 2 * DAY + d.uniform(1, 72, int(review.sum())) * HOUR,
           action="write_review", platform="web", step="account")  # fmt: skip
    back = d.chance(0.06, m)
    t_back = t_del[back] + d.uniform(2, 10, int(back.sum())) * DAY
    ev.add(payers[back], t_back, action="return_request", platform="web", step="account")
    ev.add(payers[back], t_back + d.uniform(2, 5, int(back.sum())) * DAY, action="refund",
           platform="email", step="account")  # fmt: skip


def _service(d: Draw, ev: Table, t0: np.ndarray) -> None:
    for action, share, platform in (
        ("chat_contact", 0.08, "chat"),
        ("phone_contact", 0.03, "phone"),
    ):
        who = np.flatnonzero(d.chance(share))
        ev.add(who, t0[who] + d.uniform(0.1, 20, len(who)) * DAY, action=action,
               platform=platform, step="help")  # fmt: skip


def _newsletters(d: Draw, ev: Table, t0: np.ndarray, payers: np.ndarray, t_pay: np.ndarray) -> None:
    """Subscribers (70%) get a newsletter every Monday for up to six weeks; some open it; a
    third of the subscribed payers buy again about 30 days after a newsletter."""
    subscribed = d.chance(0.7)
    who = np.flatnonzero(subscribed)
    first = d.mondays_after(t0[who])
    sends = np.clip(np.floor((END - first) / (7 * DAY)) + 1, 0, 6).astype(int)
    owner, k = groups(sends)
    t_send = first[owner] + k * 7 * DAY
    ev.add(who[owner], t_send, action="newsletter", platform="email", step="inbox")
    launched = t_send >= (LAUNCH - START.date()).days * DAY
    opened = d.chance(np.where(launched, OPEN_AFTER, OPEN_BEFORE))
    ev.add(who[owner][opened], t_send[opened] + d.uniform(1, 30, int(opened.sum())) * HOUR,
           action="newsletter_open", platform="email", step="inbox")  # fmt: skip
    paid = np.full(d.n, np.inf)
    paid[payers] = t_pay
    after_pay = t_send > paid[who[owner]]
    # the first newsletter after paying: its owner's first send with after_pay
    idx = np.flatnonzero(after_pay)
    owners, first_idx = np.unique(who[owner][idx], return_index=True)
    again = d.chance(0.35, len(owners))
    t_again = t_send[idx[first_idx]][again] + d.uniform(27, 33, int(again.sum())) * DAY
    ev.add(owners[again], t_again, action="repurchase", platform="web", step="basket")


def _problems(facts: dict[str, np.ndarray]) -> list[PlantedProblem]:
    app = facts["checkout_platform"] == "app"
    abandoned = facts["abandoned"]
    late = facts["late"]
    return [
        PlantedProblem(
            id="app-checkout-abandonment",
            kind="drop_off",
            step="checkout",
            segment=PlantedSegment("platform", "app", "event", role="channel"),
            rate=APP_ABANDON,
            rest_rate=WEB_ABANDON,
            customers=int((abandoned & app).sum()),
            description="Checkouts made in the app are abandoned (never paid) 55% of the time, "
            "against 10% on the web; the platform is that of the checkout event.",
        ),
        PlantedProblem(
            id="slow-delivery-novosibirsk",
            kind="slow_transition",
            step="delivered",
            segment=PlantedSegment("город", SLOW_CITY, "customer"),
            rate=1.0,
            rest_rate=0.03,
            customers=int(late.sum()),
            description="Parcels to Novosibirsk arrive 80-130 hours after the payment, against "
            "a 72-hour target measured from the payment (each leg alone is under 72 hours); "
            "late parcels get low delivery scores with complaints on the same answers.",
            also=("low_score", "negative_comment"),
        ),
    ]


DECOYS = [
    Decoy("loop", "newsletter", "weekly newsletters are sent by the company, not repeated by "
          "the customer"),
    Decoy("loop", "search", "searching then viewing a product, again, is normal browsing"),
    Decoy("loop", "view_product", "searching then viewing a product, again, is normal browsing"),
    Decoy("slow_transition", "repurchase", "a repurchase about 30 days after a newsletter is "
          "loyalty, not a wait"),
    Decoy("drop_off", "newsletter_open", "a newsletter nobody opens is no customer dropping out"),
    Decoy("loop", "newsletter_open", "opening this week's newsletter, and next week's, is no loop"),
    Decoy("channel_switch", "newsletter", "the company e-mails the newsletter: the customer "
          "switched no channel"),
]  # fmt: skip
