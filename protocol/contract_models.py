"""The payload part of docs/mqtt.md: every message model's fields, from its JSON schema.

For each model of the topic table (and the models nested in them), a table of its
fields: the JSON name, the type, whether it is required (or its default) and the
rules the receiving side checks (patterns, lengths, bounds, allowed values). The JSON
schema is pydantic's own, so the table says what validation does.

Apart from `protocol.contract_doc` because reading a JSON schema is a job of its own.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

from pydantic import AfterValidator, BaseModel

from protocol import messages
from protocol.messages import YEARS, Event, check_year
from protocol.numbers import NUMBER_PATTERN, PREFIX_PATTERN
from protocol.text import IDENTIFIER_PATTERN, SERVICE_CODE_PATTERN
from protocol.topics import SPECS

Schema = dict[str, Any]

#: Patterns with a name in the "Formats" table.
_PATTERN_NAMES = {
    IDENTIFIER_PATTERN: "identifier",
    SERVICE_CODE_PATTERN: "service code",
    NUMBER_PATTERN: "ticket number",
    PREFIX_PATTERN: "service prefix",
}
_FORMATS = {"uuid": "UUID", "date-time": "date-time with offset", "date": "date"}
#: The cap of every string (`messages._Strict`), said once in the limits table.
_GLOBAL_MAX = 2000
_MODELS: dict[str, type[BaseModel]] = {
    name: obj
    for name, obj in vars(messages).items()
    if inspect.isclass(obj) and issubclass(obj, BaseModel)
}


def _ref_name(schema: Schema) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _type(schema: Schema, defs: Schema) -> str:
    """The type as a reader wants it: ``identifier``, ``list of UUID``, a link."""
    ref = _ref_name(schema)
    if ref is not None:
        target = defs[ref]
        return "string" if "enum" in target else f"[`{ref}`](#{ref.lower()})"
    if "anyOf" in schema:
        kinds = [_type(s, defs) for s in schema["anyOf"] if s.get("type") != "null"]
        nullable = any(s.get("type") == "null" for s in schema["anyOf"])
        return " or ".join(kinds) + (" or null" if nullable else "")
    kind = schema.get("type")
    if kind == "array":
        return f"list of {_type(schema.get('items', {}), defs)}"
    if kind == "object":
        return f"object: string → {_type(schema.get('additionalProperties', {}), defs)}"
    if kind == "string" and schema.get("pattern") in _PATTERN_NAMES:
        return str(_PATTERN_NAMES[schema["pattern"]])
    if kind == "string" and "format" in schema:
        return _FORMATS.get(schema["format"], str(schema["format"]))
    return str(kind or "any")


def _rules(schema: Schema, defs: Schema) -> list[str]:
    """What validation checks of one value, besides its type."""
    ref = _ref_name(schema)
    if ref is not None and "enum" in defs[ref]:
        return ["one of " + ", ".join(f"`{v}`" for v in defs[ref]["enum"])]
    if "anyOf" in schema:
        return [r for s in schema["anyOf"] for r in _rules(s, defs)]
    out: list[str] = []
    if "const" in schema:
        out.append(f"always `{json.dumps(schema['const'])}`")
    pattern = schema.get("pattern")
    if pattern is not None and pattern not in _PATTERN_NAMES:
        out.append(f"`{pattern}`")
    if pattern is None and schema.get("maxLength", _GLOBAL_MAX) < _GLOBAL_MAX:
        low, high = schema.get("minLength", 0), schema["maxLength"]
        out.append(f"{low}–{high} characters" if low else f"≤ {high} characters")
    if "minimum" in schema or "maximum" in schema:
        out.append(f"{schema.get('minimum', '…')}–{schema.get('maximum', '…')}")
    if "maxItems" in schema:
        out.append(f"≤ {schema['maxItems']} items")
    if schema.get("type") == "array":
        out += [f"each {r}" for r in _rules(schema.get("items", {}), defs)]
    return out


def _year_bounded(model: type[BaseModel], field: str) -> bool:
    """Is the field a device's `Timestamp` or `Day` (years checked)?"""
    info = model.model_fields.get(field)
    if info is None:
        return False
    return any(isinstance(m, AfterValidator) and m.func is check_year for m in info.metadata)


def _field_name(model: type[BaseModel], alias: str) -> str:
    for name, info in model.model_fields.items():
        if (info.alias or name) == alias:
            return name
    return alias


def _requirement(alias: str, prop: Schema, required: set[str]) -> str:
    if alias in required:
        return "required"
    if "default" in prop:
        return f"optional, default `{json.dumps(prop['default'], ensure_ascii=False)}`"
    return "optional"


def _description(model: type[BaseModel]) -> str:
    doc = inspect.cleandoc(model.__dict__.get("__doc__") or "")  # its own, not inherited
    first = doc.split("\n\n", 1)[0]
    return " ".join(first.split())


def model_table(model: type[BaseModel], schema: Schema, defs: Schema) -> str:
    required = set(schema.get("required", []))
    rows = ["| field | type | required | rules |", "|---|---|---|---|"]
    for alias, prop in schema.get("properties", {}).items():
        rules = _rules(prop, defs)
        if _year_bounded(model, _field_name(model, alias)):
            rules.append(f"years {YEARS[0]}–{YEARS[1]}")
        said = "; ".join(rules).replace("|", "\\|") or "—"
        rows.append(
            f"| `{alias}` | {_type(prop, defs)} | {_requirement(alias, prop, required)} | {said} |"
        )
    return "\n".join(rows)


def _reading(model: type[BaseModel]) -> str:
    if issubclass(model, Event):
        return "Sent by a device; read strictly: an unknown field is refused."
    return "Sent by the server; read tolerantly: unknown fields are ignored."


def model_sections() -> str:
    """A section per model of the topic table, then one per nested model."""
    top = list(dict.fromkeys(spec.model for spec in SPECS))
    order: list[str] = [m.__name__ for m in top]
    schemas: dict[str, Schema] = {}
    defs: Schema = {}
    for model in top:
        schema = model.model_json_schema(by_alias=True)
        defs.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    for name, schema in defs.items():
        if "enum" not in schema and name not in schemas:
            schemas[name] = schema
            order.append(name)
    out: list[str] = []
    for name in order:
        model = _MODELS[name]
        about = " ".join(
            filter(None, [_description(model), _reading(model) if model in top else ""])
        )
        out += [f"### {name}", ""] + ([about, ""] if about else [])
        out += [model_table(model, schemas[name], defs), ""]
    return "\n".join(out)
