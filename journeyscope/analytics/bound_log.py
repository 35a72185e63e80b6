"""The bound log — every event with the map step and touchpoint it binds to — written out for
process-mining tools as XES or OCEL 2.0 JSON.

The binding is the analysis's own (``prepare``, the ``bound`` table every number is counted
from), so an exported log says exactly what the report says.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from ..engine import connect
from ..events import EventLog
from ..events.ocel import write_ocel_json
from ..events.xes import write_xes
from ..model import JourneyMap
from ..sql import ident
from .journeys import JourneyOptions, prepare

__all__ = ["LOG_FORMATS", "bound_log", "export_bound_log", "log_format"]

#: file names the export knows, by format
LOG_FORMATS = {"xes": (".xes",), "ocel": (".jsonocel", ".ocel.json")}
#: columns of ``bound`` that are the analysis's own bookkeeping, not the customer's data
_INTERNAL = ("cid", "t", "_new", "_k", "_persona")


def bound_log(
    log: EventLog,
    journey: JourneyMap | None,
    options: JourneyOptions | None = None,
    *,
    engine: str = "duckdb",
    engine_options: dict[str, Any] | None = None,
) -> pa.Table:
    """The events of ``log`` with ``jid`` (the journey), ``step`` (the step's name, null when
    the event is on no step), ``touchpoint`` (its name), ``step_id`` and ``stage`` (its name),
    in journey and time order. Without a map each event name is its own step."""
    runner = connect(log, engine, **(engine_options or {}))
    try:
        prepared = prepare(runner, journey, options or JourneyOptions(), log.has_customers)
        binding = prepared.binding
        bound = prepared.tables.bound
        columns = [c for c in bound.columns if c not in _INTERNAL]
        table = runner.query(
            f"SELECT {', '.join(ident(c) for c in columns)} FROM {bound} ORDER BY jid, ts, seq"
        )
        # the data's attributes go out under the names the user gave them, not their columns
        names = {prepared.column(a): a for a in prepared.attributes}
        table = table.rename_columns([names.get(c, c) for c in columns])
    finally:
        runner.close()
    if journey is None:
        return table
    # the map's ids become the names people read; the step's id and stage go along
    info = {s.id: s for s in binding.steps}
    ids = table["step"].to_pylist()
    steps = [info.get(i) for i in ids]
    names = binding.touchpoint_names
    touchpoints = [names.get(t, t) if t else None for t in table["touchpoint"].to_pylist()]
    table = table.set_column(columns.index("step"), "step", _text([s and s.name for s in steps]))
    table = table.set_column(columns.index("touchpoint"), "touchpoint", _text(touchpoints))
    table = table.append_column("step_id", _text(ids))
    return table.append_column("stage", _text([s and s.stage_name for s in steps]))


def _text(values: list[Any]) -> pa.Array:
    return pa.array(values, pa.string())


def log_format(path: str | os.PathLike[str]) -> str:
    """``xes`` or ``ocel``, told by the file name; ``ValueError`` for any other."""
    name = Path(path).name.lower()
    for fmt, suffixes in LOG_FORMATS.items():
        if name.endswith(suffixes):
            return fmt
    known = ", ".join(s for suffixes in LOG_FORMATS.values() for s in suffixes)
    raise ValueError(f"{Path(path).name}: write the log to a file ending in {known}")


def export_bound_log(
    log: EventLog,
    journey: JourneyMap | None,
    path: str | os.PathLike[str],
    *,
    options: JourneyOptions | None = None,
    activity: Literal["event", "step"] = "event",
    object_type: str = "customer",
    engine: str = "duckdb",
    engine_options: dict[str, Any] | None = None,
) -> int:
    """Write the bound log to ``path`` as XES (``.xes``) or OCEL 2.0 JSON (``.jsonocel``);
    returns the number of events written. XES: one trace per journey, the activity the event
    name or (``activity="step"``) the step, leaving out events on no step. OCEL: one object of
    ``object_type`` per customer with the customer's attributes; ``step`` and ``touchpoint``
    are event attributes."""
    fmt = log_format(path)
    table = bound_log(log, journey, options, engine=engine, engine_options=engine_options)
    if fmt == "xes":
        name = journey.title if journey else "journeyscope"
        return write_xes(table, path, activity=activity, name=name)
    order = pa.compute.sort_indices(table, [("ts", "ascending"), ("seq", "ascending")])
    return write_ocel_json(
        table.take(order), path, object_type=object_type,
        object_attributes=log.customer_attributes,
    )  # fmt: skip
