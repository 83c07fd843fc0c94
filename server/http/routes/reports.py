"""The reports API: the figures of any period, the official table, the charts'
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

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from protocol.refusals import Reason
from server.auth.users import User
from server.config import SiteConfig
from server.http.deps import ApiContext, Context, Staff, check_site
from server.http.errors import ApiRefusal
from server.reports import official as off
from server.reports.charts import chart_data
from server.reports.figures import build_report
from server.reports.files import (
    CSV_VIEWS,
    MEDIA_TYPES,
    Format,
    dossiers_file,
    file_name,
    report_file,
)
from server.reports.model import BY_VALUES, Filters, OfficialTable, Report, Source
from server.reports.official import official_table
from server.reports.period import Period, parse_period
from server.reports.wording import pick

router = APIRouter(prefix="/api", tags=["reports"])

SOURCES: tuple[Source, ...] = ("pad", "kiosk", "phone")
LANGS = ("vi", "en")
T = TypeVar("T")


def _not_one_of(value: str, allowed: tuple[str, ...], code: Reason) -> ApiRefusal:
    return ApiRefusal(code, value=value[:40], allowed=", ".join(allowed))


def _choice(value: str, allowed: tuple[str, ...], code: Reason) -> str:
    if value not in allowed:
        raise _not_one_of(value, allowed, code)
    return value


def check_by(by: str) -> str:
    """A CSV's content: a breakdown, or ``citizens`` (comments and suggestions)."""
    return _choice(by, CSV_VIEWS, Reason.BAD_BY)


def check_lang(lang: str) -> str:
    return _choice(lang, LANGS, Reason.BAD_LANG)


def check_source(source: str | None) -> Source | None:
    if not source:
        return None
    for known in SOURCES:
        if source == known:
            return known
    raise _not_one_of(source, SOURCES, Reason.BAD_SOURCE)


def period_of(text: str | None) -> Period:
    """The period asked for (a `PeriodError` is a 422 too)."""
    if not text:
        raise ApiRefusal(Reason.MISSING_PERIOD)
    return parse_period(text)


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
            raise ApiRefusal(Reason.NO_CLERK)
        if clerk and clerk != user.clerk_id:
            raise ApiRefusal(Reason.NOT_YOUR_FIGURES)
        clerk = user.clerk_id
    return Filters(
        service=service or None,
        desk=desk or None,
        clerk=clerk or None,
        source=check_source(source),
    )


@dataclass(frozen=True)
class Ask:
    """One report request: the period, the filters (already narrowed for a clerk)."""

    period: Period
    filters: Filters
    compare: bool


