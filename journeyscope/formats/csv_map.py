"""A map from a spreadsheet: one CSV row per step, in journey order.

The columns are those ``journeyscope export -f csv`` writes, so an exported map reads back; a
hand-made sheet needs only ``stage`` and ``step``. Column names are matched without regard to
case, spaces or dashes (``Pain points`` is ``pain_points``); a few plain synonyms are read too
(``touchpoint``, ``channel``, ``score``, ``feelings``, ``persona``). A cell of a list column holds
one item per line. Touchpoints are written ``name [channel]``; one without a channel takes the
row's ``channel`` cell. ``emotion`` (or ``score``) is the step's feeling score; ``emotion:ID``
a persona's score, which makes persona ``ID``. The emotion scale is the usual -3..3, widened to
the scores the sheet uses. Every problem is reported as ``file:line:column: field: reason``, and
a column the import does not know is one, so nothing in the sheet is silently dropped.

>>> journey = parse_csv_map("stage,step,touchpoint,channel,score\\n"
...     "Buy,Pay,Checkout,web,-1\\nBuy,Get the parcel,,,\\n")
>>> [(s.name, [t.channel for t in s.touchpoints]) for _, s in journey.steps()]
[('Pay', ['web']), ('Get the parcel', [])]
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from pydantic import ValidationError

from ..model import BACKSTAGE_LISTS, LIST_LANES, JourneyMap
from .files import FileProblem, MapFileError
from .mermaid import _Ids

__all__ = ["parse_csv_map"]

_SYNONYMS = {
    "touchpoint": "touchpoints", "channel": "channels", "score": "emotion",
    "feelings": "feeling_words", "persona": "personas", "stage_name": "stage",
    "step_name": "step", "opportunity": "opportunities",
}  # fmt: skip
_SINGLE = ("stage_id", "stage", "step_id", "step", "kind", "personas", "description", "channels",
           "emotion", "moment_of_truth", "owner")  # fmt: skip
_LISTS = ("touchpoints", *LIST_LANES, "feeling_words", "opportunities", "evidence",
          *(f"backstage_{name}" for name in BACKSTAGE_LISTS))  # fmt: skip
_KNOWN = frozenset((*_SINGLE, *_LISTS))
_TOUCHPOINT = re.compile(r"^(?P<name>.*?)\s*\[(?P<channel>[^\[\]]+)\]\s*$")
_YES = frozenset({"yes", "y", "true", "1", "x"})


def parse_csv_map(text: str, filename: str = "<csv>", title: str | None = None) -> JourneyMap:
    """The map in ``text`` (CSV with a header row); ``title`` defaults to the file's name."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = next(reader, None)
    if not header:
        raise MapFileError([FileProblem(filename, 1, 1, "header", "the file is empty")])
    columns = [_column(name) for name in header]
    problems = [
        FileProblem(filename, 1, i + 1, header[i], f"unknown column; known are {_known()}")
        for i, name in enumerate(columns)
        if name not in _KNOWN and not name.startswith("emotion:")
    ]
    problems += [FileProblem(filename, 1, 1, need, f"the header has no {need!r} column")
                 for need in ("stage", "step") if need not in columns]  # fmt: skip
    if problems:
        raise MapFileError(problems)
    rows = []
    for values in reader:
        if any(v.strip() for v in values):
            rows.append((reader.line_num, dict(zip(columns, values, strict=False))))
    return _build(rows, filename, title or _title(filename))


def _column(name: str) -> str:
    key = re.sub(r"[\s\-]+", "_", name.strip().lower())
    if key.startswith("emotion:"):
        return "emotion:" + name.strip().split(":", 1)[1].strip()
    return _SYNONYMS.get(key, key)


def _known() -> str:
    return ", ".join((*_SINGLE, *_LISTS, "emotion:PERSONA"))


def _title(filename: str) -> str:
    stem = re.split(r"[\\/]", filename)[-1].rsplit(".", 1)[0]
    return stem.replace("_", " ").replace("-", " ").strip() or "Journey"


def _cell(row: dict[str, str], name: str) -> str:
    """A cell as written, without the quote the CSV export puts before a formula sign."""
    value = (row.get(name) or "").strip()
    return value[1:] if value.startswith("'") and value[1:2] in "=+-@" and value[1:] else value


def _items(row: dict[str, str], name: str) -> list[str]:
    return [item.strip() for item in _cell(row, name).splitlines() if item.strip()]


