"""What citizens write, for the report tests: hostile texts every export must show as
typed (never a formula, never markup), a report's "Ý kiến của công dân" made by hand,
and real rows (phone ratings with comments, suggestions) added to a database the way
the phone's form and the suggestion box store them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from protocol.codes import RatingSource
from protocol.messages import VisitRating
from server.config import SiteConfig
from server.db.database import Database
from server.db.tables import RatingRow, SuggestionRow, TicketRow
from server.ratings.rules import RatingIn, RatingRefused, apply_ratings
from server.reports.model import Citizens, Comment, Suggestion, SuggestionCounts

#: Texts a spreadsheet would run or a page would render if they were not kept as text.
FORMULA = '=HYPERLINK("http://x","y")'
MARKUP = "<b>đậm</b> & <i>nghiêng</i>"
SCRIPT = "<script>alert('x')</script>"
HOSTILE: tuple[str, ...] = (
    FORMULA,
    MARKUP,
    SCRIPT,
    "+84 912 345 678",
    "@SUM(A1:A9)",
    "-1+2",
    "Cán bộ rất tận tình.\nCảm ơn!",
)
CONTACT = "=cmd|'/c calc'!A1"


def hand_citizens(day: date, *, contact: str = CONTACT) -> Citizens:
    """A report's comments and suggestions, one of each hostile text."""
    at = datetime.combine(day, time(3, 0), tzinfo=UTC)  # 10:00 in Hà Nội
    comments = [
        Comment(
            at=at + timedelta(minutes=i),
            number=f"A{101 + i:03d}",
            service="dd",
            desk_id="q2",
            clerk_id="c02",
            level="dissatisfied" if i % 2 else "very_satisfied",
            level_raw="dissatisfied" if i % 2 else "very_satisfied",
            source="phone",
            text=text,
        )
        for i, text in enumerate(HOSTILE)
    ]
    suggestions = [
        Suggestion(
            received_at=at + timedelta(hours=1, minutes=i),
            service="tp" if i % 2 else None,
            text=text,
            contact=contact if i == 0 else None,
            handled_at=at + timedelta(hours=3) if i % 3 == 0 else None,
            handled_note="Đã trả lời công dân" if i % 3 == 0 else None,
        )
        for i, text in enumerate(HOSTILE)
    ]
    handled = sum(s.handled_at is not None for s in suggestions)
    return Citizens(
        comments=comments,
        comments_total=len(comments),
        suggestions=SuggestionCounts(
            received=len(suggestions), handled=handled, open=len(suggestions) - handled
        ),
        suggestion_items=suggestions,
    )


def rate_by_phone(
    db: Database, config: SiteConfig, first: date, last: date, texts: tuple[str, ...]
) -> list[uuid.UUID]:
    """Rate unrated done visits of ``first`` … ``last`` on the phone (through the rating
    rules, as `server.services.phone` does), one per text: their ticket ids."""
    t = TicketRow.__table__.c
    r = RatingRow.__table__.c
    with db.write() as s:
        q = (
            select(t.id, t.ended_at)
            .where(t.site == config.site.code, t.day >= first, t.day <= last)
            .where(t.state == "done", t.id.not_in(select(r.ticket_id)))
            .order_by(t.ended_at)
        )
        visits = s.execute(q.limit(len(texts))).all()
        assert len(visits) == len(texts), visits
        items = [
            RatingIn(
                VisitRating(
                    msg_id=uuid.uuid4(),
                    device_id="phone",
                    sent_at=ended + timedelta(minutes=3),
                    ticket_id=tid,
                    level="dissatisfied" if i % 2 else "very_satisfied",
                    reasons=["khong_gay_phien_ha"] if i % 2 else [],
                ),
                None,
                ended + timedelta(minutes=3),
                source=RatingSource.PHONE,
                comment=text,
            )
            for i, ((tid, ended), text) in enumerate(zip(visits, texts, strict=True))
        ]
        results = apply_ratings(s, config, items)
        assert not [x for x in results if isinstance(x, RatingRefused)], results
    return [tid for tid, _ in visits]


def add_suggestions(
    s: Session,
    config: SiteConfig,
    day: date,
    texts: tuple[str, ...],
    *,
    service: str | None = None,
    handled: int = 0,
    contact: str | None = CONTACT,
) -> None:
    """Suggestions received on ``day`` at 09:00 local, the first ``handled`` handled."""
    at = datetime.combine(day, time(2, 0), tzinfo=UTC)
    rows = [
        {
            "id": uuid.uuid4(),
            "site": config.site.code,
            "day": day,
            "received_at": at + timedelta(minutes=i),
            "text": text,
            "service": service,
            "contact": contact,
            "handled_at": at + timedelta(hours=2) if i < handled else None,
            "handled_by": "giamsat" if i < handled else None,
            "handled_note": "Đã xử lý" if i < handled else None,
        }
        for i, text in enumerate(texts)
    ]
    s.execute(insert(cast(Table, SuggestionRow.__table__)), rows)
