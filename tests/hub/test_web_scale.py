"""The overview stays fast for a province: 120 offices with a week of history each. Its
figures cost one query each for all offices (``GROUP BY site``), not one per office, and
``/api/overview`` (what every open page asks every few seconds) answers quickly."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, text

from hub.config import HubConfig
from hub.web.deps import HubViewer
from hub.web.overview import overview
from server.db.database import Database
from server.db.tables import OfficeRow, RatingRow, TicketRow
from server.timeutil import local_day, now_utc
from server.uplink.pulse import secretless
from tests.hub.conftest import HubWeb
from tests.hub.test_web_access import login
from tests.hub.web_data import TZ, add_account, office_config

pytestmark = pytest.mark.slow

OFFICES, DAYS, VISITS = 120, 7, 120


@contextmanager
def counting(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)


def fill(db: Database, offices: int) -> None:
    """``offices`` offices in 12 groups, each with ``VISITS`` tickets a day for ``DAYS``
    days (the last: today, some still waiting) and a rating for half the served."""
    rnd = random.Random(16)
    now = now_utc()
    cfg = secretless(office_config("o000", "Xã 0"))
    tickets, ratings = [], []
    for i in range(offices):
        code = f"o{i:03d}"
        for d in range(DAYS):
            at = now - timedelta(days=d, hours=1)
            day = local_day(at, TZ)
            for n in range(VISITS):
                waiting = d == 0 and n >= VISITS - 5
                tid = uuid.uuid4()
                tickets.append(
                    {
                        "id": tid,
                        "site": code,
                        "service": "tp",
                        "day": day,
                        "seq": n + 1,
                        "number": f"A{n + 1:03d}",
                        "state": "issued" if waiting else "done",
                        "issued_at": at,
                        "recall_count": 0,
                        "offline": False,
                    }
                )
                if not waiting and n % 2 == 0:
                    level = "satisfied" if rnd.random() < 0.9 else "dissatisfied"
                    ratings.append(
                        {
                            "msg_id": uuid.uuid4(),
                            "ticket_id": tid,
                            "site": code,
                            "day": day,
                            "desk_id": "q1",
                            "service": "tp",
                            "level_raw": level,
                            "level": level,
                            "praised": [],
                            "reasons": [],
                            "partial": False,
                            "source": "pad",
                            "device_id": "pad-q1",
                            "sent_at": at,
                            "received_at": at,
                        }
                    )
    with db.write() as s:
        s.execute(
            insert(OfficeRow),
            [
                {
                    "code": f"o{i:03d}",
                    "name": f"Xã {i}",
                    "group_name": f"Cụm {i % 12:02d}",
                    "created_at": now,
                    "config": cfg,
                    "pulse": {"alerts": [], "backlog": {}},
                    "pulse_at": now,
                    "link_up": True,
                }
                for i in range(offices)
            ],
        )
        for chunk in range(0, len(tickets), 20_000):
            s.execute(insert(TicketRow.__table__), tickets[chunk : chunk + 20_000])
        for chunk in range(0, len(ratings), 20_000):
            s.execute(insert(RatingRow.__table__), ratings[chunk : chunk + 20_000])
    with db.engine.connect() as c:
        c.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))


def test_120_offices_cost_three_queries_and_answer_fast(
    hub_web: HubWeb, hub_config: HubConfig
) -> None:
    db = hub_web.db
    fill(db, OFFICES)
    viewer = HubViewer("tinh", "supervisor", None)
    with counting(db) as statements, db.read() as s:
        data = overview(s, hub_config, viewer, now_utc())
    assert len(data.offices) == OFFICES and len(data.groups) == 12
    assert data.total.waiting == OFFICES * 5
    assert data.total.served == OFFICES * (VISITS - 5)
    assert len(statements) == 3, statements  # offices, tickets by site, ratings by site

    add_account(db, office_config("o000", "Xã 0"), "tinh", "supervisor", None)
    client = login(hub_web.url, "tinh")
    client.get("/api/overview")  # warm the connection pool
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        r = client.get("/api/overview")
        times.append(time.perf_counter() - t0)
        assert r.status_code == 200
    best, worst = min(times), max(times)
    print(
        f"/api/overview, {OFFICES} offices × {DAYS} days: {best * 1000:.0f}–{worst * 1000:.0f} ms"
    )
    assert best < 1.0, times
