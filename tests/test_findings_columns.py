"""Any column name: attributes named like our own columns (``cid``, ``t``, ``step``, ``jid``,
``segment``, ``persona``...), like the core ones in another case (``Event``, ``CHANNEL``, which
DuckDB renames ``Event_1``), with spaces, quotes, ``=`` or non-Latin letters go through load ->
evaluate by the names the user gave them: rules bind through them, segments are named by them,
and the counts add up."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeyscope.evaluation import Sources, evaluate
from journeyscope.model import JourneyMap

T0 = dt.datetime(2024, 3, 4, 9, 0, tzinfo=dt.UTC)
#: the names of our own columns and tables, and the core columns in another case
OURS = [
    "cid", "t", "step", "jid", "journey", "segment", "touchpoint", "persona", "_persona", "pos",
    "sid", "gap", "key", "hit", "goal", "value", "dim", "level", "at", "_rn", "_k", "_a1",
    "Event", "CHANNEL", "Customer_ID", "TS", "Seq", "dim=x", "a=b=c", "_n", "_n_1",
]  # fmt: skip
AWKWARD = ["a b", 'q"uote', "it's", "имя", "ערוץ", "zamówienie", "🛒", "x;y", "--"]
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=8)
NAMES = st.one_of(
    st.sampled_from(OURS + AWKWARD),
    TEXT.map(lambda text: "c" + text).filter(lambda name: name.strip() == name),
)
VALUES = st.one_of(
    st.sampled_from(["=", "a=b", "(none)", "all", "'", '"', "NULL", "канал", " x"]),
    TEXT.filter(lambda value: value != "" and value.strip() == value),
)
#: names the loader keeps under another name (an attribute spelled exactly like a core
#: column, or like its own bookkeeping columns "_r"/"_ts_text", is kept as NAME_1: see
#: tests/test_loader_names.py); names starting "_js" are the loader's alone
DROPPED = {"customer_id", "ts", "seq", "event", "channel"}


def kept(name: str) -> bool:
    return name not in DROPPED and not name.startswith(("_r", "_ts", "_js"))


def shop(attribute: str, customer_attribute: str, values: tuple[str, str]) -> JourneyMap:
    """Cart is bound through a condition on the event attribute, the persona through the
    customer attribute."""
    return JourneyMap.model_validate(
        {
            "id": "shop", "title": "Shop",
            "personas": [{"id": "vip", "name": "VIP", "segment": [
                {"attribute": customer_attribute, "op": "==", "value": values[0]}]}],
            "stages": [{"id": "buy", "name": "Buy", "steps": [
                {"id": "visit", "name": "Visit", "evidence": [{"event": "visit"}]},
                {"id": "cart", "name": "Cart", "evidence": [{"event": "cart", "where": [
                    {"attribute": attribute, "op": "in", "value": list(values)}]}]},
                {"id": "pay", "name": "Pay", "evidence": [{"event": "pay"}]},
            ]}],
        }
    )  # fmt: skip


def data(
    attribute: str, customer_attribute: str, values: tuple[str, str], n: int = 120
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Customers alternate between the two values; 7 in 10 of the first value's customers
    leave at the cart, 1 in 10 of the other's. Returns the events, customers, mapped events."""
    rows, mapped = [], 0
    for number in range(n):
        value = values[number % 2]
        leaves = (number // 2) % 10 < (7 if number % 2 == 0 else 1)
        steps = ["visit", "cart"] if leaves else ["visit", "cart", "pay"]
        for minute, event in enumerate(steps):
            rows.append({"customer_id": f"c{number:03}", "event": event, "channel": "web",
                         "ts": T0 + dt.timedelta(hours=number, minutes=minute),
                         attribute: value})  # fmt: skip
        mapped += len(steps)
    customers = pd.DataFrame(
        {"customer_id": [f"c{i:03}" for i in range(n)],
         customer_attribute: [values[(i // 2) % 2] for i in range(n)]}
    )  # fmt: skip
    return pd.DataFrame(rows), customers, mapped


def check_counts(result: Any, attribute: str, mapped: int, n: int) -> None:
    insights = result.insights.to_dict()
    assert insights["summary"]["customers"] == n
    assert insights["summary"]["mapped_events"] == mapped
    assert insights["summary"]["problems"] == []
    for point in insights["pain_points"]:
        assert 0 <= point["customers_affected"] <= n
        detail = point["segment_detail"]
        if detail is not None:
            assert point["segment"] == f"{detail['dimension']}={detail['value']}"
    reach = {r["step"]: r["customers"] for r in result.analysis.to_dict()["reach"]}
    assert reach == {"visit": n, "cart": n, "pay": n - (n // 20) * 8}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    attribute=NAMES.filter(kept),
    customer_attribute=NAMES.filter(kept),
    values=st.lists(VALUES, min_size=2, max_size=2, unique=True).map(tuple),
)
def test_any_column_name_binds_segments_and_adds_up(
    attribute: str, customer_attribute: str, values: tuple[str, str]
) -> None:
    if attribute.casefold() == customer_attribute.casefold():
        customer_attribute += " 2"
    events, customers, mapped = data(attribute, customer_attribute, values)
    result = evaluate(shop(attribute, customer_attribute, values),
                      Sources(events, customers=customers))  # fmt: skip
    check_counts(result, attribute, mapped, 120)
    assert result.insights is not None
    assert {attribute, customer_attribute} <= set(result.insights.segments)
    # the drop-off at the cart is found in the segment of the cart events, by the data's name
    found = [
        p.segment_detail for p in result.insights.pain_points
        if p.kind == "drop_off" and p.element == "pay" and p.segment_detail
    ]  # fmt: skip
    assert {"dimension": attribute, "value": values[0], "level": "event"} in found
    # the persona comes from the customers' attribute: the first value's customers are VIPs
    assert result.analysis is not None


def test_our_own_words_side_by_side() -> None:
    """All of our own words at once, on the events and on the customers (where ``seq``,
    ``t`` and ``cid`` would have met ``bound``'s own columns)."""
    events, customers, mapped = data("step", "cid", ("a=b", "c"))
    for name in [n for n in OURS if n != "step"]:
        events[name] = [("x", "y")[i % 2] for i in range(len(events))]
    for name in [*OURS, "seq", "t"]:
        if name not in ("cid", "Customer_ID"):
            customers[name] = [("u", "v")[i % 2] for i in range(len(customers))]
    result = evaluate(shop("step", "cid", ("a=b", "c")), Sources(events, customers=customers))
    check_counts(result, "step", mapped, 120)
    assert result.insights is not None
    assert {"Event", "CHANNEL", "segment", "persona", "dim=x", "seq", "t"} <= set(
        result.insights.segments
    )
    # "persona" is the data's column (a CRM's assignment), listed once
    assert result.insights.segments.count("persona") == 1
