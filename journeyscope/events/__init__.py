"""Reading customer events (CSV, Parquet, JSON Lines, XES, tables, DataFrames) into one table."""

from .load import EventLog, LoadReport, load_events
from .mapping import ColumnMapping
from .surveys import SurveyLog, SurveyMapping, load_surveys

__all__ = [
    "ColumnMapping",
    "EventLog",
    "LoadReport",
    "SurveyLog",
    "SurveyMapping",
    "load_events",
    "load_surveys",
]
