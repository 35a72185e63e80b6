"""Maps to and from Mermaid ``journey`` diagrams.

Mermaid's journey grammar is small and unforgiving (its lexer, case-insensitive, first match
wins): a line whose text begins with ``section ``, ``title ``, ``journey``, ``accTitle``,
``accDescr`` or ``%`` is a keyword or a comment, ``%%`` after the first character starts a
comment too, ``#`` always does, ``:`` ends a task's name, ``;`` ends a line, and ``,`` separates
the actors. So the export writes names so that Mermaid reads them back as they are:

* a name that would begin with a keyword or ``%`` starts with an invisible ZERO WIDTH SPACE
  (U+200B), and every ``%%`` gets one between its two signs;
* a comma in an actor (persona) name is written as SINGLE LOW-9 QUOTATION MARK ``‚`` (U+201A),
  which looks like a comma;
* ``:`` becomes `` -``, ``;`` a comma and ``#`` ``no.``, as Mermaid has no way to write them.

The import undoes the first two, so ``parse_mermaid(to_mermaid(map))`` gives back the stages,
steps, personas and (five-point) scores. (A name with a zero-width space between two ``%`` of
its own is the one thing that does not read back exactly.)

>>> from journeyscope.model import JourneyMap
>>> journey = JourneyMap.model_validate({"id": "m", "title": "Buying", "stages": [
...     {"id": "s", "name": "Buy", "steps": [{"id": "pay", "name": "Pay: card",
...      "feelings": [{"score": -3}]}]}]})
>>> print(to_mermaid(journey), end="")
journey
    title Buying
    section Buy
      Pay - card: 1: Customer
>>> [step.name for _, step in parse_mermaid(to_mermaid(journey)).steps()]
['Pay - card']
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from ..model import JourneyMap, MapState, Step
from .files import FileProblem, MapFileError

__all__ = ["parse_mermaid", "to_mermaid"]

_ZWSP = "\u200b"
_COMMA = "\u201a"
#: what Mermaid's journey lexer reads as a keyword or a comment at the start of a token
_KEYWORD = re.compile(r"(section\s|title\s|journey\b|acctitle\s*:|accdescr\s*[:{]|%)", re.I)
#: the actor everyone is when the map has no personas
CUSTOMER = "Customer"


def mermaid_text(text: str) -> str:
    """Mermaid ends a task name at ':' and a line at a newline or ';' — keep names on one line."""
    return " ".join(text.replace(":", " -").replace(";", ",").replace("#", "no.").split())


def mermaid_name(text: str) -> str:
    """A task, section or title text as Mermaid will read it back unchanged."""
    text = mermaid_text(text).replace("%%", f"%{_ZWSP}%")
    return _ZWSP + text if _KEYWORD.match(text) or text.startswith(_ZWSP) else text


def _after_keyword(text: str) -> str:
    """A title or section name: after its keyword, only ``%%`` needs breaking."""
    return mermaid_text(text).replace("%%", f"%{_ZWSP}%")


def _actor(name: str) -> str:
    return mermaid_name(name).replace(",", _COMMA)


def _unescape(text: str) -> str:
    """A name as written before :func:`mermaid_name`: without the one zero-width space in front
    and the ones inside ``%%``."""
    text = text.strip().replace(f"%{_ZWSP}%", "%%")
    return text.removeprefix(_ZWSP).strip()


def _unescape_actor(text: str) -> str:
    return _unescape(text).replace(_COMMA, ",")


def _five_point(journey: JourneyMap, score: float | None) -> int:
    """Mermaid scores are 1..5: map the map's emotion scale onto that range (3 when unknown)."""
    if score is None:
        return 3
    low, high = journey.emotion_scale.min, journey.emotion_scale.max
    return max(1, min(5, round(1 + 4 * (score - low) / (high - low))))


def to_mermaid(journey: JourneyMap, state: MapState = "current", persona: str | None = None) -> str:
    """A Mermaid ``journey`` diagram: sections are stages, tasks are steps, actors are personas.

    Personas that feel a step differently get one task line each, since Mermaid gives a task a
    single score.
    """
    names = {p.id: p.name for p in journey.personas if persona in (None, p.id)}
    lines = ["journey", f"    title {_after_keyword(journey.title)}"]
    for stage in journey.stages_of(state):
        lines.append(f"    section {_after_keyword(stage.name)}")
        for step in stage.steps:
            for score, actors in _scores_by_actor(journey, step, names):
                actor_text = ", ".join(_actor(actor) for actor in actors)
                lines.append(f"      {mermaid_name(step.name)}: {score}: {actor_text}")
    return "\n".join(lines) + "\n"


def _scores_by_actor(
    journey: JourneyMap, step: Step, names: dict[str, str]
) -> list[tuple[int, list[str]]]:
    actors = [pid for pid in names if not step.personas or pid in step.personas]
    if not actors:
        return [(_five_point(journey, _general_score(step)), [CUSTOMER])]
    groups: dict[int, list[str]] = {}
    for pid in actors:
        score = next((f.score for f in step.feelings if f.persona == pid), _general_score(step))
        groups.setdefault(_five_point(journey, score), []).append(names[pid])
    return list(groups.items())


def _general_score(step: Step) -> float | None:
    return next((f.score for f in step.feelings if f.persona is None), None)


