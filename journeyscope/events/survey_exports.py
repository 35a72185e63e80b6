"""Survey and ticket exports as they come, reshaped into one answer per row.

- ``qualtrics``: Qualtrics' CSV (three header rows: column ids, question texts, import ids with
  the time zone), one column per question;
- ``surveymonkey``: SurveyMonkey's (and Medallia-style) CSV: two header rows (questions, then
  "Response" or the choice), one column per question;
- ``zendesk``: Zendesk tickets (JSON Lines of the API's ticket objects, or a CSV export) with
  their satisfaction rating: ``good`` is 5 and ``bad`` 1 on the CSAT scale (1-5); a rating
  only ``offered`` is not an answer;
- ``intercom``: Intercom conversations (JSON Lines of the API's conversation objects) with
  their ``conversation_rating`` (1-5, CSAT) and its remark as the comment; or the conversation
  report's CSV (``Conversation rating``, ``Conversation rating remark``, ``Updated at (ZONE)``);
- ``freshdesk``: Freshdesk's ticket export (CSV) with ``Survey results``: the seven labels of
  its satisfaction scale ("Extremely happy" ... "Extremely unhappy", or the API's 103 ... -103)
  evenly on the CSAT scale, 5 to 1, "Neutral" 3.

A question is NPS, CSAT or CES by ``questions`` (``{column: kind}``) or by its text ("recommend"
is NPS, "satisfied" CSAT, "easy"/"effort" CES); others are left out, and the report's notes
say which were taken. A score written as its label ("10 - Extremely likely", "Very
satisfied") is read as its number.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow as pa

from .tickets import FRESHDESK_SOURCES, started_at_column

__all__ = ["SURVEY_FORMATS", "reshape_survey"]

SURVEY_FORMATS = ("qualtrics", "surveymonkey", "zendesk", "intercom", "freshdesk")
COLUMNS = ("customer_id", "ts", "score", "kind", "touchpoint", "event", "step", "comment",
           "_where", "_problem")  # fmt: skip

_KIND_WORDS = (("nps", r"recommend"), ("ces", r"\beas(y|ier|e)\b|effort"), ("csat", r"satisf"))
_CSAT_LABELS = {
    "very dissatisfied": 1, "dissatisfied": 2, "somewhat dissatisfied": 2,
    "neither satisfied nor dissatisfied": 3, "neutral": 3, "somewhat satisfied": 4,
    "satisfied": 4, "very satisfied": 5, "extremely satisfied": 5,
}  # fmt: skip
_ZENDESK = {"good": 5.0, "bad": 1.0}
#: Freshdesk's satisfaction scale (labels and the API's numbers), evenly from 5 to 1
_FRESHDESK_LEVELS = [("extremely happy", "103"), ("very happy", "102"), ("happy", "101"),
                     ("neutral", "100"), ("unhappy", "-101"), ("very unhappy", "-102"),
                     ("extremely unhappy", "-103")]  # fmt: skip
_FRESHDESK = {
    key: round(5 - 4 * i / 6, 4) for i, pair in enumerate(_FRESHDESK_LEVELS) for key in pair
}
_NOT_JSON = "_js_not_json"
#: columns (Qualtrics embedded data, say) naming what an answer is about
_TARGETS = ("touchpoint", "event", "step")
_LEADING_NUMBER = re.compile(r"^\s*(\d+(\.\d+)?)\b")
#: Qualtrics' own columns, never questions
_QUALTRICS_META = {
    "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
    "Finished", "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName",
    "RecipientEmail", "ExternalReference", "ExternalDataReference", "LocationLatitude",
    "LocationLongitude", "DistributionChannel", "UserLanguage",
}  # fmt: skip
_MONKEY_META = {
    "Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
    "First Name", "Last Name", "Custom Data 1", "Custom Data",
}  # fmt: skip


class _Answers:
    """The long table being built, and what to tell the user."""

    def __init__(self, about: tuple[str, str] | None) -> None:
        self.rows: dict[str, list[Any]] = {c: [] for c in COLUMNS}
        self.about = about
        self.notes: list[str] = []

    def add(self, where: str, customer: str | None, ts: str | None, score: str | None,
            kind: str, comment: str | None = None, **target: str | None) -> None:  # fmt: skip
        if self.about and not any(target.values()):
            target = {self.about[0]: self.about[1]}
        values = {"customer_id": customer, "ts": ts, "score": score, "kind": kind,
                  "comment": comment or None, "_where": where, **target}  # fmt: skip
        for column in COLUMNS:
            self.rows[column].append(values.get(column))

    def reject(self, where: str, problem: str, text: str) -> None:
        """A line that is no answer at all: quarantined with ``problem``."""
        self.add(where, None, None, None, "csat", text)
        self.rows["_problem"][-1] = problem

    def table(self) -> pa.Table:
        return pa.table({c: pa.array(v, pa.string()) for c, v in self.rows.items()})


def reshape_survey(
    fmt: str,
    path: str | Path,
    questions: dict[str, str] | None,
    about: str | None,
    timezone: str,
    customer_id: str | None = None,
    comment: str | None = None,
) -> tuple[pa.Table, list[str]]:
    """The answers of export ``fmt`` at ``path`` (columns ``COLUMNS``, all text; ``ts`` with
    its UTC offset) and notes on what was read."""
    if fmt not in SURVEY_FORMATS:
        raise ValueError(f"no survey format {fmt!r}: use {', '.join(SURVEY_FORMATS)}")
    target = _about(about)
    answers = _Answers(target)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    if fmt == "zendesk":
        _zendesk(path, answers, customer_id)
    elif fmt == "intercom" and path.suffix.lower() == ".csv":
        _intercom_csv(path, answers, customer_id, _zone(timezone))
    elif fmt == "intercom":
        _intercom(path, answers)
    elif fmt == "freshdesk":
        _freshdesk(path, answers, customer_id, _zone(timezone))
    else:
        _wide(fmt, path, answers, questions or {}, _zone(timezone), customer_id, comment)
    return answers.table(), answers.notes


def _about(about: str | None) -> tuple[str, str] | None:
    if about is None:
        return None
    kind, sep, value = about.partition(":")
    if not sep or kind not in ("touchpoint", "event", "step") or not value:
        raise ValueError(f"write about as touchpoint:ID, step:ID or event:NAME (got {about!r})")
    return kind, value


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use e.g. Europe/Berlin)") from None


def _kind_of(column: str, text: str, questions: dict[str, str]) -> str | None:
    if column in questions:
        return questions[column].lower()
    for kind, words in _KIND_WORDS:
        if re.search(words, text, re.IGNORECASE):
            return kind
    return None


def score_text(value: str, kind: str) -> str:
    """A score as its number: "10 - Extremely likely" is 10, "Very satisfied" 5."""
    match = _LEADING_NUMBER.match(value)
    if match:
        return match[1]
    if kind == "csat" and value.strip().lower() in _CSAT_LABELS:
        return str(_CSAT_LABELS[value.strip().lower()])
    return value


def _utc(text: str | None, zone: ZoneInfo, formats: tuple[str, ...]) -> str | None:
    """A time written in ``zone`` as ISO text in UTC; the text itself when unreadable (the
    loader then quarantines it as unparseable)."""
    if not text or not text.strip():
        return None
    for fmt in formats:
        try:
            when = dt.datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
        when = when if when.tzinfo else when.replace(tzinfo=zone)
        return when.astimezone(dt.UTC).isoformat()
    return text


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """CSV rows with the line each begins on (a quoted value may span lines)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        line = 1
        for row in reader:
            yield line, row
            line = reader.line_num + 1


