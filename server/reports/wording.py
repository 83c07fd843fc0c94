"""Words the report exports share (sheet titles, headers, weekdays, sources, flags),
Vietnamese first, English second, so the xlsx, CSV and PDF name things alike."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Literal

from protocol.conduct import (
    CONDUCT_BY_CODE,
    LEVEL_LABELS,
    RAW_LEVEL_LABELS,
    Group,
    Level,
    RawLevel,
)
from protocol.i18n import Localized, localized
from server.config import SiteConfig
from server.reports.model import Filters

Lang = Literal["vi", "en"]
Pair = tuple[str, str]


def pick(pair: Pair, lang: str) -> str:
    """The English half of ``pair`` for ``lang == "en"``, else the Vietnamese one (the
    rule of `protocol.i18n`, the one translation mechanism)."""
    return Localized(*pair).in_(lang)


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


#: The breakdowns, as sheet titles and as the header of their first column.
VIEW_TITLES: dict[str, Pair] = {
    "clerk": ("Theo cán bộ", "By clerk"),
    "desk": ("Theo quầy", "By desk"),
    "service": ("Theo lĩnh vực", "By service"),
    "day": ("Theo ngày", "By day"),
    "week": ("Theo tuần", "By week"),
    "month": ("Theo tháng", "By month"),
}
KEY_HEADERS: dict[str, Pair] = {
    "clerk": ("Cán bộ", "Clerk"),
    "desk": ("Quầy", "Desk"),
    "service": ("Lĩnh vực", "Service"),
    "day": ("Ngày", "Day"),
    "week": ("Tuần", "Week"),
    "month": ("Tháng", "Month"),
}
SHEETS: dict[str, Pair] = {
    "summary": ("Tổng hợp", "Summary"),
    "official": ("Bảng đánh giá", "Official table"),
    "conduct": ("Tiêu chí", "Conduct items"),
    "heatmap": ("Giờ cao điểm", "Peak hours"),
    "flags": ("Dấu hiệu bất thường", "Anomalies"),
    "dossiers": ("Hồ sơ", "Dossiers"),
    "citizens": ("Ý kiến của công dân", "Citizens' comments"),
}
WEEKDAYS: tuple[Pair, ...] = (
    ("Thứ Hai", "Monday"),
    ("Thứ Ba", "Tuesday"),
    ("Thứ Tư", "Wednesday"),
    ("Thứ Năm", "Thursday"),
    ("Thứ Sáu", "Friday"),
    ("Thứ Bảy", "Saturday"),
    ("Chủ nhật", "Sunday"),
)
WEEKDAYS_SHORT: tuple[Pair, ...] = (
    ("T2", "Mon"),
    ("T3", "Tue"),
    ("T4", "Wed"),
    ("T5", "Thu"),
    ("T6", "Fri"),
    ("T7", "Sat"),
    ("CN", "Sun"),
)
SOURCES: dict[str, Pair] = {
    "pad": ("Máy đánh giá tại quầy", "Desk pad"),
    "kiosk": ("Ki-ốt", "Kiosk"),
    "phone": ("Điện thoại", "Phone"),
}
FLAG_KINDS: dict[str, Pair] = {
    "burst": ("Đánh giá dồn dập", "Burst of ratings"),
    "too_perfect": ("Toàn điểm tuyệt đối", "Too perfect"),
    "phantom_service": ("Phục vụ quá ngắn", "Phantom service"),
}
#: Score of each official level in the de-facto 2 / 1 / 0 scale.
LEVEL_SCORES: dict[str, int] = {
    Level.VERY_SATISFIED.value: 2,
    Level.SATISFIED.value: 1,
    Level.DISSATISFIED.value: 0,
}
REPORT_TITLE: Pair = (
    "BÁO CÁO KẾT QUẢ ĐÁNH GIÁ SỰ HÀI LÒNG VÀ HOẠT ĐỘNG LẤY SỐ",
    "SATISFACTION AND QUEUE REPORT",
)
#: The conduct model's groups, as printed beside an item (the same in both languages).
GROUPS: dict[Group, str] = {Group.XIN: "4 Xin", Group.LUON: "4 Luôn", Group.KHONG: "5 Không"}
#: The suggestion box's counts (the Tổng hợp sheet, the PDF's headline table, the page).
SUGGESTION_COUNTS: dict[str, Pair] = {
    "received": ("Góp ý nhận được", "Suggestions received"),
    "handled": ("Góp ý đã xử lý", "Suggestions handled"),
    "open": ("Góp ý chưa xử lý", "Suggestions not yet handled"),
}
#: Why a report narrowed to a desk, clerk or source shows no suggestions.
SUGGESTIONS_NOT_APPLICABLE: Pair = (
    "Góp ý không gắn với quầy, cán bộ hay nguồn đánh giá: bỏ các bộ lọc đó để xem.",
    "Suggestions are not tied to a desk, clerk or rating source: clear those filters to see them.",
)
YES: Pair = ("Có", "Yes")
MET: Pair = ("Đạt", "Met")
NOT_MET: Pair = ("Chưa đạt", "Not met")


def level_label(code: str | None, lang: str) -> str:
    """ "Rất hài lòng" for ``very_satisfied``…; "" without a rating."""
    if not code:
        return ""
    try:
        return pick(LEVEL_LABELS[Level(code)], lang)
    except ValueError:
        return code


def raw_level_label(code: str | None, lang: str) -> str:
    if not code:
        return ""
    try:
        return pick(RAW_LEVEL_LABELS[RawLevel(code)], lang)
    except ValueError:
        return code


def item_label(code: str, lang: str) -> str:
    """A 4 Xin / 4 Luôn / 5 Không item by its code (the code itself if unknown)."""
    item = CONDUCT_BY_CODE.get(code)
    if item is None:
        return code
    return item.en if lang == "en" else item.vi


def item_group(code: str) -> str:
    """ "4 Xin", "4 Luôn" or "5 Không" for an item's code ("" if unknown)."""
    item = CONDUCT_BY_CODE.get(code)
    return GROUPS[item.group] if item else ""


