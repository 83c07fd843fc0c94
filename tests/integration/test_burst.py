"""A burst of 5,000 ratings from 50 pads is stored completely, each exactly once."""

from __future__ import annotations

import contextlib
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
from tests.support.services import Broker
from tests.support.sites import make_site
from tests.support.waiting import eventually

PADS = 50
PER_PAD = 100


@pytest.fixture
def site() -> SiteConfig:
    """Overrides the shared `site`, so the shared `broker` fixture serves this office."""
    return make_site(desks=PADS)


@pytest.mark.slow
def test_5000_ratings_from_50_pads_are_all_stored_once(
    site: SiteConfig, broker: Broker, db_url: str, tmp_path: Path
) -> None:
    db = Database(db_url)
    upgrade(db)
    tickets = seed_done_tickets(db, site, PER_PAD)
    rt: ServerRuntime = make_runtime(site, db_url, broker)
    pads = []
    try:
        pads = [started(device_link(site, broker, f"pad-{d.id}", tmp_path)) for d in site.desks]
        sent: set[str] = set()
        for i in range(PER_PAD):
            for pad, desk in zip(pads, site.desks, strict=True):
                r = rating(
                    pad.device_id, tickets[desk.id][i], "satisfied" if i % 3 else "dissatisfied"
                )
                pad.publish_event(site.topics.desk_rating(desk.id), r)
                sent.add(str(r.msg_id))

        def stored() -> int:
            with db.read() as s:
                return s.scalar(select(func.count()).select_from(RatingRow)) or 0

        # Asserted below: which ratings are missing, if any.
        with contextlib.suppress(AssertionError):
            eventually(lambda: stored() >= len(sent), "every rating stored", 180, interval=0.5)
        with db.read() as s:
            ids = {str(m) for m in s.scalars(select(RatingRow.msg_id))}
            rejected = s.scalar(select(func.count()).select_from(RejectedMessageRow))
        assert len(sent) == PADS * PER_PAD
        assert ids == sent, f"stored {len(ids)} of {len(sent)}"
        assert rejected == 0
        eventually(
            lambda: sum(p.outbox_depth() for p in pads) == 0, "the outboxes drained", 30, 0.2
        )
    finally:
        for p in pads:
            p.stop()
        rt.stop()
        db.dispose()