def _wide(fmt: str, path: Path, answers: _Answers, questions: dict[str, str], zone: ZoneInfo,
          customer_id: str | None, comment: str | None) -> None:  # fmt: skip
    """Qualtrics and SurveyMonkey: a response per row, a question per column."""
    rows = _rows(path)
    ids = next(rows, (1, []))[1]
    texts = next(rows, (2, []))[1]
    if fmt == "qualtrics":
        imports = next(rows, (3, []))[1]
        zone = _qualtrics_zone(imports, ids, zone)
        meta, time_column = _QUALTRICS_META, "RecordedDate"
        who = [customer_id] if customer_id else ["ExternalReference", "ExternalDataReference",
                                                 "RecipientEmail", "ResponseId"]  # fmt: skip
        formats = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M")
    else:  # the first row has the questions, the second "Response" or a choice
        ids, texts = _monkey_columns(ids, texts)
        meta, time_column = _MONKEY_META, "End Date"
        who = [customer_id] if customer_id else ["Email Address", "Custom Data 1", "Respondent ID"]
        formats = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S")
    position = {name: i for i, name in enumerate(ids)}
    if time_column not in position:
        raise ValueError(f"{path}: no {time_column!r} column: is it a {fmt} export?")
    asked = []
    for i, name in enumerate(ids):
        skip = name in meta or name == comment or name in _TARGETS or name.endswith("_NPS_GROUP")
        kind = None if skip else _kind_of(name, _at(texts, i), questions)
        if kind is not None:
            asked.append((i, name, kind))
    if not asked:
        raise ValueError(
            f"{path}: no NPS, CSAT or CES question found; name them with questions=COLUMN:KIND"
        )
    answers.notes.append("questions read: " + ", ".join(f"{n} ({k})" for _, n, k in asked))
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        ids_given = (_at(row, position[c]) for c in who if c in position)
        customer = next((value for value in ids_given if value.strip()), None)
        ts = _utc(_at(row, position[time_column]), zone, formats)
        note = _at(row, position[comment]) if comment and comment in position else None
        about = {t: _at(row, position[t]) or None for t in _TARGETS if t in position}
        for i, name, kind in asked:
            value = _at(row, i)
            if value.strip():
                where = f"line {line}, {name}"
                answers.add(where, customer, ts, score_text(value, kind), kind, note, **about)


