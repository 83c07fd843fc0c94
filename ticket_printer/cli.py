"""``motcua printer …``: render, test-page, status, emulate, define-logo.

Mounted by the main CLI as ``motcua printer``; also runs alone as
``python -m ticket_printer.cli``.
"""

from __future__ import annotations

import signal
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from PIL import Image
from pydantic import ValidationError

from .decode import decode_for_profile
from .emulator import EmulatedTicket, EmulatorError, EmulatorMode, VirtualPrinter
from .errors import PrinterError
from .layout import Ticket
from .preview import save_job_png
from .printer import Printer
from .profile import FileSettings, PrinterProfile, SerialSettings, TcpSettings, UsbSettings
from .render import prepare_logo, render_logo_definition, render_test_page, render_ticket

app = typer.Typer(
    name="printer",
    help="Máy in vé ESC/POS tiếng Việt. / Vietnamese ESC/POS ticket printer.",
    no_args_is_help=True,
    add_completion=False,
)

# ------------------------------------------------------------------ shared options
ProfileFile = Annotated[
    Path | None,
    typer.Option(
        "--profile",
        help="Tệp cấu hình máy in (JSON). / Printer profile file (JSON).",
        exists=True,
        dir_okay=False,
    ),
]
ModeOpt = Annotated[str | None, typer.Option("--mode", help="tcvn3 | cp1258 | raster")]
PaperOpt = Annotated[
    int | None, typer.Option("--paper", help="Khổ giấy 58 hoặc 80 mm. / Paper width, 58 or 80 mm.")
]
EscposOpt = Annotated[
    str | None,
    typer.Option(
        "--escpos-profile", help="Hồ sơ python-escpos, vd TM-T20II. / python-escpos profile."
    ),
]
ChineseOpt = Annotated[
    bool | None,
    typer.Option(
        "--chinese-firmware/--no-chinese-firmware",
        help="Máy in Trung Quốc: gửi FS . để tắt chế độ Kanji. / Send FS . (leave Kanji mode).",
    ),
]
DeviceOpt = Annotated[
    str | None, typer.Option("--device", help="Cổng nối tiếp, vd /dev/ttyUSB0. / Serial device.")
]
BaudOpt = Annotated[int | None, typer.Option("--baud", help="Tốc độ baud. / Baud rate.")]
FlowOpt = Annotated[
    str | None,
    typer.Option("--flow", help="Điều khiển luồng: rtscts | xonxoff | none. / Flow control."),
]
TcpOpt = Annotated[
    str | None,
    typer.Option("--tcp", help="Máy in mạng HOST[:PORT] (mặc định 9100). / Network printer."),
]
UsbOpt = Annotated[
    str | None,
    typer.Option("--usb", help="Máy in USB VID:PID (hex), cần pyusb. / USB printer, needs pyusb."),
]
FileOpt = Annotated[
    Path | None,
    typer.Option(
        "--file", help="Ghi vào tệp hoặc thiết bị, vd /dev/usb/lp0. / File or device node."
    ),
]
TimeoutOpt = Annotated[
    float | None,
    typer.Option(
        "--write-timeout", help="Giây tối đa máy in không nhận dữ liệu. / Write stall timeout, s."
    ),
]


def _echo(message: str) -> None:
    typer.echo(message)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def build_profile(
    profile_file: Path | None = None,
    *,
    mode: str | None = None,
    paper: int | None = None,
    escpos_profile: str | None = None,
    chinese: bool | None = None,
    device: str | None = None,
    baud: int | None = None,
    flow: str | None = None,
    tcp: str | None = None,
    usb: str | None = None,
    file: Path | None = None,
    write_timeout: float | None = None,
) -> PrinterProfile:
    """A profile from a JSON file (or defaults) with command-line overrides."""
    data: dict = {}
    if profile_file is not None:
        try:
            data = PrinterProfile.from_json_file(profile_file).model_dump()
        except (ValidationError, ValueError) as exc:
            raise _fail(
                f"Cấu hình máy in không hợp lệ / invalid printer profile {profile_file}:\n{exc}"
            ) from exc
    for key, value in (
        ("mode", mode),
        ("paper_mm", paper),
        ("escpos_profile", escpos_profile),
        ("chinese_firmware", chinese),
    ):
        if value is not None:
            data[key] = value
    transport = dict(data.get("transport") or {})
    if device is not None or baud is not None or flow is not None:
        if transport.get("kind") != "serial":
            transport = {"kind": "serial"}
        for key, value in (("device", device), ("baudrate", baud), ("flow_control", flow)):
            if value is not None:
                transport[key] = value
    elif tcp is not None:
        host, _, port = tcp.partition(":")
        transport = {"kind": "tcp", "host": host, "port": int(port or 9100)}
    elif usb is not None:
        vid, _, pid = usb.partition(":")
        transport = {"kind": "usb", "vendor_id": vid, "product_id": pid}
    elif file is not None:
        transport = {"kind": "file", "path": str(file)}
    if write_timeout is not None:
        transport["write_timeout_s"] = write_timeout
    if transport:
        kind = transport.get("kind", "serial")
        model = {
            "serial": SerialSettings,
            "tcp": TcpSettings,
            "usb": UsbSettings,
            "file": FileSettings,
        }[kind]
        data["transport"] = model.model_validate(transport)
    try:
        return PrinterProfile.model_validate(data)
    except ValidationError as exc:
        raise _fail(f"Cấu hình máy in không hợp lệ / invalid printer profile:\n{exc}") from exc


