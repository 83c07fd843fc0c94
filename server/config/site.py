"""`SiteConfig`: the whole site YAML, its checks across sections (unique codes, known
desks and services, one pad per desk, the reserve zone) and the lookups the rest of the
server uses (``desk_by_id``, ``tz``, ``target_for`` …).

The sections themselves are in the sibling modules; this one puts them together.
"""

from __future__ import annotations

import difflib
import os
from datetime import date
from functools import cached_property
from typing import Any, Self
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, model_validator

from protocol.config_wording import config_problem, config_problems
from protocol.topics import Topics
from server.config.base import FrozenModel
from server.config.devices import Device
from server.config.hosting import ServerSettings
from server.config.letters import LetterSettings
from server.config.office import (
    CallingPolicy,
    Clerk,
    Desk,
    OfflineSettings,
    Priority,
    Service,
    SiteInfo,
)
from server.config.rating import RatingSettings
from server.config.uplink import HubUplink


class SiteConfig(FrozenModel):
    site: SiteInfo
    server: ServerSettings = ServerSettings()
    services: list[Service] = Field(min_length=1)
    desks: list[Desk] = Field(min_length=1)
    clerks: list[Clerk] = Field(default_factory=list)
    devices: list[Device] = Field(default_factory=list)
    priorities: list[Priority] = Field(default_factory=list)
    calling: CallingPolicy = CallingPolicy()
    rating: RatingSettings = RatingSettings()
    offline: OfflineSettings = OfflineSettings()
    letters: LetterSettings = LetterSettings()
    #: Forward committed facts to a hub of many offices (None: a lone office).
    hub: HubUplink | None = None

    @model_validator(mode="before")
    @classmethod
    def _legacy_targets(cls, data: Any) -> Any:
        """``targets`` at the top level (older site files) means ``rating.targets``."""
        if isinstance(data, dict) and "targets" in data:
            data = dict(data)
            rating = dict(data.get("rating") or {})
            if "targets" in rating:
                raise config_problem(
                    "chỉ ghi mục tiêu một lần, trong rating.targets",
                    "give the targets once, under rating.targets",
                )
            rating["targets"] = data.pop("targets")
            data["rating"] = rating
        return data

    @property
    def targets(self) -> dict[int, float]:
        return self.rating.targets

    @model_validator(mode="after")
    def _cross_references(self) -> Self:
        problems = [
            *_duplicates("services.code", [s.code for s in self.services]),
            *_duplicates("services.prefix", [s.prefix for s in self.services]),
            *_duplicates("desks.id", [d.id for d in self.desks]),
            *_duplicates("desks.number", [str(d.number) for d in self.desks]),
            *_duplicates("clerks.id", [c.id for c in self.clerks]),
            *_duplicates("devices.id", [d.id for d in self.devices]),
            *_duplicates("priorities.code", [p.code for p in self.priorities]),
            *_unknown_services(self),
            *_device_problems(self),
            *_reserve_zone_problems(self),
        ]
        if problems:
            raise config_problems(problems)
        return self

    # ------------------------------------------------------------------ lookups

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.site.timezone)

    @cached_property
    def topics(self) -> Topics:
        return Topics(self.site.code, self.server.broker.prefix)

    @cached_property
    def service_by_code(self) -> dict[str, Service]:
        return {s.code: s for s in self.services}

    @cached_property
    def desk_by_id(self) -> dict[str, Desk]:
        return {d.id: d for d in self.desks}

    @cached_property
    def clerk_by_id(self) -> dict[str, Clerk]:
        return {c.id: c for c in self.clerks}

    @cached_property
    def device_by_id(self) -> dict[str, Device]:
        return {d.id: d for d in self.devices}

    @cached_property
    def priority_codes(self) -> frozenset[str]:
        return frozenset(p.code for p in self.priorities)

    @cached_property
    def pad_of_desk(self) -> dict[str, str]:
        return {d.desk: d.id for d in self.devices if d.kind == "pad" and d.desk}

    @cached_property
    def kiosk_ids(self) -> list[str]:
        """The kiosks, in configuration order."""
        return [d.id for d in self.devices if d.kind == "kiosk"]

    @cached_property
    def reserve_zone(self) -> tuple[int, int]:
        """``(first, last)`` of the reserve numbers (offline kiosks), per service and day;
        empty (``last < first``) without kiosks. Online numbering skips it."""
        first = self.offline.reserve_first
        return first, first + self.offline.block_size * len(self.kiosk_ids) - 1

    def desks_serving(self, service: str) -> list[Desk]:
        return [d for d in self.desks if service in d.services]

    def target_for(self, day: date) -> float | None:
        """The satisfaction target of ``day``'s year: as listed, else ``target_default``
        (or the last listed year's) after the plan; None before it."""
        targets = self.rating.targets
        if day.year in targets:
            return targets[day.year]
        if targets and day.year < min(targets):
            return None
        if self.rating.target_default is not None:
            return self.rating.target_default
        return targets[max(targets)] if targets else None

    def database_url(self) -> str:
        return os.environ.get("MOTCUA_DATABASE_URL") or self.server.database_url

    def server_password(self) -> SecretStr | None:
        value = os.environ.get(self.server.broker.password_env)
        return SecretStr(value) if value else None


