"""The ``motcua`` command line (typer): the app and where each command comes from.

The commands themselves are in `motcua.commands`, one module per group; this module
only mounts them, in the order ``motcua --help`` lists them.
"""

from __future__ import annotations

from typing import Annotated

import typer

from motcua import __version__, errors, help_format
from motcua.commands import (
    broker,
    db,
    demo,
    device_admin,
    devices,
    hub,
    install,
    report,
    server,
    simulate,
    users,
)

help_format.install()  # no <bool> after the flags in --help

app = typer.Typer(
    help="motcua — lấy số thứ tự và đánh giá sự hài lòng tại Bộ phận một cửa "
    "(queue numbers and satisfaction ratings for one-stop desks).",
    no_args_is_help=True,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"motcua {__version__}")
        raise typer.Exit()


@app.callback()
def _global_options(
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help="Hiện đầy đủ chi tiết lỗi / show the full traceback of an error",
            envvar="MOTCUA_DEBUG",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_print_version,
            is_eager=True,
            help="In phiên bản rồi thoát / print the version and exit",
        ),
    ] = False,
) -> None:
    """Options of every command (before the command's name)."""
    errors.Options.debug = debug


app.add_typer(db.app, name="db")
app.add_typer(broker.app, name="broker-config")
app.add_typer(users.app, name="user")
app.add_typer(device_admin.app, name="device")
app.add_typer(simulate.app, name="simulate")
app.add_typer(install.app, name="install")
app.add_typer(hub.app, name="hub")
app.command("report")(report.report)
app.command("server")(server.server)
app.command("demo")(demo.demo)
app.command("kiosk")(devices.kiosk)
app.command("pad")(devices.pad)


def _mount_optional() -> None:
    """Sub-commands of packages that may not be installed on every machine."""
    try:
        from motcua.commands.printer import app as printer_app
    except ImportError:
        return
    app.add_typer(printer_app, name="printer", help="Máy in phiếu / ticket printer.")


_mount_optional()


def main() -> None:
    errors.run(app)


if __name__ == "__main__":
    main()
