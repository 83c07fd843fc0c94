"""How a configuration file's validation errors are told to a person.

The server's site YAML and the devices' YAML files are both validated by pydantic, and
a wrong file stops the program with one message naming the file, each field and its
problem. The formatting is here, once, so both read alike; it needs only pydantic, which
``protocol`` may import (reading the YAML itself stays with each loader).

Each problem is one line, Vietnamese then English. A list item is named by its id (or
code), as the file names it — ``devices[k2].password_hash`` (thiết bị k2) — or else by
its position counted from 1 (``[#3]``); an unknown key gets a did-you-mean from the
fields the model has there.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from protocol.config_wording import CONFIG_PROBLEMS, wording

#: The Vietnamese name of an item of each top-level list (for "thiết bị k2").
NOUNS = {
    "devices": "thiết bị",
    "desks": "quầy",
    "services": "lĩnh vực",
    "clerks": "cán bộ",
    "priorities": "đối tượng ưu tiên",
}


def _ident(item: object) -> str | None:
    """How the file names a list item: its ``id``, ``code`` or ``device_id``."""
    if isinstance(item, Mapping):
        for key in ("id", "code", "device_id"):
            value = item.get(key)
            if isinstance(value, str | int) and str(value):
                return str(value)
    return None


def field_path(loc: Sequence[Any], data: object = None) -> tuple[str, str]:
    """A pydantic error location as the file would name it, and the Vietnamese name of
    the item it is in (``("devices[k2].password_hash", "thiết bị k2")``)."""
    text = ""
    noun = ""
    node: object = data
    for depth, key in enumerate(loc):
        if isinstance(node, list) and isinstance(key, int):
            item = node[key] if 0 <= key < len(node) else None
            ident = _ident(item)
            name = ident if ident is not None else f"#{key + 1}"
            text += f"[{name}]"
            if depth == 1 and loc[0] in NOUNS:
                noun = f"{NOUNS[loc[0]]} {name}"
            node = item
        else:
            text += f".{key}" if text else str(key)
            node = node.get(key) if isinstance(node, Mapping) else None
    return text or "(top level)", noun


def yaml_error_message(path: object, e: Exception) -> str:
    """A YAML syntax error (PyYAML's ``MarkedYAMLError``) with its line and column."""
    mark = getattr(e, "problem_mark", None)
    problem = getattr(e, "problem", None) or str(e)
    if mark is None:
        return f"{path}: lỗi cú pháp YAML / YAML syntax error: {problem}"
    line, col = mark.line + 1, mark.column + 1
    return (
        f"{path}: lỗi cú pháp YAML ở dòng {line}, cột {col} / "
        f"YAML syntax error at line {line}, column {col}: {problem}"
    )


# ------------------------------------------------------------------ did you mean


def _strip(tp: Any) -> Any:
    """``X`` of ``Annotated[X, …]`` and of ``X | None``."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            tp = (models or args)[0]
        else:
            return tp


def _step(tp: Any, key: object) -> Any:
    """The type found at ``key`` inside a value of type ``tp`` (None: unknown)."""
    tp = _strip(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = tp.model_fields.get(key) if isinstance(key, str) else None
        return field.annotation if field is not None else None
    origin = get_origin(tp)
    args = get_args(tp)
    if origin in (list, tuple, set, frozenset, Sequence) and args:
        return args[0]
    if origin in (dict, Mapping) and len(args) == 2:
        return args[1]
    return None


def known_keys(model: type[BaseModel] | None, loc: Sequence[Any]) -> list[str]:
    """The keys the model allows at ``loc`` (a section or list item), if known."""
    tp: Any = model
    for key in loc:
        if tp is None:
            return []
        tp = _step(tp, key)
    tp = _strip(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return []


def did_you_mean(model: type[BaseModel] | None, loc: Sequence[Any]) -> str | None:
    """The known key closest to the unknown key at ``loc``, if one is close."""
    if not loc:
        return None
    close = difflib.get_close_matches(str(loc[-1]), known_keys(model, loc[:-1]), n=1)
    return close[0] if close else None


# ------------------------------------------------------------------ the message


def _problems(
    error: ValidationError, data: object, model: type[BaseModel] | None
) -> list[tuple[str, str, str, str]]:
    """``(path, noun, vi, en)`` of every problem; a key missing because it is misspelt
    is told once, on the misspelt key."""
    out: list[tuple[str, str, str, str]] = []
    errors = error.errors()
    suggested: set[tuple[Any, ...]] = set()
    for err in errors:
        if err["type"] == "extra_forbidden":
            guess = did_you_mean(model, err["loc"])
            if guess is not None:
                suggested.add((*err["loc"][:-1], guess))
    for err in errors:
        loc = tuple(err["loc"])
        path, noun = field_path(loc, data)
        if err["type"] == "missing" and loc in suggested:
            continue
        if err["type"] == CONFIG_PROBLEMS:
            out += [(p, "", vi, en) for p, vi, en in err["ctx"]["problems"]]
            continue
        if err["type"] == "extra_forbidden":
            guess = did_you_mean(model, loc)
            vi, en = "khoá lạ, không có trong cấu hình", "unknown key"
            if guess is not None:
                vi, en = f"{vi} — có phải ý bạn là {guess}?", f"{en} — did you mean {guess}?"
        else:
            vi, en = wording(err)
        out.append((path, noun, vi, en))
    return out


def format_validation_error(
    source: str,
    error: ValidationError,
    what: str = "configuration",
    *,
    what_vi: str = "cấu hình",
    data: object = None,
    model: type[BaseModel] | None = None,
) -> str:
    """``source: <what> sai (N lỗi) / invalid <what> (N problems):`` then one
    ``source: field (item): vi / en`` line per problem. ``data``: the file as read (to
    name list items by id); ``model``: what it was validated as (for did-you-mean)."""
    problems = _problems(error, data, model)
    n = len(problems)
    lines = [f"{source}: {what_vi} sai ({n} lỗi) / invalid {what} ({n} problem(s)):"]
    for path, noun, vi, en in problems:
        where = f"{path} ({noun})" if noun else path
        lines.append(f"  {source}: {where}: {vi} / {en}")
    return "\n".join(lines)
