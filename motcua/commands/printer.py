"""``motcua printer …``: render, test-page, status, emulate, define-logo.

The command line of the ``ticket_printer`` library, which has none of its own (DESIGN:
one CLI; the library does not depend on typer). Mounted by the main CLI as
``motcua printer``; also runs alone as ``python -m motcua.commands.printer``.

The options that say which printer to use and how (``--profile``, ``--mode``,
``--device``…) are declared once, in ``printer_options.py``; each command here declares
only its own and receives those as one :class:`PrinterTarget`.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from PIL import Image
from pydantic import ValidationError

from motcua.commands.printer_hints import offline_lines
from motcua.commands.printer_options import FORMAT, LINK, PrinterTarget, fail, target_options
from ticket_printer import Printer, PrinterError, PrinterStatus, Ticket
from ticket_printer.emulator import (
    EmulatedTicket,
    EmulatorError,
    EmulatorMode,
    VirtualPrinter,
    choose_backend,
    serve_forever,
)
from ticket_printer.escpos.decoder import decode_for_profile
from ticket_printer.preview import save_job_png
from ticket_printer.render import (
    prepare_logo,
    render_logo_definition,
    render_test_page,
    render_ticket,
)

app = typer.Typer(
    name="printer",
    help="Máy in vé ESC/POS tiếng Việt. / Vietnamese ESC/POS ticket printer.",
    no_args_is_help=True,
    add_completion=False,
)

#: The time zone of a ticket rendered without ``--at`` (the library's default too).
TZ = "Asia/Ho_Chi_Minh"


def _echo(message: str) -> None:
    typer.echo(message)


def _say(message: str) -> None:
    """A line for someone watching the console: shown at once, even through a pipe."""
    typer.echo(message)
    sys.stdout.flush()


def _wire(size: int) -> str:
    return (
        f"{size} byte; {size * 10 / 9600:.2f} s @ 9600 baud, "
        f"{size * 10 / 115200:.3f} s @ 115200 baud"
    )


# ----------------------------------------------------------------------- commands
@app.command("render")
@target_options(*FORMAT)
def render_cmd(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Ảnh PNG của vé. / PNG of the ticket.")
    ] = Path("ticket.png"),
    raw: Annotated[
        Path | None,
        typer.Option(
            "--raw", help="Ghi đúng các byte ESC/POS vào tệp. / Write the exact ESC/POS bytes."
        ),
    ] = None,
    office: Annotated[
        str, typer.Option(help="Tên cơ quan. / Office name.")
    ] = "Bộ phận Một cửa UBND xã Gia Lộc",
    service: Annotated[
        str, typer.Option(help="Tên dịch vụ. / Service name.")
    ] = "Tư pháp – Hộ tịch",
    number: Annotated[str, typer.Option(help="Số thứ tự. / Queue number.")] = "A023",
    priority: Annotated[
        str | None, typer.Option(help="Đối tượng ưu tiên. / Priority category.")
    ] = "Người cao tuổi",
    ahead: Annotated[int, typer.Option(help="Số người chờ trước. / People ahead.")] = 4,
    wait: Annotated[
        int | None, typer.Option(help="Thời gian chờ dự kiến (phút). / Estimated wait, minutes.")
    ] = 12,
    qr: Annotated[
        str | None, typer.Option(help="Nội dung mã QR. / QR content.")
    ] = "https://motcua.example/t/A023-7F3A9C",
    ticket_id: Annotated[
        str | None, typer.Option("--ticket-id", help="Mã phiếu. / Ticket id.")
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(help="Thời điểm lấy số, ISO 8601 (mặc định: bây giờ). / Issue time."),
    ] = None,
    logo_image: Annotated[
        Path | None,
        typer.Option(
            "--logo-image",
            exists=True,
            dir_okay=False,
            help="In logo NV; ảnh chỉ dùng để vẽ PNG. / Print the NV logo; image for the PNG.",
        ),
    ] = None,
    *,
    target: PrinterTarget,
) -> None:
    """Vẽ một vé ra PNG (và byte ESC/POS với --raw). / Render a ticket to PNG (and bytes)."""
    profile = target.profile()
    tz = ZoneInfo(TZ)
    issued = datetime.fromisoformat(at) if at else datetime.now(tz)
    if issued.tzinfo is None:
        issued = issued.replace(tzinfo=tz)
    try:
        ticket = Ticket(
            office_name=office,
            service_name=service,
            number=number,
            priority=priority or None,
            people_ahead=ahead,
            estimated_wait_min=wait,
            issued_at=issued,
            qr=qr or None,
            ticket_id=ticket_id,
            logo=logo_image is not None,
        )
    except ValidationError as exc:
        raise fail(f"Vé không hợp lệ / invalid ticket:\n{exc}") from exc
    data = render_ticket(ticket, profile)
    nv: dict[str, Image.Image] = {}
    if logo_image is not None:
        nv[profile.logo_key] = prepare_logo(Image.open(logo_image), profile.dots)
    save_job_png(decode_for_profile(data, profile), output, profile.dots, nv)
    _echo(f"PNG: {output}")
    if raw is not None:
        raw.write_bytes(data)
        _echo(f"ESC/POS: {raw}")
    _echo(f"mode={profile.mode} {profile.paper_mm}mm: {_wire(len(data))}")


@app.command("test-page")
@target_options(*FORMAT, *LINK, "write_timeout")
def test_page_cmd(
    raw: Annotated[
        Path | None,
        typer.Option(
            "--raw", help="Chỉ ghi byte ESC/POS ra tệp. / Only write the bytes to a file."
        ),
    ] = None,
    png: Annotated[
        Path | None,
        typer.Option("--png", help="Chỉ vẽ trang thử ra PNG. / Only render the page to PNG."),
    ] = None,
    probe_pages: Annotated[
        str | None,
        typer.Option(
            "--probe-pages",
            help="In thêm byte A0–FF của các trang mã này, vd 27,30,31,35,94, để tìm trang tiếng "
            "Việt của máy in. / Also print bytes A0–FF of these ESC t pages.",
        ),
    ] = None,
    *,
    target: PrinterTarget,
) -> None:
    """In trang thử: mọi chữ tiếng Việt, hai kiểu chữ, đủ dấu. / Print the Vietnamese test page.

    So từng dòng trên giấy với tài liệu docs/printing.md: nếu có chữ sai dấu, thử chế độ
    hoặc trang mã khác. / Compare each printed line with docs/printing.md.
    """
    profile = target.profile()
    try:
        pages = tuple(int(p) for p in probe_pages.split(",")) if probe_pages else ()
        if not all(0 <= p <= 255 for p in pages):
            raise ValueError
    except ValueError as exc:
        raise fail(
            "--probe-pages: số 0..255, cách nhau bằng dấu phẩy / numbers 0..255, comma separated"
        ) from exc
    data = render_test_page(profile, pages)
    if raw is None and png is None:
        with Printer(profile) as printer:
            try:
                report = printer.print_job(data)
            except PrinterError as exc:
                raise fail(f"Không in được / not printed: {exc} [{exc.status}]") from exc
        _echo(f"Đã in trang thử / test page printed: {_wire(report.bytes_sent)}")
        return
    if raw is not None:
        raw.write_bytes(data)
        _echo(f"ESC/POS: {raw} ({_wire(len(data))})")
    if png is not None:
        save_job_png(decode_for_profile(data, profile), png, profile.dots)
        _echo(f"PNG: {png}")


@app.command("status")
@target_options(*LINK)
def status_cmd(
    *,
    target: PrinterTarget,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", help="Chờ trả lời bao lâu (giây). / Answer timeout, s."),
    ] = None,
) -> None:
    """Hỏi trạng thái máy in (DLE EOT). / Query the printer status.

    Mã thoát / exit code: 0 sẵn sàng hoặc sắp hết giấy, 1 lỗi (hết giấy, mở nắp,
    không trả lời). / 0 ok or paper near end, 1 otherwise.
    """
    profile = target.profile(status_timeout_s=timeout)
    with Printer(profile) as printer:
        status = printer.check_status()
    _echo(f"{status.value}: {status.label_vi}")
    if status is PrinterStatus.OFFLINE:
        for line in offline_lines(profile, printer.last_fault):
            _echo(line)
    raise typer.Exit(0 if status.printable else 1)


@app.command("emulate")
@target_options("paper")
def emulate_cmd(
    out: Annotated[
        Path,
        typer.Option("--out", help="Thư mục lưu vé (PNG, TXT, BIN). / Where tickets are saved."),
    ] = Path("var/printer"),
    link_dir: Annotated[
        Path | None,
        typer.Option(
            "--link-dir", help="Thư mục chứa cổng ảo 'kiosk'. / Directory of the 'kiosk' port link."
        ),
    ] = None,
    backend: Annotated[
        str,
        typer.Option(
            "--backend", help="auto (socat nếu có, không thì openpty) | socat | openpty | tcp"
        ),
    ] = "auto",
    tcp_port: Annotated[int, typer.Option("--tcp-port", help="Cổng TCP (backend tcp).")] = 9100,
    start_mode: Annotated[
        str,
        typer.Option(
            "--mode", help="Trạng thái ban đầu. / Initial mode: " + " | ".join(EmulatorMode)
        ),
    ] = "ok",
    slow_bps: Annotated[
        int,
        typer.Option(
            "--slow-bps", help="Tốc độ đọc ở chế độ slow (byte/s). / Bytes per second in slow."
        ),
    ] = 960,
    *,
    target: PrinterTarget,
) -> None:
    """Chạy máy in ảo trên cổng nối tiếp ảo. / Run the virtual printer on a virtual port.

    Gõ tên trạng thái rồi Enter để chuyển / type a mode and Enter to switch: ok,
    paper_near_end, paper_out, cover_open, silent, stalled, slow; quit để thoát.
    """
    profile = target.profile()
    if link_dir is None and backend != "tcp":
        link_dir = Path(tempfile.gettempdir()) / "motcua-printer"

    def announce(ticket: EmulatedTicket) -> None:
        big = [ln.text for ln in ticket.job.lines if ln.height > 1 and ln.text.strip()]
        label = big[-1].strip() if big else f"{len(ticket.raw)} byte"
        _echo(f"Vé #{ticket.index}: {label} -> {ticket.png_path}")

    try:
        vp = VirtualPrinter(
            out,
            profile=profile,
            mode=start_mode,
            backend=choose_backend(backend),
            link_dir=link_dir,
            tcp_port=tcp_port,
            slow_bps=slow_bps,
            on_ticket=announce,
        ).start()
    except (EmulatorError, ValueError, OSError) as exc:
        raise fail(f"Không chạy được máy in ảo / cannot start: {exc}") from exc
    _echo("Máy in ảo đang chạy / virtual printer running")
    _echo(f"Cổng cho kiosk / port for the kiosk: {vp.device_path}")
    _echo(f"Vé lưu tại / tickets saved in: {out}")
    _say("Lệnh / commands: " + ", ".join(EmulatorMode) + ", quit")
    serve_forever(vp, sys.stdin, _say)


@app.command("define-logo")
@target_options("paper", *LINK, "write_timeout")
def define_logo_cmd(
    image: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="Ảnh logo (PNG…). / Logo image.")
    ],
    key: Annotated[
        str | None, typer.Option("--key", help="Mã khoá NV 2 ký tự (mặc định LG). / NV key code.")
    ] = None,
    raw: Annotated[
        Path | None,
        typer.Option("--raw", help="Chỉ ghi byte ra tệp. / Only write the bytes to a file."),
    ] = None,
    preview: Annotated[
        Path | None,
        typer.Option(
            "--preview", help="Lưu ảnh 1-bit sẽ được lưu vào máy in. / Save the 1-bit image."
        ),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Xác nhận ghi bộ nhớ NV. / Confirm the NV memory write.")
    ] = False,
    *,
    target: PrinterTarget,
) -> None:
    """Lưu logo vào bộ nhớ NV của máy in (chỉ khi lắp đặt hoặc đổi logo).

    Store the logo in the printer's NV memory, once at installation or when it changes:
    NV memory allows about ten writes a day. Tickets then print it with 11 bytes.
    """
    profile = target.profile(logo_key=key)
    source = Image.open(image)
    data = render_logo_definition(source, profile)
    if preview is not None:
        prepare_logo(source, profile.dots).save(preview)
        _echo(f"PNG: {preview}")
    if raw is not None:
        raw.write_bytes(data)
        _echo(f"ESC/POS: {raw} ({len(data)} byte, key {profile.logo_key!r})")
        return
    if not yes:
        raise fail("Thêm --yes để ghi vào bộ nhớ NV của máy in. / Add --yes to write NV memory.")
    with Printer(profile) as printer:
        try:
            printer.print_job(data)
        except PrinterError as exc:
            raise fail(f"Không ghi được logo / logo not stored: {exc}") from exc
    _echo(f"Đã lưu logo {profile.logo_key!r} ({len(data)} byte).")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
