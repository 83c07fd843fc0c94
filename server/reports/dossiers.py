"""The per-dossier export: one line per finished visit with a mã hồ sơ, with its rating
if it has one, for the provincial one-stop system.

A visit belongs to the period by its local day (``tickets.day``, as in the report's
figures). Filters: service, desk and clerk are the visit's; a ``source`` filter keeps
only visits rated from that source (so it drops the unrated ones).
"""

from __future__ import annotations

from datetime import date, datetime, time

from pydantic import BaseModel, ConfigDict
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from protocol.codes import TicketState
from protocol.i18n import localized
from server.config import SiteConfig
from server.db.tables import RatingRow, TicketRow
from server.reports.load import narrow
from server.reports.model import Filters
from server.reports.period import Period
from server.reports.wording import (
    LEVEL_SCORES,
    SOURCES,
    YES,
    Pair,
    items_text,
    level_label,
    pick,
    raw_level_label,
)

_T = TicketRow.__table__.c
_R = RatingRow.__table__.c


class DossierRow(BaseModel):
    """A finished visit with its dossier code; the rating fields are empty if unrated."""

    model_config = ConfigDict(frozen=True)

    dossier_code: str
    number: str
    service: str
    service_name: str
    service_name_en: str = ""
    clerk_id: str | None
    clerk_name: str
    desk_id: str | None
    desk_name: str
    #: When the service ended, in the site's time zone.
    ended_at: datetime
    #: Official level (very_satisfied / satisfied / dissatisfied); None: not rated.
    level: str | None = None
    #: As pressed on the pad (3-, 4- or 5-face scale).
    level_raw: str | None = None
    praised: list[str] = []
    reasons: list[str] = []
    partial: bool | None = None
    source: str | None = None


def dossier_rows(
    s: Session, config: SiteConfig, period: Period, filters: Filters | None = None
) -> list[DossierRow]:
    """Every visit ended ``done`` with a dossier code in ``period``, by end time."""
    filters = filters or Filters()
    query = (
        select(
            _T.dossier_code,
            _T.number,
            _T.service,
            _T.clerk_id,
            _T.desk_id,
            _T.ended_at,
            _R.level,
            _R.level_raw,
            _R.praised,
            _R.reasons,
            _R.partial,
            _R.source,
        )
        .select_from(TicketRow.__table__.outerjoin(RatingRow.__table__, _R.ticket_id == _T.id))
        .where(
            and_(
                _T.site == config.site.code,
                _T.day >= period.start,
                _T.day <= period.end,
                _T.state == TicketState.DONE,
                _T.dossier_code.is_not(None),
                _T.dossier_code != "",
            )
        )
        .order_by(_T.ended_at, _T.dossier_code)
    )
    query = narrow(query, filters, _T.service, _T.desk_id, _T.clerk_id, _R.source)
    out: list[DossierRow] = []
    for r in s.execute(query):
        svc = config.service_by_code.get(r.service)
        clerk = config.clerk_by_id.get(r.clerk_id or "")
        desk = config.desk_by_id.get(r.desk_id or "")
        out.append(
            DossierRow(
                dossier_code=r.dossier_code,
                number=r.number,
                service=r.service,
                service_name=svc.name if svc else r.service,
                service_name_en=svc.name_en if svc else "",
                clerk_id=r.clerk_id,
                clerk_name=clerk.name if clerk else (r.clerk_id or ""),
                desk_id=r.desk_id,
                desk_name=desk.name if desk else (r.desk_id or ""),
                ended_at=r.ended_at.astimezone(config.tz),
                level=r.level,
                level_raw=r.level_raw,
                praised=list(r.praised or []),
                reasons=list(r.reasons or []),
                partial=r.partial,
                source=r.source,
            )
        )
    return out


#: The columns of the per-dossier export (xlsx and CSV), Vietnamese / English.
DOSSIER_HEADERS: tuple[Pair, ...] = (
    ("Mã hồ sơ", "Dossier code"),
    ("Số thứ tự", "Ticket number"),
    ("Mã lĩnh vực", "Service code"),
    ("Lĩnh vực", "Service"),
    ("Mã cán bộ", "Clerk code"),
    ("Cán bộ", "Clerk"),
    ("Quầy", "Desk"),
    ("Ngày", "Date"),
    ("Giờ hoàn thành", "Time finished"),
    ("Mức đánh giá", "Rating"),
    ("Điểm (2/1/0)", "Score (2/1/0)"),
    ("Mức đã chọn trên máy", "Level as pressed"),
    ("Điều được khen", "Praised"),
    ("Lý do không hài lòng", "Reasons for dissatisfaction"),
    ("Trả lời chưa hết", "Partial answer"),
    ("Nguồn đánh giá", "Source"),
)
#: Widths (characters) of those columns in the xlsx.
DOSSIER_WIDTHS: tuple[float, ...] = (28, 10, 10, 30, 10, 22, 10, 12, 10, 16, 10, 18, 36, 40, 10, 20)


def dossier_cells(row: DossierRow, lang: str) -> list[str | int | date | time | None]:
    """The values of one line, in `DOSSIER_HEADERS` order (date and time local)."""
    rated = row.level is not None
    return [
        row.dossier_code,
        row.number,
        row.service,
        localized(row.service_name, row.service_name_en, lang),
        row.clerk_id or "",
        row.clerk_name,
        row.desk_name,
        row.ended_at.date(),
        row.ended_at.time().replace(second=0, microsecond=0, tzinfo=None),
        level_label(row.level, lang),
        LEVEL_SCORES.get(row.level or "") if rated else None,
        raw_level_label(row.level_raw, lang),
        items_text(row.praised, lang),
        items_text(row.reasons, lang),
        (pick(YES, lang) if row.partial else "") if rated else "",
        pick(SOURCES[row.source], lang) if row.source in SOURCES else (row.source or ""),
    ]
