"""The site configuration: one YAML file describing a one-stop desk office.

Validated by pydantic. A wrong file stops start-up with a message naming the file,
the field and the problem (see `load_site_config`).
"""

from __future__ import annotations

import ipaddress
import os
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from protocol.conduct import SCALES, RawLevel
from protocol.text import Identifier, ServiceCode, ShortText, Text300
from protocol.topics import DEFAULT_PREFIX, Topics
from server.passwords import MOSQUITTO_HASH

Prefix = Annotated[str, StringConstraints(pattern=r"^[A-Z]{1,2}$")]
Percent = Annotated[float, Field(ge=0, le=100)]

#: Yearly satisfaction targets of the 2021–2025 plan (Đề án Gia Lộc).
DEFAULT_TARGETS: dict[int, float] = {2021: 85, 2022: 90, 2023: 92, 2024: 95, 2025: 95}


class ConfigError(Exception):
    """A configuration file that cannot be used; the message says where and why."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SiteInfo(_Model):
    code: Identifier
    name: ShortText
    name_en: ShortText = ""
    timezone: str = "Asia/Ho_Chi_Minh"
    #: Base URL printed in ticket QR codes (follow the queue, rate the visit).
    public_url: Text300 = ""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (e.g. Asia/Ho_Chi_Minh)") from None
        return v


class Service(_Model):
    code: ServiceCode
    prefix: Prefix
    name: ShortText
    name_en: ShortText = ""
    target_wait_minutes: int = Field(default=15, ge=1, le=600)
    #: Used for the ETA until enough real service times are known.
    default_service_minutes: float = Field(default=8, gt=0, le=240)


class Desk(_Model):
    id: Identifier
    number: int = Field(ge=1, le=999)
    name: ShortText
    services: list[ServiceCode] = Field(min_length=1)


class Clerk(_Model):
    id: Identifier
    name: ShortText
    photo: Text300 | None = None


class Priority(_Model):
    code: Identifier
    name: ShortText
    name_en: ShortText = ""


DeviceKind = Literal["kiosk", "pad", "board", "monitor"]


class Device(_Model):
    id: Identifier
    kind: DeviceKind
    name: ShortText = ""
    #: For a pad: the desk it is bound to.
    desk: Identifier | None = None
    #: Mosquitto ``$7$`` PBKDF2 hash (``motcua broker-config hash`` makes one).
    password_hash: str

    @field_validator("password_hash")
    @classmethod
    def _mosquitto_hash(cls, v: str) -> str:
        if not MOSQUITTO_HASH.match(v):
            raise ValueError(
                "must be a Mosquitto $7$ hash; make one with `motcua broker-config hash`"
            )
        return v

    @model_validator(mode="after")
    def _pad_has_desk(self) -> Self:
        if self.kind == "pad" and not self.desk:
            raise ValueError("a pad needs `desk`: the desk it is bound to")
        if self.kind != "pad" and self.desk:
            raise ValueError("only a pad is bound to a desk")
        return self


class CallingPolicy(_Model):
    #: ``strict``: priority tickets always first; ``every_n``: one priority call in N.
    policy: Literal["strict", "every_n"] = "strict"
    every_n: int = Field(default=3, ge=2, le=20)
    #: A ticket request older than this is refused (the kiosk has already given up).
    request_ttl_s: int = Field(default=30, ge=5, le=600)
    #: Completed services considered for the rolling median service time.
    median_window: int = Field(default=20, ge=3, le=500)


class SatisfactionAlert(_Model):
    window_minutes: int = Field(default=15, ge=1, le=240)
    min_ratings: int = Field(default=4, ge=1, le=1000)
    unhappy_pct: Percent = 50


class GradeBand(_Model):
    """A grade of the official table ("xếp loại"): satisfaction % ≥ ``min_pct``."""

    min_pct: Percent
    name: ShortText
    name_en: ShortText = ""


#: Grades by satisfaction % (a province may set its own bands in the site YAML).
DEFAULT_GRADES: tuple[GradeBand, ...] = (
    GradeBand(min_pct=95, name="Xuất sắc", name_en="Excellent"),
    GradeBand(min_pct=90, name="Tốt", name_en="Good"),
    GradeBand(min_pct=80, name="Khá", name_en="Fair"),
    GradeBand(min_pct=65, name="Trung bình", name_en="Average"),
    GradeBand(min_pct=0, name="Yếu", name_en="Poor"),
)


class RatingSettings(_Model):
    scale: Literal[3, 4, 5] = 3
    #: A rating is accepted only this long after the service ended.
    window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    #: Pad: presses closer together than this are ignored.
    min_gap_s: float = Field(default=1.0, ge=0, le=10)
    #: Pad: idle time after which a partial answer is sent.
    idle_timeout_s: int = Field(default=30, ge=5, le=600)
    alert: SatisfactionAlert = SatisfactionAlert()
    #: % satisfied to reach, per year (the plan's targets by default) …
    targets: dict[Annotated[int, Field(ge=2000, le=2100)], Percent] = Field(
        default_factory=lambda: dict(DEFAULT_TARGETS)
    )
    #: … and for years after the last one listed (None: the last listed target).
    target_default: Percent | None = None
    #: Grade bands of the official table, by satisfaction % (highest first).
    grades: list[GradeBand] = Field(default_factory=lambda: list(DEFAULT_GRADES), max_length=10)
    #: Reports flag (never hide) a clerk, desk or service with fewer ratings than this.
    small_sample: int = Field(default=30, ge=1, le=10000)

    @property
    def levels(self) -> tuple[RawLevel, ...]:
        return SCALES[self.scale]

    @model_validator(mode="after")
    def _sorted_grades(self) -> Self:
        if self.grades and min(g.min_pct for g in self.grades) > 0:
            raise ValueError("grades: the lowest band must start at min_pct 0")
        object.__setattr__(
            self, "grades", sorted(self.grades, key=lambda g: g.min_pct, reverse=True)
        )
        return self

    def grade_for(self, pct: float | None) -> GradeBand | None:
        """The band a satisfaction % falls in (None without ratings)."""
        if pct is None:
            return None
        return next((g for g in self.grades if pct >= g.min_pct), None)


class OfflineSettings(_Model):
    """Reserve numbers ("số dự phòng") a kiosk may issue on its own while it cannot reach
    the server (issue 4). Every kiosk gets, per service and per local day, a block of
    ``block_size`` numbers inside the reserve zone
    ``[reserve_first, reserve_first + block_size × kiosks - 1]``; online numbering skips
    the zone, so an offline number never collides with an online one."""

    #: First number of the reserve zone (A500 with the default).
    reserve_first: int = Field(default=500, ge=1, le=9000)
    #: Numbers per kiosk, per service, per day.
    block_size: int = Field(default=30, ge=1, le=500)


class LetterSettings(_Model):
    """The office's letters printed from the console (TT 01/2018 Mẫu 04 and a thank-you).

    The wording is the office's to edit; ``{placeholders}`` are filled in: ``office``,
    ``dossier_code``, ``service``, ``reason``, ``new_date`` (dd/mm/yyyy), ``date``."""

    #: Who signs (e.g. "Trưởng Bộ phận Một cửa"); the clerk may change it per letter.
    signer_title: ShortText = "Trưởng Bộ phận Một cửa"
    signer_name: ShortText = ""
    #: The unit above the office, printed at the top left (e.g. "UBND TỈNH HẢI PHÒNG").
    parent_unit: ShortText = ""
    place: ShortText = ""
    apology_body: Annotated[str, StringConstraints(max_length=3000)] = (
        "{office} xin gửi lời xin lỗi tới Quý ông/bà vì hồ sơ mã số {dossier_code} "
        "đã bị giải quyết chậm so với ngày hẹn trả kết quả.\n"
        "Lý do chậm trễ: {reason}\n"
        "Chúng tôi xin hẹn trả kết quả vào ngày {new_date}.\n"
        "Rất mong Quý ông/bà thông cảm và mong tiếp tục nhận được sự hợp tác."
    )
    thanks_body: Annotated[str, StringConstraints(max_length=3000)] = (
        "{office} trân trọng cảm ơn Quý ông/bà đã tin tưởng và đóng góp ý kiến "
        "trong quá trình giải quyết hồ sơ mã số {dossier_code}.\n"
        "{reason}\n"
        "Những ý kiến của Quý ông/bà giúp chúng tôi phục vụ ngày càng tốt hơn."
    )


class HttpSettings(_Model):
    host: str = "0.0.0.0"
    port: int = Field(default=8080, ge=1, le=65535)
    #: Reverse proxies (addresses or networks, e.g. 127.0.0.1, 10.0.0.0/24) whose
    #: X-Forwarded-For / X-Forwarded-Proto are believed. Empty: the headers are ignored,
    #: so a client cannot pick the address the log-in rate limit counts.
    trusted_proxies: list[str] = Field(default_factory=list, max_length=100)

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, v: list[str]) -> list[str]:
        out = []
        for item in v:
            try:
                out.append(str(ipaddress.ip_network(item.strip(), strict=False)))
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an IP address or network (e.g. 127.0.0.1, 10.0.0.0/24)"
                ) from None
        return out


class BrokerPlacement(_Model):
    """Where the server finds its broker."""

    #: ``true``: the server starts and supervises its own Mosquitto (the one-box broker,
    #: files in ``data_dir/broker``); ``false``: connect to a Mosquitto/EMQX run apart.
    embedded: bool = True
    #: Address the one-box broker listens on (the LAN address, or 0.0.0.0).
    bind: str = "0.0.0.0"
    #: The one-box broker's binary (default: ``mosquitto`` on PATH or in /usr/sbin).
    mosquitto: Path | None = None
    #: Where the server connects (the embedded broker or an external Mosquitto/EMQX).
    host: str = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    prefix: str = DEFAULT_PREFIX
    username: Identifier = "server"
    #: Hash of the server's own broker password, for Mosquitto's password file.
    password_hash: str | None = None
    #: The server's own password is read from this environment variable.
    password_env: str = "MOTCUA_MQTT_PASSWORD"
    tls_ca_file: Path | None = None


class ServerSettings(_Model):
    database_url: str = "sqlite:///var/motcua.db"
    http: HttpSettings = HttpSettings()
    broker: BrokerPlacement = BrokerPlacement()
    #: Where devices' retained states are mirrored for the web (and where var/ lives).
    data_dir: Path = Path("var")


class SiteConfig(_Model):
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

    @model_validator(mode="before")
    @classmethod
    def _legacy_targets(cls, data: Any) -> Any:
        """``targets`` at the top level (before issue 12) means ``rating.targets``."""
        if isinstance(data, dict) and "targets" in data:
            data = dict(data)
            rating = dict(data.get("rating") or {})
            if "targets" in rating:
                raise ValueError("give the targets once, under rating.targets")
            rating["targets"] = data.pop("targets")
            data["rating"] = rating
        return data

    @property
    def targets(self) -> dict[int, float]:
        return self.rating.targets

    @model_validator(mode="after")
    def _cross_references(self) -> Self:
        problems: list[str] = []

        def unique(kind: str, values: list[str]) -> None:
            seen: set[str] = set()
            for v in values:
                if v in seen:
                    problems.append(f"{kind}: {v!r} appears twice")
                seen.add(v)

        unique("services.code", [s.code for s in self.services])
        unique("services.prefix", [s.prefix for s in self.services])
        unique("desks.id", [d.id for d in self.desks])
        unique("desks.number", [str(d.number) for d in self.desks])
        unique("clerks.id", [c.id for c in self.clerks])
        unique("devices.id", [d.id for d in self.devices])
        unique("priorities.code", [p.code for p in self.priorities])
        codes = {s.code for s in self.services}
        for i, desk in enumerate(self.desks):
            for j, svc in enumerate(desk.services):
                if svc not in codes:
                    problems.append(
                        f"desks.{i}.services.{j}: unknown service {svc!r} "
                        f"(known: {', '.join(sorted(codes))})"
                    )
        desk_ids = {d.id for d in self.desks}
        pads: dict[str, str] = {}
        for i, dev in enumerate(self.devices):
            if dev.id == self.server.broker.username:
                problems.append(f"devices.{i}.id: {dev.id!r} is the server's broker username")
            if dev.kind == "pad" and dev.desk:
                if dev.desk not in desk_ids:
                    problems.append(f"devices.{i}.desk: unknown desk {dev.desk!r}")
                elif dev.desk in pads:
                    problems.append(
                        f"devices.{i}.desk: desk {dev.desk!r} already has pad {pads[dev.desk]!r}"
                    )
                else:
                    pads[dev.desk] = dev.id
        kiosks = sum(1 for d in self.devices if d.kind == "kiosk")
        zone_end = self.offline.reserve_first + self.offline.block_size * kiosks - 1
        if zone_end > 9999:
            problems.append(
                f"offline: the reserve zone {self.offline.reserve_first}…{zone_end} "
                f"({kiosks} kiosks × block_size {self.offline.block_size}) goes past 9999; "
                "lower offline.reserve_first or offline.block_size"
            )
        if problems:
            raise ValueError("; ".join(problems))
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


def _format_location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def parse_site_config(data: Any, source: str = "<config>") -> SiteConfig:
    try:
        return SiteConfig.model_validate(data)
    except ValidationError as e:
        lines = [f"{source}: invalid site configuration ({e.error_count()} problem(s)):"]
        for err in e.errors():
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"  {source}: {_format_location(err['loc'])}: {msg}")
        raise ConfigError("\n".join(lines)) from None


def load_site_config(path: str | Path) -> SiteConfig:
    """Read and validate a site YAML; `ConfigError` names the file, field and problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text (byte {e.start})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        raise ConfigError(f"{path}: {where}YAML syntax error: {problem}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return parse_site_config(data, str(path))
