"""Load survey answers (CSAT, NPS, CES) with their free-text comments; quarantine bad rows.

An answer is about one map element: a ``touchpoint``, an ``event`` (bound to a step through the
map's evidence rules) or a ``step``. Sources and quarantine are the events' own: CSV, Parquet,
JSON Lines, tables and DataFrames; a bad row goes to the quarantine with its reason.

>>> import pandas as pd
>>> frame = pd.DataFrame({"customer_id": ["a", "b", "c"], "ts": ["2024-05-01"] * 3,
...     "score": ["5", "9", "x"], "kind": ["csat", "csat", "nps"], "step": ["pay"] * 3})
>>> surveys = load_surveys(frame)
>>> surveys.report.loaded, surveys.report.reasons
(1, {'score outside the scale': 1, 'unparseable score': 1})
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from ..sql import ident as quote
from ..sql import literal
from .load import (
    EventLog,
    LoadReport,
    _columns,
    _insert_rejects,
    _require,
    _tally,
    _ts_expression,
    _write_quarantine,
    connect_duckdb,
)
from .mapping import ColumnMapping
from .sources import open_source

__all__ = ["SCALES", "SurveyLog", "SurveyMapping", "load_surveys"]

#: Answer scales per survey kind: (lowest, highest, higher_is_better).
SCALES: dict[str, tuple[float, float, bool]] = {
    "csat": (1, 5, True),
    "nps": (0, 10, True),
    "ces": (1, 7, False),  # customer effort: a low score is a good experience
}
_TARGETS = ("touchpoint", "event", "step")


class SurveyMapping(BaseModel):
    """Source column names for survey answers, and how to read their times."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: str | None = Field(
        default=None,
        description="An export's shape: qualtrics, surveymonkey (one column per question), "
        "zendesk or freshdesk (tickets with their satisfaction rating) or intercom (rated "
        "conversations).",
    )
    questions: dict[str, str] | None = Field(
        default=None,
        description="With a format: question column -> nps, csat or ces (found from the "
        "question's text when left out).",
    )
    about: str | None = Field(
        default=None,
        description="What every answer is about when the source does not say: touchpoint:ID, "
        "step:ID or event:NAME.",
    )
    customer_id: str = Field(default="customer_id", description="Customer id column.")
    ts: str = Field(default="ts", description="Answer time column.")
    score: str = Field(default="score", description="Score column.")
    kind: str = Field(default="kind", description="Survey kind column: csat, nps or ces.")
    default_kind: str | None = Field(
        default=None, description="Kind of every answer when the source has no kind column."
    )
    touchpoint: str = Field(default="touchpoint", description="Touchpoint id column.")
    event: str = Field(default="event", description="Event name column.")
    step: str = Field(default="step", description="Step id column.")
    comment: str = Field(default="comment", description="Free-text comment column.")
    ts_format: str | None = Field(default=None, description="strftime format of text times.")
    timezone: str = Field(default="UTC", description="Time zone of times without an offset.")
    ts_unit: str = Field(default="s", description="Unit of numeric (epoch) times.")

    @classmethod
    def parse_pairs(cls, pairs: list[str]) -> SurveyMapping:
        """Read ``name=column`` pairs as typed on the command line."""
        values: dict[str, object] = {}
        for pair in pairs:
            name, sep, column = pair.partition("=")
            name = name.strip().replace("-", "_")
            if not sep or not column or name not in cls.model_fields:
                raise ValueError(
                    f"cannot read {pair!r}: use name=column with name one of "
                    f"{', '.join(cls.model_fields)}"
                )
            if name == "questions":  # questions=Q1:nps,Q2:csat
                found = [part.partition(":") for part in column.split(",")]
                values[name] = {q.strip(): k.strip() for q, _, k in found}
                continue
            values[name] = column
        return cls.model_validate(values)


