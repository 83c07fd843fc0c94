"""How a configuration file's validation errors are told to a person.

The server's site YAML and the devices' YAML files are both validated by pydantic, and
a wrong file stops the program with one message naming the file, each field and its
problem. The formatting is here, once, so both read alike; it needs only pydantic, which
``protocol`` may import (reading the YAML itself stays with each loader).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


def error_location(loc: tuple[Any, ...]) -> str:
    """A pydantic error location as a dotted path (``desks.0.services.1``)."""
    return ".".join(str(p) for p in loc) or "(top level)"


def format_validation_error(
    source: str, error: ValidationError, what: str = "configuration"
) -> str:
    """``source: invalid <what> (N problem(s)):`` then one ``source: field: problem``
    line per error."""
    lines = [f"{source}: invalid {what} ({error.error_count()} problem(s)):"]
    for err in error.errors():
        msg = err["msg"].removeprefix("Value error, ")
        lines.append(f"  {source}: {error_location(err['loc'])}: {msg}")
    return "\n".join(lines)