def _at(row: list[str], i: int) -> str:
    return row[i] if i < len(row) else ""


def _qualtrics_zone(imports: list[str], ids: list[str], zone: ZoneInfo) -> ZoneInfo:
    """The time zone Qualtrics wrote RecordedDate in (its third header row), else ``zone``."""
    for name, text in zip(ids, imports, strict=False):
        if name == "RecordedDate":
            try:
                found = json.loads(text).get("timeZone")
            except (ValueError, AttributeError):
                return zone
            return _zone(found) if found else zone
    return zone


def _monkey_columns(questions: list[str], subs: list[str]) -> tuple[list[str], list[str]]:
    """SurveyMonkey leaves a question's text in its first column only: each column's name is
    its question (and choice, when there are several)."""
    names, texts, current = [], [], ""
    for i, question in enumerate(questions):
        current = question or current
        sub = _at(subs, i)
        name = (
            question
            if question and sub in ("", "Response", "Open-Ended Response")
            else f"{current} - {sub}"
        )
        names.append(name)
        texts.append(current)
    return names, texts


def _zendesk(path: Path, answers: _Answers, customer_id: str | None) -> None:
    """Tickets with a satisfaction rating: JSON Lines of ticket objects, or a CSV export."""
    offered = 0
    for where, ticket in _tickets(path):
        if _NOT_JSON in ticket:
            answers.reject(where, "not a JSON object", ticket[_NOT_JSON])
            continue
        rating = ticket.get("satisfaction_rating") or {}
        if isinstance(rating, str):
            rating = {"score": rating}
        score = str(rating.get("score") or "").strip().lower()
        if score in ("offered", "unoffered", ""):
            offered += score == "offered"
            continue
        customer = ticket.get(customer_id or "requester_id") or ticket.get("requester_email")
        via = ticket.get("via") or {}
        channel = via.get("channel") if isinstance(via, dict) else None
        ts = rating.get("updated_at") or ticket.get("updated_at") or ticket.get("solved_at")
        value = str(_ZENDESK[score]) if score in _ZENDESK else score
        answers.add(where, None if customer is None else str(customer), ts, value, "csat",
                    rating.get("comment"), touchpoint=channel)  # fmt: skip
    if offered:
        answers.notes.append(f"{offered:,} tickets were offered a rating and gave none")


def _intercom(path: Path, answers: _Answers) -> None:
    """Conversations with a rating: the contact's external id (else its Intercom id), the
    rating's time (epoch seconds), the rating 1-5 as CSAT, the remark as the comment."""
    unrated = 0
    for where, conversation in _json_lines(path, "conversations"):
        if _NOT_JSON in conversation:
            answers.reject(where, "not a JSON object", conversation[_NOT_JSON])
            continue
        rating = conversation.get("conversation_rating") or {}
        if not isinstance(rating, dict) or rating.get("rating") is None:
            unrated += 1
            continue
        contacts = (conversation.get("contacts") or {}).get("contacts") or [{}]
        contact = rating.get("contact") or contacts[0]
        first = contacts[0] if isinstance(contacts[0], dict) else {}
        customer = first.get("external_id") or contact.get("id") or first.get("id")
        seconds = rating.get("created_at") or conversation.get("updated_at")
        ts = _epoch(seconds)
        channel = (conversation.get("source") or {}).get("type")
        answers.add(where, None if customer is None else str(customer), ts,
                    str(rating["rating"]), "csat", rating.get("remark"),
                    touchpoint=channel)  # fmt: skip
    if unrated:
        answers.notes.append(f"{unrated:,} conversations have no rating")


