"""The per-dossier export read from a real database: finished visits with a dossier code,
rated or not, in time order, local times, the report's filters."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from server.config import SiteConfig
from server.db.database import Database
from server.db.tables import RatingRow, TicketRow
from server.reports.dossiers import dossier_rows
from server.reports.model import Filters
from server.reports.period import day_period, month_period


def _ticket(
    s: Session,
    site: SiteConfig,
    *,
    ended: datetime,
    service: str = "tp",
    desk: str = "q1",
    clerk: str | None = "c01",
    state: str = "done",
    code: str | None = "000.00.25.H23-261105-0001",
    seq: int,
) -> uuid.UUID:
    tid = uuid.uuid4()
    day = ended.astimezone(site.tz).date()
    s.add(
        TicketRow(
            id=tid,
            site=site.site.code,
            service=service,
            day=day,
            seq=seq,
            number=f"{site.service_by_code[service].prefix}{seq:03d}",
            state=state,
            issued_at=ended - timedelta(minutes=30),
            called_at=ended - timedelta(minutes=12),
            started_at=ended - timedelta(minutes=10),
            ended_at=ended,
            desk_id=desk,
            clerk_id=clerk,
            dossier_code=code,
        )
    )
    return tid


def _rating(
    s: Session,
    site: SiteConfig,
    tid: uuid.UUID,
    ended: datetime,
    *,
    level: str = "very_satisfied",
    raw: str | None = None,
    source: str = "pad",
    praised: list[str] | None = None,
    reasons: list[str] | None = None,
) -> None:
    s.flush()
    s.add(
        RatingRow(
            msg_id=uuid.uuid4(),
            ticket_id=tid,
            site=site.site.code,
            day=ended.astimezone(site.tz).date(),
            desk_id="q1",
            clerk_id="c01",
            service="tp",
            level_raw=raw or level,
            level=level,
            praised=praised or [],
            reasons=reasons or [],
            partial=False,
            source=source,
            device_id="pad-q1",
            sent_at=ended + timedelta(seconds=20),
            received_at=ended + timedelta(seconds=21),
        )
    )


@pytest.fixture
def filled(sqlite_db: Database, site: SiteConfig) -> Database:
    """November 2026: five visits with codes (three rated), one without, one not done,
    one on 1 December local time (16:30 UTC on 30 November is 23:30 local — still
    November; 17:30 UTC is 00:30 on 1 December)."""
    nov5 = datetime(2026, 11, 5, 2, 0, tzinfo=UTC)  # 09:00 local
    with sqlite_db.write() as s:
        a = _ticket(s, site, ended=nov5 + timedelta(hours=1), code="B-2", seq=2)
        _rating(s, site, a, nov5 + timedelta(hours=1), praised=["xin_chao", "luon_mim_cuoi"])
        b = _ticket(s, site, ended=nov5, code="A-1", seq=1, service="dd", desk="q3", clerk="c03")
        _rating(
            s,
            site,
            b,
            nov5,
            level="dissatisfied",
            raw="neutral",
            source="kiosk",
            reasons=["khong_tre_hen"],
        )
        _ticket(s, site, ended=nov5 + timedelta(hours=2), code="C-3", seq=3)  # not rated
        _ticket(s, site, ended=nov5 + timedelta(hours=3), code=None, seq=4)
        _ticket(s, site, ended=nov5 + timedelta(hours=4), code="", seq=5)
        _ticket(s, site, ended=nov5 + timedelta(hours=5), code="X-9", seq=6, state="no_show")
        late = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
        c = _ticket(s, site, ended=late, code="D-4", seq=7, desk="q2", clerk="c02")
        _rating(s, site, c, late, level="satisfied")
        _ticket(s, site, ended=late + timedelta(hours=1), code="E-5", seq=8)
    return sqlite_db


def test_one_line_per_finished_visit_with_a_code(filled: Database, site: SiteConfig) -> None:
    with filled.read() as s:
        rows = dossier_rows(s, site, month_period(2026, 11))
    assert [r.dossier_code for r in rows] == ["A-1", "B-2", "C-3", "D-4"]
    first = rows[0]
    assert first.service == "dd" and first.service_name == "Đất đai"
    assert first.service_name_en == "Land"
    assert (first.clerk_id, first.clerk_name) == ("c03", "Phạm Thị Hương")
    assert (first.desk_id, first.desk_name) == ("q3", "Quầy 3")
    assert first.ended_at == datetime(2026, 11, 5, 9, 0, tzinfo=site.tz)
    assert first.ended_at.utcoffset() == timedelta(hours=7)
    assert (first.level, first.level_raw, first.source) == ("dissatisfied", "neutral", "kiosk")
    assert first.reasons == ["khong_tre_hen"] and first.praised == []
    assert rows[1].praised == ["xin_chao", "luon_mim_cuoi"] and rows[1].partial is False
    unrated = rows[2]
    assert unrated.level is None and unrated.source is None and unrated.partial is None
    assert rows[3].ended_at.date() == date(2026, 11, 30)  # 23:30 local


def test_the_local_day_decides_the_period(filled: Database, site: SiteConfig) -> None:
    with filled.read() as s:
        december = dossier_rows(s, site, month_period(2026, 12))
        nov30 = dossier_rows(s, site, day_period(date(2026, 11, 30)))
    assert [r.dossier_code for r in december] == ["E-5"]
    assert december[0].ended_at.hour == 0
    assert [r.dossier_code for r in nov30] == ["D-4"]


@pytest.mark.parametrize(
    ("filters", "codes"),
    [
        (Filters(service="dd"), ["A-1"]),
        (Filters(desk="q2"), ["D-4"]),
        (Filters(clerk="c01"), ["B-2", "C-3"]),
        (Filters(source="kiosk"), ["A-1"]),
        (Filters(source="pad"), ["B-2", "D-4"]),  # a source keeps rated visits only
        (Filters(service="tp", clerk="c02"), ["D-4"]),
    ],
)
def test_filters(filled: Database, site: SiteConfig, filters: Filters, codes: list[str]) -> None:
    with filled.read() as s:
        rows = dossier_rows(s, site, month_period(2026, 11), filters)
    assert [r.dossier_code for r in rows] == codes


def test_other_sites_are_not_exported(filled: Database, site: SiteConfig) -> None:
    other = site.model_copy(update={"site": site.site.model_copy(update={"code": "khac"})})
    with filled.read() as s:
        assert dossier_rows(s, other, month_period(2026, 11)) == []
