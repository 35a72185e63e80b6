"""What a plugin registers: one small frozen value per extension point, a name and its callables.

The types the callables take live in the layers that call them; they are named here for the type
checker only, so this module (and the registry) can be imported from every layer.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import duckdb

    from ..analytics.kpis import KpiCall
    from ..engine import Engine
    from ..events.sources import Source
    from ..insights._checks import Check
    from ..insights._context import Context
    from ..insights._pain_point import EvidenceTest, PainPointOptions
    from ..model import JourneyMap, MapState
    from ..render.html import StateChoice

__all__ = [
    "EngineConnector",
    "EventReader",
    "KpiFunction",
    "MapExporter",
    "MapRenderer",
    "OutputFormat",
    "PainPointKind",
]

_NAME = re.compile(r"[a-z][a-z0-9_]*")


def _check_name(what: str, name: str) -> None:
    """Names go into keys, formulas and command lines: lower-case words joined by ``_``."""
    if not _NAME.fullmatch(name) or keyword.iskeyword(name):
        raise ValueError(f"{what} name {name!r}: use lower-case letters, digits and _")


@dataclass(frozen=True)
class PainPointKind:
    """A kind of pain point found in the events [R7].

    ``checks`` makes the kind's checks for a map and log: SQL over ``path``/``bound`` with one
    row per journey of the check's population (``jid``, ``hit`` 1/0, ``cost``). ``evidence``
    says when the checks' counts are a pain point, for all customers and in a segment:
    ``RateAbove(threshold)`` (exact binomial test; two-proportion z-test against the rest) for
    most kinds.
    """

    name: str
    checks: Callable[[Context, PainPointOptions], list[Check]]
    evidence: EvidenceTest

    def __post_init__(self) -> None:
        _check_name("pain-point kind", self.name)


@dataclass(frozen=True)
class KpiFunction:
    """A function of KPI formulas: ``name(x)`` compiles to the aggregate SQL ``sql(call)``
    returns. ``counts``: it counts the events, customers or journeys of ``x``, so the customers
    behind a numerator made of it can be listed."""

    name: str
    sql: Callable[[KpiCall], str]
    counts: bool = False

    def __post_init__(self) -> None:
        _check_name("KPI function", self.name)


@dataclass(frozen=True)
class EngineConnector:
    """An engine by name: ``connect(log, **options)`` gives an engine over the events.
    ``load(source, mapping, customers=, customer_id=, quarantine=, **options)``, when given,
    reads and checks the events in the engine itself (an ``EventLog``), or returns None for a
    source it does not read (then DuckDB loads it on this machine). ``load_surveys(source,
    mapping, into=, quarantine=)`` does the same for survey answers (a ``SurveyLog`` next to
    the events of ``into``, or None)."""

    name: str
    connect: Callable[..., Engine]
    load: Callable[..., Any] | None = None
    load_surveys: Callable[..., Any] | None = None

    def __post_init__(self) -> None:
        _check_name("engine", self.name)


class MapRenderer(Protocol):
    """Draw ``journey`` into the file ``path``; returns the path written."""

    def __call__(
        self,
        journey: JourneyMap,
        path: Path,
        state: StateChoice,
        persona: str | None,
        step_metrics: dict[str, dict[str, str | float]] | None,
    ) -> Path: ...


class MapExporter(Protocol):
    """``journey`` as text for other tools."""

    def __call__(self, journey: JourneyMap, state: MapState, persona: str | None) -> str: ...


@dataclass(frozen=True)
class OutputFormat:
    """A way to write a map out. ``render``: a drawing, chosen by the output file's ``suffix``
    (``journeyscope render -o map.svg``); ``export``: text for other tools, chosen by ``name``
    (``journeyscope export -f mermaid``). A format gives one of them or both."""

    name: str
    suffix: str
    render: MapRenderer | None = None
    export: MapExporter | None = None

    def __post_init__(self) -> None:
        _check_name("output format", self.name)
        if not self.suffix.startswith(".") or self.suffix != self.suffix.lower():
            raise ValueError(f"output format {self.name!r}: suffix {self.suffix!r} is not .lower")
        if self.render is None and self.export is None:
            raise ValueError(f"output format {self.name!r} neither renders nor exports")


@dataclass(frozen=True)
class EventReader:
    """A kind of event source. ``open(con, target, view, ordered)`` creates view ``view`` over
    the source and returns the ``Source`` it read. A reader is chosen by the source's
    ``prefix`` (``duckdb:FILE::TABLE``; ``target`` is the text after it); else a folder is
    read by a reader of ``folders``, a file by the reader of its (longest) matching ``suffixes``
    or, when none claims it, by the ``fallback`` reader (CSV); ``target`` is then the path.
    ``ordered``: add the ingestion order where the source has one (``Source.sequence``)."""

    name: str
    open: Callable[[duckdb.DuckDBPyConnection, Any, str, bool], Source]
    suffixes: tuple[str, ...] = ()
    prefix: str | None = None
    folders: bool = False
    fallback: bool = False

    def __post_init__(self) -> None:
        _check_name("event reader", self.name)
        if any(not s.startswith(".") or s != s.lower() for s in self.suffixes):
            raise ValueError(
                f"event reader {self.name!r}: suffixes are .lower, not {self.suffixes}"
            )
