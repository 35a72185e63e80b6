"""Parse YAML (and JSON, a YAML subset) into plain data *and* the line/column of every field.

PyYAML's composer gives each node its start mark; we construct the data ourselves from the node
tree so that every field path (``('stages', 0, 'name')``) keeps where its key and value were.

Map files come from people and from the web editor, so the reader refuses what a map never needs
and an attacker would use: anchors and aliases (a few hundred bytes of aliases expand to
gigabytes) and nesting deeper than :data:`MAX_DEPTH` (the composer recurses per level).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Loc = tuple[str | int, ...]

#: The deepest nesting a map file may have; real maps stay under ten levels.
MAX_DEPTH = 100


class RefusedYAML(yaml.MarkedYAMLError):
    """Well-formed YAML that a map file may not contain; ``problem`` is a plain sentence."""

    def __init__(self, problem: str, mark: Any):
        super().__init__(problem=problem, problem_mark=mark)


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


@dataclass
class Located:
    """Data read from a file, with the position of each field's key and value."""

    data: Any
    keys: dict[Loc, Position] = field(default_factory=dict)
    values: dict[Loc, Position] = field(default_factory=dict)
    duplicate_keys: list[tuple[Loc, Position]] = field(default_factory=list)

    def position(self, loc: Loc, prefer_key: bool = False) -> Position:
        """Where ``loc`` is in the file, or its nearest existing parent."""
        while True:
            first, second = (self.keys, self.values) if prefer_key else (self.values, self.keys)
            if loc in first:
                return first[loc]
            if loc in second:
                return second[loc]
            if not loc:
                return Position(1, 1)
            loc = loc[:-1]


def _pos(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    def __init__(self) -> None:
        self.constructor = yaml.SafeLoader("")
        self.out = Located(None)

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.out.values[loc] = _pos(node)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        return self.constructor.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.constructor.construct_object(key_node, deep=True)
            key_loc = (*loc, key if isinstance(key, str | int) else str(key))
            if key in result:
                self.out.duplicate_keys.append((key_loc, _pos(key_node)))
            self.out.keys[key_loc] = _pos(key_node)
            result[key] = self.build(value_node, key_loc)
        return result


class _Loader(yaml.SafeLoader):
    """The safe loader, refusing anchors, aliases and deep nesting before composing a node."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise RefusedYAML(_NO_ANCHORS.format(kind="aliases", mark="*"), event.start_mark)
        if event.anchor is not None:
            raise RefusedYAML(_NO_ANCHORS.format(kind="anchors", mark="&"), event.start_mark)
        if self.depth >= MAX_DEPTH:
            message = f"the data is nested deeper than {MAX_DEPTH} levels, more than a map needs"
            raise RefusedYAML(message, event.start_mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


_NO_ANCHORS = "YAML {kind} ({mark}name) are not allowed in map files; write each value out"


def parse_located(text: str) -> Located:
    """Parse YAML/JSON text; raises ``yaml.YAMLError`` (with a mark) on a syntax error and
    :class:`RefusedYAML` on anchors, aliases or nesting deeper than :data:`MAX_DEPTH`."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    builder = _Builder()
    builder.out.data = None if node is None else builder.build(node, ())
    return builder.out
