"""``motcua report``: a report file (xlsx, PDF or CSV) made straight from the site's
database, with no server running. Read-only: nothing is stored; a bad period, filter or
site is exit code 2 with the reason in Vietnamese and English, and no file is written."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from motcua.commands.common import ConfigOpt
from protocol.i18n import Catalog, Localized, localized

if TYPE_CHECKING:
    from server.config import SiteConfig
    from server.reports.files import Format
    from server.reports.model import Filters, Report
    from server.reports.period import Period

FORMS = "2026-11-05 · 2026-W45 · 2026-11 · 2026-Q3 · 2026 · 2026-11-01..2026-11-30"


#: What the command says when it refuses (a refusal of the reports' own says itself).
_SAYS = Catalog(
    {
        "config": ("Không đọc được tệp cấu hình: {error}", "cannot read the site config: {error}"),
        "site": (
            "Mã đơn vị “{site}” không trùng cấu hình ({config}: “{code}”)",
            "site {site!r} is not the configured one ({config}: {code!r})",
        ),
        "format": (
            "Định dạng “{chosen}” không hợp lệ: chọn --format xlsx, pdf hoặc csv "
            "(hoặc đặt tên tệp --out có đuôi .xlsx, .pdf, .csv)",
            "unknown format {chosen!r}: give --format xlsx|pdf|csv (or an --out file "
            "ending in .xlsx, .pdf or .csv)",
        ),
        "by": (
            "Cách chia “{by}” không hợp lệ: chọn {allowed}",
            "unknown breakdown {by!r}: choose {allowed}",
        ),
        "lang": ("Ngôn ngữ “{lang}” không hợp lệ: vi hoặc en", "unknown language {lang!r}: vi|en"),
        "source": (
            "Nguồn đánh giá “{source}” không hợp lệ: pad, kiosk hoặc phone",
            "unknown rating source {source!r}: pad|kiosk|phone",
        ),
        "no_database": ("Không tìm thấy cơ sở dữ liệu {path}", "database {path} not found"),
        "old_database": (
            "Cơ sở dữ liệu chưa được cập nhật: chạy motcua db upgrade trước",
            "the database is not at the current revision: run motcua db upgrade first",
        ),
    }
)


def _refuse(said: Localized) -> NoReturn:
    """Say why, in Vietnamese then English, and exit with code 2."""
    typer.echo(f"{said.vi}\n{said.en}", err=True)
    raise typer.Exit(2)


#: The ``--format`` values, by name.
_FORMATS: dict[str, Format] = {"xlsx": "xlsx", "pdf": "pdf", "csv": "csv"}


def _format_of(fmt: str | None, out: Path) -> Format:
    chosen = (fmt or out.suffix.removeprefix(".")).lower()
    if chosen not in _FORMATS:
        _refuse(_SAYS.both("format", chosen=chosen))
    return _FORMATS[chosen]


def _write(out: Path, body: bytes) -> None:
    """Write ``out`` whole or not at all (a temporary file renamed into place)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(body)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _num(value: float | None, lang: str) -> str:
    if value is None:
        return "—"
    text = f"{value:.1f}"
    return text if lang == "en" else text.replace(".", ",")


