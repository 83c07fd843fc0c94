"""The ticket: what goes on the paper, independent of how it is encoded.

:class:`Ticket` is the data the kiosk fills in; :func:`ticket_blocks` turns it into an
ordered list of blocks (text with a style, the big number, QR, logo, spacing) that the
text and raster renderers both print.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

Align = Literal["left", "center", "right"]


def _nfc_clean(value: str) -> str:
    value = unicodedata.normalize("NFC", value)
    value = "".join(" " if unicodedata.category(c) in ("Cc", "Cf") else c for c in value)
    return " ".join(value.split())


class TicketLabels(BaseModel):
    """Fixed wording on the ticket (Vietnamese by default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    priority: str = "ƯU TIÊN"
    people_ahead: str = "Số người chờ trước"
    estimated_wait: str = "Thời gian chờ dự kiến"
    wait_minutes: str = "khoảng {minutes} phút"
    wait_hours: str = "khoảng {hours} giờ {minutes} phút"
    wait_soon: str = "dưới 1 phút"
    issued_at: str = "Lấy số lúc"
    qr_caption: str = "Quét mã để theo dõi lượt và đánh giá"
    ticket_id: str = "Mã phiếu"

    @field_validator("*", mode="before")
    @classmethod
    def _nfc(cls, value: object) -> object:
        return _nfc_clean(value) if isinstance(value, str) else value


class Ticket(BaseModel):
    """One queue ticket. All text is NFC-normalised; control characters are dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    office_name: str = Field(min_length=1, max_length=120)
    service_name: str = Field(min_length=1, max_length=120)
    #: The queue number, e.g. "A023".
    number: str = Field(min_length=1, max_length=8, pattern=r"^[0-9A-Za-z.\-]+$")
    #: Priority category label (e.g. "Người cao tuổi"), or None.
    priority: str | None = Field(None, max_length=60)
    people_ahead: int = Field(ge=0, le=9999)
    estimated_wait_min: int | None = Field(None, ge=0, le=24 * 60)
    issued_at: AwareDatetime
    timezone: str = "Asia/Ho_Chi_Minh"
    #: Content of the QR code: a link or code to follow the queue and rate the visit.
    qr: str | None = Field(None, min_length=1, max_length=300)
    #: Language-independent ticket identifier, printed small under the QR code.
    ticket_id: str | None = Field(None, min_length=1, max_length=40, pattern=r"^[\x21-\x7e]+$")
    footer: str = Field("Xin chào và xin cảm ơn quý khách!", max_length=120)
    #: Print the logo stored in the printer's NV memory (see ``define-logo``).
    logo: bool = False
    labels: TicketLabels = TicketLabels()

    @field_validator("office_name", "service_name", "priority", "footer", mode="before")
    @classmethod
    def _nfc(cls, value: object) -> object:
        # Before the length checks: decomposed input (NFD) counts as its NFC length.
        return _nfc_clean(value) if isinstance(value, str) else value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def issued_local(self) -> datetime:
        """Issue time in the ticket's time zone."""
        return self.issued_at.astimezone(ZoneInfo(self.timezone))

    def issued_text(self) -> str:
        """``dd/mm/yyyy HH:MM`` in the ticket's time zone."""
        return self.issued_local.strftime("%d/%m/%Y %H:%M")

    def wait_text(self) -> str | None:
        """ "khoảng 12 phút", "khoảng 1 giờ 5 phút", or None when unknown."""
        minutes = self.estimated_wait_min
        if minutes is None:
            return None
        if minutes < 1:
            return self.labels.wait_soon
        if minutes < 60:
            return self.labels.wait_minutes.format(minutes=minutes)
        return self.labels.wait_hours.format(hours=minutes // 60, minutes=minutes % 60)


# ------------------------------------------------------------------------------ blocks


@dataclass(frozen=True)
class TextBlock:
    """A paragraph; renderers wrap it to the paper width."""

    text: str
    style: Literal["normal", "title", "heading", "small", "mark"] = "normal"
    align: Align = "center"


@dataclass(frozen=True)
class NumberBlock:
    """The queue number, as large as the paper allows."""

    text: str


@dataclass(frozen=True)
class QrBlock:
    data: str


@dataclass(frozen=True)
class LogoBlock:
    """The logo stored in the printer (NV graphics)."""


@dataclass(frozen=True)
class SpaceBlock:
    lines: int = 1


Block = TextBlock | NumberBlock | QrBlock | LogoBlock | SpaceBlock


def ticket_blocks(ticket: Ticket) -> list[Block]:
    """The ticket's content, top to bottom."""
    labels = ticket.labels
    blocks: list[Block] = []
    if ticket.logo:
        blocks.append(LogoBlock())
    blocks.append(TextBlock(ticket.office_name, "title"))
    blocks.append(TextBlock(ticket.service_name, "heading"))
    blocks.append(NumberBlock(ticket.number))
    if ticket.priority:
        blocks.append(TextBlock(f"{labels.priority} - {ticket.priority}", "mark"))
    blocks.append(TextBlock(f"{labels.people_ahead}: {ticket.people_ahead}"))
    wait = ticket.wait_text()
    if wait:
        blocks.append(TextBlock(f"{labels.estimated_wait}: {wait}"))
    blocks.append(TextBlock(f"{labels.issued_at}: {ticket.issued_text()}"))
    if ticket.qr:
        blocks.append(SpaceBlock(1))
        blocks.append(QrBlock(ticket.qr))
        blocks.append(TextBlock(labels.qr_caption, "small"))
    if ticket.ticket_id:
        blocks.append(TextBlock(f"{labels.ticket_id}: {ticket.ticket_id}", "small"))
    if ticket.footer:
        blocks.append(TextBlock(ticket.footer, "normal"))
    return blocks


def vietnamese_test_page_blocks(description: str) -> list[Block]:
    """Every Vietnamese letter in both cases with every tone, one vowel per line.

    ``description`` names the profile/mode under test (printed under the title).
    """
    from .encoding import TONE_MARKS, VOWELS

    blocks: list[Block] = [
        TextBlock("TRANG THỬ TIẾNG VIỆT", "heading"),
        TextBlock("Vietnamese test page", "small"),
        TextBlock(description, "small"),
        TextBlock(
            "Mỗi dòng: chữ không dấu, huyền, sắc, hỏi, ngã, nặng. "
            "So với tài liệu: mọi dấu phải đúng chỗ.",
            "small",
            "left",
        ),
        SpaceBlock(),
    ]
    for vowel in VOWELS:
        forms = [unicodedata.normalize("NFC", vowel + t) for t in ("", *TONE_MARKS)]
        lower = " ".join(forms)
        blocks.append(TextBlock(f"{lower} / {lower.upper()}", "normal", "left"))
    blocks.append(TextBlock("đ Đ / d D", "normal", "left"))
    blocks.append(SpaceBlock())
    blocks.append(
        TextBlock(
            "Trăm năm trong cõi người ta, chữ tài chữ mệnh khéo là ghét nhau.", "normal", "left"
        )
    )
    blocks.append(
        TextBlock("ĐỂ ĐƯỢC PHỤC VỤ NHANH, QUÝ KHÁCH VUI LÒNG CHỜ ĐẾN LƯỢT.", "normal", "left")
    )
    blocks.append(NumberBlock("A023"))
    blocks.append(QrBlock("https://motcua.example/test"))
    return blocks