def _header_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """A CSV's rows as ``{header: value}`` with their lines; blank rows left out."""
    rows = _rows(path)
    header = [h.strip() for h in next(rows, (1, []))[1]]
    for line, row in rows:
        if any(cell.strip() for cell in row):
            yield line, dict(zip(header, row, strict=False))


def _first(row: dict[str, str], names: tuple[str, ...]) -> str | None:
    return next((row[n].strip() for n in names if (row.get(n) or "").strip()), None)


_TIMES = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d %b %Y %H:%M", "%Y-%m-%dT%H:%M:%S%z")


def _freshdesk(path: Path, answers: _Answers, customer_id: str | None, zone: ZoneInfo) -> None:
    """Freshdesk's ticket export: a ticket's ``Survey results`` label as CSAT, at the time it
    was resolved (else closed, last updated, created) in the help desk's zone."""
    who = (customer_id,) if customer_id else ("Unique External ID", "Email", "Contact ID")
    unrated = 0
    labels = sorted((k for k in _FRESHDESK if not k.lstrip("-").isdigit()), key=len, reverse=True)
    for line, row in _header_rows(path):
        result = (row.get("Survey results") or "").strip().lower()
        score = _FRESHDESK.get(result) or next(
            (_FRESHDESK[label] for label in labels if re.search(rf"\b{label}\b", result)), None
        )
        if not result:
            unrated += 1
            continue
        when = _first(row, ("Resolved time", "Closed time", "Last update time", "Created time"))
        source = (row.get("Source") or "").strip().lower()
        answers.add(f"line {line}", _first(row, who), _utc(when, zone, _TIMES),
                    result if score is None else str(score), "csat",
                    touchpoint=FRESHDESK_SOURCES.get(source, source) or None)  # fmt: skip
    if unrated:
        answers.notes.append(f"{unrated:,} tickets have no survey result")


def _intercom_csv(path: Path, answers: _Answers, customer_id: str | None, zone: ZoneInfo) -> None:
    """Intercom's conversation report (CSV): ``Conversation rating`` 1-5 as CSAT with its
    remark, at ``Updated at (ZONE)`` (else the conversation's start), in the zone the header
    names."""
    who = (customer_id,) if customer_id else ("User ID", "Email", "User name")
    unrated = 0
    for line, row in _header_rows(path):
        rating = (row.get("Conversation rating") or "").strip()
        if not rating:
            unrated += 1
            continue
        found = started_at_column(list(row), "Updated at") or started_at_column(
            list(row), "Conversation started at"
        )
        ts = None
        if found is not None:
            column, name = found
            ts = _utc(row.get(column), _zone(name) if name != "UTC" else zone, _TIMES)
        channel = _first(row, ("Conversation source",))
        answers.add(f"line {line}", _first(row, who), ts, rating, "csat",
                    row.get("Conversation rating remark"),
                    touchpoint=channel.lower() if channel else None)  # fmt: skip
    if unrated:
        answers.notes.append(f"{unrated:,} conversations have no rating")


def _epoch(seconds: Any) -> str | None:
    """Intercom's epoch seconds as ISO text in UTC; anything else as it is."""
    if seconds is None:
        return None
    try:
        return dt.datetime.fromtimestamp(float(seconds), dt.UTC).isoformat()
    except (TypeError, ValueError, OverflowError, OSError):
        return str(seconds)


def _json_lines(path: Path, key: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The objects of a JSON Lines file (or of each line's list under ``key``); a line that
    is not JSON as ``{_NOT_JSON: its text}``, quarantined as such."""
    with path.open(encoding="utf-8") as handle:
        for line, text in enumerate(handle, 1):
            if not text.strip():
                continue
            try:
                data = json.loads(text)
            except ValueError:
                yield f"line {line}", {_NOT_JSON: text.strip()}
                continue
            for item in data.get(key, [data]) if isinstance(data, dict) else []:
                if isinstance(item, dict):
                    yield f"line {line}", item


def _tickets(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    if path.suffix.lower() == ".csv":
        rows = _rows(path)
        header = [h.strip().lower().replace(" ", "_") for h in next(rows, (1, []))[1]]
        for line, row in rows:
            ticket: dict[str, Any] = dict(zip(header, row, strict=False))
            ticket["satisfaction_rating"] = {
                "score": ticket.get("satisfaction") or ticket.get("satisfaction_rating"),
                "comment": ticket.get("satisfaction_comment"),
            }
            yield f"line {line}", ticket
        return
    yield from _json_lines(path, "tickets")
