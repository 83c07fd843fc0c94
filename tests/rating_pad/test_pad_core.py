"""The pad's logic without a window: which visit to ask about, config."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from protocol.messages import AwaitingRating, DeskState
from rating_pad.config import PadConfig
from rating_pad.core import PadCore
from rating_pad.main import load
from touch_ui.device_config import DeviceConfigError, load_device_config

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


def desk_state(ticket_id: uuid.UUID, expires_in: timedelta) -> DeskState:
    return DeskState(
        desk_id="q1",
        name="Quầy 1",
        services=["tp"],
        open=True,
        awaiting_rating=AwaitingRating(
            ticket_id=ticket_id,
            number="A001",
            service="tp",
            clerk_id="c01",
            done_at=NOW - timedelta(minutes=1),
            expires_at=NOW + expires_in,
        ),
        updated_at=NOW,
    )


def test_the_pad_asks_once_per_visit_and_not_after_the_window(tmp_path: Path) -> None:
    cfg = PadConfig(device_id="pad-q1", desk_id="q1", site="gialoc", state_dir=tmp_path)
    core = PadCore(cfg, clock=lambda: NOW)
    ticket = uuid.uuid4()
    try:
        core.desk = desk_state(ticket, timedelta(minutes=10))
        assert core.to_rate() == (ticket, "A001")
        core.send_rating(ticket, "dissatisfied", [], ["khong_tre_hen"])
        assert core.to_rate() is None
        assert core.link.outbox_depth() == 1
        core.desk = desk_state(uuid.uuid4(), timedelta(seconds=-1))  # window over
        assert core.to_rate() is None
    finally:
        core.link.stop(announce_offline=False)
        core.answered.close()
    # A restart remembers what was answered.
    core = PadCore(cfg, clock=lambda: NOW)
    try:
        core.desk = desk_state(ticket, timedelta(minutes=10))
        assert core.to_rate() is None and core.link.outbox_depth() == 1
    finally:
        core.link.stop(announce_offline=False)
        core.answered.close()


def test_the_example_pad_config(tmp_path: Path) -> None:
    cfg = load(ROOT / "config" / "pad.example.yaml")
    assert (cfg.device_id, cfg.desk_id, cfg.rating.scale) == ("pad-q1", "q1", 3)
    assert cfg.screen.idle_timeout_s == cfg.rating.idle_timeout_s == 30
    bad = tmp_path / "pad.yaml"
    bad.write_text("device_id: pad-q1\nsite: gialoc\nrating: {scale: 7}\n")
    with pytest.raises(DeviceConfigError) as err:
        load_device_config(bad, PadConfig)
    assert "desk_id" in str(err.value) and "rating.scale" in str(err.value)
