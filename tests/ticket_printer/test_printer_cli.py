"""``motcua printer …`` commands, through typer's CliRunner and as a real process."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

from PIL import Image
from typer.testing import CliRunner

from motcua.commands.printer import app
from tests.support.waiting import eventually
from ticket_printer import Printer, PrinterProfile, PrinterStatus, SerialSettings
from ticket_printer.encoding import vietnamese_letters
from ticket_printer.escpos.decoder import decode_for_profile
from ticket_printer.layout import Ticket

runner = CliRunner()
AT = "2025-03-05T08:17:00+07:00"


def test_render_writes_png_and_exact_bytes(tmp_path, standard_lines, standard_qr) -> None:
    png, raw = tmp_path / "ticket.png", tmp_path / "ticket.bin"
    result = runner.invoke(app, ["render", "-o", str(png), "--raw", str(raw), "--at", AT])
    assert result.exit_code == 0, result.output
    assert Image.open(png).size[0] == 576 + 48
    job = decode_for_profile(raw.read_bytes(), PrinterProfile())
    assert job.text_lines == standard_lines and job.qr_codes == [standard_qr]
    assert f"{len(raw.read_bytes())} byte" in result.output


def test_render_in_raster_mode_on_58mm(tmp_path) -> None:
    raw = tmp_path / "t.bin"
    result = runner.invoke(
        app,
        [
            "render",
            "-o",
            str(tmp_path / "t.png"),
            "--raw",
            str(raw),
            "--mode",
            "raster",
            "--paper",
            "58",
            "--number",
            "C007",
        ],
    )
    assert result.exit_code == 0, result.output
    job = decode_for_profile(raw.read_bytes(), PrinterProfile(mode="raster", paper_mm=58))
    assert "C007" in job.text_lines and all(i.image.width <= 384 for i in job.images)
    assert Image.open(tmp_path / "t.png").size[0] == 384 + 48


def test_render_rejects_a_bad_ticket_in_vietnamese(tmp_path) -> None:
    result = runner.invoke(app, ["render", "-o", str(tmp_path / "x.png"), "--number", "A 1!"])
    assert result.exit_code == 2
    assert "Vé không hợp lệ" in result.output


def test_test_page_bytes_contain_every_letter(tmp_path) -> None:
    for mode in ("tcvn3", "cp1258"):
        raw = tmp_path / f"{mode}.bin"
        result = runner.invoke(
            app,
            [
                "test-page",
                "--mode",
                mode,
                "--raw",
                str(raw),
                "--png",
                str(tmp_path / f"{mode}.png"),
            ],
        )
        assert result.exit_code == 0, result.output
        profile = PrinterProfile(mode=mode)
        job = decode_for_profile(raw.read_bytes(), profile)
        assert set(vietnamese_letters()) <= set(job.text)
        assert set(job.codepages) <= profile.allowed_pages


def test_test_page_prints_on_the_virtual_printer(virtual_printer) -> None:
    result = runner.invoke(app, ["test-page", "--device", virtual_printer.device_path])
    assert result.exit_code == 0, result.output
    [page] = virtual_printer.wait_for_tickets(1)
    assert "TRANG THỬ TIẾNG VIỆT" in page.text_lines
    assert "ư ừ ứ ử ữ ự / Ư Ừ Ứ Ử Ữ Ự" in page.text_lines


def test_status_command_reports_and_sets_the_exit_code(virtual_printer) -> None:
    result = runner.invoke(app, ["status", "--device", virtual_printer.device_path])
    assert (result.exit_code, result.output.strip()) == (0, "ok: Sẵn sàng")
    virtual_printer.set_mode("paper_out")
    result = runner.invoke(app, ["status", "--device", virtual_printer.device_path])
    assert (result.exit_code, result.output.strip()) == (1, "paper_out: Hết giấy")


def test_status_without_a_printer_names_the_port_and_what_to_check(tmp_path) -> None:
    missing = tmp_path / "ttyUSB7"
    result = runner.invoke(app, ["status", "--device", str(missing)])
    assert result.exit_code == 1
    first, *rest = result.output.splitlines()
    assert first.startswith("offline")
    explained = "\n".join(rest)
    assert f"serial port {missing}" in explained
    assert "No such file" in explained
    assert "Kiểm tra" in explained and "dialout" in explained


def test_status_of_an_unreachable_network_printer_names_host_and_port() -> None:
    result = runner.invoke(app, ["status", "--tcp", "127.0.0.1:1"])
    assert result.exit_code == 1
    assert "network printer 127.0.0.1:1" in result.output
    assert "9100" in result.output  # what to check: the usual raw port


def test_define_logo_needs_confirmation_then_the_logo_prints(virtual_printer, tmp_path) -> None:
    logo = tmp_path / "logo.png"
    image = Image.new("RGB", (300, 80), "white")
    image.paste((0, 0, 0), (40, 20, 260, 60))
    image.save(logo)
    device = ["--device", virtual_printer.device_path]
    refused = runner.invoke(app, ["define-logo", str(logo), *device])
    assert refused.exit_code == 2 and "--yes" in refused.output
    raw = tmp_path / "logo.bin"
    assert runner.invoke(app, ["define-logo", str(logo), "--raw", str(raw)]).exit_code == 0
    assert decode_for_profile(raw.read_bytes(), PrinterProfile()).nv_definitions["LG"].size == (
        300,
        80,
    )
    stored = runner.invoke(app, ["define-logo", str(logo), "--yes", *device])
    assert stored.exit_code == 0, stored.output
    eventually(lambda: "LG" in virtual_printer.nv_store, "the logo in the printer's memory", 5)
    assert virtual_printer.nv_store["LG"].size == (300, 80)


def _lines(stream, sink: queue.Queue) -> None:
    for line in stream:
        sink.put(line.rstrip("\n"))


def _expect(sink: queue.Queue, needle: str, timeout: float = 10) -> str:

    def next_match() -> str | None:
        try:
            line = sink.get(timeout=0.1)
        except queue.Empty:
            return None
        return line if needle in line else None

    return eventually(next_match, f"a line containing {needle!r}", timeout, interval=0)


def test_emulate_command_serves_a_port_and_switches_modes(socat, tmp_path, ticket) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "motcua.commands.printer",
            "emulate",
            "--link-dir",
            str(tmp_path / "port"),
            "--out",
            str(tmp_path / "out"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    sink: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stdout, sink), daemon=True).start()
    try:
        port = _expect(sink, "Cổng cho kiosk").rsplit(": ", 1)[1]
        assert port == str(tmp_path / "port" / "kiosk")
        profile = PrinterProfile(transport=SerialSettings(device=port))
        with Printer(profile) as printer:
            printer.print_ticket(ticket)
            assert "A023" in _expect(sink, "Vé #1")
            assert (tmp_path / "out" / "ticket-0001.png").exists()
            proc.stdin.write("cover_open\n")
            proc.stdin.flush()
            _expect(sink, "cover_open")
            assert printer.check_status() is PrinterStatus.COVER_OPEN
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cli_render_matches_the_library(tmp_path) -> None:
    raw = tmp_path / "t.bin"
    runner.invoke(
        app,
        [
            "render",
            "-o",
            str(tmp_path / "t.png"),
            "--raw",
            str(raw),
            "--at",
            AT,
            "--priority",
            "",
            "--wait",
            "5",
            "--ahead",
            "0",
        ],
    )
    from datetime import datetime

    from ticket_printer.render import render_ticket

    expected = Ticket(
        office_name="Bộ phận Một cửa UBND xã Gia Lộc",
        service_name="Tư pháp – Hộ tịch",
        number="A023",
        people_ahead=0,
        estimated_wait_min=5,
        issued_at=datetime.fromisoformat(AT),
        qr="https://motcua.example/t/A023-7F3A9C",
    )
    assert raw.read_bytes() == render_ticket(expected, PrinterProfile())


def test_test_page_can_probe_candidate_code_pages(tmp_path) -> None:
    raw = tmp_path / "probe.bin"
    result = runner.invoke(app, ["test-page", "--raw", str(raw), "--probe-pages", "27,35"])
    assert result.exit_code == 0, result.output
    job = decode_for_profile(raw.read_bytes(), PrinterProfile())
    assert job.codepages[-3:] == [27, 35, 30]  # probes, then back to TCVN-3
    assert "ESC t 27:" in job.text_lines and "ESC t 35:" in job.text_lines
    probe = job.text_lines[job.text_lines.index("ESC t 35:") + 1]
    assert probe.startswith("A0 ") and len(probe) == 3 + 16
    bad = runner.invoke(app, ["test-page", "--raw", str(raw), "--probe-pages", "27,x"])
    assert bad.exit_code == 2


def test_profile_file_is_used_and_options_override_it(tmp_path) -> None:
    import json

    capture = tmp_path / "capture.bin"
    profile_file = tmp_path / "printer.json"
    profile_file.write_text(
        json.dumps(
            {
                "mode": "cp1258",
                "cp1258_page": 35,
                "chinese_firmware": True,
                "transport": {"kind": "file", "path": str(capture)},
            }
        ),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["test-page", "--profile", str(profile_file)])
    assert result.exit_code == 0, result.output
    job = decode_for_profile(capture.read_bytes(), PrinterProfile(mode="cp1258", cp1258_page=35))
    assert job.kanji_off and set(job.codepages) == {35}
    assert set(vietnamese_letters()) <= set(job.text)
    override = tmp_path / "override.bin"
    result = runner.invoke(
        app,
        ["test-page", "--profile", str(profile_file), "--mode", "tcvn3", "--raw", str(override)],
    )
    assert result.exit_code == 0, result.output
    job = decode_for_profile(override.read_bytes(), PrinterProfile())
    assert job.kanji_off and set(job.codepages) == {30, 31}
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"mode": "tcvn4"}), encoding="utf-8")
    result = runner.invoke(app, ["test-page", "--profile", str(broken), "--raw", str(capture)])
    assert result.exit_code == 2 and "Cấu hình máy in không hợp lệ" in result.output


def test_every_shared_option_fills_a_field_of_the_target() -> None:
    from dataclasses import fields

    from motcua.commands.printer_options import TARGET_OPTIONS, PrinterTarget

    assert set(TARGET_OPTIONS) == {f.name for f in fields(PrinterTarget)}
