"""Reading a device's payload: bounded, classified refusals, never an exception other
than `InvalidMessage`, whatever the bytes hold (the ingest's first line of defence)."""

from __future__ import annotations

import json
import unicodedata
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from protocol.errors import MotcuaError
from protocol.refusals import Reason

#: Largest payload the server reads; anything bigger is refused before parsing.
MAX_PAYLOAD_BYTES = 16 * 1024
#: Largest MQTT packet a client may send: the largest payload the server reads, plus
#: the topic and headers. Anything bigger is refused by the broker (``max_packet_size``)
#: from its header, before it is read, and the client is disconnected.
MAX_PACKET_BYTES = MAX_PAYLOAD_BYTES + 4 * 1024
#: Longest integer a device may send (no field needs more; json's int() refuses > 4,300).
MAX_INT_DIGITS = 20

M = TypeVar("M", bound=BaseModel)


class InvalidMessage(MotcuaError, ValueError):
    """A payload that cannot be accepted: ``code`` says how (``bad_json``, ``invalid``…),
    ``detail`` where."""


def describe_errors(err: ValidationError, limit: int = 4) -> str:
    """A short human-readable summary of a pydantic error (field path: problem)."""
    parts = []
    for e in err.errors()[:limit]:
        loc = printable(".".join(str(p) for p in e["loc"]), 80) or "(message)"
        parts.append(f"{loc}: {e['msg']}")
    more = err.error_count() - limit
    if more > 0:
        parts.append(f"… and {more} more")
    return "; ".join(parts)


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise InvalidMessage(Reason.INVALID, f"a number has more than {MAX_INT_DIGITS} digits")
    return int(digits)


def decode(model: type[M], payload: bytes) -> M:
    """Validate an inbound payload, turning every failure into an `InvalidMessage`."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise InvalidMessage(Reason.TOO_LARGE, f"{len(payload)} bytes > {MAX_PAYLOAD_BYTES}")
    try:  # fast path: pydantic's own JSON parser; classify the failure below if it fails
        return model.model_validate_json(payload)
    except ValidationError:
        pass
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidMessage(Reason.BAD_UTF8, f"not UTF-8 at byte {e.start}") from None
    try:
        data: Any = json.loads(text, parse_int=_bounded_int)
    except json.JSONDecodeError as e:
        raise InvalidMessage(Reason.BAD_JSON, f"not JSON: {e.msg} at {e.pos}") from None
    except RecursionError:
        raise InvalidMessage(Reason.BAD_JSON, "JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise InvalidMessage(Reason.BAD_JSON, "a JSON object is expected")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise InvalidMessage(Reason.INVALID, describe_errors(e)) from None


def printable(text: str, limit: int) -> str:
    """NFC, control characters replaced, at most ``limit`` characters (in that order, so
    normalisation cannot push the result past the limit)."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch if ch.isprintable() else "\ufffd" for ch in text)
    return text[:limit]


def excerpt(payload: bytes, limit: int = 200) -> str:
    """A printable, bounded excerpt of a payload for logs and ``server/rejected``."""
    return printable(payload[: limit * 4].decode("utf-8", errors="replace"), limit)
