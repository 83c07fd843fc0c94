"""The reports API (issue 12): the figures of any period, the official table, the charts'
data and the downloads (xlsx, PDF, CSV of a breakdown, CSV of the dossiers).

Read-only: every endpoint is a GET that builds the report in a read session and stores
nothing. Supervisors and admins see everything; a clerk sees only their own figures (the
clerk filter is forced to theirs; asking for another clerk is refused); a display
board's token sees nothing. A bad period, filter, breakdown or language is a 422 with a
Vietnamese and an English message, as everywhere in the API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from server.config import SiteConfig
from server.http.api import Runtime, _check_site
from server.http.auth import require
from server.reports import official as off
from server.reports.charts import chart_data
from server.reports.figures import ReportError, build_report
from server.reports.files import MEDIA_TYPES, Format, dossiers_file, file_name, report_file
from server.reports.model import BY_VALUES, Filters, OfficialTable, Report
from server.reports.official import official_table
from server.reports.period import Period, PeriodError, parse_period
from server.reports.wording import pick
from server.runtime import ServerRuntime
from server.users import User

router = APIRouter(prefix="/api", tags=["reports"])

SOURCES = ("pad", "kiosk", "phone")
LANGS = ("vi", "en")
#: Who may read reports (a clerk: their own figures only).
Reader = Annotated[User, Depends(require("clerk", "supervisor", "admin"))]
T = TypeVar("T")


def problem(status: int, code: str, message: str, message_en: str) -> HTTPException:
    return HTTPException(status, {"code": code, "message": message, "message_en": message_en})


def _choice(value: str, allowed: tuple[str, ...], code: str, vi: str, en: str) -> str:
    if value not in allowed:
        raise problem(
            422,
            code,
            f"{vi} “{value[:40]}” không hợp lệ: chọn {', '.join(allowed)}",
            f"invalid {en} {value[:40]!r}: choose {', '.join(allowed)}",
        )
    return value


def check_by(by: str) -> str:
    return _choice(by, BY_VALUES, "bad_by", "Cách chia", "breakdown")


def check_lang(lang: str) -> str:
    return _choice(lang, LANGS, "bad_lang", "Ngôn ngữ", "language")


def check_source(source: str | None) -> str | None:
    if not source:
        return None
    return _choice(source, SOURCES, "bad_source", "Nguồn đánh giá", "rating source")


def period_of(text: str | None) -> Period:
    if not text:
        raise problem(
            422,
            "missing_period",
            "Hãy chọn kỳ báo cáo, VD: period=2026-Q3",
            "give the report period, e.g. period=2026-Q3",
        )
    try:
        return parse_period(text)
    except PeriodError as e:
        raise problem(422, e.code, e.message, e.message_en) from None


def filters_for(
    user: User,
    service: str | None,
    desk: str | None,
    clerk: str | None,
    source: str | None,
) -> Filters:
    """The filters asked for; a clerk's are narrowed to their own figures."""
    if user.role == "clerk":
        if not user.clerk_id:
            raise problem(
                403,
                "no_clerk",
                "Tài khoản cán bộ này chưa gắn với mã cán bộ nào",
                "this clerk account has no clerk id",
            )
        if clerk and clerk != user.clerk_id:
            raise problem(
                403,
                "not_your_figures",
                "Cán bộ chỉ xem được số liệu của chính mình",
                "a clerk sees only their own figures",
            )
        clerk = user.clerk_id
    return Filters(
        service=service or None,
        desk=desk or None,
        clerk=clerk or None,
        source=check_source(source),  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class Ask:
    """One report request: the period, the filters (already narrowed for a clerk)."""

    period: Period
    filters: Filters
    compare: bool


def ask(
    user: Reader,
    period: Annotated[
        str | None,
        Query(
            max_length=200,
            description="2026-11-05 · 2026-W45 · 2026-11 · 2026-Q3 · 2026 · "
            "2026-11-01..2026-11-30 (at most 5 years)",
        ),
    ] = None,
    service: Annotated[str | None, Query(max_length=32, description="Lĩnh vực (code)")] = None,
    desk: Annotated[str | None, Query(max_length=32, description="Quầy (id)")] = None,
    clerk: Annotated[
        str | None, Query(max_length=32, description="Cán bộ (id); a clerk: their own only")
    ] = None,
    source: Annotated[str | None, Query(max_length=16, description="pad | kiosk | phone")] = None,
    compare: Annotated[
        bool, Query(description="Also the previous period and the same period last year")
    ] = True,
) -> Ask:
    return Ask(period_of(period), filters_for(user, service, desk, clerk, source), compare)


Asked = Annotated[Ask, Depends(ask)]


def _read(rt: ServerRuntime, work: Callable[[Session], T]) -> T:
    """Run ``work`` in a read session; a report error becomes a 422."""
    try:
        with rt.db.read() as s:
            return work(s)
    except ReportError as e:
        raise problem(422, e.code, e.message, e.message_en) from None


def report_of(
    rt: ServerRuntime,
    q: Ask,
    s: Session,
    *,
    compare: bool | None = None,
    by: tuple[str, ...] = BY_VALUES,
) -> Report:
    """The report asked for (``by``: only the breakdowns needed, for speed)."""
    return build_report(
        s,
        rt.config,
        q.period,
        q.filters,
        compare=q.compare if compare is None else compare,
        by=by,
        now=rt.engine.clock(),
        rollups=rt.rollups,
    )


def table_of(rt: ServerRuntime, report: Report, lang: str) -> OfficialTable:
    return official_table(report, rt.config, lang, made_on=rt.engine.today())


def charts_of(config: SiteConfig, report: Report, lang: str) -> dict[str, Any]:
    return chart_data(report, lang, small_sample=config.rating.small_sample)


def download(body: bytes, name: str, ext: str) -> Response:
    return Response(
        body,
        media_type=MEDIA_TYPES[ext],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


Lang = Annotated[str, Query(max_length=5, description="vi | en")]


# ---------------------------------------------------------------------- JSON


@router.get("/sites/{site}/reports")
def report(site: str, rt: Runtime, q: Asked) -> Report:
    """Every figure of a period (local days of the site), narrowed by the filters: visits,
    waits, service times, idle time while people waited, satisfaction, response rate,
    levels raw and official, conduct items; per clerk, desk, service, day, week and month;
    the comparisons, the heat map, the flagged patterns and the letters."""
    _check_site(rt, site)
    return _read(rt, lambda s: report_of(rt, q, s))


@router.get("/sites/{site}/reports/official")
def official(site: str, rt: Runtime, q: Asked, lang: Lang = "vi") -> OfficialTable:
    """ "Bảng tổng hợp kết quả đánh giá sự hài lòng": per clerk, totals, grades."""
    _check_site(rt, site)
    lang = check_lang(lang)
    return _read(
        rt, lambda s: table_of(rt, report_of(rt, q, s, compare=False, by=("clerk",)), lang)
    )


@router.get("/sites/{site}/reports/charts")
def charts(site: str, rt: Runtime, q: Asked, lang: Lang = "vi") -> dict[str, Any]:
    """The data of the four charts (trend, per clerk, the two Paretos) and the heat map,
    exactly as the PDF draws them."""
    _check_site(rt, site)
    lang = check_lang(lang)
    return _read(rt, lambda s: charts_of(rt.config, report_of(rt, q, s, compare=False), lang))


class ReportView(BaseModel):
    """What the /reports page shows, built once."""

    report: Report
    official: OfficialTable
    #: The official table's fixed lines as the xlsx and PDF print them (headers, date
    #: line, target, footnote, signature hints).
    official_text: dict[str, Any]
    charts: dict[str, Any]


def official_text(table: OfficialTable, config: SiteConfig, year: int, lang: str) -> dict[str, Any]:
    return {
        "nation": pick(off.NATION, lang),
        "motto": pick(off.MOTTO, lang),
        "headers": [pick(h, lang) for h in off.HEADERS],
        "column_numbers": list(off.COLUMN_NUMBERS),
        "date_line": off.date_line(table, lang),
        "target_line": off.target_line(table, lang, year),
        "footnote": off.footnote(config, lang),
        "small_sample_note": off.small_sample_note(config, lang),
        "sign_hint_left": pick(off.SIGN_HINT_LEFT, lang),
        "sign_hint_right": pick(off.SIGN_HINT_RIGHT, lang),
    }


@router.get("/sites/{site}/reports/view")
def view(site: str, rt: Runtime, q: Asked, lang: Lang = "vi") -> ReportView:
    """The report, its official table and its charts' data in one answer (the page)."""
    _check_site(rt, site)
    lang = check_lang(lang)

    def work(s: Session) -> ReportView:
        r = report_of(rt, q, s)
        table = table_of(rt, r, lang)
        return ReportView(
            report=r,
            official=table,
            official_text=official_text(table, rt.config, r.period.end.year, lang),
            charts=charts_of(rt.config, r, lang),
        )

    return _read(rt, work)


# ---------------------------------------------------------------------- downloads


def _file(site: str, rt: ServerRuntime, q: Ask, fmt: Format, by: str, lang: str) -> Response:
    body = _read(
        rt,
        lambda s: report_file(
            s,
            rt.config,
            q.period,
            q.filters,
            fmt,
            by=by,
            lang=lang,
            now=rt.engine.clock(),
            made_on=rt.engine.today(),
            rollups=rt.rollups,
        )[0],
    )
    name = file_name(site, q.period, q.filters, fmt, by=by if fmt == "csv" else "")
    return download(body, name, fmt)


@router.get("/sites/{site}/reports/export.xlsx")
def export_xlsx(site: str, rt: Runtime, q: Asked, lang: Lang = "vi") -> Response:
    """The whole report as an Excel workbook (summary, official table, every breakdown,
    conduct items, peak hours, anomalies; the dossiers are `dossiers.xlsx`)."""
    _check_site(rt, site)
    return _file(site, rt, q, "xlsx", "", check_lang(lang))


@router.get("/sites/{site}/reports/export.pdf")
def export_pdf(site: str, rt: Runtime, q: Asked, lang: Lang = "vi") -> Response:
    """The whole report as an A4 PDF, with the same charts as the page."""
    _check_site(rt, site)
    return _file(site, rt, q, "pdf", "", check_lang(lang))


@router.get("/sites/{site}/reports/export.csv")
def export_csv(
    site: str,
    rt: Runtime,
    q: Asked,
    by: Annotated[str, Query(max_length=16, description="clerk|desk|service|day|week|month")] = (
        "clerk"
    ),
    lang: Lang = "vi",
) -> Response:
    """One breakdown as CSV (UTF-8 with BOM, for Excel)."""
    _check_site(rt, site)
    lang, by = check_lang(lang), check_by(by)
    return _file(site, rt, q, "csv", by, lang)


def _dossiers(
    site: str, rt: ServerRuntime, q: Ask, fmt: Literal["csv", "xlsx"], lang: str
) -> Response:
    _check_site(rt, site)
    lang = check_lang(lang)
    body = _read(
        rt,
        lambda s: dossiers_file(
            s, rt.config, q.period, q.filters, lang, fmt, now=rt.engine.clock(), rollups=rt.rollups
        ),
    )
    return download(body, file_name(site, q.period, q.filters, fmt, what="ho-so"), fmt)


@router.get("/sites/{site}/reports/dossiers.csv")
def export_dossiers(site: str, rt: Runtime, q: Asked, lang: Lang = "vi") -> Response:
    """One line per finished visit with a dossier code (mã hồ sơ), with its rating: for
    the provincial one-stop system (CSV, UTF-8 with BOM)."""
    return _dossiers(site, rt, q, "csv", lang)


@router.get("/sites/{site}/reports/dossiers.xlsx")
def export_dossiers_xlsx(site: str, rt: Runtime, q: Asked, lang: Lang = "vi") -> Response:
    """The same per-dossier lines as an Excel workbook."""
    return _dossiers(site, rt, q, "xlsx", lang)
