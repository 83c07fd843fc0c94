"""The lines of "Ý kiến của công dân" as cells, shared by the xlsx, the CSV and the PDF
(the page draws the same columns from the report's JSON): one line per comment given
with a rating, then one per suggestion, with a "Loại" column to tell them apart; names
from the configuration, local date and time, words in Vietnamese or English.

Cells hold the citizen's text as it was stored; each export makes it safe its own way
(the xlsx and CSV never let it become a formula, the PDF escapes reportlab's markup).
The contact a citizen left with a suggestion is personal data: the xlsx and the CSV
(supervisors' downloads) carry it, the PDF does not (``contact=False``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from protocol.i18n import localized
from server.config import SiteConfig
from server.reports.model import Comment, Report, Suggestion
from server.reports.wording import SOURCES, Pair, pick, raw_level_label

WORDS: dict[str, Pair] = {
    "comment": ("Đánh giá", "Rating"),
    "suggestion": ("Góp ý", "Suggestion"),
    "comments": ("Ý kiến kèm phiếu đánh giá", "Comments given with ratings"),
    "suggestions": ("Hòm thư góp ý", "Suggestion box"),
    "handled": ("Đã xử lý", "Handled"),
    "open": ("Chưa xử lý", "Not yet handled"),
    "more_comments": (
        "… và {n} ý kiến khác (xem trên trang báo cáo, tệp Excel, hoặc chọn kỳ ngắn hơn)",
        "… and {n} more comments (see the report page, the Excel file, or a shorter period)",
    ),
    "more_suggestions": (
        "… và {n} góp ý khác (xem trên trang báo cáo, tệp Excel, hoặc chọn kỳ ngắn hơn)",
        "… and {n} more suggestions (see the report page, the Excel file, or a shorter period)",
    ),
    "none": ("Không có ý kiến nào trong kỳ.", "No comments in this period."),
    "no_contact_in_pdf": (
        "Thông tin liên hệ của người góp ý không in trong tệp PDF (xem trên trang báo cáo "
        "hoặc tệp Excel).",
        "Contacts left with suggestions are not printed in the PDF (see the report page or "
        "the Excel file).",
    ),
}
#: Column headings by key; ``when`` is the PDF's date and time in one column.
HEADINGS: dict[str, Pair] = {
    "kind": ("Loại", "Kind"),
    "day": ("Ngày", "Date"),
    "time": ("Giờ", "Time"),
    "when": ("Thời gian", "When"),
    "number": ("Số", "Number"),
    "service": ("Lĩnh vực", "Service"),
    "desk": ("Quầy", "Desk"),
    "clerk": ("Cán bộ", "Clerk"),
    "level": ("Mức đánh giá", "Rating"),
    "source": ("Nguồn", "Source"),
    "status": ("Tình trạng", "Status"),
    "text": ("Nội dung", "Text"),
    "contact": ("Liên hệ", "Contact"),
    "note": ("Ghi chú xử lý", "Handling note"),
}
#: The columns of the combined table (xlsx, CSV), in order.
COLUMNS: tuple[str, ...] = (
    "kind",
    "day",
    "time",
    "number",
    "service",
    "desk",
    "clerk",
    "level",
    "source",
    "status",
    "text",
    "contact",
    "note",
)
HEADERS: tuple[Pair, ...] = tuple(HEADINGS[k] for k in COLUMNS)
#: The columns (1-based) wrapped in the xlsx, and the widths.
WRAPPED: frozenset[int] = frozenset(
    1 + COLUMNS.index(k) for k in ("service", "clerk", "status", "text", "contact", "note")
)
WIDTHS: tuple[float, ...] = (10, 11, 7, 8, 18, 10, 18, 14, 12, 18, 60, 20, 30)


def w(key: str, lang: str, **values: Any) -> str:
    return pick(WORDS[key], lang).format(**values)


@dataclass(frozen=True)
class Names:
    """Names of services, desks, clerks and sources in one language."""

    config: SiteConfig
    lang: str

    def service(self, code: str | None) -> str:
        svc = self.config.service_by_code.get(code or "")
        return localized(svc.name, svc.name_en, self.lang) if svc else (code or "")

    def desk(self, desk_id: str | None) -> str:
        desk = self.config.desk_by_id.get(desk_id or "")
        return desk.name if desk else (desk_id or "")

    def clerk(self, clerk_id: str | None) -> str:
        clerk = self.config.clerk_by_id.get(clerk_id or "")
        return clerk.name if clerk else (clerk_id or "")

    def source(self, code: str) -> str:
        return pick(SOURCES[code], self.lang) if code in SOURCES else code

    def local(self, at: datetime) -> tuple[date, time]:
        here = at.astimezone(self.config.tz)
        return here.date(), here.time().replace(second=0, microsecond=0)

    def status(self, s: Suggestion) -> str:
        if s.handled_at is None:
            return pick(WORDS["open"], self.lang)
        day, at = self.local(s.handled_at)
        return f"{pick(WORDS['handled'], self.lang)} {day:%d/%m/%Y} {at:%H:%M}"


def comment_cells(c: Comment, names: Names) -> list[object]:
    day, at = names.local(c.at)
    return [
        pick(WORDS["comment"], names.lang),
        day,
        at,
        c.number,
        names.service(c.service),
        names.desk(c.desk_id),
        names.clerk(c.clerk_id),
        raw_level_label(c.level_raw, names.lang),
        names.source(c.source),
        "",
        c.text,
        "",
        "",
    ]


def suggestion_cells(s: Suggestion, names: Names, *, contact: bool = True) -> list[object]:
    day, at = names.local(s.received_at)
    return [
        pick(WORDS["suggestion"], names.lang),
        day,
        at,
        "",
        names.service(s.service),
        "",
        "",
        "",
        "",
        names.status(s),
        s.text,
        (s.contact or "") if contact else "",
        s.handled_note or "",
    ]


def more_lines(report: Report, lang: str, shown: int | None = None) -> list[str]:
    """ "… và 12 ý kiến khác" for each list cut by the report (or, with ``shown``, by an
    export that lists at most ``shown`` of each)."""
    c = report.citizens
    listed = [len(c.comments), len(c.suggestion_items)]
    if shown is not None:
        listed = [min(n, shown) for n in listed]
    out = []
    if c.comments_total > listed[0]:
        out.append(w("more_comments", lang, n=c.comments_total - listed[0]))
    received = c.suggestions.received if c.suggestions else 0
    if received > listed[1]:
        out.append(w("more_suggestions", lang, n=received - listed[1]))
    return out


def citizen_lines(report: Report, config: SiteConfig, lang: str) -> list[list[object]]:
    """Every comment, then every suggestion listed in ``report``, as cells."""
    names = Names(config, lang)
    c = report.citizens
    return [comment_cells(x, names) for x in c.comments] + [
        suggestion_cells(x, names) for x in c.suggestion_items
    ]