def _updated(profile: PrinterProfile, **changes: object) -> PrinterProfile:
    """A validated copy (``model_copy`` would skip validation)."""
    try:
        return PrinterProfile.model_validate({**profile.model_dump(), **changes})
    except ValidationError as exc:
        raise _fail(f"Cấu hình máy in không hợp lệ / invalid printer profile:\n{exc}") from exc


def _wire(size: int) -> str:
    return (
        f"{size} byte; {size * 10 / 9600:.2f} s @ 9600 baud, "
        f"{size * 10 / 115200:.3f} s @ 115200 baud"
    )


# ----------------------------------------------------------------------- commands
@app.command("render")
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
    profile_file: ProfileFile = None,
    mode: ModeOpt = None,
    paper: PaperOpt = None,
    escpos_profile: EscposOpt = None,
    chinese: ChineseOpt = None,
) -> None:
    """Vẽ một vé ra PNG (và byte ESC/POS với --raw). / Render a ticket to PNG (and bytes)."""
    profile = build_profile(
        profile_file, mode=mode, paper=paper, escpos_profile=escpos_profile, chinese=chinese
    )
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
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
        raise _fail(f"Vé không hợp lệ / invalid ticket:\n{exc}") from exc
    data = render_ticket(ticket, profile)
    nv = {}
    if logo_image is not None:
        nv[profile.logo_key] = prepare_logo(Image.open(logo_image), profile.dots)
    save_job_png(decode_for_profile(data, profile), output, profile.dots, nv)
    _echo(f"PNG: {output}")
    if raw is not None:
        raw.write_bytes(data)
        _echo(f"ESC/POS: {raw}")
    _echo(f"mode={profile.mode} {profile.paper_mm}mm: {_wire(len(data))}")


@app.command("test-page")
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
    profile_file: ProfileFile = None,
    mode: ModeOpt = None,
    paper: PaperOpt = None,
    escpos_profile: EscposOpt = None,
    chinese: ChineseOpt = None,
    device: DeviceOpt = None,
    baud: BaudOpt = None,
    flow: FlowOpt = None,
    tcp: TcpOpt = None,
    usb: UsbOpt = None,
    file: FileOpt = None,
    write_timeout: TimeoutOpt = None,
) -> None:
    """In trang thử: mọi chữ tiếng Việt, hai kiểu chữ, đủ dấu. / Print the Vietnamese test page.

    So từng dòng trên giấy với tài liệu docs/printing.md: nếu có chữ sai dấu, thử chế độ
    hoặc trang mã khác. / Compare each printed line with docs/printing.md.
    """
    profile = build_profile(
        profile_file,
        mode=mode,
        paper=paper,
        escpos_profile=escpos_profile,
        chinese=chinese,
        device=device,
        baud=baud,
        flow=flow,
        tcp=tcp,
        usb=usb,
        file=file,
        write_timeout=write_timeout,
    )
    try:
        pages = tuple(int(p) for p in probe_pages.split(",")) if probe_pages else ()
        if not all(0 <= p <= 255 for p in pages):
            raise ValueError
    except ValueError as exc:
        raise _fail(
            "--probe-pages: số 0..255, cách nhau bằng dấu phẩy / numbers 0..255, comma separated"
        ) from exc
    data = render_test_page(profile, pages)
    if raw is None and png is None:
        with Printer(profile) as printer:
            try:
                report = printer.print_job(data)
            except PrinterError as exc:
                raise _fail(f"Không in được / not printed: {exc} [{exc.status}]") from exc
        _echo(f"Đã in trang thử / test page printed: {_wire(report.bytes_sent)}")
        return
    if raw is not None:
        raw.write_bytes(data)
        _echo(f"ESC/POS: {raw} ({_wire(len(data))})")
    if png is not None:
        save_job_png(decode_for_profile(data, profile), png, profile.dots)
        _echo(f"PNG: {png}")


