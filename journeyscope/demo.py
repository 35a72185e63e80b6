"""The demo workspace: the Tour De Farce map, its sample evidence, and everything rendered."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .formats import load_template, save_map
from .model import JourneyMap


def build_demo(
    directory: Path, lang: str = "en", log: Callable[[str], None] = lambda line: None
) -> dict[str, Path]:
    """Create (or refresh) a demo workspace in ``directory``; returns what was written, by label."""
    from .render import render_file

    directory.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    journey = load_template("tour-de-farce", lang)
    out["map file"] = save_map(journey, directory / "tour-de-farce.yaml")
    log(f"map written: {out['map file']}")
    out["map (HTML)"] = render_file(journey, directory / "tour-de-farce.html")
    out["map (SVG)"] = render_file(journey, directory / "tour-de-farce.svg")
    if shutil.which("chromium"):
        out["map (PNG)"] = render_file(journey, directory / "tour-de-farce.png")
    else:
        log("chromium not found: skipping the PNG (apt-get install chromium to get it)")
    out.update(_evidence(directory, journey, log))
    return out


def _evidence(directory: Path, journey: JourneyMap, log: Callable[[str], None]) -> dict[str, Path]:
    """Sample events (with a few bad rows) bound to the map, analysed, and reported."""
    from .analytics import JourneyOptions, analyze
    from .events import load_events
    from .formats import atomic_write_text
    from .render.report import render_report
    from .synth.tour_de_farce import generate_tour_de_farce

    data = generate_tour_de_farce(directory / "data", customers=3000, with_surveys=True)
    quarantine = directory / "data" / "quarantine.csv"
    events = load_events(data["events"], customers=data["customers"], quarantine=quarantine)
    report = events.report
    log(f"events loaded: {report.loaded:,} of {report.read:,}; {report.quarantined} quarantined")
    result = analyze(events, journey, options=JourneyOptions(segment_by="persona"))
    out = {"events": data["events"], "customers": data["customers"], "quarantine": quarantine}
    out["surveys"] = data["surveys"]
    insights = _insights(events, journey, data["surveys"], directory / "data")
    log(f"pain points found: {len(insights.pain_points)}; map status: {insights.staleness.status}")
    out["analysis (JSON)"] = directory / "analysis.json"
    atomic_write_text(out["analysis (JSON)"], result.to_json() + "\n")
    out["insights (JSON)"] = directory / "insights.json"
    atomic_write_text(out["insights (JSON)"], insights.to_json() + "\n")
    out["report (HTML)"] = directory / "report.html"
    atomic_write_text(out["report (HTML)"], render_report(result, journey, insights))
    return out


#: What the demo's insights assume: a tour's price, and that reviews come weeks after departure.
DEMO_SETTINGS = {"value_per_customer": 1150.0, "wait_targets_hours": {"review": 21 * 24}}


def _insights(events: Any, journey: JourneyMap, surveys: Path, data: Path) -> Any:
    """Insights with the demo's settings (the saved map stays the template, untouched)."""
    from .events import load_surveys
    from .insights import JsonDecisionStore, compute_insights
    from .model import InsightSettings

    answers = load_surveys(surveys, into=events, quarantine=data / "surveys.quarantine.csv")
    settings = journey.insights or InsightSettings.model_validate(DEMO_SETTINGS)
    store = JsonDecisionStore(data.parent / "tour-de-farce.decisions.json")
    return compute_insights(events, journey, surveys=answers, settings=settings, decisions=store)