# -- reading -----------------------------------------------------------------------------------


@dataclass
class _Task:
    name: str
    scores: dict[str, int] = field(default_factory=dict)  # actor name -> score
    line: int = 0


@dataclass
class _Section:
    name: str
    tasks: list[_Task] = field(default_factory=list)


def parse_mermaid(text: str, filename: str = "<mermaid>") -> JourneyMap:
    """A map from a Mermaid ``journey`` diagram: sections become stages, tasks steps, actors
    personas, scores feelings on a 1..5 emotion scale. A task listed again right after itself
    for other actors (how the export writes personas that feel a step differently) is one step.
    If the only actor is ``Customer``, the map has no personas. Problems raise
    ``MapFileError`` with the file and line."""
    title, sections, problems = _read_lines(text, filename)
    if not problems and not any(s.tasks for s in sections):
        problems.append(FileProblem(filename, 1, 1, "journey", "the diagram has no tasks"))
    if problems:
        raise MapFileError(problems)
    return _journey(title or "Journey", sections)


def _read_lines(text: str, filename: str) -> tuple[str | None, list[_Section], list[FileProblem]]:
    title: str | None = None
    sections: list[_Section] = []
    problems: list[FileProblem] = []
    header, in_description = False, False
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), 1):
        line = raw.strip()
        if in_description:
            in_description = "}" not in line
            continue
        if not line or line.startswith("%%") or line.startswith("#"):
            continue
        if not header:
            header = line.lower() == "journey"
            if not header:
                reason = "a Mermaid journey diagram starts with 'journey'"
                problems.append(FileProblem(filename, number, 1, "journey", reason))
                break
            continue
        word = line.split(maxsplit=1)[0].lower()
        rest = line[len(word) :].strip()
        if word == "title":
            title = _unescape(rest)
        elif word == "section":
            sections.append(_Section(_unescape(rest)))
        elif re.match(r"acc(title|descr)\s*:", line, re.I):
            continue
        elif re.match(r"accdescr\s*\{", line, re.I):
            in_description = "}" not in line
        else:
            problem = _task(line, number, sections)
            if problem:
                problems.append(FileProblem(filename, number, 1, "task", problem))
    return title, sections, problems


def _task(line: str, number: int, sections: list[_Section]) -> str | None:
    """Read ``name: score: actor, actor`` into the last section; the problem, if any."""
    name, sep, data = line.partition(":")
    score_text, _, actors_text = data.partition(":")
    if not sep or not _unescape(name):
        return f"cannot read {line!r}: write a task as 'name: score: actor, actor'"
    try:
        score = float(score_text)
    except ValueError:
        return f"the score {score_text.strip()!r} is not a number (Mermaid uses 1 to 5)"
    if not 1 <= score <= 5 or not score.is_integer():
        return f"the score {score_text.strip()} is not a whole number from 1 to 5"
    if not sections:
        sections.append(_Section("Journey"))
    actors = [_unescape_actor(a) for a in actors_text.split(",") if _unescape(a)] or [CUSTOMER]
    tasks = sections[-1].tasks
    last = tasks[-1] if tasks else None
    clean = _unescape(name)
    if last is not None and last.name == clean and not set(last.scores) & set(actors):
        last.scores.update(dict.fromkeys(actors, int(score)))
    else:
        tasks.append(_Task(clean, dict.fromkeys(actors, int(score)), number))
    return None


def _journey(title: str, sections: list[_Section]) -> JourneyMap:
    actors = list(dict.fromkeys(a for s in sections for t in s.tasks for a in t.scores))
    personas = [] if actors == [CUSTOMER] else actors
    ids = _Ids()
    persona_ids = {name: ids.make(name, "persona") for name in personas}
    stages = []
    for section in sections:
        steps = []
        for task in section.tasks:
            step: dict[str, object] = {"id": ids.make(task.name, "step"), "name": task.name}
            if personas:
                step["feelings"] = [
                    {"persona": persona_ids[a], "score": s} for a, s in task.scores.items()
                ]
                if len(task.scores) < len(personas):
                    step["personas"] = [persona_ids[a] for a in task.scores]
            else:
                step["feelings"] = [{"score": score} for score in task.scores.values()]
            steps.append(step)
        stages.append({"id": ids.make(section.name, "stage"), "name": section.name,
                       "steps": steps})  # fmt: skip
    return JourneyMap.model_validate({
        "id": _Ids().make(title, "map"), "title": title,
        "emotion_scale": {"min": 1, "max": 5},
        "personas": [{"id": pid, "name": name} for name, pid in persona_ids.items()],
        "stages": [s for s in stages if s["steps"]],
    })  # fmt: skip


class _Ids:
    """Map ids from names: ASCII words joined by '-', numbered when taken or when the name has
    no ASCII letters (a Russian or Hebrew name: ``step-3``)."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.counts: dict[str, int] = {}

    def make(self, name: str, kind: str) -> str:
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        slug = "-".join(re.findall(r"[a-z0-9]+", ascii_name.lower()))[:60].strip("-")
        self.counts[kind] = self.counts.get(kind, 0) + 1
        base = slug or f"{kind}-{self.counts[kind]}"
        candidate, n = base, 1
        while candidate in self.taken:
            n += 1
            candidate = f"{base}-{n}"
        self.taken.add(candidate)
        return candidate