def _build(rows: list[tuple[int, dict[str, str]]], filename: str, title: str) -> JourneyMap:
    ids, problems = _Ids(), []
    stages: dict[str, dict[str, Any]] = {}
    personas: dict[str, None] = {}
    places: dict[tuple[int, int], int] = {}  # (stage, step) -> line, to locate model errors
    scores: list[float] = []
    for _, row in rows:  # ids the sheet gives are taken before any is made from a name
        ids.taken.update(filter(None, (_cell(row, "stage_id"), _cell(row, "step_id"))))
    for line, row in rows:
        try:
            step, persona_ids, step_scores = _step(row, ids)
        except ValueError as error:
            field, message = str(error).split(": ", 1)
            problems.append(FileProblem(filename, line, 1, field, message))
            continue
        personas.update(dict.fromkeys(persona_ids))
        scores += step_scores
        key = _cell(row, "stage_id") or _cell(row, "stage")
        if key not in stages:
            stage_id = _cell(row, "stage_id") or ids.make(_cell(row, "stage"), "stage")
            stages[key] = {"id": stage_id, "name": _cell(row, "stage"), "steps": []}
        stage = stages[key]
        places[(list(stages).index(key), len(stage["steps"]))] = line
        stage["steps"].append(step)
    if not rows:
        problems.append(FileProblem(filename, 2, 1, "step", "the sheet has no step rows"))
    if problems:
        raise MapFileError(problems)
    data = {
        "id": ids.make(title, "map"), "title": title, "stages": list(stages.values()),
        "personas": [{"id": pid, "name": pid} for pid in personas],
        "emotion_scale": {"min": min([-3.0, *scores]), "max": max([3.0, *scores])},
    }  # fmt: skip
    try:
        return JourneyMap.model_validate(data)
    except ValidationError as error:
        raise MapFileError([_located(e, places, filename) for e in error.errors()]) from None


def _step(row: dict[str, str], ids: _Ids) -> tuple[dict[str, Any], list[str], list[float]]:
    """One row as a step, the persona ids it names and its scores; ``ValueError('field: why')``."""
    for need in ("stage", "step"):
        if not _cell(row, need):
            raise ValueError(f"{need}: the {need} name is empty")
    step: dict[str, Any] = {"id": _cell(row, "step_id") or ids.make(_cell(row, "step"), "step"),
                            "name": _cell(row, "step")}  # fmt: skip
    for name in ("kind", "description"):
        if _cell(row, name):
            step[name] = _cell(row, name)
    personas = [p.strip() for p in _cell(row, "personas").split(",") if p.strip()]
    if personas:
        step["personas"] = personas
    step["touchpoints"] = _touchpoints(row, ids)
    for lane in LIST_LANES:
        step[lane] = _items(row, lane)
    feelings, scores = _feelings(row)
    step["feelings"] = feelings
    persona_ids = personas + [f["persona"] for f in feelings if f.get("persona")]
    step["moment_of_truth"] = _cell(row, "moment_of_truth").lower() in _YES
    step["opportunities"] = [{"id": ids.make(title, "opportunity"), "title": title}
                             for title in _items(row, "opportunities")]  # fmt: skip
    backstage = {name: _items(row, f"backstage_{name}") for name in BACKSTAGE_LISTS}
    if _cell(row, "owner"):
        backstage["owner"] = _cell(row, "owner")  # type: ignore[assignment]
    if any(backstage.values()):
        step["backstage"] = backstage
    step["evidence"] = [_rule(text) for text in _items(row, "evidence")]
    return step, persona_ids, scores


def _touchpoints(row: dict[str, str], ids: _Ids) -> list[dict[str, str]]:
    channels = _items(row, "channels")
    touchpoints = []
    for text in _items(row, "touchpoints"):
        found = _TOUCHPOINT.match(text)
        name, channel = (found["name"], found["channel"]) if found else (text, "")
        channel = channel.strip().lower() or (channels[0].lower() if channels else "")
        if not channel:
            raise ValueError(f"touchpoints: {text!r} has no channel: write it as "
                             f"'{text} [web]' or fill the channel column")  # fmt: skip
        touchpoints.append({"id": ids.make(name, "touchpoint"), "name": name, "channel": channel})
    return touchpoints


def _feelings(row: dict[str, str]) -> tuple[list[dict[str, Any]], list[float]]:
    words = _items(row, "feeling_words")
    feelings: list[dict[str, Any]] = []
    scores: list[float] = []
    for column in ["emotion", *sorted(c for c in row if c.startswith("emotion:"))]:
        text = _cell(row, column)
        if not text:
            continue
        try:
            score = float(text)
        except ValueError:
            raise ValueError(f"{column}: {text!r} is not a number") from None
        scores.append(score)
        persona = column.split(":", 1)[1] if ":" in column else None
        feelings.append({"score": score, **({"persona": persona} if persona else {})})
    if words:
        general = next((f for f in feelings if "persona" not in f), None)
        if general is None and not feelings:
            feelings.append(general := {})
        (general or feelings[0])["words"] = words
    return feelings, scores


def _rule(text: str) -> dict[str, Any]:
    try:
        rule = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"evidence: {text!r} is not an evidence rule in JSON ({error.msg})"
        ) from None
    if not isinstance(rule, dict):
        raise ValueError(f"evidence: {text!r} is not an evidence rule (a JSON object)")
    return rule


def _located(error: Any, places: dict[tuple[int, int], int], filename: str) -> FileProblem:
    loc = error.get("loc", ())
    line = 1
    if len(loc) >= 4 and loc[0] == "stages" and loc[2] == "steps":
        line = places.get((int(loc[1]), int(loc[3])), 1)
    field = ".".join(str(part) for part in loc[4:]) or ".".join(str(p) for p in loc) or "map"
    return FileProblem(filename, line, 1, field, error.get("msg", "invalid"))
