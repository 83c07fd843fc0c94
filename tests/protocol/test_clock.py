"""A device's clock offset from the server's (`protocol.clock`) and where it travels."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from protocol.clock import MAX_OFFSET_S, ServerClock, on_server_clock
from protocol.messages import DeviceHealth, TicketRequest

T = datetime(2025, 3, 10, 2, 0, tzinfo=UTC)


def test_the_offset_is_the_server_time_minus_the_devices_own() -> None:
    clock = ServerClock()
    assert clock.offset_s is None
    assert clock.server_time(T) == T  # not synced: the device's own time
    assert clock.observe(T, T - timedelta(seconds=45)) == 45.0
    assert clock.server_time(T) == T + timedelta(seconds=45)
    # The latest heartbeat counts: the device's clock was set meanwhile.
    assert clock.observe(T, T + timedelta(seconds=10.25)) == -10.25
    assert clock.offset_s == -10.25


def test_an_absurd_clock_is_clamped_to_the_bound() -> None:
    clock = ServerClock()
    clock.observe(datetime(2100, 1, 1, tzinfo=UTC), datetime(1970, 1, 1, tzinfo=UTC))
    assert clock.offset_s == MAX_OFFSET_S


def test_a_device_time_moves_onto_the_servers_clock() -> None:
    assert on_server_clock(T, None) == T
    assert on_server_clock(T, -45.0) == T - timedelta(seconds=45)


def test_a_stamp_at_the_end_of_time_plus_an_offset_does_not_break_the_server() -> None:
    """A device's year-9999 sent_at with the largest offset allowed: the sum does not
    exist; the time is judged as sent (and refused as in the future), never an error."""
    far = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    assert on_server_clock(far, MAX_OFFSET_S) == far
    early = datetime(1, 1, 1, tzinfo=UTC)
    assert on_server_clock(early, -MAX_OFFSET_S) == early


def test_events_carry_the_offset_and_old_devices_without_it_stay_valid() -> None:
    old = {"schema": 1, "device_id": "kiosk-1", "sent_at": T.isoformat(), "service": "tp"}
    assert TicketRequest.model_validate_json(json.dumps(old)).clock_offset_s is None
    new = TicketRequest.model_validate_json(json.dumps({**old, "clock_offset_s": 45.5}))
    assert new.clock_offset_s == 45.5
    health = DeviceHealth(
        device_id="pad-q1",
        sent_at=T,
        app_version="1.0",
        boot_id="5f0c6c1e-3c53-4f0e-9a57-1c2a3b4c5d6e",
        clock_offset_s=-3.2,
    )
    assert json.loads(health.to_json())["clock_offset_s"] == -3.2


@pytest.mark.parametrize("bad", [MAX_OFFSET_S * 2, -MAX_OFFSET_S * 2, math.inf, math.nan, "x"])
def test_an_offset_out_of_bounds_is_refused(bad: object) -> None:
    with pytest.raises(ValidationError):
        TicketRequest(device_id="kiosk-1", sent_at=T, service="tp", clock_offset_s=bad)
