"""The one clock helper of motcua: the current time, always timezone-aware UTC.

Separate from the MQTT link (where it used to live) because devices and the server ask
for the time for reasons that have nothing to do with MQTT; they pass ``now_utc`` as the
default ``clock`` argument so tests can substitute a fixed one.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now_utc() -> datetime:
    """The current time in UTC (aware): everything is stored and sent in UTC."""
    return datetime.now(UTC)