def items_text(codes: list[str], lang: str) -> str:
    return "; ".join(item_label(c, lang) for c in codes)


def filters_text(filters: Filters, config: SiteConfig, lang: str) -> str:
    """ "Lĩnh vực: Đất đai · Quầy: Quầy 3" for the filters set; "" for none."""
    parts: list[str] = []
    if filters.service:
        svc = config.service_by_code.get(filters.service)
        name = localized(svc.name, svc.name_en, lang) if svc else filters.service
        parts.append(f"{pick(KEY_HEADERS['service'], lang)}: {name}")
    if filters.desk:
        desk = config.desk_by_id.get(filters.desk)
        parts.append(f"{pick(KEY_HEADERS['desk'], lang)}: {desk.name if desk else filters.desk}")
    if filters.clerk:
        clerk = config.clerk_by_id.get(filters.clerk)
        name = clerk.name if clerk else filters.clerk
        parts.append(f"{pick(KEY_HEADERS['clerk'], lang)}: {name}")
    if filters.source:
        source = pick(SOURCES.get(filters.source, (filters.source, filters.source)), lang)
        parts.append(f"{pick(('Nguồn', 'Source'), lang)}: {source}")
    return " · ".join(parts)


def long_date(place: str, day: date, lang: str) -> str:
    """ "Gia Lộc, ngày 05 tháng 10 năm 2026" (the date line of an official document)."""
    if lang == "en":
        text = f"{day.day} {day:%B} {day.year}"
    else:
        text = f"ngày {day:%d} tháng {day:%m} năm {day.year}"
    return f"{place}, {text}" if place else text[:1].upper() + text[1:]
