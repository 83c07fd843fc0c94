"""The options shared by the ``motcua printer`` commands: which printer, and how.

``--profile``, ``--mode``, ``--device``… are declared once, in :data:`TARGET_OPTIONS`; a
command asks for the ones it takes with :func:`target_options` and receives them as one
:class:`PrinterTarget`, which turns them into a :class:`~ticket_printer.PrinterProfile`.
Kept apart from the commands (``printer.py``) so each command reads as its own options
and its body.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, cast

import typer

from ticket_printer import PrinterProfile


@dataclass(frozen=True)
class PrinterTarget:
    """Which printer a command talks to and how: the options the commands share."""

    profile_file: Path | None = None
    mode: str | None = None
    paper: int | None = None
    escpos_profile: str | None = None
    chinese: bool | None = None
    device: str | None = None
    baud: int | None = None
    flow: str | None = None
    tcp: str | None = None
    usb: str | None = None
    file: Path | None = None
    write_timeout: float | None = None

    def profile(self, **changes: object) -> PrinterProfile:
        """The profile file (or the defaults) with these options, then ``changes``, applied.

        A bad file or value ends the command with exit code 2 and the reason.
        """
        base = PrinterProfile()
        if self.profile_file is not None:
            try:
                base = PrinterProfile.from_json_file(self.profile_file)
            except ValueError as exc:  # pydantic's ValidationError or bad JSON
                raise fail(
                    "Cấu hình máy in không hợp lệ / invalid printer profile "
                    f"{self.profile_file}:\n{exc}"
                ) from exc
        try:
            return base.with_overrides(
                mode=self.mode,
                paper_mm=self.paper,
                escpos_profile=self.escpos_profile,
                chinese_firmware=self.chinese,
                device=self.device,
                baudrate=self.baud,
                flow_control=self.flow,
                tcp=self.tcp,
                usb=self.usb,
                file=self.file,
                write_timeout_s=self.write_timeout,
                **changes,
            )
        except ValueError as exc:
            raise fail(f"Cấu hình máy in không hợp lệ / invalid printer profile:\n{exc}") from exc


#: Every shared option, by :class:`PrinterTarget` field: its type with the typer option.
TARGET_OPTIONS: dict[str, Any] = {
    "profile_file": Annotated[
        Path | None,
        typer.Option(
            "--profile",
            help="Tệp cấu hình máy in (JSON). / Printer profile file (JSON).",
            exists=True,
            dir_okay=False,
        ),
    ],
    "mode": Annotated[str | None, typer.Option("--mode", help="tcvn3 | cp1258 | raster")],
    "paper": Annotated[
        int | None,
        typer.Option("--paper", help="Khổ giấy 58 hoặc 80 mm. / Paper width, 58 or 80 mm."),
    ],
    "escpos_profile": Annotated[
        str | None,
        typer.Option(
            "--escpos-profile", help="Hồ sơ python-escpos, vd TM-T20II. / python-escpos profile."
        ),
    ],
    "chinese": Annotated[
        bool | None,
        typer.Option(
            "--chinese-firmware/--no-chinese-firmware",
            help="Máy in Trung Quốc: gửi FS . để tắt chế độ Kanji. / Send FS . (leave Kanji mode).",
        ),
    ],
    "device": Annotated[
        str | None,
        typer.Option("--device", help="Cổng nối tiếp, vd /dev/ttyUSB0. / Serial device."),
    ],
    "baud": Annotated[int | None, typer.Option("--baud", help="Tốc độ baud. / Baud rate.")],
    "flow": Annotated[
        str | None,
        typer.Option("--flow", help="Điều khiển luồng: rtscts | xonxoff | none. / Flow control."),
    ],
    "tcp": Annotated[
        str | None,
        typer.Option("--tcp", help="Máy in mạng HOST[:PORT] (mặc định 9100). / Network printer."),
    ],
    "usb": Annotated[
        str | None,
        typer.Option(
            "--usb", help="Máy in USB VID:PID (hex), cần pyusb. / USB printer, needs pyusb."
        ),
    ],
    "file": Annotated[
        Path | None,
        typer.Option(
            "--file", help="Ghi vào tệp hoặc thiết bị, vd /dev/usb/lp0. / File or device node."
        ),
    ],
    "write_timeout": Annotated[
        float | None,
        typer.Option(
            "--write-timeout",
            help="Giây tối đa máy in không nhận dữ liệu. / Write stall timeout, s.",
        ),
    ],
}

#: Option groups, in the order they are listed: how to print, and where to.
FORMAT = ("mode", "paper", "escpos_profile", "chinese")
LINK = ("device", "baud", "flow", "tcp", "usb", "file")

KEYWORD = inspect.Parameter.KEYWORD_ONLY


def target_options(*names: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the shared options ``names`` (and ``--profile``), as one
    :class:`PrinterTarget` in its ``target`` parameter.

    The options are listed where ``target`` stands in the command's signature; typer
    sees an ordinary function with one parameter per option.
    """
    chosen = ("profile_file", *names)

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        hints = typing.get_type_hints(command, include_extras=True)
        params: list[inspect.Parameter] = []
        for param in inspect.signature(command).parameters.values():
            if param.name != "target":
                params.append(param.replace(kind=KEYWORD, annotation=hints[param.name]))
                continue
            params += [
                inspect.Parameter(name, KEYWORD, default=None, annotation=TARGET_OPTIONS[name])
                for name in chosen
            ]

        def run(**options: Any) -> None:
            target = PrinterTarget(**{name: options.pop(name) for name in chosen})
            command(target=target, **options)

        run.__name__, run.__doc__ = command.__name__, command.__doc__
        cast(Any, run).__signature__ = inspect.Signature(params)
        return run

    return decorate


def fail(message: str, code: int = 2) -> typer.Exit:
    """Say ``message`` on stderr; the exit (code 2: bad input) for the caller to raise."""
    typer.echo(message, err=True)
    return typer.Exit(code)
