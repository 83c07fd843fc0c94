"""The ``motcua`` command line (typer): the app and where each command comes from.

The commands themselves are in `motcua.commands`, one module per group; this module
only mounts them, in the order ``motcua --help`` lists them.
"""

from __future__ import annotations

import typer

from motcua.commands import broker, db, demo, devices, report, server, simulate, users

app = typer.Typer(
    help="motcua — lấy số thứ tự và đánh giá sự hài lòng tại Bộ phận một cửa "
    "(queue numbers and satisfaction ratings for one-stop desks).",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(broker.app, name="broker-config")
app.add_typer(users.app, name="user")
app.add_typer(simulate.app, name="simulate")
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
    app()


if __name__ == "__main__":
    main()