@app.command("status")
def status_cmd(
    profile_file: ProfileFile = None,
    device: DeviceOpt = None,
    baud: BaudOpt = None,
    flow: FlowOpt = None,
    tcp: TcpOpt = None,
    usb: UsbOpt = None,
    file: FileOpt = None,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", help="Chờ trả lời bao lâu (giây). / Answer timeout, s."),
    ] = None,
) -> None:
    """Hỏi trạng thái máy in (DLE EOT). / Query the printer status.

    Mã thoát / exit code: 0 sẵn sàng hoặc sắp hết giấy, 1 lỗi (hết giấy, mở nắp,
    không trả lời). / 0 ok or paper near end, 1 otherwise.
    """
    profile = build_profile(
        profile_file, device=device, baud=baud, flow=flow, tcp=tcp, usb=usb, file=file
    )
    if timeout is not None:
        profile = _updated(profile, status_timeout_s=timeout)
    with Printer(profile) as printer:
        status = printer.check_status()
    _echo(f"{status.value}: {status.label_vi}")
    raise typer.Exit(0 if status.printable else 1)


@app.command("emulate")
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
    profile_file: ProfileFile = None,
    paper: PaperOpt = None,
) -> None:
    """Chạy máy in ảo trên cổng nối tiếp ảo. / Run the virtual printer on a virtual port.

    Gõ tên trạng thái rồi Enter để chuyển / type a mode and Enter to switch: ok,
    paper_near_end, paper_out, cover_open, silent, stalled, slow; quit để thoát.
    """
    profile = build_profile(profile_file, paper=paper)
    if backend == "auto":
        import shutil

        backend = "socat" if shutil.which("socat") else "openpty"
    if link_dir is None and backend != "tcp":
        import tempfile

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
            backend=backend,
            link_dir=link_dir,
            tcp_port=tcp_port,
            slow_bps=slow_bps,
            on_ticket=announce,
        ).start()
    except (EmulatorError, ValueError, OSError) as exc:
        raise _fail(f"Không chạy được máy in ảo / cannot start: {exc}") from exc
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    _echo("Máy in ảo đang chạy / virtual printer running")
    _echo(f"Cổng cho kiosk / port for the kiosk: {vp.device_path}")
    _echo(f"Vé lưu tại / tickets saved in: {out}")
    _echo("Lệnh / commands: " + ", ".join(EmulatorMode) + ", quit")
    sys.stdout.flush()

    def read_commands() -> None:
        for line in sys.stdin:
            word = line.strip().lower()
            if not word:
                continue
            if word in ("quit", "exit", "q"):
                break
            try:
                vp.set_mode(
                    word.split()[0],
                    after_bytes=int(word.split()[1]) if len(word.split()) > 1 else 0,
                )
                _echo(f"Chế độ / mode: {vp.mode.value}")
            except ValueError:
                _echo(f"Không hiểu / unknown: {word}")
            sys.stdout.flush()
        stop.set()

    threading.Thread(target=read_commands, daemon=True).start()
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        vp.stop()
        _echo(f"Đã dừng / stopped ({len(vp.tickets)} vé / tickets)")


@app.command("define-logo")
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
    profile_file: ProfileFile = None,
    paper: PaperOpt = None,
    device: DeviceOpt = None,
    baud: BaudOpt = None,
    flow: FlowOpt = None,
    tcp: TcpOpt = None,
    usb: UsbOpt = None,
    file: FileOpt = None,
    write_timeout: TimeoutOpt = None,
) -> None:
    """Lưu logo vào bộ nhớ NV của máy in (chỉ khi lắp đặt hoặc đổi logo).

    Store the logo in the printer's NV memory, once at installation or when it changes:
    NV memory allows about ten writes a day. Tickets then print it with 11 bytes.
    """
    profile = build_profile(
        profile_file,
        paper=paper,
        device=device,
        baud=baud,
        flow=flow,
        tcp=tcp,
        usb=usb,
        file=file,
        write_timeout=write_timeout,
    )
    if key is not None:
        profile = _updated(profile, logo_key=key)
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
        raise _fail("Thêm --yes để ghi vào bộ nhớ NV của máy in. / Add --yes to write NV memory.")
    with Printer(profile) as printer:
        try:
            printer.print_job(data)
        except PrinterError as exc:
            raise _fail(f"Không ghi được logo / logo not stored: {exc}") from exc
    _echo(f"Đã lưu logo {profile.logo_key!r} ({len(data)} byte).")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
