"""``/reports``: the reports across offices — per office, per group (``offices.group_name``)
and for the whole province, ranked by satisfaction against the year's target — with
the office's period pickers, the downloads (``/reports/export.xlsx``,
``/reports/export.csv``, same query) and each office's official table
(``/reports/official?office=…``).

An office supervisor (an account with ``users.site``) sees their office's line only: no
group or province totals, no other office, in the page and in the files. Bad input (an
impossible period, an unknown group or office) is a clear error in Vietnamese and
English; nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from hub.config import HubConfig
from hub.reports.compute import build_hub_report
from hub.reports.files import MEDIA_TYPES, Format, file_name, hub_file, official_of
from hub.reports.model import LEVELS, Level
from hub.reports.tables import levels_of
from hub.reports.wording import (
    BACK,
    LEVEL_TITLES,
    NOT_CONFIGURED,
    SHOW,
    TITLE,
    TOTALS_NOTE,
    group_name,
)
from hub.web import reports_view as view
from hub.web.deps import HubCfg, HubDb, HubViewer, Viewer, json_refusal
from hub.web.guards import office_row
from hub.web.render import render
from protocol.errors import MotcuaError
from protocol.i18n import Lang
from server.db.database import Database
from server.db.tables import OfficeRow
from server.reports import official as off
from server.reports.period import Period
from server.reports.wording import pick
from server.timeutil import now_utc
from server.web.i18n import lang_of

router = APIRouter(include_in_schema=False)

#: At most this many office codes in one query.
MAX_OFFICES = 500
Text = Annotated[str | None, Query(max_length=200)]


class Refusal(Exception):
    """A report asked wrongly: what to say, in Vietnamese and English."""

    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.vi, self.en = vi, en


@dataclass(frozen=True)
class Ask:
    period: Period
    level: Level
    group: str | None
    #: The offices asked for (None: every office the account may see).
    codes: list[str] | None


@dataclass(frozen=True)
class Params:
    """The query as typed (every value bounded by FastAPI; checked by `ask_of`)."""

    period: str | None
    kind: str | None
    pickers: dict[str, str]
    by: str | None
    group: str | None
    office: list[str]


def params(
    period: Text = None,
    kind: Text = None,
    day: Text = None,
    week: Text = None,
    month: Text = None,
    quarter: Text = None,
    year: Text = None,
    from_: Annotated[str | None, Query(alias="from", max_length=200)] = None,
    to: Text = None,
    by: Text = None,
    group: Annotated[str | None, Query(max_length=80)] = None,
    office: Annotated[list[str] | None, Query(max_length=MAX_OFFICES)] = None,
) -> Params:
    picked = {"day": day, "week": week, "month": month, "quarter": quarter, "year": year}
    picked |= {"from": from_, "to": to}
    return Params(
        period=period,
        kind=kind,
        pickers={k: v for k, v in picked.items() if v},
        by=by,
        group=group or None,
        office=office or [],
    )


Asked = Annotated[Params, Depends(params)]


def _today(config: HubConfig) -> date:
    return now_utc().astimezone(ZoneInfo(config.timezone)).date()


def _group_codes(db: Database, group: str) -> list[str]:
    with db.read() as s:
        codes = list(s.scalars(select(OfficeRow.code).where(OfficeRow.group_name == group)))
    if not codes:
        raise Refusal(f"Không có cụm {group!r}", f"No group {group!r}")
    return codes


def ask_of(request: Request, viewer: HubViewer, db: Database, config: HubConfig, p: Params) -> Ask:
    """The report asked for (`Refusal` for bad input; the 403 of an office the account
    may not see)."""
    try:
        period = view.period_asked(p.period, p.kind, p.pickers, _today(config))
    except MotcuaError as e:
        raise Refusal(e.message, e.message_en) from None
    if p.by is not None and p.by not in LEVELS:
        allowed = ", ".join(LEVELS)
        raise Refusal(f"Cách nhóm phải là {allowed}", f"'by' must be one of {allowed}")
    codes: list[str] | None = None
    if p.office:
        for code in p.office:
            office_row(request, db, viewer, code[:32])  # 403 / 404
        codes = list(dict.fromkeys(p.office))
    group = p.group if viewer.site is None else None
    if group is not None:
        in_group = _group_codes(db, group)
        codes = [c for c in codes if c in in_group] if codes is not None else in_group
    level: Level = (p.by or "office") if viewer.site is None else "office"
    return Ask(period, level, group, codes)


def _query(ask: Ask, **extra: str) -> str:
    q: list[tuple[str, str]] = [("period", ask.period.code)]
    if ask.group:
        q.append(("group", ask.group))
    q += [("office", c) for c in ask.codes or []] if not ask.group else []
    q += list(extra.items())
    return urlencode(q)


def _groups(db: Database, viewer: HubViewer) -> list[str]:
    if viewer.site is not None:
        return []
    with db.read() as s:
        return sorted(set(s.scalars(select(OfficeRow.group_name))))


def _error_page(
    request: Request, viewer: HubViewer, config: HubConfig, e: Refusal, lang: Lang
) -> Response:
    period = view.default_period(_today(config))
    return render(
        request,
        "reports.html",
        viewer,
        status=422,
        error=e.en if lang == "en" else e.vi,
        pickers=view.pickers(period),
        kinds=view.KINDS,
        report=None,
        level=None,
        show_label=pick(SHOW, lang),
    )


@router.get("/reports")
def reports_page(request: Request, viewer: Viewer, db: HubDb, config: HubCfg, p: Asked) -> Response:
    lang = lang_of(request)
    try:
        ask = ask_of(request, viewer, db, config, p)
    except Refusal as e:
        return _error_page(request, viewer, config, e, lang)
    report = build_hub_report(db, config, ask.period, ask.codes, scope=viewer.site)
    levels = levels_of(report)
    level = ask.level if ask.level in levels else "office"
    table, lines = view.shown(report, level, lang)
    period_label = report.period.label_en if lang == "en" else report.period.label
    return render(
        request,
        "reports.html",
        viewer,
        error=None,
        report=report,
        title=pick(TITLE, lang),
        period_label=period_label,
        pickers=view.pickers(ask.period),
        kinds=view.KINDS,
        show_label=pick(SHOW, lang),
        level=level,
        levels=[(lv, pick(LEVEL_TITLES[lv], lang)) for lv in levels],
        lead_headers=table.lead_headers,
        headers=view.headers(lang),
        lines=lines,
        province=view.shown(report, "province", lang)[1]
        if level != "province" and "province" in levels
        else [],
        groups=_groups(db, viewer),
        group=ask.group,
        group_label=lambda g: group_name(g, lang),
        query=_query(ask),
        prev_q=_query(Ask(ask.period.previous(), level, ask.group, ask.codes), by=level),
        next_q=_query(Ask(view.following(ask.period), level, ask.group, ask.codes), by=level),
        note=pick(TOTALS_NOTE, lang),
        not_configured=pick(NOT_CONFIGURED, lang),
        target=report.target_pct,
    )


def _download(body: bytes, name: str, ext: str) -> Response:
    return Response(
        body,
        media_type=MEDIA_TYPES[ext],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def _export(
    request: Request,
    viewer: HubViewer,
    db: Database,
    config: HubConfig,
    p: Params,
    fmt: Format,
    lang: str | None,
) -> Response:
    try:
        if lang not in (None, "vi", "en"):
            raise Refusal("Ngôn ngữ phải là vi hoặc en", "lang must be vi or en")
        ask = ask_of(request, viewer, db, config, p)
    except Refusal as e:
        return json_refusal(422, "bad_report", e.vi, e.en)
    body, report = hub_file(
        db,
        config,
        ask.period,
        fmt,
        codes=ask.codes,
        scope=viewer.site,
        level=ask.level,
        lang=lang or lang_of(request),
    )
    level = ask.level if fmt == "csv" and ask.level in levels_of(report) else ""
    name = file_name(ask.period, fmt, scope=viewer.site, level=level)
    return _download(body, name, fmt)


Language = Annotated[str | None, Query(max_length=5)]


@router.get("/reports/export.xlsx")
def export_xlsx(
    request: Request,
    viewer: Viewer,
    db: HubDb,
    config: HubCfg,
    p: Asked,
    lang: Language = None,
) -> Response:
    """Every level the account may see, and each office's official table."""
    return _export(request, viewer, db, config, p, "xlsx", lang)


