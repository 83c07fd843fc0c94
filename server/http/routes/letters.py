"""Letters printed from the clerk console: "Phiếu xin lỗi và hẹn lại ngày trả
kết quả" (a result returned late) and "Thư cảm ơn". Each is recorded (`LetterRow`), can
be printed again as an A4 PDF and is counted in the reports.

A clerk makes letters for the dossiers they handle and sees only their own; supervisors
and admins see every letter of the site; a display board's token makes none.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from protocol.refusals import Reason
from protocol.text import DossierCode, labelled_text
from server.auth.users import User
from server.config import SiteConfig
from server.db.database import Database
from server.db.tables import DeskRow, LetterRow, TicketRow
from server.http.bodies import StrictBody
from server.http.deps import Config, Db, Engine, Staff, check_site
from server.http.errors import ApiRefusal
from server.reports.letters_pdf import LetterText, letter_pdf
from server.reports.period import parse_period

router = APIRouter(prefix="/api", tags=["letters"])

#: How far ahead an apology may promise the result.
MAX_DELAY = timedelta(days=366)
#: How far back the dossier code is looked up among the visits (for the service).
LOOKBACK = timedelta(days=400)

if TYPE_CHECKING:  # to the type checker plain text; to pydantic, text with its own refusals
    LetterReason = str
    SignerTitle = str
    SignerName = str
else:
    LetterReason = labelled_text(500, "lý do hoặc nội dung", "the reason")
    SignerTitle = labelled_text(80, "chức danh người ký", "the signer's title", required=False)
    SignerName = labelled_text(80, "họ tên người ký", "the signer's name", required=False)


class LetterIn(StrictBody):
    model_config = ConfigDict(str_max_length=600)  # each field has its own bound

    kind: Literal["apology", "thanks"]
    dossier_code: DossierCode
    #: Apology: why the result is late; thanks: what the office thanks the citizen for.
    reason: LetterReason
    #: Apology only: the new date the result will be returned (not before today).
    new_date: date | None = None
    #: Default: ``letters.signer_title`` / ``letters.signer_name`` of the site YAML.
    signer_title: SignerTitle = ""
    signer_name: SignerName = ""


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


def _out(config: SiteConfig, row: LetterRow) -> LetterOut:
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
        pdf_url=f"/api/sites/{config.site.code}/letters/{row.id}.pdf",
    )


def _check_new_date(body: LetterIn, today: date) -> date | None:
    if body.kind != "apology":
        return None
    if body.new_date is None:
        raise ApiRefusal(Reason.BAD_NEW_DATE)
    if body.new_date < today:
        raise ApiRefusal(Reason.BAD_NEW_DATE, variant="past", new=body.new_date, today=today)
    if body.new_date > today + MAX_DELAY:
        raise ApiRefusal(Reason.BAD_NEW_DATE, variant="too_far")
    return body.new_date


@router.post("/sites/{site}/letters", status_code=201)
def create_letter(
    site: str, body: LetterIn, config: Config, db: Db, engine: Engine, user: Staff
) -> LetterOut:
    """Record an apology ("Phiếu xin lỗi và hẹn lại ngày trả kết quả") or a thank-you
    letter for a dossier; its PDF is at ``pdf_url``. A clerk's letter carries their
    desk (if open); the service is that of the latest visit with this dossier code."""
    check_site(config, site)
    now = engine.clock()
    today = engine.today(now)
    new_date = _check_new_date(body, today)
    defaults = config.letters
    with db.write() as s:
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
        return _out(config, row)


def _readable(user: User, row: LetterRow) -> bool:
    return user.role != "clerk" or row.created_by == user.username


@router.get("/sites/{site}/letters")
def list_letters(
    site: str,
    config: Config,
    db: Db,
    engine: Engine,
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
    check_site(config, site)
    today = engine.today()
    p = parse_period(period or f"{today:%Y-%m}")  # a `PeriodError` is a 422
    q = (
        select(LetterRow)
        .where(LetterRow.site == site, LetterRow.day >= p.start, LetterRow.day <= p.end)
        .order_by(LetterRow.created_at.desc())
        .limit(limit)
    )
    if user.role == "clerk":
        q = q.where(LetterRow.created_by == user.username)
    with db.read() as s:
        return [_out(config, row) for row in s.scalars(q)]


def _letter(db: Database, site: str, letter_id: uuid.UUID, user: User) -> LetterRow:
    with db.read() as s:
        row = s.get(LetterRow, letter_id)
        if row is None or row.site != site:
            raise ApiRefusal(Reason.NOT_FOUND, variant="letter")
        if not _readable(user, row):
            raise ApiRefusal(Reason.NOT_YOUR_LETTER)
        s.expunge(row)
        return row


@router.get(
    "/sites/{site}/letters/{letter_id}.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def letter_pdf_file(
    site: str, letter_id: uuid.UUID, config: Config, db: Db, user: Staff
) -> Response:
    """The letter as an A4 PDF to print (a clerk: only one they made)."""
    check_site(config, site)
    row = _letter(db, site, letter_id, user)
    svc = config.service_by_code.get(row.service or "")
    text = LetterText(
        kind="apology" if row.kind == "apology" else "thanks",
        office=config.site.name,
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
        letter_pdf(text, config.letters),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{name}-{safe_code}.pdf"',
            "Cache-Control": "no-store",
        },
    )


# Declared after the PDF: ``{letter_id}`` alone would also match ``….pdf``.
@router.get("/sites/{site}/letters/{letter_id}")
def get_letter(site: str, letter_id: uuid.UUID, config: Config, db: Db, user: Staff) -> LetterOut:
    """One letter (a clerk: only one they made)."""
    check_site(config, site)
    return _out(config, _letter(db, site, letter_id, user))
