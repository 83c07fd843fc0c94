"""The one clock helper of motcua: the current time, always timezone-aware UTC, and how
far a device's clock is from the server's.

Separate from the MQTT link (where it used to live) because devices and the server ask
for the time for reasons that have nothing to do with MQTT; they pass ``now_utc`` as the
default ``clock`` argument so tests can substitute a fixed one.

**Clock offsets (issue 15).** Device clocks drift, and a kiosk 45 s off used to have
every ticket request refused. The server's ``server/heartbeat`` (every few seconds, not
retained) carries its time; each device keeps ``offset = server time − its own time``
from the latest fresh heartbeat (`ServerClock`) and stamps every event with it
(``clock_offset_s``). The server then judges an event's times on its own clock:
``sent_at + clock_offset_s`` (`on_server_clock`). A device that has not heard a
heartbeat yet sends no offset and is judged by its ``sent_at`` as before (within the
usual tolerance).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import Field

#: The largest offset a device may report (about 126 years): covers any two times within
#: the years a device's timestamps may carry (`protocol.messages.YEARS`).
MAX_OFFSET_S = 4_000_000_000.0

#: Server clock − device clock, in seconds, as the device last measured it.
ClockOffset = Annotated[float, Field(ge=-MAX_OFFSET_S, le=MAX_OFFSET_S, allow_inf_nan=False)]


def now_utc() -> datetime:
    """The current time in UTC (aware): everything is stored and sent in UTC."""
    return datetime.now(UTC)


def on_server_clock(at: datetime, offset_s: float | None) -> datetime:
    """A device's timestamp ``at`` moved onto the server's clock, given the offset the
    device reported with it (``None``: unknown, taken as is)."""
    if offset_s is None:
        return at
    try:
        return at + timedelta(seconds=offset_s)
    except OverflowError:  # a nonsense stamp (year 9999 + an offset): judged as sent
        return at


class ServerClock:
    """A device's estimate of the server's clock, from the server's heartbeats.

    Only fresh messages count: a retained or queued copy is of unknown age, so devices
    subscribe to the heartbeat with QoS 0 (the broker keeps nothing for them while they
    are away) and ignore retained copies. The heartbeat's remaining age is the network
    delay, milliseconds on a LAN.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset_s: float | None = None

    def observe(self, server_time: datetime, local_time: datetime) -> float:
        """Record a heartbeat sent at ``server_time`` and received at ``local_time`` (the
        device's clock); the new offset in seconds."""
        offset = round((server_time - local_time).total_seconds(), 3)
        offset = max(-MAX_OFFSET_S, min(MAX_OFFSET_S, offset))
        with self._lock:
            self._offset_s = offset
        return offset

    @property
    def offset_s(self) -> float | None:
        """Server − device clock in seconds; ``None`` until a heartbeat arrived."""
        with self._lock:
            return self._offset_s

    def server_time(self, local_time: datetime) -> datetime:
        """The server's time when the device's clock says ``local_time`` (best estimate)."""
        return on_server_clock(local_time, self.offset_s)