# ---------------------------------------------------------------------- cross-checks

#: One problem across sections: the field's path, what is wrong in Vietnamese, in English.
Problem = tuple[str, str, str]


def _duplicates(kind: str, values: list[str]) -> list[Problem]:
    """One problem per value seen before in ``values`` (``kind``: the field's path)."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for v in values:
        if v in seen:
            problems.append((kind, f"{v!r} bị trùng", f"{v!r} appears twice"))
        seen.add(v)
    return problems


def _unknown_services(config: SiteConfig) -> list[Problem]:
    """A desk that serves a service the site does not have."""
    codes = {s.code for s in config.services}
    known = ", ".join(sorted(codes))
    problems: list[Problem] = []
    for desk in config.desks:
        for svc in desk.services:
            if svc in codes:
                continue
            close = difflib.get_close_matches(svc, sorted(codes), n=1)
            guess = close[0] if close else None
            vi_hint = f" — có phải ý bạn là {guess}?" if guess else ""
            en_hint = f" — did you mean {guess}?" if guess else ""
            problems.append(
                (
                    f"desks[{desk.id}].services",
                    f"quầy {desk.id}: lĩnh vực lạ {svc!r}{vi_hint} (có: {known})",
                    f"unknown service {svc!r}{en_hint} (known: {known})",
                )
            )
    return problems


def _device_problems(config: SiteConfig) -> list[Problem]:
    """A device named like the server's broker account; a pad bound to an unknown desk or
    to a desk that already has one."""
    problems: list[Problem] = []
    desk_ids = {d.id for d in config.desks}
    pads: dict[str, str] = {}
    for dev in config.devices:
        where = f"devices[{dev.id}]"
        if dev.id == config.server.broker.username:
            problems.append(
                (
                    f"{where}.id",
                    f"thiết bị {dev.id!r} trùng tên tài khoản MQTT của máy chủ",
                    f"{dev.id!r} is the server's broker username",
                )
            )
        if dev.kind != "pad" or not dev.desk:
            continue
        if dev.desk not in desk_ids:
            problems.append(
                (
                    f"{where}.desk",
                    f"thiết bị {dev.id}: quầy lạ {dev.desk!r}",
                    f"unknown desk {dev.desk!r}",
                )
            )
        elif dev.desk in pads:
            problems.append(
                (
                    f"{where}.desk",
                    f"thiết bị {dev.id}: quầy {dev.desk!r} đã có máy đánh giá {pads[dev.desk]!r}",
                    f"desk {dev.desk!r} already has pad {pads[dev.desk]!r}",
                )
            )
        else:
            pads[dev.desk] = dev.id
    return problems


def _reserve_zone_problems(config: SiteConfig) -> list[Problem]:
    """The offline kiosks' reserve numbers must fit in four digits."""
    offline = config.offline
    kiosks = sum(1 for d in config.devices if d.kind == "kiosk")
    zone_end = offline.reserve_first + offline.block_size * kiosks - 1
    if zone_end <= 9999:
        return []
    zone = f"{offline.reserve_first}…{zone_end} ({kiosks} kiosks × block_size {offline.block_size})"
    return [
        (
            "offline",
            f"dãy số dự phòng {zone} vượt quá 9999; giảm offline.reserve_first hoặc "
            "offline.block_size",
            f"the reserve zone {zone} goes past 9999; lower offline.reserve_first or "
            "offline.block_size",
        )
    ]
