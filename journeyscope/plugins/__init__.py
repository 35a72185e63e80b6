"""The plugin registry: one pluggy manager, one hook per extension point (see ``hookspecs``).

The built-ins are plugins too (Datasette's ``DEFAULT_PLUGINS``): the modules
``journeyscope.plugins.default_*`` register them through the same hooks a third party uses,
before the plugins installed under the entry-point group ``journeyscope``. A plugin for one
notebook or test is registered by hand::

    get_plugin_manager().register(my_plugin)

Each lookup (``pain_point_kinds()``, ``kpi_functions()`` …) asks the hooks again, so a plugin
registered (or unregistered) later is seen by the next evaluation. Two plugins giving the same
name is a ``PluginError`` naming both.

>>> list(engines())
['duckdb', 'spark']
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import TypeVar

import pluggy

from . import (
    default_engines,
    default_event_readers,
    default_kpi_functions,
    default_output_formats,
    default_pain_point_kinds,
    hookspecs,
)
from ._types import (
    EngineConnector,
    EventReader,
    KpiFunction,
    MapExporter,
    MapRenderer,
    OutputFormat,
    PainPointKind,
)
from .hookspecs import hookimpl

__all__ = [
    "DEFAULT_PLUGINS",
    "EngineConnector",
    "EventReader",
    "KpiFunction",
    "MapExporter",
    "MapRenderer",
    "Names",
    "OutputFormat",
    "PainPointKind",
    "PluginError",
    "engines",
    "event_readers",
    "get_plugin_manager",
    "hookimpl",
    "kpi_functions",
    "output_formats",
    "pain_point_kinds",
]

DEFAULT_PLUGINS = (
    default_pain_point_kinds,
    default_kpi_functions,
    default_engines,
    default_output_formats,
    default_event_readers,
)

_manager: pluggy.PluginManager | None = None
_lock = threading.Lock()


class PluginError(ValueError):
    """A plugin registered something the registry cannot take (a name twice, a wrong value)."""


def get_plugin_manager() -> pluggy.PluginManager:
    """The one plugin manager: the built-ins, then the installed plugins (made on first use)."""
    global _manager
    with _lock:
        if _manager is None:
            manager = pluggy.PluginManager("journeyscope")
            manager.add_hookspecs(hookspecs)
            for plugin in DEFAULT_PLUGINS:
                manager.register(plugin, name=plugin.__name__)
            manager.load_setuptools_entrypoints("journeyscope")
            _manager = manager
        return _manager


T = TypeVar("T", PainPointKind, KpiFunction, EngineConnector, OutputFormat, EventReader)


def _registered(hook: str, kind: type[T], what: str) -> dict[str, T]:
    """Everything the plugins give through ``hook``, by name, built-ins first."""
    found: dict[str, T] = {}
    owners: dict[str, str] = {}
    for impl in getattr(get_plugin_manager().hook, hook).get_hookimpls():
        for item in impl.function() or []:
            if not isinstance(item, kind):
                raise PluginError(
                    f"plugin {impl.plugin_name!r}: {hook}() gave {item!r}, not a {kind.__name__}"
                )
            if item.name in found:
                raise PluginError(
                    f"{what} {item.name!r} is registered twice: by plugin "
                    f"{owners[item.name]!r} and by plugin {impl.plugin_name!r}"
                )
            found[item.name], owners[item.name] = item, impl.plugin_name
    return found


def pain_point_kinds() -> dict[str, PainPointKind]:
    """The kinds of pain points found in the events, by name."""
    return _registered("register_pain_point_kinds", PainPointKind, "pain-point kind")


def kpi_functions() -> dict[str, KpiFunction]:
    """The functions KPI formulas may call, by name."""
    return _registered("register_kpi_functions", KpiFunction, "KPI function")


def engines() -> dict[str, EngineConnector]:
    """The engines, by name (the first is the default)."""
    return _registered("register_engines", EngineConnector, "engine")


def output_formats() -> dict[str, OutputFormat]:
    """The output formats of maps, by name."""
    formats = _registered("register_output_formats", OutputFormat, "output format")
    suffixes: dict[str, str] = {}
    for fmt in (f for f in formats.values() if f.render is not None):
        if fmt.suffix in suffixes:
            raise PluginError(
                f"output formats {suffixes[fmt.suffix]!r} and {fmt.name!r} both render "
                f"{fmt.suffix} files"
            )
        suffixes[fmt.suffix] = fmt.name
    return formats


def event_readers() -> dict[str, EventReader]:
    """The kinds of event sources, by name."""
    return _registered("register_event_readers", EventReader, "event reader")


class Names(Collection[str]):
    """A live list of registered names (``ENGINES``, ``FORMATS``): read from the registry each
    time, so it holds what plugins registered after it was imported.

    >>> "duckdb" in Names(engines), ", ".join(Names(engines))
    (True, 'duckdb, spark')
    """

    def __init__(self, read: Callable[[], Iterable[str]]) -> None:
        self._read = read

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._read()))

    def __len__(self) -> int:
        return len(list(self._read()))

    def __contains__(self, name: object) -> bool:
        return name in list(self._read())

    def __repr__(self) -> str:
        return repr(tuple(self._read()))