def report(
    period: Annotated[
        str,
        typer.Option(
            help=f"Kỳ báo cáo / report period: {FORMS} (tối đa 5 năm / at most 5 years)",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Tệp kết quả / output file (.xlsx, .pdf, .csv)", show_default=False
        ),
    ],
    by: Annotated[
        str,
        typer.Option(
            help="Chia theo (tệp CSV) / breakdown of the CSV: clerk|desk|service|day|week|month, "
            "hoặc citizens: ý kiến và góp ý của công dân / or citizens: comments and "
            "suggestions (xlsx và PDF có đủ / xlsx and PDF hold them all)"
        ),
    ] = "clerk",
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="xlsx | pdf | csv (mặc định theo đuôi tệp --out / default: from --out)",
        ),
    ] = None,
    site: Annotated[
        str | None,
        typer.Option(help="Mã đơn vị, phải trùng cấu hình / site code, must be the configured one"),
    ] = None,
    service: Annotated[
        str | None, typer.Option(help="Chỉ một lĩnh vực (mã) / one service (code)")
    ] = None,
    desk: Annotated[str | None, typer.Option(help="Chỉ một quầy (mã) / one desk (id)")] = None,
    clerk: Annotated[str | None, typer.Option(help="Chỉ một cán bộ (mã) / one clerk (id)")] = None,
    source: Annotated[
        str | None,
        typer.Option(help="Nguồn đánh giá / rating source: pad | kiosk | phone"),
    ] = None,
    lang: Annotated[str, typer.Option(help="Ngôn ngữ của tệp / language: vi | en")] = "vi",
    config: ConfigOpt = Path("config/site.yaml"),
    database_url: Annotated[
        str | None, typer.Option(help="Ghi đè cơ sở dữ liệu / overrides the config")
    ] = None,
) -> None:
    """Lập báo cáo ra tệp / write a report file (xlsx, pdf, csv) from the database.

    Đọc thẳng cơ sở dữ liệu, không cần máy chủ đang chạy; không ghi gì vào cơ sở dữ liệu.
    Reads the database directly (no server needed) and stores nothing.
    """
    from server.config import ConfigError, load_site_config
    from server.reports.figures import ReportError
    from server.reports.files import CSV_VIEWS
    from server.reports.model import Filters
    from server.reports.period import PeriodError, parse_period

    try:
        cfg = load_site_config(config)
    except ConfigError as e:
        _refuse(_SAYS.both("config", error=e))
    if site is not None and site != cfg.site.code:
        _refuse(_SAYS.both("site", site=site, config=config, code=cfg.site.code))
    chosen = _format_of(fmt, out)
    if by not in CSV_VIEWS:
        _refuse(_SAYS.both("by", by=by, allowed=", ".join(CSV_VIEWS)))
    if lang not in ("vi", "en"):
        _refuse(_SAYS.both("lang", lang=lang))
    if source is not None and source not in ("pad", "kiosk", "phone"):
        _refuse(_SAYS.both("source", source=source))
    try:
        p = parse_period(period)
    except PeriodError as e:
        _refuse(e.text)
    filters = Filters(
        service=service,
        desk=desk,
        clerk=clerk,
        source=source,
    )
    try:
        body, made = _build(cfg, database_url or cfg.database_url(), p, filters, chosen, by, lang)
    except ReportError as e:
        _refuse(e.text)
    _write(out, body)
    f = made.total
    label = localized(made.period.label, made.period.label_en, lang)
    target = "—" if f.target_pct is None else f"{f.target_pct:g} %"
    typer.echo(f"Đã ghi / written: {out}")
    typer.echo(
        f"{label}: hài lòng / satisfied {_num(f.satisfaction_pct, lang)} % "
        f"(mục tiêu / target {target}), {f.ratings} phiếu / ratings, {f.served} lượt phục vụ "
        "/ served"
    )
    said = made.citizens
    counts = said.suggestions
    suggestions = (
        ""
        if counts is None
        else f"; góp ý / suggestions {counts.received} (chưa xử lý / open {counts.open})"
    )
    typer.echo(f"Ý kiến / comments {said.comments_total}{suggestions}")


def _build(
    cfg: SiteConfig, url: str, period: Period, filters: Filters, fmt: Format, by: str, lang: str
) -> tuple[bytes, Report]:
    """The file's bytes and its report, read from ``url`` (refused if the database is
    missing or older than this program)."""
    from sqlalchemy.engine import make_url

    from server.db.database import Database
    from server.db.migrate import is_up_to_date
    from server.reports.files import report_file
    from server.reports.rollup import Rollups
    from server.timeutil import local_day, now_utc

    u = make_url(url)
    if u.drivername.startswith("sqlite") and u.database and not Path(u.database).exists():
        _refuse(_SAYS.both("no_database", path=u.database))
    db = Database(url)
    try:
        if not is_up_to_date(db):
            _refuse(_SAYS.both("old_database"))
        now = now_utc()
        with db.read() as s:
            return report_file(
                s,
                cfg,
                period,
                filters,
                fmt,
                by=by,
                lang=lang,
                now=now,
                made_on=local_day(now, cfg.tz),
                rollups=Rollups(db, cfg),
            )
    finally:
        db.dispose()
