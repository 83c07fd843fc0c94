"""A realistic history for the report tests: two quarters of an office (the simulation's
plans, written with its bulk writer: the same rows as the engine writer, in seconds
instead of minutes), with one suspicious pattern planted so the flags have something
to show."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update

from server.config import SiteConfig
from server.db.database import Database
from server.db.tables import RatingRow, TicketRow
from server.simulation.bulk import bulk_history
from server.simulation.write import Summary

#: Q2 and Q3 2026: the reports look at Q3, compared with Q2.
FIRST, LAST = date(2026, 4, 1), date(2026, 9, 30)
QUARTER = "2026-Q3"
SEED = 12
#: The day and desk of the planted "phantom service" pattern.
PHANTOM_DAY, PHANTOM_DESK, PHANTOM_COUNT = date(2026, 8, 12), "q2", 5


def write_history(db: Database, config: SiteConfig, *, first: date = FIRST) -> Summary:
    """Write ``first`` … LAST, then plant the phantom services."""
    summary = bulk_history(db, config, first=first, last=LAST, seed=SEED)
    plant_phantoms(db, config)
    return summary


def plant_phantoms(db: Database, config: SiteConfig) -> None:
    """Make PHANTOM_COUNT rated visits of one desk and day last a few seconds: a number
    called and finished with nobody served (what the ``phantom_service`` flag finds)."""
    t = TicketRow.__table__.c
    with db.write() as s:
        rows = s.execute(
            select(t.id, t.ended_at)
            .join(RatingRow.__table__, RatingRow.__table__.c.ticket_id == t.id)
            .where(
                t.site == config.site.code,
                t.day == PHANTOM_DAY,
                t.desk_id == PHANTOM_DESK,
                t.state == "done",
            )
            .order_by(t.ended_at)
            .limit(PHANTOM_COUNT)
        ).all()
        assert len(rows) == PHANTOM_COUNT, rows
        for ticket_id, ended_at in rows:
            s.execute(
                update(TicketRow.__table__)
                .where(t.id == ticket_id)
                .values(started_at=ended_at - timedelta(seconds=8))
            )
