"""A subscription service: sign-up, onboarding, monthly renewals, a price change, churn.

Members sign up, verify their e-mail, set up a profile, choose a plan, add a payment method and
start a 14-day trial (the company starts it), take the onboarding tour and use the product for
the first time (activation). Members who stall get up to three "finish your setup" reminders
from the company, three days apart. Active members use the product a few times a month and
renew every 30 days. Planted:

* **onboarding drop-off in the south** (``region`` of the customers file): 50% of the southern
  members who start the onboarding tour never use the product, against 12% elsewhere;
* **churn after a price-change e-mail**: the company e-mails every active member about a price
  change in week 16; within 30 days 30% of the ``basic`` plan members cancel, against 4% of the
  others (besides the 3% a month who leave anyway);
* **company sends that are no problem**: welcome e-mails, trial starts, repeated reminders (never
  a loop or a drop-off), the price-change e-mail itself; monthly use is a habit, not a loop;
* **a KPI missed**: activation (first use / sign-ups) stays near 65% against a target of 80%;
* **improvements**: a one-click link in the reminders (week 13) doubles their click rate from
  10% to 20% — real; new colours on the plan page change nothing — a placebo.

Column names: ``member``, ``event time`` (a space), ``event_name``, ``channel``, ``journey``
(the lifecycle phase), ``step`` (the onboarding screen number) and ``קמפיין`` (the campaign).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...events import ColumnMapping, SurveyMapping
from ._draw import END, LAUNCH, START, Draw, out_folder, renames, write_map
from ._table import DAY, HOUR, MINUTE, WEEK, Table, groups, write_columns
from ._world import (
    Decoy,
    PlantedImprovement,
    PlantedKpi,
    PlantedProblem,
    PlantedSegment,
    PlantedWorld,
)

__all__ = ["subscription"]

REGIONS = {"north": 0.22, "south": 0.2, "east": 0.2, "west": 0.2, "central": 0.18}
PLANS = {"basic": 0.45, "plus": 0.35, "family": 0.2}
SOUTH_DROP, REST_DROP = 0.5, 0.12
#: the price-change e-mail goes out on the Monday of week 16, at 9:00
PRICE_CHANGE = 16 * WEEK + 9 * HOUR
BASIC_CHURN, REST_CHURN = 0.30, 0.04
CLICK_BEFORE, CLICK_AFTER = 0.10, 0.20
PLAN_CHOICE = 0.95
#: the share of sign-ups that stall before first use but are not in the planted drop-off
ONBOARDING = (("verify_email", 0.92), ("profile_setup", 0.94), ("choose_plan", PLAN_CHOICE),
              ("add_payment", 0.93))  # fmt: skip


def subscription(
    n_customers: int = 3000,
    seed: int = 1,
    folder: str | Path | None = None,
    *,
    collide: bool = True,
) -> PlantedWorld:
    """Write a subscription-service world of ``n_customers`` into ``folder`` (a new temporary
    folder when None) and return its files and truth.
    ``collide=False`` renames the events' columns named like Journeyscope's own words
    (``step`` becomes ``source_step``...), to measure the findings apart from those names."""
    out = out_folder(folder, "subscription")
    d = Draw(n_customers, seed)
    region, plan = d.pick(REGIONS), d.pick(PLANS)
    ids = d.ids("M")
    events = Table(ids, "member", "event time", START, renames(collide))
    answers = Table(ids, "member", "answered", START)
    facts = _members(d, events, answers, region, plan)
    kind = d.pick({"b2c": 0.85, "b2b": 0.15})
    columns = {"member": ids, "region": region.tolist(), "plan": plan.tolist(), "segment": kind}
    write_columns(out / "members.csv", columns)
    events.write(out / "events.csv")
    answers.write(out / "nps.csv")
    activation = float(facts["activated"].sum() / n_customers)
    world = PlantedWorld(
        shape="subscription",
        n_customers=n_customers,
        seed=seed,
        folder=out,
        events=out / "events.csv",
        customers=out / "members.csv",
        surveys=out / "nps.csv",
        map=write_map(out / "map.yaml", "subscription"),
        mapping=ColumnMapping(customer_id="member", ts="event time", event="event_name"),
        customer_id="member",
        survey_mapping=SurveyMapping(
            customer_id="member",
            ts="answered",
            score="nps",
            kind="survey",
            step="topic",
            comment="verbatim",
        ),
        problems=_problems(facts),
        decoys=DECOYS,
        improvements=[
            PlantedImprovement(
                "opp-one-click-reminder", "reminder-click-rate", True, CLICK_BEFORE, CLICK_AFTER
            ),
            PlantedImprovement(
                "opp-plan-colours", "plan-choice-rate", False, PLAN_CHOICE, PLAN_CHOICE
            ),
        ],
        kpis=[PlantedKpi("activation-rate", 0.8, activation, "missed")],
    )
    world.colliding_names = collide
    world.write_truth()
    return world


def _members(
    d: Draw, ev: Table, ans: Table, region: np.ndarray, plan: np.ndarray
) -> dict[str, np.ndarray]:
    n = d.n
    t = d.starts()
    who = np.arange(n)
    ev.add(who, t, event_name="signup", channel="web", journey="onboarding", step="1",
           **{"קמפיין": d.pick({"spring": 0.4, "tv": 0.35, "referral": 0.25})})  # fmt: skip
    ev.add(who, t + MINUTE, event_name="welcome_email", channel="email", journey="onboarding")
    stalled = np.full(n, np.nan)  # when a member stopped before the onboarding tour
    alive = np.ones(n, dtype=bool)
    for number, (name, share) in enumerate(ONBOARDING, start=2):
        t = t + d.uniform(2, 90, n) * MINUTE
        go = alive & d.chance(share)
        stalled[alive & ~go] = t[alive & ~go]
        alive = go
        channel = "email" if name == "verify_email" else "web"
        ev.add(who[alive], t[alive], event_name=name, channel=channel, journey="onboarding",
               step=str(number))  # fmt: skip
    t_trial = t + MINUTE
    ev.add(
        who[alive], t_trial[alive], event_name="trial_start", channel="email", journey="onboarding"
    )
    toured = alive & d.chance(0.95)
    stalled[alive & ~toured] = t_trial[alive & ~toured]
    t_tour = t_trial + d.uniform(5, 600, n) * MINUTE
    ev.add(who[toured], t_tour[toured], event_name="onboarding_tour", channel="app",
           journey="onboarding", step="6")  # fmt: skip
    south = region == "south"
    dropped = toured & d.chance(np.where(south, SOUTH_DROP, REST_DROP))
    stalled[dropped] = t_tour[dropped]
    activated = toured & ~dropped
    t_use = t_tour + d.uniform(10, 48 * 60, n) * MINUTE
    ev.add(who[activated], t_use[activated], event_name="first_use", channel="app", journey="usage")
    _reminders(d, ev, stalled)
    cancel = _billing(d, ev, activated, t_trial, plan)
    _use(d, ev, activated, t_use, cancel)
    _nps(d, ans, activated, t_use, cancel)
    return {"toured": toured, "dropped": dropped, "south": south, "activated": activated,
            "emailed": cancel["emailed"], "churned": cancel["churned"],
            "basic": plan == "basic"}  # fmt: skip


def _reminders(d: Draw, ev: Table, stalled: np.ndarray) -> None:
    """Up to three reminders, three days apart, to every member who stalled in onboarding."""
    who = np.flatnonzero(~np.isnan(stalled))
    owner, k = groups(np.full(len(who), 3))
    t_send = stalled[who][owner] + (k + 1) * 3 * DAY
    keep = t_send < END
    owner, t_send = owner[keep], t_send[keep]
    ev.add(who[owner], t_send, event_name="reminder", channel="email", journey="onboarding")
    launched = t_send >= (LAUNCH - START.date()).days * DAY
    click = d.chance(np.where(launched, CLICK_AFTER, CLICK_BEFORE))
    ev.add(who[owner][click], t_send[click] + d.uniform(5, 600, int(click.sum())) * MINUTE,
           event_name="reminder_click", channel="email", journey="onboarding")  # fmt: skip


def _billing(
    d: Draw, ev: Table, active: np.ndarray, t_trial: np.ndarray, plan: np.ndarray
) -> dict[str, np.ndarray]:
    """A renewal every 30 days from the end of the trial until the member cancels."""
    n = d.n
    first = t_trial + 14 * DAY
    quit_at_trial = d.chance(0.10)
    natural = first + d.rng.exponential(30 * DAY / 0.03, n)
    t_cancel = np.where(quit_at_trial, first - DAY, natural)
    # members active when the price-change e-mail goes out get it; basic members leave
    emailed = active & (t_trial < PRICE_CHANGE) & (t_cancel > PRICE_CHANGE)
    churned = emailed & d.chance(np.where(plan == "basic", BASIC_CHURN, REST_CHURN))
    t_cancel = np.where(churned, PRICE_CHANGE + d.uniform(1, 30, n) * DAY, t_cancel)
    ev.add(np.flatnonzero(emailed), PRICE_CHANGE, event_name="price_change_email",
           channel="email", journey="billing")  # fmt: skip
    stop = np.minimum(t_cancel, END + 4 * WEEK)
    who = np.flatnonzero(active)
    renewals = np.maximum(np.ceil((stop[who] - first[who]) / (30 * DAY)), 0).astype(int)
    owner, k = groups(renewals)
    ev.add(who[owner], first[who][owner] + k * 30 * DAY, event_name="renewal", channel="web",
           journey="billing")  # fmt: skip
    left = active & (t_cancel < END + 4 * WEEK)
    ev.add(np.flatnonzero(left), t_cancel[left], event_name="cancel", channel="web",
           journey="billing")  # fmt: skip
    offered = left & d.chance(0.5)
    ev.add(np.flatnonzero(offered), t_cancel[offered] + 7 * DAY, event_name="win_back_offer",
           channel="email", journey="billing")  # fmt: skip
    back = offered & d.chance(0.1)
    ev.add(np.flatnonzero(back), t_cancel[back] + d.uniform(8, 20, int(back.sum())) * DAY,
           event_name="reactivate", channel="web", journey="billing")  # fmt: skip
    return {"emailed": emailed, "churned": churned, "t_cancel": np.where(active, t_cancel, 0)}


def _use(d: Draw, ev: Table, active: np.ndarray, t_use: np.ndarray, cancel: dict) -> None:
    """About twice a month while subscribed; one in twenty opens a support ticket."""
    who = np.flatnonzero(active)
    stop = np.minimum(cancel["t_cancel"][who], END + 4 * WEEK)
    span = np.maximum(stop - t_use[who], 0)
    owner, _ = groups(d.rng.poisson(2 * span / (30 * DAY)))
    at = t_use[who][owner] + d.rng.random(len(owner)) * span[owner]
    ev.add(who[owner], at, event_name="use", channel="app", journey="usage")
    for name, share, days in (("invite_friend", 0.08, 20), ("upgrade_plan", 0.05, 40)):
        some = who[d.chance(share, len(who))]
        ev.add(some, t_use[some] + d.uniform(1, days, len(some)) * DAY, event_name=name,
               channel="app", journey="usage")  # fmt: skip
    ticket = d.chance(0.05, len(who))
    ev.add(who[ticket], t_use[who][ticket] + d.uniform(1, 20, int(ticket.sum())) * DAY,
           event_name="support_ticket", channel="chat", journey="usage")  # fmt: skip


def _nps(d: Draw, ans: Table, active: np.ndarray, t_use: np.ndarray, cancel: dict) -> None:
    """A third of the activated members answer an NPS survey 30 days after first use."""
    t = t_use + 30 * DAY
    who = np.flatnonzero(active & d.chance(0.33) & (t < cancel["t_cancel"]))
    m = len(who)
    score = d.rng.choice(np.arange(11), m, p=[0.01, 0.01, 0.01, 0.02, 0.03, 0.05, 0.07, 0.15,
                                              0.25, 0.2, 0.2])  # fmt: skip
    praise = d.rng.choice(["Love it", "Use it every week", ""], m)
    complaint = d.rng.choice(["Too expensive", "Not for me"], m)
    verbatim = np.where(score >= 9, praise, np.where(score <= 3, complaint, ""))
    ans.add(who, t[who], nps=score.astype(float), survey="nps", topic="use", verbatim=verbatim)


def _problems(facts: dict[str, np.ndarray]) -> list[PlantedProblem]:
    return [
        PlantedProblem(
            id="onboarding-drop-off-south",
            kind="drop_off",
            step="onboarding_tour",
            segment=PlantedSegment("region", "south", "customer"),
            rate=SOUTH_DROP,
            rest_rate=REST_DROP,
            customers=int((facts["dropped"] & facts["south"]).sum()),
            description="Half the southern members who start the onboarding tour never use the "
            "product (12% elsewhere).",
        ),
        PlantedProblem(
            id="churn-after-price-change",
            kind="drop_off",
            step="price_change_email",
            segment=PlantedSegment("plan", "basic", "customer", personas=("budget",)),
            rate=BASIC_CHURN,
            rest_rate=REST_CHURN,
            customers=int((facts["churned"] & facts["basic"]).sum()),
            description="Within 30 days of the price-change e-mail 30% of the basic-plan members "
            "cancel (4% of the others).",
        ),
    ]


DECOYS = [
    Decoy("loop", "reminder", "reminders are sent by the company, not repeated by the member"),
    Decoy("drop_off", "reminder", "a member who gets a reminder has not dropped out because of it"),
    Decoy("loop", "use", "using the product a few times a month is a habit, not a loop"),
    Decoy("slow_transition", "renewal", "a renewal 30 days after the last is the billing cycle"),
]
