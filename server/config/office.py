"""The office itself: the site, its services (lĩnh vực), desks, clerks and priority
groups, how desks call the next number, and the reserve numbers of offline kiosks.

These are the sections that describe *what* the office does; the devices, the rating
rules, the letters and where the server runs are in their own modules.
"""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from protocol.config_wording import config_problem
from protocol.locale import DEFAULT_TZ
from protocol.numbers import Prefix
from protocol.text import Identifier, ServiceCode, ShortText, Text300
from server.config.base import FrozenModel


class SiteInfo(FrozenModel):
    code: Identifier
    name: ShortText
    name_en: ShortText = ""
    timezone: str = DEFAULT_TZ
    #: Base URL printed in ticket QR codes (follow the queue, rate the visit).
    public_url: Text300 = ""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise config_problem(
                f"múi giờ lạ {v!r} (ví dụ {DEFAULT_TZ})",
                f"unknown time zone {v!r} (e.g. {DEFAULT_TZ})",
            ) from None
        return v


class Service(FrozenModel):
    code: ServiceCode
    prefix: Prefix
    name: ShortText
    name_en: ShortText = ""
    target_wait_minutes: int = Field(default=15, ge=1, le=600)
    #: Used for the ETA until enough real service times are known.
    default_service_minutes: float = Field(default=8, gt=0, le=240)


class Desk(FrozenModel):
    id: Identifier
    number: int = Field(ge=1, le=999)
    name: ShortText
    #: Shown on the English pages (dashboard, reports); empty: the Vietnamese name.
    name_en: ShortText = ""
    services: list[ServiceCode] = Field(min_length=1)


class Clerk(FrozenModel):
    id: Identifier
    name: ShortText


class Priority(FrozenModel):
    code: Identifier
    name: ShortText
    name_en: ShortText = ""


class CallingPolicy(FrozenModel):
    #: ``strict``: priority tickets always first; ``every_n``: one priority call in N.
    policy: Literal["strict", "every_n"] = "strict"
    every_n: int = Field(default=3, ge=2, le=20)
    #: A ticket request older than this is refused (the kiosk has already given up).
    request_ttl_s: int = Field(default=30, ge=5, le=600)
    #: Completed services considered for the rolling median service time.
    median_window: int = Field(default=20, ge=3, le=500)


class OfflineSettings(FrozenModel):
    """Reserve numbers ("số dự phòng") a kiosk may issue on its own while it cannot reach
    the server. Every kiosk gets, per service and per local day, a block of
    ``block_size`` numbers inside the reserve zone
    ``[reserve_first, reserve_first + block_size × kiosks - 1]``; online numbering skips
    the zone, so an offline number never collides with an online one."""

    #: First number of the reserve zone (A500 with the default).
    reserve_first: int = Field(default=500, ge=1, le=9000)
    #: Numbers per kiosk, per service, per day.
    block_size: int = Field(default=30, ge=1, le=500)
