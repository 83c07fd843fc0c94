""" "Bảng tổng hợp kết quả đánh giá sự hài lòng": the official per-clerk table of a quarter
or a year (any period works), with totals, grades from the configured bands, the date
line and the signature block. The page, the xlsx and the PDF all draw this one object.
"""

from __future__ import annotations

from datetime import date, datetime

from protocol.conduct import Level
from protocol.i18n import localized
from server.config import SiteConfig
from server.reports.model import Figures, OfficialRow, OfficialTable, Report, Row
from server.reports.wording import Pair, long_date, pick

TITLE: Pair = (
    "BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ SỰ HÀI LÒNG",
    "SUMMARY OF CITIZEN SATISFACTION RATINGS",
)
TOTAL: Pair = ("Tổng cộng", "Total")
SIGNER_LEFT: Pair = ("Người lập biểu", "Prepared by")
SIGNER_RIGHT: Pair = ("Thủ trưởng đơn vị", "Head of the unit")
SIGN_HINT_LEFT: Pair = ("(Ký, ghi rõ họ tên)", "(Signature and full name)")
SIGN_HINT_RIGHT: Pair = ("(Ký, ghi rõ họ tên, đóng dấu)", "(Signature, full name and seal)")
NATION: Pair = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "SOCIALIST REPUBLIC OF VIET NAM")
MOTTO: Pair = ("Độc lập - Tự do - Hạnh phúc", "Independence - Freedom - Happiness")
#: Column headers, in the order of `row_cells`.
HEADERS: tuple[Pair, ...] = (
    ("STT", "No."),
    ("Họ và tên cán bộ", "Clerk"),
    ("Số phiếu đánh giá", "Ratings"),
    ("Rất hài lòng", "Very satisfied"),
    ("Hài lòng", "Satisfied"),
    ("Không hài lòng", "Dissatisfied"),
    ("Tỷ lệ % hài lòng", "% satisfied"),
    ("Xếp loại", "Grade"),
    ("Ghi chú", "Notes"),
)
#: The column numbers official forms print under the headers.
COLUMN_NUMBERS: tuple[str, ...] = (
    "(1)",
    "(2)",
    "(3)",
    "(4)",
    "(5)",
    "(6)",
    "(7)=((4)+(5))/(3)",
    "(8)",
    "(9)",
)


def small_sample_note(config: SiteConfig, lang: str) -> str:
    """The note of a clerk with fewer ratings than ``rating.small_sample``."""
    return "Small sample" if lang == "en" else "Mẫu nhỏ"


def footnote(config: SiteConfig, lang: str) -> str:
    """The line under the table: how the % is computed, what a small sample is."""
    n = config.rating.small_sample
    if lang == "en":
        return (
            "Note: % satisfied = (Very satisfied + Satisfied) ÷ Ratings × 100. "
            f"Small sample: fewer than {n} ratings, for reference only."
        )
    return (
        "Ghi chú: Tỷ lệ % hài lòng = (Rất hài lòng + Hài lòng) ÷ Số phiếu đánh giá × 100. "
        f"Mẫu nhỏ: dưới {n} phiếu đánh giá, chỉ để tham khảo."
    )


def target_line(table: OfficialTable, lang: str, year: int | None = None) -> str:
    """ "Mục tiêu năm 2026: 95 % hài lòng" (empty without a target)."""
    if table.target_pct is None:
        return ""
    pct = f"{table.target_pct:g}"
    if lang == "en":
        return f"Target for {year}: {pct} % satisfied" if year else f"Target: {pct} % satisfied"
    return f"Mục tiêu năm {year}: {pct} % hài lòng" if year else f"Mục tiêu: {pct} % hài lòng"


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _row(
    no: int, clerk_id: str, name: str, f: Figures, config: SiteConfig, lang: str
) -> OfficialRow:
    vs = f.levels.get(Level.VERY_SATISFIED.value, 0)
    s = f.levels.get(Level.SATISFIED.value, 0)
    ds = f.levels.get(Level.DISSATISFIED.value, 0)
    pct = _pct(vs + s, f.ratings)
    grade = config.rating.grade_for(pct)
    return OfficialRow(
        no=no,
        clerk_id=clerk_id,
        name=name,
        ratings=f.ratings,
        very_satisfied=vs,
        satisfied=s,
        dissatisfied=ds,
        satisfaction_pct=pct,
        grade=grade.name if grade else "",
        grade_en=(grade.name_en or grade.name) if grade else "",
        small_sample=f.ratings < config.rating.small_sample,
    )


def _ordered(rows: list[Row], config: SiteConfig) -> list[Row]:
    """Clerks in configuration order; anyone else (a clerk since removed) after, by name."""
    order = {c.id: i for i, c in enumerate(config.clerks)}
    return sorted(rows, key=lambda r: (order.get(r.key, len(order)), r.label, r.key))


def official_table(
    report: Report, config: SiteConfig, lang: str = "vi", made_on: date | None = None
) -> OfficialTable:
    """The official table of ``report`` (its ``by["clerk"]`` rows), in ``lang``.

    ``made_on`` is the date printed above the signatures (default: today, site time).
    The totals row adds up the clerk rows; its % is computed from those sums.
    """
    rows: list[OfficialRow] = []
    for i, r in enumerate(_ordered(report.by.get("clerk", []), config), start=1):
        name = localized(r.label, r.label_en, lang)
        rows.append(_row(i, r.key, name, r.figures, config, lang))
    summed = Figures(
        ratings=sum(r.ratings for r in rows),
        levels={
            Level.VERY_SATISFIED.value: sum(r.very_satisfied for r in rows),
            Level.SATISFIED.value: sum(r.satisfied for r in rows),
            Level.DISSATISFIED.value: sum(r.dissatisfied for r in rows),
        },
    )
    total = _row(0, "", pick(TOTAL, lang), summed, config, lang)
    office = localized(report.office, report.office_en, lang)
    return OfficialTable(
        title=pick(TITLE, lang),
        office=office,
        parent_unit=config.letters.parent_unit,
        period_label=localized(report.period.label, report.period.label_en, lang),
        place=config.letters.place,
        made_on=made_on or datetime.now(config.tz).date(),
        rows=rows,
        total=total,
        target_pct=config.target_for(report.period.end),
        signer_left=pick(SIGNER_LEFT, lang),
        signer_right=pick(SIGNER_RIGHT, lang),
    )


def grade_of(row: OfficialRow, lang: str) -> str:
    return localized(row.grade, row.grade_en, lang)


def row_cells(
    row: OfficialRow, lang: str, note: str = ""
) -> tuple[int | str, str, int, int, int, int, float | None, str, str]:
    """The cells of one line, in `HEADERS` order (the totals line has no number)."""
    return (
        row.no or "",
        row.name,
        row.ratings,
        row.very_satisfied,
        row.satisfied,
        row.dissatisfied,
        row.satisfaction_pct,
        grade_of(row, lang),
        note if row.small_sample else "",
    )


def date_line(table: OfficialTable, lang: str) -> str:
    """ "Gia Lộc, ngày 05 tháng 10 năm 2026"."""
    return long_date(table.place, table.made_on, lang)
