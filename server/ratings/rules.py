"""Accepting a citizen's rating: every rule of DESIGN.md, in one place.

A rating counts only for a ticket finished (``done``) at that desk, sent within the
configured window after the service ended, once per ticket. "Sent" is on the server's
clock: the device's ``sent_at`` plus the clock offset it measured from the server's
heartbeat and sent with it (`protocol.clock`; none from a device not synced yet), so a
pad whose clock is minutes off is judged like the others, and a rating that waited in an
outbox is judged by when it was given, not when it arrived. Anonymous: nothing about
the citizen is stored, only the visit (ticket, desk, clerk, service) and the answer.

`apply_ratings` checks and stores a whole batch with a handful of queries (a burst of
thousands of ratings must not cost a round trip per rule per rating).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from protocol.clock import on_server_clock
from protocol.codes import RatingSource, TicketState
from protocol.errors import MotcuaError
from protocol.messages import DeskRating, VisitRating
from protocol.refusals import Reason
from server.config import SiteConfig
from server.db.tables import DeskRow, RatingRow, TicketRow
from server.timeutil import local_day

#: Device clocks drift; a rating "sent" a little before the service ended is tolerated.
CLOCK_SKEW = timedelta(minutes=2)
_CHUNK = 500

Rating = DeskRating | VisitRating
#: What the rules need of a ticket (plain rows load much faster than ORM objects).
_T = TicketRow.__table__.c
_R = RatingRow.__table__.c
_RATINGS = cast(Table, RatingRow.__table__)
_TICKET_COLUMNS = select(
    _T.id, _T.site, _T.day, _T.number, _T.service, _T.state, _T.desk_id, _T.clerk_id, _T.ended_at
)


class RatingRefused(MotcuaError):
    """A rating that breaks a rule: ``code`` says which, ``detail`` (for the stored
    rejection and the logs) about which ticket."""


@dataclass(frozen=True)
class RatingIn:
    rating: Rating
    #: The pad's desk, or ``None`` for "rate a visit" at a kiosk or on a phone (desk
    #: from the ticket).
    desk_id: str | None
    received_at: datetime
    #: Where it was given; by default a pad (with a desk) or a kiosk (without).
    source: RatingSource | None = None
    #: The citizen's own words (phone only; bounded and NFC by the caller's model).
    comment: str | None = None

    @property
    def sent_at(self) -> datetime:
        """When the rating was given, on the server's clock (the value stored)."""
        return on_server_clock(self.rating.sent_at, self.rating.clock_offset_s)

    @property
    def origin(self) -> RatingSource:
        if self.source is not None:
            return self.source
        return RatingSource.PAD if self.desk_id is not None else RatingSource.KIOSK


def find_ticket(s: Session, config: SiteConfig, rating: Rating) -> TicketRow:
    site = config.site.code
    if rating.ticket_id is not None:
        t = s.get(TicketRow, rating.ticket_id)
        if t is None or t.site != site:
            raise RatingRefused(Reason.UNKNOWN_TICKET, f"no ticket {rating.ticket_id}")
        return t
    assert isinstance(rating, VisitRating) and rating.number is not None
    sent_at = on_server_clock(rating.sent_at, rating.clock_offset_s)
    day = rating.day or local_day(sent_at, config.tz)
    rows = list(
        s.scalars(
            select(TicketRow)
            .where(TicketRow.site == site, TicketRow.day == day, TicketRow.number == rating.number)
            .order_by(TicketRow.issued_at)
        )
    )
    if not rows:
        raise RatingRefused(Reason.UNKNOWN_TICKET, f"no ticket {rating.number} on {day:%d/%m/%Y}")
    # A transferred visit has one row per service; the citizen rates where it ended.
    done = [t for t in rows if t.state == TicketState.DONE]
    return done[-1] if done else rows[-1]