def ask(
    user: Staff,
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


def _read(context: ApiContext, work: Callable[[Session], T]) -> T:
    """Run ``work`` in a read session (a `ReportError` is a 422)."""
    with context.db.read() as s:
        return work(s)


def report_of(
    context: ApiContext,
    q: Ask,
    s: Session,
    *,
    compare: bool | None = None,
    by: tuple[str, ...] = BY_VALUES,
) -> Report:
    """The report asked for (``by``: only the breakdowns needed, for speed)."""
    return build_report(
        s,
        context.config,
        q.period,
        q.filters,
        compare=q.compare if compare is None else compare,
        by=by,
        now=context.engine.clock(),
        rollups=context.rollups,
    )


def table_of(context: ApiContext, report: Report, lang: str) -> OfficialTable:
    return official_table(report, context.config, lang, made_on=context.engine.today())


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
def report(site: str, context: Context, q: Asked) -> Report:
    """Every figure of a period (local days of the site), narrowed by the filters: visits,
    waits, service times, idle time while people waited, satisfaction, response rate,
    levels raw and official, conduct items; per clerk, desk, service, day, week and month;
    the comparisons, the heat map, the flagged patterns and the letters."""
    check_site(context.config, site)
    return _read(context, lambda s: report_of(context, q, s))


@router.get("/sites/{site}/reports/official")
def official(site: str, context: Context, q: Asked, lang: Lang = "vi") -> OfficialTable:
    """ "Bảng tổng hợp kết quả đánh giá sự hài lòng": per clerk, totals, grades."""
    check_site(context.config, site)
    lang = check_lang(lang)
    return _read(
        context,
        lambda s: table_of(context, report_of(context, q, s, compare=False, by=("clerk",)), lang),
    )


@router.get("/sites/{site}/reports/charts")
def charts(site: str, context: Context, q: Asked, lang: Lang = "vi") -> dict[str, Any]:
    """The data of the four charts (trend, per clerk, the two Paretos) and the heat map,
    exactly as the PDF draws them."""
    check_site(context.config, site)
    lang = check_lang(lang)
    return _read(
        context, lambda s: charts_of(context.config, report_of(context, q, s, compare=False), lang)
    )


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
def view(site: str, context: Context, q: Asked, lang: Lang = "vi") -> ReportView:
    """The report, its official table and its charts' data in one answer (the page)."""
    check_site(context.config, site)
    lang = check_lang(lang)

    def work(s: Session) -> ReportView:
        r = report_of(context, q, s)
        table = table_of(context, r, lang)
        return ReportView(
            report=r,
            official=table,
            official_text=official_text(table, context.config, r.period.end.year, lang),
            charts=charts_of(context.config, r, lang),
        )

    return _read(context, work)


# ---------------------------------------------------------------------- downloads


def _file(site: str, context: ApiContext, q: Ask, fmt: Format, by: str, lang: str) -> Response:
    body = _read(
        context,
        lambda s: report_file(
            s,
            context.config,
            q.period,
            q.filters,
            fmt,
            by=by,
            lang=lang,
            now=context.engine.clock(),
            made_on=context.engine.today(),
            rollups=context.rollups,
        )[0],
    )
    name = file_name(site, q.period, q.filters, fmt, by=by if fmt == "csv" else "")
    return download(body, name, fmt)


@router.get("/sites/{site}/reports/export.xlsx")
def export_xlsx(site: str, context: Context, q: Asked, lang: Lang = "vi") -> Response:
    """The whole report as an Excel workbook (summary, official table, every breakdown,
    conduct items, peak hours, anomalies; the dossiers are `dossiers.xlsx`)."""
    check_site(context.config, site)
    return _file(site, context, q, "xlsx", "", check_lang(lang))


@router.get("/sites/{site}/reports/export.pdf")
def export_pdf(site: str, context: Context, q: Asked, lang: Lang = "vi") -> Response:
    """The whole report as an A4 PDF, with the same charts as the page."""
    check_site(context.config, site)
    return _file(site, context, q, "pdf", "", check_lang(lang))


@router.get("/sites/{site}/reports/export.csv")
def export_csv(
    site: str,
    context: Context,
    q: Asked,
    by: Annotated[
        str, Query(max_length=16, description="clerk|desk|service|day|week|month|citizens")
    ] = "clerk",
    lang: Lang = "vi",
) -> Response:
    """One breakdown as CSV (UTF-8 with BOM, for Excel); ``by=citizens``: the comments
    given with the ratings and the suggestions (with the contacts citizens left)."""
    check_site(context.config, site)
    lang, by = check_lang(lang), check_by(by)
    return _file(site, context, q, "csv", by, lang)


def _dossiers(
    site: str, context: ApiContext, q: Ask, fmt: Literal["csv", "xlsx"], lang: str
) -> Response:
    check_site(context.config, site)
    lang = check_lang(lang)
    body = _read(
        context,
        lambda s: dossiers_file(
            s,
            context.config,
            q.period,
            q.filters,
            lang,
            fmt,
            now=context.engine.clock(),
            rollups=context.rollups,
        ),
    )
    return download(body, file_name(site, q.period, q.filters, fmt, what="ho-so"), fmt)


@router.get("/sites/{site}/reports/dossiers.csv")
def export_dossiers(site: str, context: Context, q: Asked, lang: Lang = "vi") -> Response:
    """One line per finished visit with a dossier code (mã hồ sơ), with its rating: for
    the provincial one-stop system (CSV, UTF-8 with BOM)."""
    return _dossiers(site, context, q, "csv", lang)


@router.get("/sites/{site}/reports/dossiers.xlsx")
def export_dossiers_xlsx(site: str, context: Context, q: Asked, lang: Lang = "vi") -> Response:
    """The same per-dossier lines as an Excel workbook."""
    return _dossiers(site, context, q, "xlsx", lang)
