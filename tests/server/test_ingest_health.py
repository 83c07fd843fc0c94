"""`IngestHealth.state`: when ingest is ok, stalled or failing, and how
refusals are logged (`RefusalLog`). The whole path (/api/health on a running server) is
tested in tests/integration/test_poison.py."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from protocol.messages import Rejected
from server.ingest.health import FAILING_FOR_S, STALL_AFTER_S, IngestHealth
from server.ingest.rejections import RefusalLog
from server.timeutil import now_utc


def test_ingest_is_ok_when_messages_do_not_wait_long() -> None:
    h = IngestHealth()
    assert h.state(None)[0] == "ok"
    assert h.state(now_utc() - timedelta(seconds=STALL_AFTER_S / 2))[0] == "ok"


def test_a_message_waiting_too_long_means_stalled() -> None:
    state, reason = IngestHealth().state(now_utc() - timedelta(seconds=STALL_AFTER_S + 5))
    assert state == "stalled"
    assert "waited" in reason


def test_a_database_outage_means_failing() -> None:
    h = IngestHealth(db_ok=False, last_error="database: OperationalError")
    state, reason = h.state(None)
    assert state == "failing"
    assert "OperationalError" in reason


def test_an_unexpected_error_means_failing_for_a_while() -> None:
    h = IngestHealth()
    h.internal_error("RuntimeError: boom", 2)
    state, reason = h.state(None)
    assert state == "failing"
    assert "2 unexpected error(s)" in reason and "boom" in reason
    assert h.last_internal_error_at is not None
    h.last_internal_error_at -= timedelta(seconds=FAILING_FOR_S + 1)
    assert h.state(None)[0] == "ok"


def test_a_stopped_worker_means_failing() -> None:
    assert IngestHealth().state(None, worker_alive=False)[0] == "failing"


def _rejected(reason: str) -> Rejected:
    return Rejected(
        topic="motcua/v1/gialoc/kiosk/kiosk-1/ticket/request",
        reason=reason,
        detail="…",
        excerpt="",
        at=now_utc(),
    )


def test_a_looping_device_does_not_flood_the_log(caplog: pytest.LogCaptureFixture) -> None:
    """The first refusal of each reason is logged at once; the rest of the minute only
    as one summary line when the minute is over."""
    clock = [0.0]
    refusals = RefusalLog(every_s=60.0, clock=lambda: clock[0])
    with caplog.at_level(logging.WARNING, logger="server.ingest"):
        for _ in range(1000):
            refusals.refused(_rejected("invalid"))
        refusals.refused(_rejected("duplicate"))
        refusals.flush_if_due()
        assert len(caplog.records) == 2  # one "invalid", one "duplicate"
        clock[0] = 61.0
        refusals.flush_if_due()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3, lines
    assert "999 more" in lines[-1] and "invalid ×999" in lines[-1], lines[-1]
