"""The demo workspace: the Tour De Farce map, its sample evidence, and everything rendered."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

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
    """Sample events (with a few bad rows), customers and survey answers, evaluated against the
    map in one pass, and reported."""
    from .analytics import JourneyOptions
    from .evaluation import AnalysisOptions, EvaluationSettings, Sources, evaluate
    from .formats import atomic_write_text
    from .insights import JsonDecisionStore
    from .model import InsightSettings
    from .render.report import render_report
    from .synth.tour_de_farce import generate_tour_de_farce

    data = generate_tour_de_farce(directory / "data", customers=3000, with_surveys=True)
    sources = Sources(
        data["events"], customers=data["customers"], surveys=data["surveys"],
        quarantine=directory / "data" / "quarantine.csv",
        survey_quarantine=directory / "data" / "surveys.quarantine.csv",
    )  # fmt: skip
    settings = EvaluationSettings(
        analysis=AnalysisOptions(journeys=JourneyOptions(segment_by="persona")),
        # the demo's assumptions (the saved map stays the template, untouched)
        insight_settings=journey.insights or InsightSettings.model_validate(DEMO_SETTINGS),
        decisions=JsonDecisionStore(directory / "tour-de-farce.decisions.json"),
    )
    result = evaluate(journey, sources, settings)
    report = result.load
    log(f"events loaded: {report.loaded:,} of {report.read:,}; {report.quarantined} quarantined")
    analysis, insights = result.analysis, result.insights
    assert analysis is not None and insights is not None
    out = {"events": data["events"], "customers": data["customers"]}
    out["quarantine"] = Path(sources.quarantine or "")
    out["surveys"] = data["surveys"]
    log(f"pain points found: {len(insights.pain_points)}; map status: {insights.staleness.status}")
    out["analysis (JSON)"] = directory / "analysis.json"
    atomic_write_text(out["analysis (JSON)"], analysis.to_json() + "\n")
    out["insights (JSON)"] = directory / "insights.json"
    atomic_write_text(out["insights (JSON)"], insights.to_json() + "\n")
    out["report (HTML)"] = directory / "report.html"
    atomic_write_text(out["report (HTML)"], render_report(analysis, journey, insights))
    return out


#: What the demo's insights assume: a tour's price, and that reviews come weeks after departure.
DEMO_SETTINGS = {"value_per_customer": 1150.0, "wait_targets_hours": {"review": 21 * 24}}
