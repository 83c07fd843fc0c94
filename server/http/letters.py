"""Letters printed from the clerk console (issue 12): "Phiếu xin lỗi và hẹn lại ngày trả
kết quả" (a result returned late) and "Thư cảm ơn". Each is recorded (`LetterRow`), can
be printed again as an A4 PDF and is counted in the reports.

A clerk makes letters for the dossiers they handle and sees only their own; supervisors
and admins see every letter of the site; a display board's token makes none.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from protocol.text import DossierCode, labelled_text
from server.db.tables import DeskRow, LetterRow, TicketRow
from server.http.api import Runtime, Staff, _check_site, _In
from server.reports.letters_pdf import LetterText, letter_pdf
from server.reports.period import PeriodError, parse_period
from server.runtime import ServerRuntime
from server.users import User

router = APIRouter(prefix="/api", tags=["letters"])

#: How far ahead an apology may promise the result.
MAX_DELAY = timedelta(days=366)
#: How far back the dossier code is looked up among the visits (for the service).
LOOKBACK = timedelta(days=400)


class LetterIn(_In):
    model_config = ConfigDict(str_max_length=600)  # each field has its own bound

    kind: Literal["apology", "thanks"]
    dossier_code: DossierCode
    #: Apology: why the result is late; thanks: what the office thanks the citizen for.
    reason: labelled_text(500, "lý do hoặc nội dung", "the reason")  # type: ignore[valid-type]
    #: Apology only: the new date the result will be returned (not before today).
    new_date: date | None = None
    #: Default: ``letters.signer_title`` / ``letters.signer_name`` of the site YAML.
    signer_title: labelled_text(  # type: ignore[valid-type]
        80, "chức danh người ký", "the signer's title", required=False
    ) = ""
    signer_name: labelled_text(  # type: ignore[valid-type]
        80, "họ tên người ký", "the signer's name", required=False
    ) = ""


class LetterOut(BaseModel):
    id: uuid.UUID
    kind: str
    day: date
    created_at: datetime
    dossier_code: str
    service: str | None
    desk_id: str | None
    clerk_id: str | None
    reason: str
    new_date: date | None
    signer_title: str
    signer_name: str
    created_by: str
    pdf_url: str


def _problem(status: int, code: str, message: str, message_en: str) -> HTTPException:
    return HTTPException(status, {"code": code, "message": message, "message_en": message_en})


def _out(rt: ServerRuntime, row: LetterRow) -> LetterOut:
    return LetterOut(
        id=row.id,
        kind=row.kind,
        day=row.day,
        created_at=row.created_at,
        dossier_code=row.dossier_code,
        service=row.service,
        desk_id=row.desk_id,
        clerk_id=row.clerk_id,
        reason=row.reason,
        new_date=row.new_date,
        signer_title=row.signer_title,
        signer_name=row.signer_name,
        created_by=row.created_by,
        pdf_url=f"/api/sites/{rt.config.site.code}/letters/{row.id}.pdf",
    )


def _check_new_date(body: LetterIn, today: date) -> date | None:
    if body.kind != "apology":
        return None
    if body.new_date is None:
        raise _problem(
            422,
            "bad_new_date",
            "Hãy chọn ngày hẹn trả kết quả mới",
            "give `new_date`, the new date the result will be returned",
        )
    if body.new_date < today:
        raise _problem(
            422,
            "bad_new_date",
            f"Ngày hẹn mới ({body.new_date:%d/%m/%Y}) không được trước hôm nay ({today:%d/%m/%Y})",
            f"the new date {body.new_date} is before today ({today})",
        )
    if body.new_date > today + MAX_DELAY:
        raise _problem(
            422,
            "bad_new_date",
            "Ngày hẹn mới phải trong vòng một năm",
            "the new date must be within a year",
        )
    return body.new_date


@router.post("/sites/{site}/letters", status_code=201)
def create_letter(site: str, body: LetterIn, rt: Runtime, user: Staff) -> LetterOut:
    """Record an apology ("Phiếu xin lỗi và hẹn lại ngày trả kết quả") or a thank-you
    letter for a dossier; its PDF is at ``pdf_url``. A clerk's letter carries their
    desk (if open); the service is that of the latest visit with this dossier code."""
    _check_site(rt, site)
    now = rt.engine.clock()
    today = rt.engine.today(now)
    new_date = _check_new_date(body, today)
    defaults = rt.config.letters
    with rt.db.write() as s:
        desk_id = None
        if user.role == "clerk" and user.clerk_id:
            desk_id = s.scalar(
                select(DeskRow.desk_id).where(
                    DeskRow.site == site, DeskRow.open.is_(True), DeskRow.clerk_id == user.clerk_id
                )
            )
        service = s.scalar(
            select(TicketRow.service)
            .where(
                TicketRow.site == site,
                TicketRow.day >= today - LOOKBACK,
                TicketRow.dossier_code == body.dossier_code,
            )
            .order_by(TicketRow.ended_at.desc())
            .limit(1)
        )
        row = LetterRow(
            id=uuid.uuid4(),
            site=site,
            kind=body.kind,
            day=today,
            created_at=now,
            dossier_code=body.dossier_code,
            service=service,
            desk_id=desk_id,
            clerk_id=user.clerk_id if user.role == "clerk" else None,
            reason=body.reason,
            new_date=new_date,
            signer_title=body.signer_title or defaults.signer_title,
            signer_name=body.signer_name or defaults.signer_name,
            created_by=user.username,
        )
        s.add(row)
        s.flush()
        return _out(rt, row)


def _readable(user: User, row: LetterRow) -> bool:
    return user.role != "clerk" or row.created_by == user.username


@router.get("/sites/{site}/letters")
def list_letters(
    site: str,
    rt: Runtime,
    user: Staff,
    period: Annotated[
        str | None,
        Query(
            max_length=40,
            description="2026-11-05 · 2026-W45 · 2026-11 · 2026-Q3 · 2026 · "
            "2026-11-01..2026-11-30 (default: this month)",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[LetterOut]:
    """Letters of a period, newest first; a clerk gets only the letters they made."""
    _check_site(rt, site)
    today = rt.engine.today()
    try:
        p = parse_period(period or f"{today:%Y-%m}")
    except PeriodError as e:
        raise _problem(422, e.code, e.message, e.message_en) from None
    q = (
        select(LetterRow)
        .where(LetterRow.site == site, LetterRow.day >= p.start, LetterRow.day <= p.end)
        .order_by(LetterRow.created_at.desc())
        .limit(limit)
    )
    if user.role == "clerk":
        q = q.where(LetterRow.created_by == user.username)
    with rt.db.read() as s:
        return [_out(rt, row) for row in s.scalars(q)]


def _letter(rt: ServerRuntime, site: str, letter_id: uuid.UUID, user: User) -> LetterRow:
    with rt.db.read() as s:
        row = s.get(LetterRow, letter_id)
        if row is None or row.site != site:
            raise _problem(404, "not_found", "Không có phiếu này", "no such letter")
        if not _readable(user, row):
            raise _problem(
                403,
                "not_your_letter",
                "Phiếu này do cán bộ khác lập",
                "another clerk made this letter",
            )
        s.expunge(row)
        return row


@router.get(
    "/sites/{site}/letters/{letter_id}.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def letter_pdf_file(site: str, letter_id: uuid.UUID, rt: Runtime, user: Staff) -> Response:
    """The letter as an A4 PDF to print (a clerk: only one they made)."""
    _check_site(rt, site)
    row = _letter(rt, site, letter_id, user)
    cfg = rt.config
    svc = cfg.service_by_code.get(row.service or "")
    text = LetterText(
        kind="apology" if row.kind == "apology" else "thanks",
        office=cfg.site.name,
        day=row.day,
        dossier_code=row.dossier_code,
        reason=row.reason,
        signer_title=row.signer_title,
        signer_name=row.signer_name,
        service=svc.name if svc else "",
        new_date=row.new_date,
    )
    name = "phieu-xin-loi" if row.kind == "apology" else "thu-cam-on"
    safe_code = "".join(ch if ch.isalnum() or ch in ".-_" else "-" for ch in row.dossier_code)
    return Response(
        letter_pdf(text, cfg.letters),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{name}-{safe_code}.pdf"',
            "Cache-Control": "no-store",
        },
    )


# Declared after the PDF: ``{letter_id}`` alone would also match ``….pdf``.
@router.get("/sites/{site}/letters/{letter_id}")
def get_letter(site: str, letter_id: uuid.UUID, rt: Runtime, user: Staff) -> LetterOut:
    """One letter (a clerk: only one they made)."""
    _check_site(rt, site)
    return _out(rt, _letter(rt, site, letter_id, user))
