"""The words of the reports across offices (Vietnamese first, English second), shared
by the page and the exports."""

from __future__ import annotations

from server.reports.wording import Pair, pick

TITLE: Pair = ("Báo cáo sự hài lòng của các đơn vị", "Satisfaction across offices")
LEVEL_TITLES: dict[str, Pair] = {
    "office": ("Theo đơn vị", "By office"),
    "group": ("Theo cụm", "By group"),
    "province": ("Toàn tỉnh", "Whole province"),
}
RANK: Pair = ("Xếp hạng", "Rank")
CODE: Pair = ("Mã", "Code")
OFFICE: Pair = ("Đơn vị", "Office")
GROUP: Pair = ("Cụm", "Group")
OFFICES: Pair = ("Số đơn vị", "Offices")
FIGURE: Pair = ("Chỉ tiêu", "Figure")
WHOLE: Pair = ("Toàn tỉnh", "Whole province")
NO_GROUP: Pair = ("Chưa xếp cụm", "No group")
NOT_CONFIGURED: Pair = (
    "Chưa nhận được cấu hình của đơn vị: chưa tính được số liệu",
    "The office's configuration has not come yet: no figures",
)
SHOW: Pair = ("Xem báo cáo", "Show")
BACK: Pair = ("← Báo cáo các đơn vị", "← Reports across offices")
GENERATED: Pair = ("Lập lúc", "Made at")
TOTALS_NOTE: Pair = (
    "Số liệu của cụm và toàn tỉnh là tổng các số đếm của các đơn vị; tỷ lệ hài lòng = "
    "tổng (Rất hài lòng + Hài lòng) ÷ tổng số phiếu × 100 (không lấy trung bình các tỷ lệ); "
    "thời gian chờ và phục vụ tính trên mọi lượt của cụm.",
    "Group and province figures add up the offices' counts; satisfaction = total (very "
    "satisfied + satisfied) ÷ total ratings × 100 (never an average of percentages); "
    "waiting and service times are over every visit of the group.",
)
OFFICIAL_SHEET: Pair = ("BĐG", "Table")


def group_name(name: str, lang: str) -> str:
    """A group's name; offices without a group are shown under "Chưa xếp cụm"."""
    return name or pick(NO_GROUP, lang)
