"""Printer profile: what the kiosk's YAML config embeds under its printer section.

Example (YAML in the kiosk config, or JSON for ``motcua printer --profile``)::

    escpos_profile: TM-T20II
    paper_mm: 80
    mode: tcvn3            # tcvn3 | cp1258 | raster
    transport:
      kind: serial
      device: /dev/ttyUSB0
      baudrate: 115200
      flow_control: rtscts
      write_timeout_s: 3
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from escpos.capabilities import CAPABILITIES, BaseProfile, get_profile
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Mode = Literal["tcvn3", "cp1258", "raster"]

#: Printable width in dots when the python-escpos profile does not say (203 dpi heads).
DEFAULT_WIDTH_DOTS = {80: 576, 58: 384}
#: Width of one Font A character in dots.
FONT_A_WIDTH = 12


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SerialSettings(_Settings):
    """RS-232 or USB-serial adapter (``/dev/ttyUSB0``, ``/dev/ttyS0``, ``COM3``)."""

    kind: Literal["serial"] = "serial"
    device: str = "/dev/ttyUSB0"
    baudrate: Literal[9600, 19200, 38400, 57600, 115200] = 115200
    #: On Linux pyserial ignores DSR/DTR flow control; only these work.
    flow_control: Literal["rtscts", "xonxoff", "none"] = "rtscts"
    #: Longest time the printer may accept no data before the print fails.
    write_timeout_s: float = Field(3.0, gt=0, le=60)


class TcpSettings(_Settings):
    """Network printer, raw port (usually 9100)."""

    kind: Literal["tcp"] = "tcp"
    host: str
    port: int = Field(9100, ge=1, le=65535)
    connect_timeout_s: float = Field(3.0, gt=0, le=60)
    write_timeout_s: float = Field(3.0, gt=0, le=60)


class UsbSettings(_Settings):
    """USB printer class device through pyusb (optional dependency)."""

    kind: Literal["usb"] = "usb"
    vendor_id: int = Field(ge=0, le=0xFFFF)
    product_id: int = Field(ge=0, le=0xFFFF)
    interface: int = Field(0, ge=0)
    out_endpoint: int | None = None
    in_endpoint: int | None = None
    write_timeout_s: float = Field(3.0, gt=0, le=60)

    @field_validator("vendor_id", "product_id", mode="before")
    @classmethod
    def _hex(cls, value: object) -> object:
        if isinstance(value, str):
            return int(value, 16)
        return value


class FileSettings(_Settings):
    """A file or a device node such as ``/dev/usb/lp0`` (Linux usblp)."""

    kind: Literal["file"] = "file"
    path: Path
    write_timeout_s: float = Field(3.0, gt=0, le=60)


TransportSettings = Annotated[
    SerialSettings | TcpSettings | UsbSettings | FileSettings, Field(discriminator="kind")
]


class PrinterProfile(BaseModel):
    """How to talk to one printer and how to print Vietnamese on it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: python-escpos capability profile (fonts, media width, features), e.g. ``TM-T20II``.
    escpos_profile: str = "TM-T20II"
    paper_mm: Literal[58, 80] = 80
    #: Printable width in dots; default from the escpos profile (80 mm) or 576/384.
    width_dots: int | None = Field(None, ge=128, le=832)
    mode: Mode = "tcvn3"
    #: ``ESC t`` pages holding TCVN-3 lowercase (+ ă â ê ô ơ ư đ) and TCVN-3 capitals.
    tcvn_pages: tuple[int, int] = (30, 31)
    #: ``ESC t`` page of WPC1258 (52 on Epson, 35 on Rongta, check the self-test).
    cp1258_page: int = Field(52, ge=0, le=255)
    #: Send ``FS .`` after every init: Chinese firmware starts in Kanji mode.
    chinese_firmware: bool = False
    #: raster mode only: ``lines`` draws only the lines that need it, ``full`` the whole ticket.
    raster_scope: Literal["lines", "full"] = "lines"
    cut: Literal["full", "partial", "none"] = "partial"
    #: Extra feed before the cut, in motion units (``GS V 65/66 n``).
    cut_feed: int = Field(3, ge=0, le=255)
    qr_module_size: int = Field(6, ge=1, le=16)
    qr_error_correction: Literal["L", "M", "Q", "H"] = "M"
    #: NV graphics key code of the logo (two printable ASCII characters).
    logo_key: str = Field("LG", pattern=r"^[\x20-\x7e]{2}$")
    #: Time to wait for one status byte.
    status_timeout_s: float = Field(0.5, gt=0, le=10)
    #: When False, a printer that never answers ``DLE EOT`` is printed to anyway.
    require_status_reply: bool = True
    transport: TransportSettings = SerialSettings()

    @field_validator("escpos_profile")
    @classmethod
    def _known_profile(cls, value: str) -> str:
        if value not in CAPABILITIES["profiles"]:
            known = ", ".join(sorted(CAPABILITIES["profiles"]))
            raise ValueError(f"unknown python-escpos profile {value!r}; known: {known}")
        return value

    @field_validator("tcvn_pages")
    @classmethod
    def _pages(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not all(0 <= p <= 255 for p in value) or value[0] == value[1]:
            raise ValueError("tcvn_pages must be two different page numbers 0..255")
        return value

    @model_validator(mode="after")
    def _fits(self) -> PrinterProfile:
        if self.width_dots is not None and self.width_dots % 8:
            raise ValueError("width_dots must be a multiple of 8")
        return self

    @cached_property
    def escpos(self) -> BaseProfile:
        """The python-escpos capability profile object."""
        return get_profile(self.escpos_profile)

    @property
    def dots(self) -> int:
        """Printable width in dots."""
        if self.width_dots is not None:
            return self.width_dots
        if self.paper_mm == 80:
            pixels = self.escpos.profile_data.get("media", {}).get("width", {}).get("pixels")
            if isinstance(pixels, int) and 384 < pixels <= 640:
                return pixels - pixels % 8
        return DEFAULT_WIDTH_DOTS[self.paper_mm]

    @property
    def columns(self) -> int:
        """Font A characters per line."""
        return self.dots // FONT_A_WIDTH

    @property
    def allowed_pages(self) -> frozenset[int]:
        """The only ``ESC t`` values a ticket in this mode may contain."""
        if self.mode == "tcvn3":
            return frozenset(self.tcvn_pages)
        if self.mode == "cp1258":
            return frozenset({self.cp1258_page})
        return frozenset()

    @property
    def baudrate(self) -> int | None:
        """Line speed for wire-time estimates (serial only)."""
        return self.transport.baudrate if isinstance(self.transport, SerialSettings) else None

    @classmethod
    def from_json_file(cls, path: str | Path) -> PrinterProfile:
        """Load a profile saved as JSON (the kiosk embeds the same fields in its YAML)."""
        return cls.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))

    def with_overrides(
        self,
        *,
        device: str | None = None,
        baudrate: int | None = None,
        flow_control: str | None = None,
        tcp: str | None = None,
        usb: str | None = None,
        file: str | Path | None = None,
        write_timeout_s: float | None = None,
        **fields: object,
    ) -> PrinterProfile:
        """A validated copy with what a command line gives on top of a profile file.

        ``fields`` replace profile fields (``mode=``, ``paper_mm=``, ``logo_key=``…). The
        link options choose the transport, the first given winning: ``device``,
        ``baudrate`` or ``flow_control`` a serial port (keeping the profile's serial
        settings), ``tcp`` ``HOST[:PORT]`` (port 9100 by default), ``usb`` ``VID:PID`` in
        hex, ``file`` a file or device node; ``write_timeout_s`` applies to whichever
        link results. ``None`` keeps a value. Raises ``ValueError`` (pydantic's
        ``ValidationError`` among them) for a bad value: unlike ``model_copy``, every
        value is validated.
        """
        data = self.model_dump()
        data.update({key: value for key, value in fields.items() if value is not None})
        transport: dict[str, object] = dict(data["transport"])
        serial = {"device": device, "baudrate": baudrate, "flow_control": flow_control}
        if any(value is not None for value in serial.values()):
            if transport.get("kind") != "serial":
                transport = {"kind": "serial"}
            transport.update({key: value for key, value in serial.items() if value is not None})
        elif tcp is not None:
            host, _, port = tcp.partition(":")
            transport = {"kind": "tcp", "host": host, "port": int(port or 9100)}
        elif usb is not None:
            vid, _, pid = usb.partition(":")
            transport = {"kind": "usb", "vendor_id": vid, "product_id": pid}
        elif file is not None:
            transport = {"kind": "file", "path": str(file)}
        if write_timeout_s is not None:
            transport["write_timeout_s"] = write_timeout_s
        data["transport"] = transport
        return PrinterProfile.model_validate(data)
