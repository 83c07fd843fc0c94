"""Accepting a citizen's rating: every rule of DESIGN.md, in one place.

A rating counts only for a ticket finished (``done``) at that desk, sent within the
configured window after the service ended, once per ticket. Anonymous: nothing about
the citizen is stored, only the visit (ticket, desk, clerk, service) and the answer.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from protocol.messages import DeskRating, VisitRating
from server.config import SiteConfig
from server.db.tables import DeskRow, RatingRow, TicketRow
from server.timeutil import local_day

#: Device clocks drift; a rating "sent" a little before the service ended is tolerated.
CLOCK_SKEW = timedelta(minutes=2)


class RatingRefused(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


def find_ticket(s: Session, config: SiteConfig, rating: DeskRating | VisitRating) -> TicketRow:
    site = config.site.code
    if rating.ticket_id is not None:
        t = s.get(TicketRow, rating.ticket_id)
        if t is None or t.site != site:
            raise RatingRefused("unknown_ticket", f"no ticket {rating.ticket_id}")
        return t
    assert isinstance(rating, VisitRating) and rating.number is not None
    day = rating.day or local_day(rating.sent_at, config.tz)
    rows = list(
        s.scalars(
            select(TicketRow)
            .where(TicketRow.site == site, TicketRow.day == day, TicketRow.number == rating.number)
            .order_by(TicketRow.issued_at)
        )
    )
    if not rows:
        raise RatingRefused("unknown_ticket", f"no ticket {rating.number} on {day:%d/%m/%Y}")
    # A transferred visit has one row per service; the citizen rates where it ended.
    done = [t for t in rows if t.state == "done"]
    return done[-1] if done else rows[-1]


def apply_rating(
    s: Session,
    config: SiteConfig,
    rating: DeskRating | VisitRating,
    *,
    desk_id: str | None,
    received_at: datetime,
) -> RatingRow:
    """Store ``rating`` or raise `RatingRefused`. ``desk_id`` is the pad's desk, or
    ``None`` for "rate a visit" at a kiosk (the desk is then taken from the ticket)."""
    if rating.level not in config.rating.levels:
        raise RatingRefused(
            "bad_level",
            f"level {rating.level.value!r} is not on this site's {config.rating.scale}-level scale",
        )
    t = find_ticket(s, config, rating)
    if t.state != "done":
        raise RatingRefused("ticket_not_done", f"ticket {t.number} is {t.state}, not done")
    if desk_id is not None and t.desk_id != desk_id:
        raise RatingRefused(
            "wrong_desk", f"ticket {t.number} was served at desk {t.desk_id}, not {desk_id}"
        )
    assert t.ended_at is not None and t.desk_id is not None
    window = timedelta(minutes=config.rating.window_minutes)
    if rating.sent_at < t.ended_at - CLOCK_SKEW:
        raise RatingRefused(
            "before_done", f"sent at {rating.sent_at:%H:%M:%S}, before the service ended"
        )
    if rating.sent_at > received_at + CLOCK_SKEW:
        raise RatingRefused("sent_in_future", "sent_at is later than the server clock")
    if rating.sent_at > t.ended_at + window:
        late = (rating.sent_at - t.ended_at).total_seconds() / 60
        raise RatingRefused(
            "window_expired",
            f"sent {late:.0f} min after the service ended "
            f"(window {config.rating.window_minutes} min)",
        )
    if s.scalar(select(RatingRow.id).where(RatingRow.ticket_id == t.id)) is not None:
        raise RatingRefused("already_rated", f"ticket {t.number} is already rated")
    row = RatingRow(
        msg_id=rating.msg_id,
        ticket_id=t.id,
        site=t.site,
        day=t.day,
        desk_id=t.desk_id,
        clerk_id=t.clerk_id,
        service=t.service,
        level_raw=rating.level.value,
        level=rating.level.official.value,
        praised=list(rating.praised),
        reasons=list(rating.reasons),
        partial=rating.partial,
        source="pad" if desk_id is not None else "kiosk",
        device_id=rating.device_id,
        sent_at=rating.sent_at,
        received_at=received_at,
    )
    s.add(row)
    desk = s.scalar(select(DeskRow).where(DeskRow.site == t.site, DeskRow.desk_id == t.desk_id))
    if desk is not None and desk.rating_ticket_id == t.id:
        desk.rating_ticket_id = None
        desk.updated_at = received_at
    return row