@router.get("/reports/export.csv")
def export_csv(
    request: Request,
    viewer: Viewer,
    db: HubDb,
    config: HubCfg,
    p: Asked,
    lang: Language = None,
) -> Response:
    """One level (``by``): office, group or province."""
    return _export(request, viewer, db, config, p, "csv", lang)


@router.get("/reports/official")
def official_page(
    request: Request,
    viewer: Viewer,
    db: HubDb,
    config: HubCfg,
    p: Asked,
    office: Annotated[str, Query(max_length=32)],
) -> Response:
    """One office's "Bảng tổng hợp kết quả đánh giá sự hài lòng" for the period."""
    lang = lang_of(request)
    row = office_row(request, db, viewer, office)
    try:
        ask = ask_of(
            request, viewer, db, config, Params(p.period, p.kind, p.pickers, None, None, [])
        )
    except Refusal as e:
        return _error_page(request, viewer, config, e, lang)
    made = official_of(db, config, ask.period, office, lang)
    table, cfg = (made[0].table, made[1]) if made else (None, None)
    return render(
        request,
        "reports_official.html",
        viewer,
        code=office,
        name=row.name,
        back=pick(BACK, lang),
        table=table,
        not_configured=pick(NOT_CONFIGURED, lang),
        headers=[pick(h, lang) for h in off.HEADERS],
        column_numbers=off.COLUMN_NUMBERS,
        target_line=off.target_line(table, lang, ask.period.end.year) if table else "",
        date_line=off.date_line(table, lang) if table else "",
        footnote=off.footnote(cfg, lang) if cfg else "",
        small_note=off.small_sample_note(cfg, lang) if cfg else "",
        back_q=_query(Ask(ask.period, "office", None, None)),
        xlsx_q=_query(Ask(ask.period, "office", None, [office])),
        number=view.number,
        grade=lambda r: off.grade_of(r, lang),
    )
