"""Export a map for other tools: Mermaid ``journey`` diagrams (see ``formats.mermaid``), CSV
(one row per step), JSON.

>>> from journeyscope.model import JourneyMap
>>> journey = JourneyMap.model_validate({"id": "m", "title": "Buying", "stages": [
...     {"id": "s", "name": "Buy", "steps": [{"id": "pay", "name": "Pay: card",
...      "feelings": [{"score": -3}]}]}]})
>>> print(to_mermaid(journey), end="")
journey
    title Buying
    section Buy
      Pay - card: 1: Customer
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from .. import plugins
from ..model import BACKSTAGE_LISTS, LIST_LANES, JourneyMap, MapState, Stage, Step
from .files import map_to_data
from .mermaid import to_mermaid

__all__ = ["EXPORT_FORMATS", "export_map", "to_csv", "to_json", "to_mermaid"]


def _exports() -> dict[str, plugins.OutputFormat]:
    """The registered output formats that export a map as text, by name."""
    return {f.name: f for f in plugins.output_formats().values() if f.export is not None}


#: the names ``export_map`` takes (mermaid, csv, json and any a plugin adds), read when used
EXPORT_FORMATS = plugins.Names(_exports)


def _steps(journey: JourneyMap, state: MapState) -> Iterator[tuple[Stage, Step]]:
    for stage in journey.stages_of(state):
        for step in stage.steps:
            yield stage, step


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """Keep spreadsheets from running a cell as a formula (CSV injection); numbers stay numbers.

    Spreadsheets skip leading spaces (and other white space) before a formula sign, so the sign is
    looked for after them.

    >>> _cell("=1+2"), _cell("  =HYPERLINK(x)"), _cell("-3"), _cell(" 2"), _cell("Pay")
    ("'=1+2", "'  =HYPERLINK(x)", '-3', ' 2', 'Pay')
    """
    if text.startswith(_FORMULA_START) or text.lstrip().startswith(_FORMULA_START):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


def _lines(items: list[str]) -> str:
    return "\n".join(items)


def to_csv(journey: JourneyMap, state: MapState = "current") -> str:
    """One row per step; lanes as columns; several items in a cell are on separate lines."""
    personas = [p.id for p in journey.personas]
    header = [
        "stage_id", "stage", "step_id", "step", "kind", "personas", "description",
        "touchpoints", "channels", *LIST_LANES[:2], "emotion",
        *(f"emotion:{pid}" for pid in personas), "feeling_words", *LIST_LANES[2:],
        "moment_of_truth", "opportunities", *(f"backstage_{name}" for name in BACKSTAGE_LISTS),
        "owner", "evidence",
    ]  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for stage, step in _steps(journey, state):
        writer.writerow([_cell(value) for value in _csv_row(stage, step, personas)])
    return out.getvalue()


def _csv_row(stage: Stage, step: Step, personas: list[str]) -> list[str]:
    backstage = step.backstage
    scores = {f.persona: f.score for f in step.feelings}

    def score(key: str | None) -> str:
        value = scores.get(key)
        return "" if value is None else f"{value:g}"

    evidence = [*step.evidence, *(rule for tp in step.touchpoints for rule in tp.evidence)]
    return [
        stage.id, stage.name, step.id, step.name, step.kind, ", ".join(step.personas),
        step.description or "",
        _lines([f"{tp.name} [{tp.channel}]" for tp in step.touchpoints]),
        _lines(list(dict.fromkeys(tp.channel for tp in step.touchpoints))),
        _lines(step.actions), _lines(step.thoughts), score(None),
        *(score(pid) for pid in personas),
        _lines([word for f in step.feelings for word in f.words]),
        *(_lines(getattr(step, lane)) for lane in LIST_LANES[2:]),
        "yes" if step.moment_of_truth else "",
        _lines([op.title for op in step.opportunities]),
        *(_lines(getattr(backstage, name)) if backstage else "" for name in BACKSTAGE_LISTS),
        (backstage.owner or "") if backstage else "",
        _lines([rule.model_dump_json(exclude_defaults=True) for rule in evidence]),
    ]  # fmt: skip


def to_json(journey: JourneyMap) -> str:
    """The whole map as JSON in the map-file format (loads back with ``load_map``)."""
    return json.dumps(map_to_data(journey), ensure_ascii=False, indent=2) + "\n"


def export_map(
    journey: JourneyMap, fmt: str, state: MapState = "current", persona: str | None = None
) -> str:
    """``journey`` as text in the registered output format ``fmt`` (one of
    :data:`EXPORT_FORMATS`)."""
    exporter = _exports().get(fmt)
    if exporter is None or exporter.export is None:
        raise ValueError(
            f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}"
        )
    return exporter.export(journey, state, persona)
