"""The official rating levels and the "4 Xin / 4 Luôn / 5 Không" conduct model.

Wording from the Gia Lộc plan "Xây dựng chính quyền thân thiện 2021–2025" (the seed of
this project). Codes are stable ASCII identifiers stored in the database and sent on the
wire; labels are for screens and reports.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class Level(StrEnum):
    """The three official satisfaction levels every pad scale maps onto."""

    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    DISSATISFIED = "dissatisfied"

    @property
    def positive(self) -> bool:
        return self is not Level.DISSATISFIED


LEVEL_LABELS: dict[Level, tuple[str, str]] = {
    Level.VERY_SATISFIED: ("Rất hài lòng", "Very satisfied"),
    Level.SATISFIED: ("Hài lòng", "Satisfied"),
    Level.DISSATISFIED: ("Không hài lòng", "Dissatisfied"),
}


class RawLevel(StrEnum):
    """A level as pressed on a pad with 3, 4 or 5 faces; stored raw, mapped to `Level`."""

    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    NEUTRAL = "neutral"
    DISSATISFIED = "dissatisfied"
    VERY_DISSATISFIED = "very_dissatisfied"

    @property
    def official(self) -> Level:
        """The official level: SIPAS practice counts only the top two as satisfied."""
        if self is RawLevel.VERY_SATISFIED:
            return Level.VERY_SATISFIED
        if self is RawLevel.SATISFIED:
            return Level.SATISFIED
        return Level.DISSATISFIED


RAW_LEVEL_LABELS: dict[RawLevel, tuple[str, str]] = {
    RawLevel.VERY_SATISFIED: ("Rất hài lòng", "Very satisfied"),
    RawLevel.SATISFIED: ("Hài lòng", "Satisfied"),
    RawLevel.NEUTRAL: ("Bình thường", "Neutral"),
    RawLevel.DISSATISFIED: ("Không hài lòng", "Dissatisfied"),
    RawLevel.VERY_DISSATISFIED: ("Rất không hài lòng", "Very dissatisfied"),
}

#: The levels a pad shows, best first, for each supported scale size.
SCALES: dict[int, tuple[RawLevel, ...]] = {
    3: (RawLevel.VERY_SATISFIED, RawLevel.SATISFIED, RawLevel.DISSATISFIED),
    4: (
        RawLevel.VERY_SATISFIED,
        RawLevel.SATISFIED,
        RawLevel.DISSATISFIED,
        RawLevel.VERY_DISSATISFIED,
    ),
    5: tuple(RawLevel),
}


class Group(StrEnum):
    XIN = "4_xin"
    LUON = "4_luon"
    KHONG = "5_khong"


class ConductItem(NamedTuple):
    code: str
    group: Group
    vi: str
    en: str


CONDUCT_ITEMS: tuple[ConductItem, ...] = (
    ConductItem("xin_chao", Group.XIN, "Xin chào", "Greets you"),
    ConductItem("xin_phep", Group.XIN, "Xin phép", "Asks your permission"),
    ConductItem("xin_loi", Group.XIN, "Xin lỗi", "Apologises"),
    ConductItem("xin_cam_on", Group.XIN, "Xin cảm ơn", "Thanks you"),
    ConductItem("luon_mim_cuoi", Group.LUON, "Luôn mỉm cười", "Always smiles"),
    ConductItem("luon_nhe_nhang", Group.LUON, "Luôn nhẹ nhàng", "Always gentle"),
    ConductItem("luon_lang_nghe", Group.LUON, "Luôn lắng nghe", "Always listens"),
    ConductItem(
        "luon_san_long_giup_do", Group.LUON, "Luôn sẵn lòng giúp đỡ", "Always willing to help"
    ),
    ConductItem(
        "khong_gay_phien_ha",
        Group.KHONG,
        "Gây phiền hà cho tổ chức, công dân",
        "Caused trouble",
    ),
    ConductItem(
        "khong_bo_sung_2_lan",
        Group.KHONG,
        "Yêu cầu bổ sung thủ tục 2 lần",
        "Asked for more documents twice",
    ),
    ConductItem(
        "khong_huong_dan_mieng",
        Group.KHONG,
        "Hướng dẫn miệng, không viết ra giấy",
        "Gave only verbal instructions",
    ),
    ConductItem(
        "khong_phat_sinh_ho_so",
        Group.KHONG,
        "Phát sinh thêm hồ sơ ngoài quy định",
        "Asked for papers beyond the rules",
    ),
    ConductItem("khong_tre_hen", Group.KHONG, "Trả kết quả trễ hẹn", "Returned the result late"),
)

CONDUCT_BY_CODE: dict[str, ConductItem] = {item.code: item for item in CONDUCT_ITEMS}
#: Items a citizen may praise after a positive rating (4 Xin and 4 Luôn).
PRAISE_CODES: frozenset[str] = frozenset(
    i.code for i in CONDUCT_ITEMS if i.group in (Group.XIN, Group.LUON)
)
#: Items a citizen may give as reasons after a negative rating: 5 Không violations and
#: 4 Xin / 4 Luôn items the clerk missed.
REASON_CODES: frozenset[str] = frozenset(CONDUCT_BY_CODE)

#: How a 4 Xin / 4 Luôn item reads when given as a reason (what the clerk missed), on
#: the pad and on the citizen's phone.
MISSED_LABELS: dict[str, tuple[str, str]] = {
    "xin_chao": ("Chưa chào hỏi", "Did not greet you"),
    "xin_phep": ("Chưa xin phép", "Did not ask your permission"),
    "xin_loi": ("Chưa xin lỗi", "Did not apologise"),
    "xin_cam_on": ("Chưa cảm ơn", "Did not thank you"),
    "luon_mim_cuoi": ("Chưa mỉm cười", "Did not smile"),
    "luon_nhe_nhang": ("Chưa nhẹ nhàng", "Was not gentle"),
    "luon_lang_nghe": ("Chưa lắng nghe", "Did not listen"),
    "luon_san_long_giup_do": ("Chưa sẵn lòng giúp đỡ", "Was not willing to help"),
}
