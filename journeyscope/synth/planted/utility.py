"""A support-heavy utility (energy supplier): move in, monthly bills, contacts, moving out.

Accounts ask to move in on the web, sign the contract the company sends, submit a first meter
reading, then get a bill every 30 days, view and pay it (every account pays: the goal is always
reached). A third of the accounts contact service about billing, moving, an outage or the meter,
by chat, web form or phone. Planted:

* **chat → phone escalations**: 40% of the chats are pushed to a phone call within two days;
  the escalated customers rate the service far worse afterwards (mostly 1-2 with a complaint)
  than those whose chat solved it — although everybody still pays their bills — and each
  escalation costs a phone contact on top of the chat;
* **web form → phone escalations about moving**: 45% of the web forms about ``topic`` moving
  (an attribute of the form event) end in a phone call within three days, against 8% of the
  other forms;
* **confusing bills on the dynamic tariff** (``segment`` of the customers file): 60% of those
  customers rate the bill 1-2, most with a complaint on the same answer — one problem, two kinds
  of evidence — against 6% of the others;
* **drift**: from week 12 a new, unmapped event, ``smart_meter_app_login``, appears in about a
  fifth of the journeys that start after it: ``check`` should say the map is stale;
* **company sends that are no problem**: monthly bills, payment reminders, contracts, callbacks;
* **improvements**: a download button on the bill page (week 13) doubles downloads from 15% to
  30% of the bill views — real; new hold music on the phone line changes nothing — a placebo.

Column names: ``account``, ``timestamp``, ``activity``, ``contact channel`` (a space, mapped to
the channel), ``topic``, ``step`` (the phone menu option), ``persona`` (the call centre's
label on each contact); customers: ``account``, ``район`` and ``segment`` (the tariff class).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...events import ColumnMapping, SurveyMapping
from ._draw import END, LAUNCH, SPLIT, START, Draw, out_folder, renames, write_map
from ._table import DAY, HOUR, MINUTE, WEEK, Table, groups, write_columns
from ._world import (
    Decoy,
    PlantedDrift,
    PlantedImprovement,
    PlantedProblem,
    PlantedSegment,
    PlantedWorld,
)

__all__ = ["utility"]

TARIFFS = {"residential": 0.6, "small business": 0.2, "dynamic tariff": 0.2}
DISTRICTS = {"Центральный": 0.3, "Северный": 0.25, "Южный": 0.25, "Западный": 0.2}
TOPICS = {"billing": 0.4, "moving": 0.15, "outage": 0.25, "meter": 0.2}
CHAT_ESCALATION = 0.40
MOVING_ESCALATION, FORM_ESCALATION = 0.45, 0.08
DYNAMIC_LOW, REST_LOW = 0.60, 0.06
DOWNLOAD_BEFORE, DOWNLOAD_AFTER = 0.15, 0.30
CALLBACK = 0.2
DRIFT_SHARE = 0.22
SERVICE_COMPLAINTS = ("Had to call after the chat", "Nobody could help in the chat",
                      "Why do I have to explain everything twice?", "Too many contacts for one "
                      "question")  # fmt: skip
BILL_COMPLAINTS = ("Cannot understand the bill", "Why are there so many tariff lines?",
                   "Hidden charges on the bill", "Not clear what I pay for")  # fmt: skip
PRAISE = ("Quick answer", "Friendly staff", "Clear and simple", "All fine")


def utility(
    n_customers: int = 3000,
    seed: int = 1,
    folder: str | Path | None = None,
    *,
    collide: bool = True,
) -> PlantedWorld:
    """Write a utility world of ``n_customers`` into ``folder`` (a new temporary folder when
    None) and return its files and truth.
    ``collide=False`` renames the events' columns named like Journeyscope's own words
    (``step`` becomes ``source_step``...), to measure the findings apart from those names."""
    out = out_folder(folder, "utility")
    d = Draw(n_customers, seed)
    tariff = d.pick(TARIFFS)
    ids = d.ids("U")
    events = Table(ids, "account", "timestamp", START, renames(collide))
    answers = Table(ids, "account", "when", START)
    facts = _accounts(d, events, answers, tariff)
    write_columns(out / "accounts.csv", {"account": ids, "район": d.pick(DISTRICTS).tolist(),
                                         "segment": tariff.tolist()})  # fmt: skip
    events.write(out / "activity.csv")
    answers.write(out / "csat.csv")
    world = PlantedWorld(
        shape="utility",
        n_customers=n_customers,
        seed=seed,
        folder=out,
        events=out / "activity.csv",
        customers=out / "accounts.csv",
        surveys=out / "csat.csv",
        map=write_map(out / "map.yaml", "utility"),
        mapping=ColumnMapping(
            customer_id="account", ts="timestamp", event="activity", channel="contact channel"
        ),
        customer_id="account",
        survey_mapping=SurveyMapping(customer_id="account", ts="when", score="csat"),
        problems=_problems(facts),
        decoys=DECOYS,
        improvements=[
            PlantedImprovement(
                "opp-download-button", "bill-download-rate", True, DOWNLOAD_BEFORE, DOWNLOAD_AFTER
            ),
            PlantedImprovement("opp-hold-music", "callback-rate", False, CALLBACK, CALLBACK),
        ],
        drift=PlantedDrift("smart_meter_app_login", SPLIT.date(), DRIFT_SHARE),
    )
    world.colliding_names = collide
    world.write_truth()
    return world


def _accounts(d: Draw, ev: Table, ans: Table, tariff: np.ndarray) -> dict[str, np.ndarray]:
    n = d.n
    who = np.arange(n)
    t = t0 = d.starts()
    ev.add(who, t, activity="move_in_request", **{"contact channel": "web"}, topic="moving")
    steps = (("identity_check", "web", 5), ("contract_sent", "email", 60),
             ("contract_signed", "web", 24 * 60), ("meter_reading", "web", 48 * 60),
             ("welcome_pack", "email", 60))  # fmt: skip
    for name, channel, minutes in steps:
        t = t + d.uniform(minutes / 4, minutes, n) * MINUTE
        ev.add(who, t, activity=name, **{"contact channel": channel})
    low_dynamic = _bills(d, ev, ans, t, tariff)
    escalated, form_moving = _contacts(d, ev, ans, t)
    _drift(d, ev, t0)
    _direct_debit_and_moving_out(d, ev, t)
    return {"escalated_chat": escalated["chat"], "escalated_form": escalated["form"],
            "form_moving": form_moving, "low_dynamic": low_dynamic}  # fmt: skip


def _bills(d: Draw, ev: Table, ans: Table, t_start: np.ndarray, tariff: np.ndarray) -> np.ndarray:
    """A bill every 30 days; 70% view it, some download it, everybody pays within 3-20 days
    (a reminder when later than 14); a quarter rate their first bill. Returns the
    dynamic-tariff customers who rated it low."""
    counts = np.maximum(np.ceil((END + 4 * WEEK - t_start) / (30 * DAY)) - 1, 1).astype(int)
    owner, k = groups(counts)
    t_bill = t_start[owner] + (k + 1) * 30 * DAY
    ev.add(owner, t_bill, activity="bill_issued", **{"contact channel": "email"})
    view = d.chance(0.7, len(owner))
    t_view = t_bill + d.uniform(1, 120, len(owner)) * HOUR
    ev.add(owner[view], t_view[view], activity="bill_view", **{"contact channel": "web"})
    launched = t_view >= (LAUNCH - START.date()).days * DAY
    download = view & d.chance(np.where(launched, DOWNLOAD_AFTER, DOWNLOAD_BEFORE))
    ev.add(owner[download], t_view[download] + 2 * MINUTE, activity="bill_download",
           **{"contact channel": "web"})  # fmt: skip
    wait = d.uniform(3, 20, len(owner)) * DAY
    late = wait > 14 * DAY
    ev.add(owner[late], t_bill[late] + 14 * DAY, activity="payment_reminder",
           **{"contact channel": "email"})  # fmt: skip
    ev.add(owner, t_bill + wait, activity="pay_bill", **{"contact channel": "web"})
    first_view = view & (k == 0) & d.chance(0.25, len(owner))
    rated = owner[first_view]
    dynamic = tariff[rated] == "dynamic tariff"
    m = len(rated)
    low = d.chance(np.where(dynamic, DYNAMIC_LOW, REST_LOW))
    score = np.where(low, d.rng.integers(1, 3, m), d.rng.choice([3, 4, 5], m, p=[0.2, 0.4, 0.4]))
    complaint = np.where(low & d.chance(0.8, m), d.rng.choice(BILL_COMPLAINTS, m), "")
    comment = np.where((complaint == "") & d.chance(0.3, m), d.rng.choice(PRAISE, m), complaint)
    ans.add(rated, t_view[first_view] + HOUR, csat=score.astype(float), kind="csat",
            step="bill_view", comment=comment)  # fmt: skip
    return rated[low & dynamic]


def _contacts(
    d: Draw, ev: Table, ans: Table, t_start: np.ndarray
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """A third of the accounts contact service once, by chat, web form or phone."""
    n = d.n
    contact = d.chance(0.35)
    who = np.flatnonzero(contact)
    m = len(who)
    t = t_start[who] + d.uniform(1, 90, m) * DAY
    topic = d.pick(TOPICS, m)
    way = d.pick({"chat": 0.45, "web_form": 0.35, "phone": 0.2}, m)
    for name, channel in (("chat", "chat"), ("web_form", "web")):
        mask = way == name
        activity = "chat_support" if name == "chat" else "web_form"
        ev.add(who[mask], t[mask], activity=activity, **{"contact channel": channel},
               topic=topic[mask], persona="first contact")  # fmt: skip
    moving = topic == "moving"
    chat_up = (way == "chat") & d.chance(CHAT_ESCALATION, m)
    form_up = (way == "web_form") & d.chance(np.where(moving, MOVING_ESCALATION, FORM_ESCALATION))
    hours = np.where(chat_up, d.uniform(1, 48, m), d.uniform(4, 72, m))
    phone = (way == "phone") | chat_up | form_up
    t_phone = np.where(way == "phone", t, t + hours * HOUR)
    menu = np.where(topic == "billing", "1", np.where(topic == "moving", "2", "3"))
    ev.add(who[phone], t_phone[phone], activity="phone_support", **{"contact channel": "phone"},
           topic=topic[phone], step=menu[phone],
           persona=np.where(way[phone] == "phone", "first contact", "escalated"))  # fmt: skip
    callback = phone & d.chance(CALLBACK, m)
    ev.add(who[callback], t_phone[callback] + d.uniform(1, 24, int(callback.sum())) * HOUR,
           activity="callback", **{"contact channel": "phone"})  # fmt: skip
    visit = (topic == "outage") & d.chance(0.3, m)
    ev.add(who[visit], t[visit] + d.uniform(1, 5, int(visit.sum())) * DAY,
           activity="technician_visit", **{"contact channel": "store"})  # fmt: skip
    t_done = np.maximum(t, t_phone) + d.uniform(1, 48, m) * HOUR
    ev.add(who, t_done, activity="issue_resolved", **{"contact channel": "email"})
    _service_answers(d, ans, who, t_done, chat_up | form_up)
    escalated = {"chat": np.zeros(n, bool), "form": np.zeros(n, bool)}
    escalated["chat"][who[chat_up]] = True
    escalated["form"][who[form_up]] = True
    form_moving = np.zeros(n, bool)
    form_moving[who[(way == "web_form") & moving]] = True
    return escalated, form_moving


def _service_answers(
    d: Draw, ans: Table, who: np.ndarray, t: np.ndarray, escalated: np.ndarray
) -> None:
    """45% rate the service after it resolved their issue; the escalated ones mostly 1-2."""
    asked = d.chance(0.45, len(who))
    who, t, escalated = who[asked], t[asked], escalated[asked]
    m = len(who)
    low = d.chance(np.where(escalated, 0.7, 0.06))
    score = np.where(low, d.rng.integers(1, 3, m), d.rng.choice([3, 4, 5], m, p=[0.15, 0.4, 0.45]))
    complaint = np.where(low & d.chance(0.75, m), d.rng.choice(SERVICE_COMPLAINTS, m), "")
    comment = np.where((complaint == "") & d.chance(0.3, m), d.rng.choice(PRAISE, m), complaint)
    ans.add(who, t + d.uniform(1, 24, m) * HOUR, csat=score.astype(float), kind="csat",
            step="issue_resolved", comment=comment)  # fmt: skip


def _direct_debit_and_moving_out(d: Draw, ev: Table, t_start: np.ndarray) -> None:
    """A fifth set up a direct debit after their first bill; one in twenty moves out (and still
    gets the bills until then, and a final bill)."""
    debit = np.flatnonzero(d.chance(0.2))
    ev.add(debit, t_start[debit] + d.uniform(31, 50, len(debit)) * DAY,
           activity="direct_debit_setup", **{"contact channel": "web"})  # fmt: skip
    leave = np.flatnonzero(d.chance(0.05))
    t_out = t_start[leave] + d.uniform(60, 150, len(leave)) * DAY
    ev.add(leave, t_out, activity="move_out", **{"contact channel": "web"}, topic="moving")
    ev.add(leave, t_out + d.uniform(2, 10, len(leave)) * DAY, activity="final_bill",
           **{"contact channel": "email"})  # fmt: skip


def _drift(d: Draw, ev: Table, t_start: np.ndarray) -> None:
    """From week 12, about a fifth of the accounts that move in log into a new smart-meter app."""
    split = (SPLIT - START).total_seconds()
    users = np.flatnonzero((t_start >= split) & d.chance(DRIFT_SHARE))
    ev.add(users, t_start[users] + d.uniform(1, 20, len(users)) * DAY,
           activity="smart_meter_app_login", **{"contact channel": "app"})  # fmt: skip


def _problems(facts: dict[str, np.ndarray]) -> list[PlantedProblem]:
    return [
        PlantedProblem(
            id="chat-to-phone-escalation",
            kind="channel_switch",
            also=("escalation",),  # the kind of its own that names it
            step="chat_support",
            segment=None,
            rate=CHAT_ESCALATION,
            rest_rate=0.0,
            customers=int(facts["escalated_chat"].sum()),
            description="40% of the chats are pushed to a phone call within two days; the "
            "escalated customers rate the service 1-2 with complaints afterwards, although "
            "everybody reaches the goal; each costs a phone contact on top of the chat.",
            also_steps=("phone_support",),
            symptoms=(
                ("low_score", "issue_resolved"),
                ("negative_comment", "issue_resolved"),
                ("repeat_contact", "phone_support"),
            ),
        ),
        PlantedProblem(
            id="web-form-to-phone-moving",
            kind="channel_switch",
            also=("escalation",),  # the kind of its own that names it
            step="web_form",
            segment=PlantedSegment("topic", "moving", "event"),
            rate=MOVING_ESCALATION,
            rest_rate=FORM_ESCALATION,
            customers=int((facts["escalated_form"] & facts["form_moving"]).sum()),
            description="45% of the web forms about moving end in a phone call within three "
            "days (8% of the other forms); the topic is that of the form event.",
        ),
        PlantedProblem(
            id="confusing-dynamic-tariff-bill",
            kind="low_score",
            step="bill_view",
            segment=PlantedSegment("segment", "dynamic tariff", "customer", personas=("dynamic",)),
            rate=DYNAMIC_LOW,
            rest_rate=REST_LOW,
            customers=len(facts["low_dynamic"]),
            description="60% of the dynamic-tariff customers rate their bill 1-2, most with a "
            "complaint on the same answer (6% of the others): one problem, two kinds of evidence.",
            also=("negative_comment",),
        ),
    ]


DECOYS = [
    Decoy("loop", "bill_issued", "a bill every month is the billing cycle, sent by the company"),
    Decoy("loop", "pay_bill", "paying every month's bill is no loop"),
    Decoy("loop", "bill_view", "viewing every month's bill is no loop"),
    Decoy("loop", "payment_reminder", "reminders are sent by the company"),
    Decoy("slow_transition", "pay_bill", "paying within the bill's term is no wait to fix"),
]
