"""A burst of 5,000 ratings from 50 pads is stored completely, each exactly once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server.config import SiteConfig
from server.db.database import Database
from server.db.migrate import upgrade
from server.db.tables import RatingRow, RejectedMessageRow
from server.runtime import ServerRuntime
from tests.conftest import make_runtime
from tests.support.devices import device_link, rating, started
from tests.support.seed import seed_done_tickets
from tests.support.services import Broker, start_amqtt, start_mosquitto
from tests.support.sites import make_site

PADS = 50
PER_PAD = 100


@pytest.fixture
def big_site() -> SiteConfig:
    return make_site(desks=PADS)


@pytest.fixture(params=["mosquitto", "amqtt"])
def big_broker(
    request: pytest.FixtureRequest, big_site: SiteConfig, tmp_path: Path
) -> Iterator[Broker]:
    b = (
        start_mosquitto(big_site, tmp_path / "mq")
        if request.param == "mosquitto"
        else start_amqtt(big_site)
    )
    yield b
    b.stop()


@pytest.mark.slow
def test_5000_ratings_from_50_pads_are_all_stored_once(
    big_site: SiteConfig, big_broker: Broker, db_url: str, tmp_path: Path
) -> None:
    db = Database(db_url)
    upgrade(db)
    tickets = seed_done_tickets(db, big_site, PER_PAD)
    rt: ServerRuntime = make_runtime(big_site, db_url, big_broker)
    pads = []
    try:
        pads = [
            started(device_link(big_site, big_broker, f"pad-{d.id}", tmp_path))
            for d in big_site.desks
        ]
        sent: set[str] = set()
        for i in range(PER_PAD):
            for pad, desk in zip(pads, big_site.desks, strict=True):
                r = rating(
                    pad.device_id, tickets[desk.id][i], "satisfied" if i % 3 else "dissatisfied"
                )
                pad.publish_event(big_site.topics.desk_rating(desk.id), r)
                sent.add(str(r.msg_id))
        deadline = time.monotonic() + 180
        stored = 0
        while time.monotonic() < deadline:
            with db.read() as s:
                stored = s.scalar(select(func.count()).select_from(RatingRow)) or 0
            if stored >= len(sent):
                break
            time.sleep(0.5)
        with db.read() as s:
            ids = {str(m) for m in s.scalars(select(RatingRow.msg_id))}
            rejected = s.scalar(select(func.count()).select_from(RejectedMessageRow))
        assert len(sent) == PADS * PER_PAD
        assert ids == sent, f"stored {len(ids)} of {len(sent)}"
        assert rejected == 0
        deadline = time.monotonic() + 30
        while any(p.outbox_depth() for p in pads) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert sum(p.outbox_depth() for p in pads) == 0
    finally:
        for p in pads:
            p.stop()
        rt.stop()
        db.dispose()