@dataclass
class SurveyLog:
    """Loaded answers in DuckDB table ``answers``: customer_id, ts, seq, kind, score (number),
    touchpoint, event, step, comment; rejected rows in ``quarantine`` (source ``surveys``)."""

    con: duckdb.DuckDBPyConnection
    report: LoadReport

    def answers(self) -> pa.Table:
        return self.con.sql("SELECT * FROM answers ORDER BY ts, seq").to_arrow_table()

    def quarantined(self) -> pa.Table:
        return self.con.sql(
            "SELECT * FROM quarantine WHERE source = 'surveys' ORDER BY n"
        ).to_arrow_table()


def require_survey_columns(columns: dict[str, str], mapping: SurveyMapping, label: str) -> None:
    """The columns ``mapping`` needs from a survey file (name -> type), or ValueError naming
    the one that is missing (every engine's reader checks the same way)."""
    for role in ("customer_id", "ts", "score"):
        _require(columns, getattr(mapping, role), role, label)
    if mapping.kind not in columns and mapping.default_kind is None:
        _require(columns, mapping.kind, "kind", label)
    if not any(getattr(mapping, t) in columns for t in _TARGETS) and mapping.about is None:
        raise ValueError(
            f"{label}: answers need a touchpoint, event or step column; "
            f"columns are: {', '.join(columns)}"
        )


def load_surveys(
    source: Any,
    mapping: SurveyMapping | None = None,
    *,
    into: EventLog | None = None,
    quarantine: str | os.PathLike[str] | None = None,
) -> SurveyLog:
    """Read survey answers from ``source`` (the formats ``load_events`` reads). ``into`` puts
    table ``answers`` in an event log's connection, next to its events (read in a connection of
    their own and handed over as Arrow, so a sealed log takes them too)."""
    mapping = mapping or SurveyMapping()
    con = connect_duckdb()
    notes: list[str] = []
    label = None
    if mapping.format is not None:
        source, notes, mapping, label = _reshaped(source, mapping)
    opened = open_source(con, source, "raw_surveys")
    report = LoadReport(source=label or opened.label, notes=notes)
    columns = _columns(con, "raw_surveys")
    require_survey_columns(columns, mapping, opened.label)
    con.execute(f"CREATE OR REPLACE TABLE answers AS {_select(mapping, columns)}")
    _quarantine_answers(con, report, opened.rejects)
    if quarantine is not None and report.quarantined:
        report.quarantine_file = Path(quarantine)
        _write_quarantine(con, report.quarantine_file, "surveys")
    if into is None:
        return SurveyLog(con, report)
    _hand_over(con, into.con)
    con.close()
    return SurveyLog(into.con, report)


def _reshaped(source: Any, mapping: SurveyMapping) -> tuple[Any, list[str], SurveyMapping, str]:
    """An export (``mapping.format``) as one answer per row, and the mapping that reads it."""
    from .survey_exports import reshape_survey

    if not isinstance(source, str | os.PathLike):
        raise ValueError(f"format={mapping.format} reads a file, not a {type(source).__name__}")
    given = mapping.model_dump(exclude_unset=True)
    table, notes = reshape_survey(
        str(mapping.format), os.fspath(source), mapping.questions, mapping.about, mapping.timezone,
        customer_id=given.get("customer_id"), comment=given.get("comment"),
    )  # fmt: skip
    return table, notes, SurveyMapping(), f"{os.fspath(source)} ({mapping.format} export)"


def _hand_over(source: duckdb.DuckDBPyConnection, target: duckdb.DuckDBPyConnection) -> None:
    """Table ``answers`` and the survey rows of ``quarantine`` from ``source`` into ``target``
    (replacing any answers loaded there before)."""
    for table, arrow in (
        ("answers", source.sql("SELECT * FROM answers").to_arrow_table()),
        ("quarantine", source.sql("SELECT * FROM quarantine").to_arrow_table()),
    ):
        target.register("_js_hand_over", arrow)
        if table == "answers":
            target.execute("CREATE OR REPLACE TABLE answers AS SELECT * FROM _js_hand_over")
        else:
            target.execute("DELETE FROM quarantine WHERE source = 'surveys'")
            target.execute("INSERT INTO quarantine SELECT * FROM _js_hand_over")
        target.unregister("_js_hand_over")