def check_rating(config: SiteConfig, item: RatingIn, t: Any) -> None:
    """Every rule except "once per ticket"; raises `RatingRefused`."""
    rating, sent_at = item.rating, item.sent_at
    if rating.level not in config.rating.levels:
        raise RatingRefused(
            Reason.BAD_LEVEL,
            f"level {rating.level.value!r} is not on this site's {config.rating.scale}-level scale",
        )
    if t.state != TicketState.DONE:
        raise RatingRefused(Reason.TICKET_NOT_DONE, f"ticket {t.number} is {t.state}, not done")
    if item.desk_id is not None and t.desk_id != item.desk_id:
        raise RatingRefused(
            Reason.WRONG_DESK,
            f"ticket {t.number} was served at desk {t.desk_id}, not {item.desk_id}",
        )
    assert t.ended_at is not None and t.desk_id is not None
    window = timedelta(minutes=config.rating.window_minutes)
    if sent_at < t.ended_at - CLOCK_SKEW:
        raise RatingRefused(
            Reason.BEFORE_DONE, f"sent at {sent_at:%H:%M:%S}, before the service ended"
        )
    if sent_at > item.received_at + CLOCK_SKEW:
        raise RatingRefused(
            Reason.SENT_IN_FUTURE, "sent_at is later than the server clock", variant="rating"
        )
    if sent_at > t.ended_at + window:
        late = (sent_at - t.ended_at).total_seconds() / 60
        raise RatingRefused(
            Reason.WINDOW_EXPIRED,
            f"sent {late:.0f} min after the service ended "
            f"(window {config.rating.window_minutes} min)",
        )


def _row_values(item: RatingIn, t: Any) -> dict[str, Any]:
    r = item.rating
    return {
        "msg_id": r.msg_id,
        "ticket_id": t.id,
        "site": t.site,
        "day": t.day,
        "desk_id": t.desk_id,
        "clerk_id": t.clerk_id,
        "service": t.service,
        "level_raw": r.level.value,
        "level": r.level.official.value,
        "praised": list(r.praised),
        "reasons": list(r.reasons),
        "partial": r.partial,
        "source": item.origin.value,
        "comment": item.comment,
        "device_id": r.device_id,
        "sent_at": item.sent_at,
        "received_at": item.received_at,
    }


def apply_ratings(
    s: Session, config: SiteConfig, items: Sequence[RatingIn]
) -> list[dict[str, Any] | RatingRefused]:
    """Check and store a batch; per item, the stored row's values or the refusal."""
    site = config.site.code
    ids = list({i.rating.ticket_id for i in items if i.rating.ticket_id is not None})
    tickets: dict[uuid.UUID, Any] = {}
    rated: set[uuid.UUID] = set()
    for k in range(0, len(ids), _CHUNK):
        chunk = ids[k : k + _CHUNK]
        tickets.update({t.id: t for t in s.execute(_TICKET_COLUMNS.where(_T.id.in_(chunk)))})
        rated.update(s.execute(select(_R.ticket_id).where(_R.ticket_id.in_(chunk))).scalars())
    results: list[dict[str, Any] | RatingRefused] = []
    rows: list[dict[str, Any]] = []
    for item in items:
        t: Any  # a TicketRow, or a plain row of `_TICKET_COLUMNS`
        try:
            tid = item.rating.ticket_id
            if tid is None:
                t = find_ticket(s, config, item.rating)
                if s.scalar(select(RatingRow.id).where(RatingRow.ticket_id == t.id)) is not None:
                    rated.add(t.id)
            else:
                t = tickets.get(tid)
                if t is None or t.site != site:
                    raise RatingRefused(Reason.UNKNOWN_TICKET, f"no ticket {tid}")
            check_rating(config, item, t)
            if t.id in rated:
                raise RatingRefused(Reason.ALREADY_RATED, f"ticket {t.number} is already rated")
            rated.add(t.id)
            values = _row_values(item, t)
            rows.append(values)
            results.append(values)
        except RatingRefused as e:
            results.append(e)
    if rows:
        s.execute(insert(_RATINGS), rows)  # Core: no ORM bookkeeping per row
        done_ids = [r["ticket_id"] for r in rows]
        at = max(r["received_at"] for r in rows)
        for k in range(0, len(done_ids), _CHUNK):
            s.execute(
                update(DeskRow)
                .where(DeskRow.site == site, DeskRow.rating_ticket_id.in_(done_ids[k : k + _CHUNK]))
                .values(rating_ticket_id=None, updated_at=at)
            )
    return results


def apply_rating(
    s: Session,
    config: SiteConfig,
    rating: Rating,
    *,
    desk_id: str | None,
    received_at: datetime,
) -> dict[str, Any]:
    """Store one rating or raise `RatingRefused`."""
    result = apply_ratings(s, config, [RatingIn(rating, desk_id, received_at)])[0]
    if isinstance(result, RatingRefused):
        raise result
    return result
