"""Plugins: the built-ins register through the hooks a third party uses; CONTRIBUTING.md's
example kind runs as written."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from journeyscope import JourneyMap, evaluate
from journeyscope.analytics import JourneyOptions, compute_kpi, prepare
from journeyscope.engine import ENGINES, DuckDBEngine, connect
from journeyscope.evaluation import Sources
from journeyscope.events import load_events
from journeyscope.events.sources import Source
from journeyscope.formats import save_map
from journeyscope.formats.export import EXPORT_FORMATS, export_map
from journeyscope.insights.kpi_status import numerator_elements
from journeyscope.insights.pain_points import Check, RateAbove
from journeyscope.model import KPI
from journeyscope.plugins import (
    DEFAULT_PLUGINS,
    EngineConnector,
    EventReader,
    KpiFunction,
    OutputFormat,
    PainPointKind,
    PluginError,
    engines,
    event_readers,
    get_plugin_manager,
    hookimpl,
    kpi_functions,
    output_formats,
    pain_point_kinds,
)
from journeyscope.render import FORMATS, render_file

ROOT = Path(__file__).resolve().parents[1]
T0 = dt.datetime(2024, 3, 4, 9, 0, tzinfo=dt.UTC)
SHOP = JourneyMap.model_validate({"id": "shop", "title": "Shop", "stages": [
    {"id": "buy", "name": "Buy", "steps": [
        {"id": "browse", "name": "Browse", "evidence": [{"event": "browse"}]},
        {"id": "cart", "name": "Cart", "evidence": [{"event": "cart"}]},
        {"id": "pay", "name": "Pay", "evidence": [{"event": "pay"}]}]}]})  # fmt: skip
BACK = [f"c{i}" for i in range(1, 6)]  # go from the cart back to browsing


def shop_log() -> pd.DataFrame:
    """Eight customers, one a day; c1..c5 go back from the cart to browsing once."""
    rows = []
    for day, customer in enumerate([*BACK, "c6", "c7", "c8"]):
        events = ["browse", "cart", "browse", "cart", "pay"] if customer in BACK else []
        for minute, event in enumerate(events or ["browse", "cart", "pay"]):
            ts = T0 + dt.timedelta(days=day, minutes=minute)
            rows.append({"customer_id": customer, "ts": ts, "event": event, "amount": day})
    return pd.DataFrame(rows)


@pytest.fixture
def register() -> Iterator[Any]:
    """Register plugins for one test; every one is unregistered afterwards."""
    manager, added = get_plugin_manager(), []

    def add(plugin: object, name: str) -> None:
        manager.register(plugin, name=name)
        added.append(plugin)

    yield add
    for plugin in added:
        manager.unregister(plugin)


def plugin(**hooks: Any) -> object:
    """A plugin object whose hooks return the given lists."""
    marked = {name: hookimpl(lambda items=items: items) for name, items in hooks.items()}
    return types.SimpleNamespace(**marked)


def _section_code(title: str) -> list[str]:
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_contributing_adds_a_pain_point_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    module_code, register_code = _section_code("Add a pain-point kind")
    module = types.ModuleType("journeyscope_backtrack")
    exec(compile(module_code, "CONTRIBUTING.md", "exec"), module.__dict__)
    monkeypatch.setitem(sys.modules, "journeyscope_backtrack", module)
    exec(compile(register_code, "CONTRIBUTING.md", "exec"), {})
    try:
        assert "backtrack" in pain_point_kinds()
        points = evaluate(SHOP, Sources(shop_log())).insights.pain_points  # type: ignore[union-attr]
        mine = [p for p in points if p.kind == "backtrack"]
        assert [p.key for p in mine] == ["backtrack:cart:all"]
        assert (mine[0].customers_affected, mine[0].severity) == (5, 5 / 8)
        assert mine[0].evidence["threshold"] == 0.2 and mine[0].evidence["p_value"] < 0.05
        assert [e["customer"] for e in mine[0].examples] == BACK
        # the published schema takes a plugin's kind too
        import jsonschema

        from journeyscope.insights.schema import insights_json_schema

        item = insights_json_schema()["properties"]["pain_points"]["items"]
        jsonschema.validate(json.loads(json.dumps(mine[0].to_dict(), default=str)), item)
    finally:
        get_plugin_manager().unregister(module)
    assert "backtrack" not in pain_point_kinds()
    points = evaluate(SHOP, Sources(shop_log())).insights.pain_points  # type: ignore[union-attr]
    assert [p for p in points if p.kind == "backtrack"] == []


def _owners(hook: str) -> dict[str, str]:
    """Name -> the plugin that registered it, straight from the plugin manager."""
    impls = getattr(get_plugin_manager().hook, hook).get_hookimpls()
    return {item.name: impl.plugin_name for impl in impls for item in impl.function()}


def test_every_extension_point_lists_its_builtins_through_the_plugin_manager() -> None:
    defaults = {module.__name__ for module in DEFAULT_PLUGINS}
    assert {get_plugin_manager().get_name(p) for p in DEFAULT_PLUGINS} == defaults
    builtins = {
        "register_pain_point_kinds": (pain_point_kinds, ["drop_off", "slow_transition",
            "repeat_contact", "loop", "channel_switch", "bounce", "failed_step", "escalation"]),
        "register_kpi_functions": (kpi_functions, ["count", "count_customers",
            "count_journeys", "avg", "sum", "min", "max", "median", "avg_seconds",
            "avg_minutes", "avg_hours", "avg_days", "median_seconds", "median_minutes",
            "median_hours", "median_days"]),
        "register_engines": (engines, ["duckdb", "spark"]),
        "register_output_formats": (output_formats, ["html", "svg", "png", "pdf", "mermaid",
            "csv", "json"]),
        "register_event_readers": (event_readers, ["csv", "parquet", "jsonl", "xes",
            "xes_options", "ocel", "duckdb", "sqlite", "postgresql", "postgres", "database",
            "ga4", "segment", "mixpanel", "amplitude", "snowplow", "zendesk", "freshdesk",
            "intercom"]),
    }  # fmt: skip
    for hook, (lookup, names) in builtins.items():
        assert list(lookup()) == names, hook
        assert set(_owners(hook).values()) <= defaults and list(_owners(hook)) == names, hook
    assert list(ENGINES) == ["duckdb", "spark"]
    assert list(FORMATS) == [".html", ".svg", ".png", ".pdf"]
    assert list(EXPORT_FORMATS) == ["mermaid", "csv", "json"]


def test_a_third_party_kpi_function(register: Any) -> None:
    p95 = KpiFunction("p95", lambda call: call.engine.quantile(call.value(), 0.95))
    register(plugin(register_kpi_functions=[p95]), "p95-plugin")
    log = load_events(shop_log())
    prepared = prepare(connect(log), SHOP, JourneyOptions(), log.has_customers)
    kpi = KPI(id="amount", name="Amount", formula="p95(pay.amount) / count(pay)", cadence="yearly")
    (row,) = compute_kpi(prepared, kpi).to_pylist()
    amounts = pd.Series(range(8), dtype=float)  # one pay a day, amount = the day
    assert row["value"] == pytest.approx(amounts.quantile(0.95) / 8)
    assert numerator_elements("p95(pay.amount) / count(pay)") is None  # p95 counts nobody


def test_a_third_party_engine(register: Any) -> None:
    class Recording(DuckDBEngine):
        name = "recording"

    connector = EngineConnector("recording", lambda log, **options: Recording(log, **options))
    register(plugin(register_engines=[connector]), "recording-plugin")
    assert list(ENGINES) == ["duckdb", "spark", "recording"]
    engine = connect(load_events(shop_log()), "recording")
    assert isinstance(engine, Recording)
    assert engine.query("SELECT count(*) AS n FROM events").to_pylist() == [{"n": 34}]
    with pytest.raises(ValueError, match="choose one of duckdb, spark, recording"):
        connect(load_events(shop_log()), "oracle")


def test_a_third_party_output_format(register: Any, tmp_path: Path) -> None:
    def steps_text(journey: JourneyMap, state: Any, persona: str | None) -> str:
        return "\n".join(step.name for _, step in journey.steps()) + "\n"

    def draw(journey: JourneyMap, path: Path, *view: Any) -> Path:
        path.write_text(steps_text(journey, "current", None), encoding="utf-8")
        return path

    text = OutputFormat("steps", ".txt", render=draw, export=steps_text)
    register(plugin(register_output_formats=[text]), "text-plugin")
    assert export_map(SHOP, "steps") == "Browse\nCart\nPay\n"
    assert render_file(SHOP, tmp_path / "map.txt").read_text(encoding="utf-8").startswith("Browse")
    assert ".txt" in FORMATS and "steps" in EXPORT_FORMATS
    from journeyscope.cli.main import app

    save_map(SHOP, tmp_path / "shop.yaml")
    result = CliRunner().invoke(app, ["render", str(tmp_path / "shop.yaml"), "-o", "map.gif"])
    assert result.exit_code == 2
    assert "use .html, .svg, .png, .pdf or .txt" in result.output


def test_render_names_the_registered_formats_in_its_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"use one of \.html, \.svg, \.png, \.pdf"):
        render_file(SHOP, tmp_path / "map.gif")
    with pytest.raises(ValueError, match="choose one of mermaid, csv, json"):
        export_map(SHOP, "plantuml")


def test_registration_errors_are_clear(register: Any) -> None:
    def nothing(context: Any, options: Any) -> list[Check]:
        return []

    loops = PainPointKind("loop", nothing, RateAbove(0.1))
    register(plugin(register_pain_point_kinds=[loops]), "my-loops")
    twice = (
        r"pain-point kind 'loop' is registered twice: by plugin "
        r"'journeyscope\.plugins\.default_pain_point_kinds' and by plugin 'my-loops'"
    )
    with pytest.raises(PluginError, match=twice):
        pain_point_kinds()
    register(plugin(register_kpi_functions=["count"]), "strings")
    wrong = r"plugin 'strings': register_kpi_functions\(\) gave 'count', not a KpiFunction"
    with pytest.raises(PluginError, match=wrong):
        kpi_functions()
    with pytest.raises(ValueError, match="KPI function name 'p-95'"):
        KpiFunction("p-95", lambda call: "1")
    web = OutputFormat("web", ".html", export=lambda *view: "")  # an export may share a suffix
    page = OutputFormat("page", ".html", render=lambda journey, path, *view: path)
    register(plugin(register_output_formats=[web]), "exports-html")
    output_formats()
    register(plugin(register_output_formats=[page]), "renders-html")
    with pytest.raises(PluginError, match=r"output formats 'html' and 'page' both render \.html"):
        output_formats()


def test_a_kind_may_not_take_a_survey_kinds_name(register: Any) -> None:
    def nothing(context: Any, options: Any) -> list[Check]:
        return []

    kind = PainPointKind("low_score", nothing, RateAbove(0.1))
    register(plugin(register_pain_point_kinds=[kind]), "scores")
    with pytest.raises(PluginError, match="'low_score' is a survey kind's name"):
        evaluate(SHOP, Sources(shop_log()))


def test_a_kind_makes_checks_of_its_own_kind(register: Any) -> None:
    def wrong(context: Any, options: Any) -> list[Check]:
        return [Check("loop", "cart", "SELECT jid, 0 AS hit, 0 AS cost FROM path")]

    register(plugin(register_pain_point_kinds=[PainPointKind("odd", wrong, RateAbove(0.1))]),
             "odd")  # fmt: skip
    with pytest.raises(ValueError, match="kind 'odd' made a check of kind 'loop'"):
        evaluate(SHOP, Sources(shop_log()))


def test_a_third_party_event_reader(register: Any, tmp_path: Path) -> None:
    """A prefix reader (a table of a shop system) and a suffix reader (a pipe-separated export)
    sit next to the built-ins; a file no reader claims is still read as CSV."""

    def shop_orders(con: Any, spec: str, view: str, ordered: bool) -> Source:
        con.execute(
            f"CREATE VIEW {view} AS SELECT * FROM (VALUES ('a', '2024-03-04', 'buy')) "
            "t(customer_id, ts, event)"
        )
        return Source(label=f"shop:{spec}")

    def pipes(con: Any, path: Path, view: str, ordered: bool) -> Source:
        con.execute(f"CREATE VIEW {view} AS SELECT * FROM read_csv('{path}', delim='|')")
        return Source(label=str(path))

    readers = [EventReader("shop", shop_orders, prefix="shop:"),
               EventReader("pipes", pipes, suffixes=(".psv",))]  # fmt: skip
    register(plugin(register_event_readers=readers), "shop-readers")
    assert (
        load_events("shop:orders").con.execute("SELECT event FROM events").fetchall()[0][0] == "buy"
    )
    (tmp_path / "log.psv").write_text("customer_id|ts|event\nb|2024-03-04|pay\n")
    assert (
        load_events(tmp_path / "log.psv").con.execute("SELECT event FROM events").fetchall()[0][0]
        == "pay"
    )
    (tmp_path / "log.txt").write_text("customer_id,ts,event\nc,2024-03-04,look\n")
    assert (
        load_events(tmp_path / "log.txt").con.execute("SELECT event FROM events").fetchall()[0][0]
        == "look"
    )
