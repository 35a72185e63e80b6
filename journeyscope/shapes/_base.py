"""The machinery of the declarations: a shape is a pydantic model; from it come its JSON Schema
(draft 2020-12, inlined: no ``$ref``, so any part validates on its own) and, for a table, its
Arrow schema. Field docstrings become the schema's descriptions."""

from __future__ import annotations

import datetime as dt
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import GenerateJsonSchema

__all__ = [
    "Count",
    "Number",
    "Segment",
    "Shape",
    "arrow_fields",
    "conform_table",
    "document_schema",
]

DRAFT = "https://json-schema.org/draft/2020-12/schema"

#: a count of customers, journeys or events
Count = Annotated[int, Field(ge=0)]
#: a number that is null where it cannot be computed (NaN and infinities are written as null)
Number = float | None
Segment = Annotated[str, Field(description="Segment value; 'all' when not segmented.")]


class Shape(BaseModel):
    """A record of a published document. Keys not declared are allowed (a minor version may
    add them); a field with a default is one added within its version, so it is optional."""

    model_config = ConfigDict(use_attribute_docstrings=True)


class _Generator(GenerateJsonSchema):
    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def document_schema(model: type[BaseModel], *, strict: bool = False) -> dict[str, Any]:
    """``model``'s JSON Schema, every ``$ref`` inlined; with ``strict`` every declared object
    also refuses undeclared keys (a test's check that the declaration is complete)."""
    raw = model.model_json_schema(schema_generator=_Generator)
    defs = raw.pop("$defs", {})
    body = _inline(raw, defs, strict)
    head = {"$schema": DRAFT, "$id": body.pop("$id", None), "title": raw.get("title")}
    return {k: v for k, v in head.items() if v is not None} | body


_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")


def _inline(schema: dict[str, Any], defs: dict[str, Any], strict: bool) -> dict[str, Any]:
    if "$ref" in schema:
        return _inline(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, strict)
    out = {k: v for k, v in schema.items() if k != "title"}
    if "properties" in out:
        out["properties"] = {k: _inline(v, defs, strict) for k, v in out["properties"].items()}
        if strict:
            out.setdefault("additionalProperties", False)
    for key in ("items", "additionalProperties"):
        if isinstance(out.get(key), dict):
            out[key] = _inline(out[key], defs, strict)
    for key in _SUBSCHEMA_LISTS:
        if key in out:
            out[key] = [_inline(s, defs, strict) for s in out[key]]
    return _merge_null(out)


def _merge_null(schema: dict[str, Any]) -> dict[str, Any]:
    """``anyOf: [{type: T, ...}, {type: null}]`` as ``{type: [T, null], ...}``."""
    options = schema.get("anyOf")
    if not options or len(options) != 2 or {"type": "null"} not in options:
        return schema
    (other,) = [o for o in options if o != {"type": "null"}]
    if not isinstance(other.get("type"), str) or "enum" in other or "const" in other:
        return schema
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    return other | {"type": [other["type"], "null"]} | rest


_ARROW: dict[Any, pa.DataType] = {
    int: pa.int64(),
    float: pa.float64(),
    str: pa.string(),
    bool: pa.bool_(),
    dt.date: pa.date32(),
}


def _arrow_type(annotation: Any) -> tuple[pa.DataType, bool]:
    """The Arrow type of a field's annotation, and whether it may be null."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _arrow_type(args[0])
    if origin in (Union, types.UnionType):
        (inner,) = [a for a in args if a is not type(None)]
        return _arrow_type(inner)[0], True
    if origin is list:
        return pa.list_(_arrow_type(args[0])[0]), False
    if origin is Literal:
        return _ARROW[type(args[0])], False
    return _ARROW[annotation], False


def arrow_fields(model: type[BaseModel]) -> pa.Schema:
    """The Arrow schema of a table whose rows are ``model``, columns in declaration order."""
    fields = []
    for name, info in model.model_fields.items():
        kind, nullable = _arrow_type(info.annotation)
        fields.append(pa.field(name, kind, nullable=nullable))
    return pa.schema(fields)


def conform_table(name: str, table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` cast to ``schema``: its columns in the declared order and types. An empty table
    takes the declared schema whatever columns it had (it holds no value that could be wrong)."""
    if table.num_rows == 0:
        return schema.empty_table()
    extra = [c for c in table.column_names if c not in schema.names]
    if extra:
        raise ValueError(f"table {name!r}: column {extra[0]!r} is not declared in its shape")
    arrays = [_conform_column(name, table, field) for field in schema]
    fields = [
        pa.field(f.name, a.type, f.nullable, f.metadata)
        for f, a in zip(schema, arrays, strict=True)
    ]
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields, metadata=schema.metadata))


def _encoded(actual: pa.DataType, declared: pa.DataType) -> bool:
    """``actual`` is ``declared`` with dictionary-encoded values somewhere inside (an encoding
    that saves memory on repeated step ids, not another type): kept as it is."""
    if pa.types.is_dictionary(actual):
        return actual.value_type == declared or _encoded(actual.value_type, declared)
    if pa.types.is_list(actual) and pa.types.is_list(declared):
        return _encoded(actual.value_type, declared.value_type)
    return False


def _conform_column(name: str, table: pa.Table, field: pa.Field) -> pa.ChunkedArray:
    if field.name not in table.column_names:
        raise ValueError(f"table {name!r}: column {field.name!r} is missing")
    column = table.column(field.name)
    if _encoded(column.type, field.type):
        return column
    try:
        column = column.cast(field.type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise ValueError(
            f"table {name!r}: column {field.name!r} is {column.type}, which does not cast to "
            f"the declared {field.type} ({error})"
        ) from None
    if not field.nullable and column.null_count:
        raise ValueError(
            f"table {name!r}: column {field.name!r} has nulls; it is declared not null"
        )
    return column
