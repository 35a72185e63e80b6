"""Reading customer events (CSV, Parquet, JSON Lines, XES, tables, DataFrames) into one table."""

from .load import EventLog, LoadReport, load_events
from .mapping import ColumnMapping

__all__ = ["ColumnMapping", "EventLog", "LoadReport", "load_events"]
