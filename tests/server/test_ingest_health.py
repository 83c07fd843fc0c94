"""`GatewayHealth.state`: when ingest is ok, stalled or failing (issue 11). The whole
path (/api/health on a running server) is tested in tests/integration/test_poison.py."""

from __future__ import annotations

from datetime import timedelta

from server.ingest_health import FAILING_FOR_S, STALL_AFTER_S, GatewayHealth
from server.timeutil import now_utc


def test_ingest_is_ok_when_messages_do_not_wait_long() -> None:
    h = GatewayHealth()
    assert h.state(None)[0] == "ok"
    assert h.state(now_utc() - timedelta(seconds=STALL_AFTER_S / 2))[0] == "ok"


def test_a_message_waiting_too_long_means_stalled() -> None:
    state, reason = GatewayHealth().state(now_utc() - timedelta(seconds=STALL_AFTER_S + 5))
    assert state == "stalled"
    assert "waited" in reason


def test_a_database_outage_means_failing() -> None:
    h = GatewayHealth(db_ok=False, last_error="database: OperationalError")
    state, reason = h.state(None)
    assert state == "failing"
    assert "OperationalError" in reason


def test_an_unexpected_error_means_failing_for_a_while() -> None:
    h = GatewayHealth()
    h.internal_error("RuntimeError: boom", 2)
    state, reason = h.state(None)
    assert state == "failing"
    assert "2 unexpected error(s)" in reason and "boom" in reason
    assert h.last_internal_error_at is not None
    h.last_internal_error_at -= timedelta(seconds=FAILING_FOR_S + 1)
    assert h.state(None)[0] == "ok"


def test_a_stopped_worker_means_failing() -> None:
    assert GatewayHealth().state(None, worker_alive=False)[0] == "failing"