def _text(columns: dict[str, str], column: str | None, constant: str | None = None) -> str:
    if column is None or column not in columns:
        return "NULL::VARCHAR" if constant is None else literal(constant)
    return f"NULLIF(trim(CAST({quote(column)} AS VARCHAR)), '')"


def _target(columns: dict[str, str], mapping: SurveyMapping, target: str) -> str:
    """The answer's touchpoint, event or step: its column, else the ``about`` of them all."""
    kind, _, value = (mapping.about or "").partition(":")
    text = _text(columns, getattr(mapping, target))
    return f"coalesce({text}, {literal(value)})" if kind == target and value else text


def _select(mapping: SurveyMapping, columns: dict[str, str]) -> str:
    """Canonical columns plus ``_r``, the reason a row cannot load (NULL when it can)."""
    # where a bad row is: an export's own words (line 4, Q1), else its row
    where = "_where" if "_where" in columns else "'row ' || row_number() OVER ()"
    times = ColumnMapping(
        ts_format=mapping.ts_format, timezone=mapping.timezone, ts_unit=mapping.ts_unit
    )
    ts = _ts_expression(mapping.ts, columns[mapping.ts], times)
    kind = _text(columns, mapping.kind)
    if mapping.default_kind:
        kind = f"coalesce({kind}, {literal(mapping.default_kind)})"
    scales = " ".join(
        f"WHEN {literal(k)} THEN score NOT BETWEEN {lo} AND {hi}"
        for k, (lo, hi, _) in SCALES.items()
    )
    raw = (
        f"SELECT {_text(columns, mapping.customer_id)} AS customer_id, {ts} AS ts, "
        f"row_number() OVER () AS seq, lower({kind}) AS kind, "
        f"{_text(columns, mapping.score)} AS score_text, "
        f"TRY_CAST({_text(columns, mapping.score)} AS DOUBLE) AS score, "
        + ", ".join(f"{_target(columns, mapping, t)} AS {t}" for t in _TARGETS)
        + f", {_text(columns, mapping.comment)} AS comment, "
        f"{_text(columns, mapping.ts)} AS ts_text, {where} AS _where, "
        f"{_text(columns, '_problem')} AS _problem FROM raw_surveys"
    )
    problem = "WHEN _problem IS NOT NULL THEN _problem " if "_problem" in columns else ""
    return (
        f"SELECT * EXCLUDE (_problem), CASE {problem}WHEN customer_id IS NULL THEN "
        "'missing customer id' "
        "WHEN ts_text IS NULL THEN 'missing timestamp' "
        "WHEN ts IS NULL THEN 'unparseable timestamp' "
        "WHEN score_text IS NULL THEN 'missing score' "
        "WHEN score IS NULL THEN 'unparseable score' "
        f"WHEN kind IS NULL OR kind NOT IN ({', '.join(literal(k) for k in SCALES)}) "
        "THEN 'unknown survey kind' "
        f"WHEN CASE kind {scales} END THEN 'score outside the scale' "
        "WHEN touchpoint IS NULL AND event IS NULL AND step IS NULL "
        f"THEN 'no touchpoint, event or step' END AS _r FROM ({raw}) r"
    )


def _quarantine_answers(con: duckdb.DuckDBPyConnection, report: LoadReport, rejects: Any) -> None:
    rows = con.execute("SELECT count(*) FROM answers").fetchall()[0][0]
    report.read = rows + len(rejects)
    con.execute(
        "INSERT INTO quarantine SELECT 'surveys', seq, _where, _r, to_json({"
        "'customer_id': customer_id, 'ts': ts_text, 'score': score_text, 'kind': kind, "
        "'touchpoint': touchpoint, 'event': event, 'step': step, 'comment': comment})::VARCHAR "
        "FROM answers WHERE _r IS NOT NULL"
    )
    _insert_rejects(con, "surveys", rejects)
    for column in ("_r", "score_text", "ts_text", "_where"):
        if column == "_r":
            con.execute("DELETE FROM answers WHERE _r IS NOT NULL")
        con.execute(f"ALTER TABLE answers DROP COLUMN {column}")
    _tally(con, report, "surveys")
